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
	"hooks/tracing"
)

// BenchmarkAttemptTraced is BenchmarkAttempt with a trace context: posted
// and passed on with tracing off, and with tracing on at 100 % sampling,
// exporting over OTLP/HTTP to a collector on loopback that discards.
func BenchmarkAttemptTraced(b *testing.B) {
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer collector.Close()
	b.Run("off-posted", func(b *testing.B) { benchmarkAttemptTraced(b, nil) })
	b.Run("on-sampled", func(b *testing.B) {
		b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
		b.Setenv("OTEL_TRACES_SAMPLER", "always_on")
		tr, err := tracing.New(context.Background(), "bench", nil)
		if err != nil {
			b.Fatal(err)
		}
		defer tr.Shutdown(context.Background())
		benchmarkAttemptTraced(b, tr)
	})
}

func benchmarkAttemptTraced(b *testing.B, tr *tracing.Tracer) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	e := New(nil, Config{
		Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Tracer: tr,
	})
	w := &domain.Endpoint{ID: "ep_bench", TenantID: domain.DefaultTenant, URL: rcv.URL + "/in", Topics: []string{"*"}, Enabled: true}
	if err := e.ValidateWebhook(w); err != nil {
		b.Fatal(err)
	}
	ev := &domain.Event{ID: "evt_bench", TenantID: domain.DefaultTenant, Topic: "orders/placed", TriggeredAt: time.Now(),
		Payload:     []byte(`{"data":"` + fmtZeros(1013) + `"}`),
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
	d := &domain.Delivery{ID: "dlv_bench", TenantID: domain.DefaultTenant, EventID: ev.ID, EndpointID: w.ID, Topic: ev.Topic,
		Status: domain.StatusPending, NextTrigger: domain.TriggerScheduled, CreatedAt: time.Now()}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if o := e.attempt(ctx, &job{delivery: d, event: ev, webhook: w}); o.Status != domain.StatusSucceeded {
			b.Fatalf("attempt: %s", o.Status)
		}
	}
}
