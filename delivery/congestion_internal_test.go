package delivery

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// TestSlowEndpointQueuesAboutASecondOfItsThroughput points a burst at an
// endpoint that answers in 10 ms with 2 connections (about 200/s): its
// queue in memory must shrink to about one second of that, the rest
// parked, so no delivery waits in memory anywhere near its lease; and
// every delivery arrives once.
func TestSlowEndpointQueuesAboutASecondOfItsThroughput(t *testing.T) {
	ctx := context.Background()
	const events = 1000
	var mu sync.Mutex
	seen := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(10 * time.Millisecond)
		mu.Lock()
		seen[r.Header.Get("Webhook-Id")]++
		mu.Unlock()
	}))
	defer rcv.Close()
	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := New(db, Config{Workers: 8, MaxPerEndpoint: 2, Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hook := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: rcv.URL, Topics: []string{"*"}, Enabled: true}
	if err := e.ValidateWebhook(hook); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEndpoint(ctx, hook); err != nil {
		t.Fatal(err)
	}
	batch := make([]*domain.Event, events)
	for i := range batch {
		batch[i] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: fmt.Appendf(nil, `{"n":%d}`, i)}
	}
	if _, err := db.CreateEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- e.Run(runCtx, time.Second) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	start := time.Now()
	deadline := start.Add(30 * time.Second)
	largest := 0
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == events {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d of %d", n, events)
		}
		time.Sleep(20 * time.Millisecond)
		if time.Since(start) > time.Second { // its throughput is known by now
			e.mu.Lock()
			if q := e.endpoints[hook.ID]; q != nil {
				largest = max(largest, len(q.waiting))
			}
			e.mu.Unlock()
		}
	}
	t.Logf("largest queue after the first second: %d", largest)
	if largest > 2*200 {
		t.Errorf("the slow endpoint's queue held %d deliveries; want about one second's worth (~200)", largest)
	}
	mu.Lock()
	defer mu.Unlock()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s arrived %d times", id, n)
		}
	}
}

// TestFailingEndpointIsPacedUntilItAnswers sends a burst to an endpoint
// that answers 500 and one that is healthy: the failing one gets a few
// attempts, not one per delivery, while the healthy one gets everything;
// once it answers again, the deliveries it was never sent arrive at once.
func TestFailingEndpointIsPacedUntilItAnswers(t *testing.T) {
	ctx := context.Background()
	const events = 300
	var mu sync.Mutex
	down := true
	var failedAttempts int
	delivered := map[string]bool{}
	healthy := 0
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		defer mu.Unlock()
		if down {
			failedAttempts++
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		delivered[r.Header.Get("Webhook-Id")] = true
	}))
	defer bad.Close()
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		healthy++
		mu.Unlock()
	}))
	defer good.Close()
	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := New(db, Config{Workers: 16, Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, url := range []string{bad.URL, good.URL} {
		hook := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: url, Topics: []string{"*"}, Enabled: true}
		if err := e.ValidateWebhook(hook); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateEndpoint(ctx, hook); err != nil {
			t.Fatal(err)
		}
	}
	batch := make([]*domain.Event, events)
	for i := range batch {
		batch[i] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{}`)}
	}
	if _, err := db.CreateEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- e.Run(runCtx, time.Second) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	wait := func(what string, limit time.Duration, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(limit); ; time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			met := ok()
			mu.Unlock()
			if met {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	wait("the healthy endpoint's deliveries", 10*time.Second, func() bool { return healthy == events })
	time.Sleep(time.Second)
	mu.Lock()
	tried := failedAttempts
	down = false
	mu.Unlock()
	// 16 at once before the first failures come back, a pause after each
	// of the next ones: a few dozen attempts, not 300.
	if tried > 60 {
		t.Errorf("the failing endpoint got %d attempts in its first second; want it paced", tried)
	}
	// Every delivery it was never sent arrives as soon as it answers; the
	// ones that failed wait for their retry.
	wait("the failing endpoint's backlog", 10*time.Second, func() bool { return len(delivered) >= events-tried })
}
