package delivery

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"hooks/delivery/netguard"
	"hooks/domain"
)

// BenchmarkAttempt makes one attempt of a 1 KiB event — render, sign,
// POST to a receiver on loopback, read the answer, decide the outcome —
// without the database: the per-attempt work of the engine, and its
// allocations. It uses nothing but what the engine had before tracing, so
// the same file measures an older checkout too (see README, Tracing).
func BenchmarkAttempt(b *testing.B) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	e := New(nil, Config{
		Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	w := &domain.Endpoint{ID: "ep_bench", TenantID: domain.DefaultTenant, URL: rcv.URL + "/in", Topics: []string{"*"}, Enabled: true}
	if err := e.ValidateWebhook(w); err != nil {
		b.Fatal(err)
	}
	w.UpdatedAt = time.Now()
	ev := &domain.Event{ID: "evt_bench", TenantID: domain.DefaultTenant, Topic: "orders/placed", TriggeredAt: time.Now(),
		Payload: []byte(`{"data":"` + fmtZeros(1013) + `"}`)}
	d := &domain.Delivery{ID: "dlv_bench", TenantID: domain.DefaultTenant, EventID: ev.ID, EndpointID: w.ID, Topic: ev.Topic,
		Status: domain.StatusPending, NextTrigger: domain.TriggerScheduled, CreatedAt: time.Now()}
	ctx := context.Background()
	if o := e.attempt(ctx, &job{delivery: d, event: ev, webhook: w}); o.Status != domain.StatusSucceeded {
		b.Fatalf("attempt: %s: %s", o.Status, o.Attempt.Error)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if o := e.attempt(ctx, &job{delivery: d, event: ev, webhook: w}); o.Status != domain.StatusSucceeded {
			b.Fatalf("attempt: %s", o.Status)
		}
	}
}

func fmtZeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}
