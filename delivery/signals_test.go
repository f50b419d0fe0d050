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
	"hooks/delivery/netguard"
	"hooks/delivery/upkeep"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// offsetClock is real time plus an offset that a test moves forward, so a
// two-minute pause takes none. The engine and the store share it.
type offsetClock struct{ offset atomic.Int64 }

func (c *offsetClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *offsetClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// receiver records the topic and body of every request and answers with
// answer(n), n counting from 0.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	topics []string
	bodies []string
}

func newReceiver(t *testing.T, answer func(w http.ResponseWriter, n int)) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.bodies)
		r.topics = append(r.topics, req.Header.Get("X-Hooks-Topic"))
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
		answer(w, n)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

func (r *receiver) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// signalRig is a database, an engine with an injected clock and one
// endpoint per receiver, each subscribed to every topic.
type signalRig struct {
	t      *testing.T
	ctx    context.Context
	clk    *offsetClock
	db     *store.DB
	engine *delivery.Engine
}

func newSignalRig(t *testing.T) *signalRig {
	ctx := context.Background()
	clk := &offsetClock{}
	db, err := store.Open(ctx, storetest.DSN(t), store.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// One attempt at a time per endpoint, so that the order is the test's.
	engine := delivery.New(db, delivery.Config{Workers: 4, MaxPerEndpoint: 1, Now: clk.now,
		Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return &signalRig{t: t, ctx: ctx, clk: clk, db: db, engine: engine}
}

func (r *signalRig) endpoint(url string) *domain.Endpoint {
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: url, Topics: []string{"*"}, Enabled: true}
	if err := r.engine.ValidateWebhook(w); err != nil {
		r.t.Fatal(err)
	}
	if err := r.db.CreateEndpoint(r.ctx, w); err != nil {
		r.t.Fatal(err)
	}
	return w
}

func (r *signalRig) post(bodies ...string) {
	for _, b := range bodies {
		if _, err := r.db.CreateEvents(r.ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(b)}}); err != nil {
			r.t.Fatal(err)
		}
	}
	r.engine.Wake()
}

func (r *signalRig) run() {
	runCtx, stop := context.WithCancel(r.ctx)
	done := make(chan error)
	go func() { done <- r.engine.Run(runCtx, time.Second) }()
	r.t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			r.t.Error(err)
		}
	})
}

func (r *signalRig) reload(w *domain.Endpoint) *domain.Endpoint {
	got, err := r.db.EndpointByID(r.ctx, w.TenantID, w.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return got
}

// deliveriesOf returns w's deliveries, oldest first, with their attempts.
func (r *signalRig) deliveriesOf(w *domain.Endpoint) ([]*domain.Delivery, map[string][]*domain.Attempt) {
	ds, _, err := r.db.Deliveries(r.ctx, store.DeliveryFilter{TenantID: w.TenantID, EndpointID: w.ID, Limit: 100})
	if err != nil {
		r.t.Fatal(err)
	}
	attempts := map[string][]*domain.Attempt{}
	for i, j := 0, len(ds)-1; i < j; i, j = i+1, j-1 {
		ds[i], ds[j] = ds[j], ds[i]
	}
	for _, d := range ds {
		if attempts[d.ID], err = r.db.AttemptsByDelivery(r.ctx, d.ID); err != nil {
			r.t.Fatal(err)
		}
	}
	return ds, attempts
}

// TestGoneDisablesTheEndpoint: a 410 Gone disables the endpoint at once
// with a reason that says so and an endpoint.disabled event; that delivery
// fails for good and the endpoint's other deliveries are not attempted.
func TestGoneDisablesTheEndpoint(t *testing.T) {
	r := newSignalRig(t)
	gone := newReceiver(t, func(w http.ResponseWriter, n int) { w.WriteHeader(http.StatusGone) })
	other := newReceiver(t, func(w http.ResponseWriter, n int) {})
	a, b := r.endpoint(gone.URL), r.endpoint(other.URL)
	r.post(`{"n":1}`, `{"n":2}`, `{"n":3}`)
	r.run()

	waitFor(t, 10*time.Second, "the endpoint.disabled event at the other endpoint", func() bool {
		other.mu.Lock()
		defer other.mu.Unlock()
		for _, topic := range other.topics {
			if topic == upkeep.TopicEndpointDisabled {
				return true
			}
		}
		return false
	})
	// The event is stored before the endpoint is disabled (upkeep.Disable:
	// a failed disable is retried and the event's key keeps it single), so
	// the endpoint may still read enabled for a moment.
	var got *domain.Endpoint
	waitFor(t, 10*time.Second, "the gone endpoint to be disabled", func() bool {
		got = r.reload(a)
		return !got.Enabled
	})
	if got.Enabled || !strings.HasPrefix(got.DisabledReason, "The receiver answered 410 Gone at ") ||
		!strings.HasSuffix(got.DisabledReason, ": it asked not to be sent more") {
		t.Errorf("endpoint enabled %v, reason %q; want disabled because of the 410", got.Enabled, got.DisabledReason)
	}
	for i, topic := range other.topics {
		if topic == upkeep.TopicEndpointDisabled && (!strings.Contains(other.bodies[i], a.ID) || !strings.Contains(other.bodies[i], "410 Gone")) {
			t.Errorf("endpoint.disabled event %s does not name %s and the 410", other.bodies[i], a.ID)
		}
	}
	waitFor(t, 10*time.Second, "every delivery of the gone endpoint to be settled", func() bool {
		ds, _ := r.deliveriesOf(a)
		for _, d := range ds {
			if d.Status == domain.StatusPending || d.Status == domain.StatusRetrying {
				return false
			}
		}
		return len(ds) >= 3
	})
	if n := gone.count(); n != 1 {
		t.Errorf("the gone receiver got %d requests, want 1", n)
	}
	// Which delivery went first is the claim's choice (ties in due time).
	ds, attempts := r.deliveriesOf(a)
	answered := 0
	for i, d := range ds {
		switch {
		case len(attempts[d.ID]) == 1 && attempts[d.ID][0].StatusCode == http.StatusGone && d.Status == domain.StatusFailed:
			answered++
		case d.Status != domain.StatusCancelled || len(attempts[d.ID]) != 0:
			t.Errorf("delivery %d: %s with %d attempts, want cancelled without one", i, d.Status, len(attempts[d.ID]))
		}
	}
	if answered != 1 {
		t.Errorf("%d deliveries failed after a 410, want 1", answered)
	}
	// The other endpoint did not notice, and the disabled one gets nothing new.
	r.post(`{"n":4}`)
	waitFor(t, 10*time.Second, "the other endpoint's deliveries", func() bool { return other.count() == 5 })
	if ds, _ := r.deliveriesOf(a); len(ds) != 4 { // three events and endpoint.disabled
		t.Errorf("the disabled endpoint has %d deliveries, want 4 (nothing after it was disabled)", len(ds))
	}
	_ = b
}

// TestRetryAfterPausesTheWholeEndpoint: a 429 or 503 with Retry-After: 120
// pauses the endpoint: none of its deliveries is attempted until the clock
// passes the pause, none counts a failure, and then they go in order;
// another endpoint keeps receiving all along.
func TestRetryAfterPausesTheWholeEndpoint(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			r := newSignalRig(t)
			busy := newReceiver(t, func(w http.ResponseWriter, n int) {
				if n == 0 {
					w.Header().Set("Retry-After", "120")
					w.WriteHeader(status)
				}
			})
			other := newReceiver(t, func(w http.ResponseWriter, n int) {})
			a, _ := r.endpoint(busy.URL), r.endpoint(other.URL)
			r.run()
			start := r.clk.now()
			r.post(`{"n":1}`)
			waitFor(t, 10*time.Second, "the pause to be recorded", func() bool { return !r.reload(a).PausedUntil.IsZero() })
			pausedUntil := r.reload(a).PausedUntil
			if d := pausedUntil.Sub(start); d < 120*time.Second || d > 125*time.Second {
				t.Errorf("paused for %v, want about 120 s", d)
			}

			r.post(`{"n":2}`, `{"n":3}`, `{"n":4}`)
			waitFor(t, 10*time.Second, "the other endpoint's deliveries", func() bool { return other.count() == 4 })
			r.clk.advance(60 * time.Second)
			r.post(`{"n":5}`)
			waitFor(t, 10*time.Second, "the other endpoint's deliveries during the pause", func() bool { return other.count() == 5 })
			if n := busy.count(); n != 1 {
				t.Fatalf("the paused receiver got %d requests during the pause, want 1", n)
			}

			r.clk.advance(61 * time.Second)
			r.engine.Wake()
			waitFor(t, 10*time.Second, "the paused endpoint's deliveries after the pause", func() bool { return busy.count() == 6 })
			want := []string{`{"n":1}`, `{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`, `{"n":5}`}
			if got := busy.received(); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("the paused receiver got %v, want %v: in order after the pause", got, want)
			}
			waitFor(t, 10*time.Second, "the attempts to be recorded", func() bool {
				ds, _ := r.deliveriesOf(a)
				for _, d := range ds {
					if d.Status != domain.StatusSucceeded {
						return false
					}
				}
				return len(ds) == 5
			})
			// The attempt log: after the first, nothing before the pause's end,
			// and one attempt for each delivery that waited.
			ds, attempts := r.deliveriesOf(a)
			for i, d := range ds {
				want := 1
				if i == 0 {
					want = 2
				}
				if len(attempts[d.ID]) != want {
					t.Errorf("delivery %d has %d attempts, want %d", i+1, len(attempts[d.ID]), want)
				}
				for j, at := range attempts[d.ID] {
					if (i > 0 || j > 0) && at.StartedAt.Before(pausedUntil) {
						t.Errorf("delivery %d attempt %d started at %s, before the pause's end %s", i+1, j+1, at.StartedAt, pausedUntil)
					}
				}
			}
		})
	}
}

// TestRetryOnTellsTimeoutFromNetwork runs the retryOn tokens "timeout" and
// "network" against a receiver that hangs past the endpoint's timeout and
// an address where nothing listens: each retries only its own kind.
func TestRetryOnTellsTimeoutFromNetwork(t *testing.T) {
	r := newSignalRig(t)
	hung := make(chan struct{})
	hang := newReceiver(t, func(w http.ResponseWriter, n int) { <-hung })
	defer close(hung)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // its port now refuses connections

	cases := []struct {
		url, token, want string
	}{
		{hang.URL, "timeout", domain.StatusRetrying},
		{hang.URL, "network", domain.StatusFailed},
		{closed.URL, "network", domain.StatusRetrying},
		{closed.URL, "timeout", domain.StatusFailed},
	}
	hooks := make([]*domain.Endpoint, len(cases))
	for i, c := range cases {
		w := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: c.url, Topics: []string{"*"}, Enabled: true, Timeout: time.Second,
			Retry: domain.RetryPolicy{MaxAttempts: 2, RetryOn: domain.RetryOnTokens(c.token)}}
		if err := r.engine.ValidateWebhook(w); err != nil {
			t.Fatal(err)
		}
		if err := r.db.CreateEndpoint(r.ctx, w); err != nil {
			t.Fatal(err)
		}
		hooks[i] = w
	}
	r.run()
	r.post(`{}`)
	for i, c := range cases {
		var got *domain.Delivery
		waitFor(t, 10*time.Second, "the first attempt of "+c.token+" at "+c.url, func() bool {
			ds, _ := r.deliveriesOf(hooks[i])
			if len(ds) == 1 && ds[0].AttemptCount == 1 {
				got = ds[0]
			}
			return got != nil
		})
		if got.Status != c.want {
			t.Errorf("retryOn [%q], %s: delivery %s after the first attempt, want %s", c.token, map[bool]string{true: "no answer in time", false: "connection refused"}[c.url == hang.URL], got.Status, c.want)
		}
	}
}
