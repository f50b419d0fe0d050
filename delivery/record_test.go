package delivery_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// TestEndpointDeletedMidAttemptDoesNotStallRecording deletes an endpoint
// while an attempt to it is in flight. That attempt's record has nowhere to
// go; it must be dropped, not retried forever in front of everyone else's.
func TestEndpointDeletedMidAttemptDoesNotStallRecording(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	}))
	defer slow.Close()
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer fast.Close()

	recorded := make(chan store.Outcome, 10)
	engine := delivery.New(db, delivery.Config{
		Policy:    &netguard.Policy{AllowHTTP: true, AllowPrivate: true},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnOutcome: func(o store.Outcome) { recorded <- o },
	})
	hooks := map[string]*domain.Endpoint{}
	for topic, url := range map[string]string{"slow": slow.URL, "fast": fast.URL} {
		w := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: url, Topics: []string{topic}, Enabled: true}
		if err := engine.ValidateWebhook(w); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateEndpoint(ctx, w); err != nil {
			t.Fatal(err)
		}
		hooks[topic] = w
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- engine.Run(runCtx, time.Second) }()
	defer func() {
		stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the engine did not stop within 10 s")
		}
	}()

	post := func(topic string) {
		if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: topic, Payload: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
		engine.Wake()
	}
	post("slow")
	<-arrived
	if err := db.DeleteEndpoint(ctx, domain.DefaultTenant, hooks["slow"].ID); err != nil {
		t.Fatal(err)
	}
	close(release)
	post("fast")
	timeout := time.After(5 * time.Second)
	for {
		select {
		case o := <-recorded:
			if o.Attempt == nil || o.Attempt.URL != hooks["fast"].URL {
				continue // the deleted endpoint's attempt, if it could be stored
			}
			if o.Status != domain.StatusSucceeded {
				t.Fatalf("fast endpoint: %+v, want success", o)
			}
			return
		case <-timeout:
			t.Fatal("the fast endpoint's attempt was not recorded within 5 s: recording is stalled")
		}
	}
}
