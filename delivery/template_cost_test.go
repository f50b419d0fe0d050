package delivery_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/delivery/envelope"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// maxEventData is about the largest event data ingest accepts (request
// bodies are limited to 1 MiB).
const maxEventData = 1<<20 - 100

// deepIfTemplate nests a $if comparing the 1 MiB string event.data.s with
// itself as deep as templates may nest.
func deepIfTemplate() string {
	const cond = `{"$if":"event.data.s == event.data.s","$then":`
	depth := envelope.MaxDepth - 1
	return strings.Repeat(cond, depth) + "1" + strings.Repeat(`,"$else":0}`, depth)
}

// escapedStringData is {"s": "…"} filling maxEventData with escapes.
func escapedStringData() []byte {
	const unit = `\"a\u00e9`
	return []byte(`{"s":"` + strings.Repeat(unit, (maxEventData-8)/len(unit)) + `"}`)
}

// escapedNamesData and wideLookupTemplate are the costliest template found
// for a 1 MiB event (see envelope.BenchmarkWorstTemplate): every lookup
// passes 1 MiB of members with escaped names.
func escapedNamesData() []byte {
	const member = `"\u0061":0,`
	return []byte(`{` + strings.Repeat(member, (maxEventData-8)/len(member)) + `"b":0}`)
}

func wideLookupTemplate() string {
	const elem = `{"$if":"event.data.x","$then":1}`
	n := (envelope.MaxTemplateSize - 2) / (len(elem) + 1)
	return "[" + strings.Repeat(elem+",", n-1) + elem + "]"
}

// costRig is an engine on a real SQLite store whose outcomes are collected.
type costRig struct {
	db       *store.DB
	engine   *delivery.Engine
	mu       sync.Mutex
	outcomes map[string]store.Outcome // by delivery id
	finished atomic.Int32             // outcomes recorded
	done     chan store.Outcome
}

func newCostRig(t *testing.T, cfg delivery.Config) *costRig {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &costRig{db: db, outcomes: map[string]store.Outcome{}, done: make(chan store.Outcome, 1000)}
	cfg.Policy = &netguard.Policy{AllowHTTP: true, AllowPrivate: true}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.OnOutcome = func(o store.Outcome) {
		r.mu.Lock()
		r.outcomes[o.DeliveryID] = o
		r.mu.Unlock()
		r.finished.Add(1)
		r.done <- o
	}
	r.engine = delivery.New(db, cfg)
	return r
}

func (r *costRig) addWebhook(t *testing.T, url string, env domain.Envelope) *domain.Endpoint {
	t.Helper()
	hook := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: url, Topics: []string{"*"}, Enabled: true,
		Envelope: env, Retry: domain.RetryPolicy{MaxAttempts: 50}}
	if err := r.engine.ValidateWebhook(hook); err != nil {
		t.Fatal(err)
	}
	if err := r.db.CreateEndpoint(context.Background(), hook); err != nil {
		t.Fatal(err)
	}
	return hook
}

// run starts the engine and stops it when the test ends.
func (r *costRig) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.engine.Run(ctx, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	r.engine.Wake()
}

func (r *costRig) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Fatalf("not every attempt ended within 30 s")
		}
	}
}

// TestTemplateRenderFailureIsFinal posts a 1 MiB event to an endpoint
// whose template needs more than the render budget: the delivery fails
// after one attempt, with the reason in the attempt log, nothing is sent,
// and no retry is scheduled although the policy allows 50 attempts.
func TestTemplateRenderFailureIsFinal(t *testing.T) {
	ctx := context.Background()
	var received atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { received.Add(1) }))
	defer rcv.Close()
	rig := newCostRig(t, delivery.Config{})
	hook := rig.addWebhook(t, rcv.URL, domain.Envelope{Type: "template", Template: deepIfTemplate()})
	if _, err := rig.db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "t", Payload: escapedStringData()}}); err != nil {
		t.Fatal(err)
	}
	rig.run(t)
	rig.wait(t, 1)

	ds, _, err := rig.db.Deliveries(ctx, store.DeliveryFilter{TenantID: domain.DefaultTenant, EndpointID: hook.ID, Limit: 10})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries = %d, %v; want 1", len(ds), err)
	}
	d := ds[0]
	if d.Status != domain.StatusFailed || d.AttemptCount != 1 || !d.NextAttemptAt.IsZero() {
		t.Errorf("delivery is %s after %d attempts, next at %v; want failed after 1, no next", d.Status, d.AttemptCount, d.NextAttemptAt)
	}
	as, err := rig.db.AttemptsByDelivery(ctx, d.ID)
	if err != nil || len(as) != 1 {
		t.Fatalf("attempts = %d, %v; want 1", len(as), err)
	}
	if !strings.HasPrefix(as[0].Error, "envelope template: budget exceeded") || !strings.Contains(as[0].Error, "not retried") {
		t.Errorf("attempt error %q; want the budget named and that it is final", as[0].Error)
	}
	if n := received.Load(); n != 0 {
		t.Errorf("the receiver got %d requests; a failed render sends nothing", n)
	}
}

// TestHostileTemplatesDoNotStallOtherEndpoints posts the largest event to
// 100 endpoints with the costliest template found and to one plain
// endpoint, claimed last: the plain endpoint's delivery is attempted while
// most template deliveries still wait for their turn to render, and
// (without -short or the race detector, which slow CPU work several times)
// within a second; every template delivery fails once and for good, and
// nothing is sent for them.
func TestHostileTemplatesDoNotStallOtherEndpoints(t *testing.T) {
	ctx := context.Background()
	var doneBeforePlain atomic.Int32 // template deliveries finished when the plain one arrived
	var hostileHits atomic.Int32
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hostileHits.Add(1) }))
	defer hostile.Close()
	var plainAt atomic.Int64 // when the plain endpoint got its request, in ns since start
	var start time.Time
	var rig *costRig
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if plainAt.CompareAndSwap(0, int64(time.Since(start))) {
			doneBeforePlain.Store(rig.finished.Load())
		}
	}))
	defer plain.Close()

	// The plain delivery is claimed last, in the same batch as the others.
	rig = newCostRig(t, delivery.Config{})
	hostiles := 100
	if testing.Short() || raceEnabled {
		hostiles = 20 // the race detector makes each render ~25 times slower
	}
	tmpl := domain.Envelope{Type: "template", Template: wideLookupTemplate()}
	for range hostiles {
		rig.addWebhook(t, hostile.URL, tmpl)
	}
	plainHook := rig.addWebhook(t, plain.URL, domain.Envelope{Type: "raw"})
	if _, err := rig.db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "t", Payload: escapedNamesData()}}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	rig.run(t)
	rig.wait(t, hostiles+1)
	total := time.Since(start)

	delay := time.Duration(plainAt.Load())
	before := doneBeforePlain.Load()
	t.Logf("plain endpoint attempted after %s, with %d template deliveries done; all %d attempts done after %s", delay, before, hostiles+1, total)
	if delay == 0 {
		t.Fatal("the plain endpoint got no request")
	}
	// Template work runs GOMAXPROCS at a time, beside the other attempts:
	// the plain delivery does not wait for the template deliveries ahead of
	// it. (When it did, it arrived after all 100.)
	if int(before) > hostiles/2 {
		t.Errorf("the plain delivery arrived after %d of %d template deliveries had finished", before, hostiles)
	}
	if !testing.Short() && !raceEnabled && delay > time.Second {
		t.Errorf("the plain endpoint's delivery was attempted %s after start; want within 1 s", delay)
	}
	if n := hostileHits.Load(); n != 0 {
		t.Errorf("the template endpoints' receiver got %d requests; want none", n)
	}
	rig.mu.Lock()
	defer rig.mu.Unlock()
	if len(rig.outcomes) != hostiles+1 {
		t.Fatalf("%d deliveries attempted, want %d", len(rig.outcomes), hostiles+1)
	}
	for _, o := range rig.outcomes {
		if o.Attempt == nil {
			t.Fatalf("an outcome without an attempt: %+v", o)
		}
		if o.Attempt.URL == plainHook.URL {
			if o.Status != domain.StatusSucceeded {
				t.Errorf("plain delivery: %s, %q", o.Status, o.Attempt.Error)
			}
			continue
		}
		if o.Status != domain.StatusFailed || !strings.HasPrefix(o.Attempt.Error, "envelope template: budget exceeded") {
			t.Errorf("template delivery: %s, %q; want failed for good, over budget", o.Status, o.Attempt.Error)
		}
	}
}
