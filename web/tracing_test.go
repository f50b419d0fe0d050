package web

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"hooks/delivery"
	"hooks/tracing"
)

// otlpReceiver is an OTLP/HTTP trace collector: it decodes the real
// protobuf export requests posted to /v1/traces and keeps their spans.
type otlpReceiver struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	o := &otlpReceiver{t: t}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("OTLP export to %s as %q, want /v1/traces as application/x-protobuf", r.URL.Path, r.Header.Get("Content-Type"))
			http.Error(w, "unexpected", http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("decode OTLP export: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				o.spans = append(o.spans, ss.Spans...)
			}
		}
		o.mu.Unlock()
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// named returns the exported spans named name.
func (o *otlpReceiver) named(name string) []*tracepb.Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range o.spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// withTracer gives the engine and the server the tracer t.
func withTracer(t *tracing.Tracer) serverOption {
	return func(dc *delivery.Config, wc *Config) {
		dc.Tracer = t
		wc.Tracer = t
	}
}

// newTracer returns a tracer that exports to o, configured as an operator
// would: through the standard OTEL_* variables only.
func newTracer(t *testing.T, o *otlpReceiver) *tracing.Tracer {
	t.Helper()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", o.srv.URL)
	t.Setenv("OTEL_SDK_DISABLED", "")
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	tr, err := tracing.New(context.Background(), "test", nil)
	if err != nil || tr == nil {
		t.Fatalf("tracing.New = %v, %v; want a tracer", tr, err)
	}
	t.Cleanup(func() { tr.Shutdown(context.Background()) })
	return tr
}

func attr(s *tracepb.Span, key string) *commonpb.AnyValue {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// TestTracePostedByProducerReachesReceiver posts an event with a
// traceparent through the real server and engine to a real receiver, with
// spans exported to an OTLP receiver: ingest, fan-out and attempt spans
// form one chain under the producer's span, and the receiver's traceparent
// names the exported attempt span. No secret reaches a span.
func TestTracePostedByProducerReachesReceiver(t *testing.T) {
	otlp := newOTLPReceiver(t)
	tr := newTracer(t, otlp)
	s := newTestServer(t, devPolicy, withTracer(tr))
	rcv := newReceiver(t)
	const (
		traceID      = "4bf92f3577b34da6a3ce929d0e0e4736"
		producerSpan = "00f067aa0ba902b7"
		queryToken   = "qs-token-0123456789"
		headerSecret = "hdr-secret-0123456789"
	)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL + "/hooks/in?token=" + queryToken, "events": []string{"*"},
		"headers": map[string]string{"X-Api-Key": headerSecret}})
	rcv.setSecret(hook.Secret)

	var acc eventAccepted
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","data":{"id":1}}`, &acc,
		"traceparent", "00-"+traceID+"-"+producerSpan+"-01", "tracestate", "vendor=abc"), http.StatusAccepted)
	got := rcv.wait(1, 10*time.Second)
	var ev eventJSON
	s.do("GET", "/api/v1/events/"+acc.ID, s.key, nil, &ev)
	if len(ev.Deliveries) != 1 {
		t.Fatalf("event has %d deliveries, want 1", len(ev.Deliveries))
	}
	s.waitDelivery(ev.Deliveries[0].ID, "succeeded", 10*time.Second)
	if err := tr.Shutdown(context.Background()); err != nil { // sends what is buffered
		t.Fatal(err)
	}

	ingest, fanOut, attempts := otlp.named("POST /api/v1/events"), otlp.named("fan-out"), otlp.named("POST")
	if len(ingest) != 1 || len(fanOut) != 1 || len(attempts) != 1 {
		t.Fatalf("exported %d ingest, %d fan-out, %d attempt spans; want 1 each", len(ingest), len(fanOut), len(attempts))
	}
	chain := []struct {
		span   *tracepb.Span
		kind   tracepb.Span_SpanKind
		parent string
	}{
		{ingest[0], tracepb.Span_SPAN_KIND_SERVER, producerSpan},
		{fanOut[0], tracepb.Span_SPAN_KIND_INTERNAL, hex.EncodeToString(ingest[0].SpanId)},
		{attempts[0], tracepb.Span_SPAN_KIND_CLIENT, hex.EncodeToString(fanOut[0].SpanId)},
	}
	for _, c := range chain {
		if id := hex.EncodeToString(c.span.TraceId); id != traceID {
			t.Errorf("span %q: trace id %s, want the producer's %s", c.span.Name, id, traceID)
		}
		if p := hex.EncodeToString(c.span.ParentSpanId); p != c.parent {
			t.Errorf("span %q: parent %s, want %s", c.span.Name, p, c.parent)
		}
		if c.span.Kind != c.kind {
			t.Errorf("span %q: kind %v, want %v", c.span.Name, c.span.Kind, c.kind)
		}
	}

	// The receiver joins the trace as a child of the attempt span.
	attemptID := hex.EncodeToString(attempts[0].SpanId)
	if want := "00-" + traceID + "-" + attemptID + "-01"; got[0].header.Get("traceparent") != want {
		t.Errorf("receiver got traceparent %q, want %q", got[0].header.Get("traceparent"), want)
	}
	if ts := got[0].header.Get("tracestate"); ts != "vendor=abc" {
		t.Errorf("receiver got tracestate %q, want the producer's", ts)
	}

	a := attempts[0]
	want := map[string]any{
		"server.address": "127.0.0.1", "http.response.status_code": int64(200), "hooks.outcome": "succeeded",
		"hooks.attempt": int64(1), "hooks.delivery.id": ev.Deliveries[0].ID, "hooks.endpoint.id": hook.ID,
	}
	for k, v := range want {
		av := attr(a, k)
		var got any
		switch {
		case av == nil:
		case av.GetStringValue() != "":
			got = av.GetStringValue()
		default:
			got = av.GetIntValue()
		}
		if got != v {
			t.Errorf("attempt span %s = %v, want %v", k, got, v)
		}
	}
	// Nothing of the URL beyond its host, of the headers, of the signing
	// secret or of the data is in any span.
	for _, sp := range append(append(ingest, fanOut...), attempts...) {
		for _, kv := range sp.Attributes {
			v := kv.Value.String()
			for _, secret := range []string{queryToken, headerSecret, hook.Secret, strings.TrimPrefix(hook.Secret, "whsec_"), "/hooks/in", `"id"`} {
				if strings.Contains(v, secret) {
					t.Errorf("span %q attribute %s = %s: it carries %q", sp.Name, kv.Key, v, secret)
				}
			}
		}
	}

	// The event keeps the context its deliveries continue: the fan-out span's.
	stored, err := s.db.EventByID(context.Background(), "default", acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "00-" + traceID + "-" + hex.EncodeToString(fanOut[0].SpanId) + "-01"; stored.TraceParent != want || stored.TraceState != "vendor=abc" {
		t.Errorf("stored trace context %q %q, want %q vendor=abc", stored.TraceParent, stored.TraceState, want)
	}
}

// TestTraceStartsAtIngestWithoutTraceparent: with tracing on, an event
// posted without a traceparent starts a new trace at ingest, and its
// receiver still joins it.
func TestTraceStartsAtIngestWithoutTraceparent(t *testing.T) {
	otlp := newOTLPReceiver(t)
	tr := newTracer(t, otlp)
	s := newTestServer(t, devPolicy, withTracer(tr))
	rcv := newReceiver(t)
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}})
	mustStatus(t, s.do("POST", "/api/v1/events/batch", s.key, `{"events":[{"topic":"a"},{"topic":"b"}]}`, nil), http.StatusAccepted)
	got := rcv.wait(2, 10*time.Second)
	waitFor(t, func() bool {
		var list listJSON[deliveryJSON]
		s.do("GET", "/api/v1/deliveries", s.key, nil, &list)
		done := 0
		for _, d := range list.Data {
			if d.Status == "succeeded" {
				done++
			}
		}
		return done == 2
	})
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(otlp.named("fan-out")); n != 2 {
		t.Errorf("exported %d fan-out spans, want one per event", n)
	}
	ingest := otlp.named("POST /api/v1/events/batch")
	if len(ingest) != 1 || len(ingest[0].ParentSpanId) != 0 {
		t.Fatalf("ingest spans %v, want one root", ingest)
	}
	traceID := hex.EncodeToString(ingest[0].TraceId)
	attempts := map[string]bool{}
	for _, a := range otlp.named("POST") {
		attempts[hex.EncodeToString(a.SpanId)] = true
		if hex.EncodeToString(a.TraceId) != traceID {
			t.Errorf("attempt span in trace %x, want the ingest span's %s", a.TraceId, traceID)
		}
	}
	for _, g := range got {
		parts := strings.Split(g.header.Get("traceparent"), "-")
		if len(parts) != 4 || parts[1] != traceID || !attempts[parts[2]] {
			t.Errorf("receiver got traceparent %q, want one of trace %s naming an attempt span", g.header.Get("traceparent"), traceID)
		}
	}
}

// TestTraceparentWithTracingOff: with tracing off, a valid posted
// traceparent is stored and reaches the receiver unchanged; an invalid one
// is ignored (the event is accepted, and no traceparent is sent); without
// one, none is sent.
func TestTraceparentWithTracingOff(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t)
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}})
	const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	cases := []struct{ name, traceparent, tracestate, want, wantState string }{
		{"valid", valid, "a=1,b=2", valid, "a=1,b=2"},
		{"valid with a bad tracestate", valid, "not a tracestate", valid, ""},
		{"upper-case hex", strings.ToUpper(valid), "", "", ""},
		{"zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "", "", ""},
		{"version ff", "ff" + valid[2:], "", "", ""},
		{"garbage", "hello", "a=1", "", ""},
		{"none", "", "", "", ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var acc eventAccepted
			var headers []string
			if c.traceparent != "" {
				headers = append(headers, "traceparent", c.traceparent)
			}
			if c.tracestate != "" {
				headers = append(headers, "tracestate", c.tracestate)
			}
			mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"t"}`, &acc, headers...), http.StatusAccepted)
			got := rcv.wait(i+1, 10*time.Second)[i]
			if tp := got.header.Get("traceparent"); tp != c.want {
				t.Errorf("receiver got traceparent %q, want %q", tp, c.want)
			}
			if ts := got.header.Get("tracestate"); ts != c.wantState {
				t.Errorf("receiver got tracestate %q, want %q", ts, c.wantState)
			}
			stored, err := s.db.EventByID(context.Background(), "default", acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.TraceParent != c.want || stored.TraceState != c.wantState {
				t.Errorf("stored %q %q, want %q %q", stored.TraceParent, stored.TraceState, c.want, c.wantState)
			}
		})
	}
}

// TestTraceFollowsProducerSamplingDecision: a producer's unsampled trace
// exports nothing (parent-based sampling), and the receiver still gets a
// traceparent of that trace, unsampled, naming hooks' attempt.
func TestTraceFollowsProducerSamplingDecision(t *testing.T) {
	otlp := newOTLPReceiver(t)
	tr := newTracer(t, otlp)
	s := newTestServer(t, devPolicy, withTracer(tr))
	rcv := newReceiver(t)
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}})
	const traceID, producerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"t"}`, nil, "traceparent", "00-"+traceID+"-"+producerSpan+"-00"),
		http.StatusAccepted)
	got := rcv.wait(1, 10*time.Second)[0]
	parts := strings.Split(got.header.Get("traceparent"), "-")
	if len(parts) != 4 || parts[1] != traceID || parts[2] == producerSpan || parts[3] != "00" {
		t.Errorf("receiver got traceparent %q, want trace %s, unsampled, naming another span", got.header.Get("traceparent"), traceID)
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	otlp.mu.Lock()
	defer otlp.mu.Unlock()
	if len(otlp.spans) != 0 {
		t.Errorf("exported %d spans of an unsampled trace", len(otlp.spans))
	}
}
