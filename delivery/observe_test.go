package delivery_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// syncBuffer is a bytes.Buffer safe for the engine's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestObserversAndAttemptLogKeepSecretsOut runs real deliveries with debug
// logging and checks that the per-attempt line names the delivery but
// carries neither the endpoint's secret nor the credential-bearing parts
// of its URL, that OnOutcome and OnBatch see every outcome, and that
// Running follows Run.
func TestObserversAndAttemptLogKeepSecretsOut(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got sync.WaitGroup
	got.Add(3)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Done() }))
	defer rcv.Close()

	var logs syncBuffer
	var mu sync.Mutex
	var outcomes, batched int
	engine := delivery.New(db, delivery.Config{
		Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true},
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnOutcome: func(o store.Outcome) {
			mu.Lock()
			outcomes++
			mu.Unlock()
		},
		OnBatch: func(n int, took time.Duration) {
			mu.Lock()
			batched += n
			mu.Unlock()
			if n <= 0 || took <= 0 {
				t.Errorf("OnBatch(%d, %v)", n, took)
			}
		},
	})
	hook := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: rcv.URL + "/services/T000/B000/pathsecret?token=querysecret",
		Topics: []string{"*"}, Enabled: true, Signing: domain.Signing{Scheme: "shared-secret", Header: "X-Shop-Secret"}}
	if err := engine.ValidateWebhook(hook); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEndpoint(ctx, hook); err != nil {
		t.Fatal(err)
	}
	if engine.Running() {
		t.Fatal("Running before Run")
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- engine.Run(runCtx, time.Second) }()
	var events []*domain.Event
	for range 3 {
		events = append(events, &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{}`)})
	}
	if _, err := db.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	engine.Wake()
	got.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n, b := outcomes, batched
		mu.Unlock()
		if n == 3 && b == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("observers saw %d outcomes, %d batched; want 3 and 3", n, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !engine.Running() {
		t.Error("Running() = false while Run delivers")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if engine.Running() {
		t.Error("Running() = true after Run returned")
	}

	out := logs.String()
	if n := strings.Count(out, `"msg":"attempt"`); n != 3 {
		t.Errorf("%d attempt lines, want 3:\n%s", n, out)
	}
	for _, secret := range []string{hook.Secret, "pathsecret", "querysecret"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, `"host":"`+strings.TrimPrefix(rcv.URL, "http://")+`"`) {
		t.Errorf("attempt lines don't name the target host:\n%s", out)
	}
}
