package delivery_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// TestRestartResumesDeliveriesLeftInFlight stores deliveries, claims them
// as a process that then "dies" (never records an outcome), and checks that
// a new engine on the same database delivers every one of them.
func TestRestartResumesDeliveriesLeftInFlight(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	var mu sync.Mutex
	seen := map[string]int{}
	var secret string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		wh, _ := standardwebhooks.NewWebhook(secret)
		if err := wh.Verify(body, r.Header); err != nil {
			t.Errorf("verify: %v", err)
		}
		mu.Lock()
		seen[r.Header.Get("Webhook-Id")]++
		mu.Unlock()
	}))
	defer rcv.Close()

	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	engine := delivery.New(db, delivery.Config{Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true}})
	hook := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: rcv.URL, Topics: []string{"*"}, Enabled: true}
	if err := engine.ValidateWebhook(hook); err != nil {
		t.Fatal(err)
	}
	secret = hook.Secret
	if err := db.CreateEndpoint(ctx, hook); err != nil {
		t.Fatal(err)
	}
	var events []*domain.Event
	for range 20 {
		events = append(events, &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{}`)})
	}
	if _, err := db.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	claimed, err := db.ClaimDue(ctx, "crashed", time.Now(), time.Hour, 15)
	if err != nil || len(claimed) != 15 {
		t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	db.Close() // the "crash": 15 leased for an hour, 5 never claimed

	db, err = store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.ReleaseLeases(ctx, ""); err != nil || n != 15 {
		t.Fatalf("ReleaseLeases = %d, %v; want 15", n, err)
	}
	engine = delivery.New(db, delivery.Config{Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- engine.Run(runCtx, time.Second) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d of 20 after restart", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
}

func TestRetryDelaysFollowSchedule(t *testing.T) {
	half := func() float64 { return 0.5 } // no jitter
	exp := domain.DefaultRetryPolicy()
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	for i, w := range want {
		if got := delivery.RetryDelay(exp, i+1, half); got != w {
			t.Errorf("exponential after attempt %d = %s, want %s", i+1, got, w)
		}
	}
	if exp.MaxAttempts != 8 {
		t.Errorf("default max attempts = %d, want 8", exp.MaxAttempts)
	}
	lo, hi := delivery.RetryDelay(exp, 1, func() float64 { return 0 }), delivery.RetryDelay(exp, 1, func() float64 { return 0.999 })
	if lo != 4*time.Second || hi < 5900*time.Millisecond {
		t.Errorf("jitter range %s..%s, want 4s..~6s", lo, hi)
	}
	fixed := domain.RetryPolicy{Schedule: domain.ScheduleFixed, IntervalSeconds: 3600, MaxAttempts: 10}
	if got := delivery.RetryDelay(fixed, 7, half); got != time.Hour {
		t.Errorf("fixed = %s, want 1h", got)
	}
}
