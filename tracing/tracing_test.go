package tracing

import (
	"context"
	"net/http"
	"testing"
)

func TestEnabledOnlyWithAnOTLPEndpoint(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing set", nil, false},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{"traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{"SDK disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "TRUE"}, false},
		{"SDK not disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "false"}, true},
		{"exporter none", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
		{"exporter otlp among others", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "console, otlp"}, true},
		{"only other variables", map[string]string{"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Enabled(func(k string) string { return c.env[k] }); got != c.want {
				t.Errorf("Enabled = %v, want %v", got, c.want)
			}
		})
	}
}

func TestNewIsNilWithoutAnEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tr, err := New(context.Background(), "test", nil)
	if tr != nil || err != nil {
		t.Fatalf("New = %v, %v; want nil, nil", tr, err)
	}
	// Every method is safe on the nil Tracer.
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest("POST", "http://hooks.test/api/v1/events", nil)
	ctx, end := tr.StartIngest(r, "POST /api/v1/events")
	end(nil)
	f, tp, ts := tr.StartFanOut(ctx, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "a=1")
	f.End("evt", 1, false, nil)
	if tp != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" || ts != "a=1" {
		t.Errorf("fan-out with tracing off changed the context to %q %q", tp, ts)
	}
	a := tr.StartAttempt(ctx, tp, ts, AttemptInfo{})
	h := http.Header{}
	a.SetHeader(h, tp, ts)
	a.End(200, "succeeded", "")
	if h.Get("traceparent") != tp || h.Get("tracestate") != ts {
		t.Errorf("attempt headers with tracing off = %v, want the stored context", h)
	}
}

func TestNewRefusesGRPC(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	if _, err := New(context.Background(), "test", nil); err == nil {
		t.Fatal("New accepted OTEL_EXPORTER_OTLP_PROTOCOL=grpc")
	}
}

// TestAttemptWithoutTracingAllocatesNothing: the attempt path's tracing
// calls, with tracing off and no stored traceparent, allocate nothing.
func TestAttemptWithoutTracingAllocatesNothing(t *testing.T) {
	var tr *Tracer
	h := http.Header{}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		a := tr.StartAttempt(ctx, "", "", AttemptInfo{})
		a.SetHeader(h, "", "")
		a.End(200, "succeeded", "")
		_, _ = FromHeader(h)
	})
	if allocs != 0 || len(h) != 0 {
		t.Errorf("%v allocations, headers %v; want none", allocs, h)
	}
}
