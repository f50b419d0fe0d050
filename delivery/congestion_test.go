package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// TestHungEndpointIsParkedAndDrainsInOrderWhenItRecovers sends events to a
// healthy endpoint and to one that hangs: the healthy one gets everything
// at once, the hung one's excess is parked in the database instead of
// filling memory, and when it recovers its backlog arrives oldest first,
// each delivery once.
func TestHungEndpointIsParkedAndDrainsInOrderWhenItRecovers(t *testing.T) {
	ctx := context.Background()
	const events = 400
	release := make(chan struct{})
	var mu sync.Mutex
	var healthy int
	var order []int
	seen := map[string]int{}
	record := func(r *http.Request) int {
		var body struct{ N int }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		mu.Lock()
		defer mu.Unlock()
		seen[r.Header.Get("Webhook-Id")]++
		return body.N
	}
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		mu.Lock()
		healthy++
		mu.Unlock()
	}))
	defer good.Close()
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		n := record(r)
		mu.Lock()
		order = append(order, n)
		mu.Unlock()
	}))
	defer hung.Close()
	var releaseOnce sync.Once
	unhang := func() { releaseOnce.Do(func() { close(release) }) }
	defer unhang()

	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	engine := delivery.New(db, delivery.Config{Workers: 8, MaxPerEndpoint: 2, ClaimBatch: 16,
		Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, url := range []string{good.URL, hung.URL} {
		hook := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: url, Topics: []string{"*"}, Enabled: true, Timeout: 30 * time.Second}
		if err := engine.ValidateWebhook(hook); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateEndpoint(ctx, hook); err != nil {
			t.Fatal(err)
		}
	}
	for i := range events {
		e := &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: fmt.Appendf(nil, `{"n":%d}`, i)}
		if _, err := db.CreateEvents(ctx, []*domain.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- engine.Run(runCtx, time.Second) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	waitFor(t, 10*time.Second, "the healthy endpoint's deliveries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return healthy == events
	})
	waitFor(t, 5*time.Second, "the hung endpoint's backlog to be parked", func() bool {
		parked, err := countParked(db)
		return err == nil && parked >= events-32 // all but the claim budget

	})
	unhang()
	waitFor(t, 10*time.Second, "the hung endpoint's backlog", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(order) == events
	})
	mu.Lock()
	defer mu.Unlock()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s arrived %d times", id, n)
		}
	}
	// Parked deliveries come back oldest first: a delivery is overtaken by
	// at most the claim budget's worth (8 workers × 4), not by whole batches.
	// A loaded machine can stall a request on its way, so a straggler or
	// two is tolerated, a pattern is not.
	newest, late := -1, 0
	for i, n := range order {
		if n < newest-32 {
			late++
			t.Logf("event %d arrived at position %d, after event %d", n, i, newest)
		}
		newest = max(newest, n)
	}
	if late > events/100 {
		t.Errorf("%d of %d deliveries arrived out of order", late, events)
	}
}

// countParked returns how many pending deliveries are parked: not due for
// more than the claim lease.
func countParked(db *store.DB) (int, error) {
	ds, _, err := db.Deliveries(context.Background(), store.DeliveryFilter{TenantID: domain.DefaultTenant, Status: domain.StatusPending, Limit: 1000})
	parked := 0
	for _, d := range ds {
		if time.Until(d.NextAttemptAt) > 30*time.Minute {
			parked++
		}
	}
	return parked, err
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
