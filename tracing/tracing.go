// Package tracing connects hooks to OpenTelemetry. It reads the W3C trace
// context a producer posts with its events, and, when the standard OTEL_*
// variables ask for it, makes spans of ingest, fan-out and every delivery
// attempt and exports them over OTLP/HTTP.
//
// The trace of one event:
//
//	producer's span (posted as traceparent)
//	└─ POST /api/v1/events   server span (ingest)
//	   └─ fan-out            one per event: storing it with its deliveries
//	      └─ POST            client span, one per attempt; the receiver
//	                         gets a traceparent naming it
//
// The event keeps the trace context its deliveries continue (the fan-out
// span's, or the posted one with tracing off), so attempts made later, on
// another instance or after a restart, join the same trace.
//
// With tracing off (no OTLP endpoint set, the default) the *Tracer is nil
// and every method does nothing and allocates nothing; a traceparent that
// the producer posted is still stored and sent on to receivers unchanged, so
// their traces join the producer's even when hooks exports none.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// The W3C Trace Context headers, canonicalised as net/http keeps them.
const (
	headerParent = "Traceparent"
	headerState  = "Tracestate"
)

// propagator parses and writes traceparent and tracestate (the official
// implementation of the W3C rules).
var propagator = propagation.TraceContext{}

// FromHeader returns the trace context posted in h, in its canonical form,
// or two empty strings when h has no valid traceparent: an invalid one is
// ignored, as the W3C specification asks, and so is an invalid tracestate.
// Without a traceparent it costs a map lookup.
func FromHeader(h http.Header) (traceparent, tracestate string) {
	if len(h[headerParent]) == 0 {
		return "", ""
	}
	sc := trace.SpanContextFromContext(propagator.Extract(context.Background(), propagation.HeaderCarrier(h)))
	return format(sc)
}

// parse reads a stored trace context; ok is false when there is none.
func parse(traceparent, tracestate string) (trace.SpanContext, bool) {
	if traceparent == "" {
		return trace.SpanContext{}, false
	}
	c := propagation.MapCarrier{"traceparent": traceparent}
	if tracestate != "" {
		c["tracestate"] = tracestate
	}
	sc := trace.SpanContextFromContext(propagator.Extract(context.Background(), c))
	return sc, sc.IsValid()
}

// format writes sc as a traceparent and tracestate.
func format(sc trace.SpanContext) (traceparent, tracestate string) {
	if !sc.IsValid() {
		return "", ""
	}
	c := propagation.MapCarrier{}
	propagator.Inject(trace.ContextWithSpanContext(context.Background(), sc), c)
	return c["traceparent"], c["tracestate"]
}

// Tracer makes hooks' spans. A nil *Tracer is tracing off.
type Tracer struct {
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
	endpoint string // where spans go, for the log
}

// Enabled reports whether the environment read by getenv asks for traces:
// an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), OTEL_SDK_DISABLED is not "true" and
// OTEL_TRACES_EXPORTER is unset, "otlp" or names otlp among others.
func Enabled(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return false
	}
	exporters := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))
	if exporters == "" {
		return true
	}
	for _, e := range strings.Split(exporters, ",") {
		if strings.EqualFold(strings.TrimSpace(e), "otlp") {
			return true
		}
	}
	return false
}

// New returns a Tracer that exports spans over OTLP/HTTP as the OTEL_*
// variables say (endpoint, headers, timeout, compression, certificates,
// OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES are read by the SDK), or nil, nil when Enabled
// is false. version names the build in service.version. The SDK's own
// errors (a collector that can't be reached) go to log, if not nil. Call
// Shutdown on the Tracer when done: it sends the spans still buffered.
func New(ctx context.Context, version string, log *slog.Logger) (*Tracer, error) {
	if !Enabled(os.Getenv) {
		return nil, nil
	}
	if log != nil {
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("OpenTelemetry", "err", err) }))
	}
	if p := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"); p != "" && p != "http/protobuf" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=%s: hooks exports traces over http/protobuf only", p)
	}
	if p := os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL"); p != "" && p != "http/protobuf" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") == "" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s: hooks exports traces over http/protobuf only", p)
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	// Later detectors win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
	// override hooks' own service name.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "hooks"), attribute.String("service.version", version)),
		resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	// The sampler is the SDK's default: OTEL_TRACES_SAMPLER if set, else
	// parentbased_always_on, so a producer's sampling decision holds.
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	endpoint := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if endpoint == "" {
		endpoint = strings.TrimRight(os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "/") + "/v1/traces"
	}
	if u, err := url.Parse(endpoint); err == nil {
		u.User, u.RawQuery = nil, "" // for the log: no credentials
		endpoint = u.String()
	}
	return &Tracer{provider: provider, tracer: provider.Tracer("hooks", trace.WithInstrumentationVersion(version)),
		endpoint: endpoint}, nil
}

// Endpoint is the URL spans are sent to.
func (t *Tracer) Endpoint() string {
	if t == nil {
		return ""
	}
	return t.endpoint
}

// Shutdown sends the spans still buffered and stops the exporter. It does
// nothing on a nil Tracer.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// noEnd is what StartIngest returns with tracing off: a function value that
// needs no allocation.
func noEnd(error) {}

// StartIngest starts the server span of a request that posts events (route
// is its pattern, e.g. "POST /api/v1/events"): a child of the trace context
// the producer posted, or a new trace's root. Call end with the handler's
// error when it returns. With tracing off it returns r's context.
func (t *Tracer) StartIngest(r *http.Request, route string) (ctx context.Context, end func(error)) {
	if t == nil {
		return r.Context(), noEnd
	}
	ctx = propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := t.tracer.Start(ctx, route, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", route)))
	return ctx, func(err error) {
		if err != nil {
			span.SetStatus(codes.Error, "")
			span.SetAttributes(attribute.String("error.type", fmt.Sprintf("%T", err)))
		}
		span.End()
	}
}

// FanOut is the span of storing one event with its deliveries.
type FanOut struct{ span trace.Span }

// StartFanOut starts the fan-out span of one event, a child of ctx's span
// (the ingest span), and returns the trace context the event's deliveries
// are to continue: this span's. With tracing off it returns the zero
// FanOut and the posted traceparent and tracestate unchanged.
func (t *Tracer) StartFanOut(ctx context.Context, traceparent, tracestate string) (f FanOut, parent, state string) {
	if t == nil {
		return FanOut{}, traceparent, tracestate
	}
	if !trace.SpanContextFromContext(ctx).IsValid() {
		// Not under an ingest span (the UI's send form): the posted
		// context, if any, is the parent.
		if sc, ok := parse(traceparent, tracestate); ok {
			ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
		}
	}
	_, span := t.tracer.Start(ctx, "fan-out", trace.WithSpanKind(trace.SpanKindInternal))
	parent, state = format(span.SpanContext())
	return FanOut{span}, parent, state
}

// End ends the fan-out span of the event id, stored with deliveries
// deliveries; replayed means its idempotency key returned an earlier
// event instead. err is the failure to store it, if any.
func (f FanOut) End(id string, deliveries int, replayed bool, err error) {
	if f.span == nil {
		return
	}
	if err != nil {
		f.span.SetStatus(codes.Error, "")
	} else {
		f.span.SetAttributes(attribute.String("hooks.event.id", id), attribute.Int("hooks.deliveries", deliveries),
			attribute.Bool("hooks.idempotent_replay", replayed))
	}
	f.span.End()
}

// AttemptInfo names an attempt in its span. It carries no URL path or
// query, header or secret: only the target's host and port.
type AttemptInfo struct {
	Host        string // server.address
	Port        int    // server.port
	DeliveryID  string
	EndpointID  string
	EventID     string
	Number      int    // 1 for the first attempt
	Destination string // the destination type: "" or http, rabbitmq, kafka…
}

// Attempt is the client span of one delivery attempt. The zero Attempt
// (tracing off) does nothing.
type Attempt struct{ span trace.Span }

// StartAttempt starts the client span of an attempt as a child of the
// trace context the event stored (the fan-out span), or as a new root
// when the event has none.
func (t *Tracer) StartAttempt(ctx context.Context, traceparent, tracestate string, info AttemptInfo) Attempt {
	if t == nil {
		return Attempt{}
	}
	if sc, ok := parse(traceparent, tracestate); ok {
		ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	attrs := []attribute.KeyValue{
		attribute.String("server.address", info.Host),
		attribute.String("hooks.delivery.id", info.DeliveryID),
		attribute.String("hooks.endpoint.id", info.EndpointID),
		attribute.String("hooks.event.id", info.EventID),
		attribute.Int("hooks.attempt", info.Number),
	}
	if info.Port > 0 {
		attrs = append(attrs, attribute.Int("server.port", info.Port))
	}
	name := http.MethodPost
	if info.Destination == "" || info.Destination == "http" {
		attrs = append(attrs, attribute.String("http.request.method", http.MethodPost))
	} else {
		// A broker: the message is published, not posted.
		name = "publish"
		attrs = append(attrs, attribute.String("hooks.destination.type", info.Destination))
	}
	_, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return Attempt{span}
}

// SetHeader sets the traceparent (and tracestate) of an attempt's request
// in h: the attempt span's with tracing on; with it off, the event's
// stored traceparent and tracestate as posted, if any.
func (a Attempt) SetHeader(h http.Header, traceparent, tracestate string) {
	if a.span != nil {
		traceparent, tracestate = format(a.span.SpanContext())
	}
	if traceparent == "" {
		return
	}
	h[headerParent] = []string{traceparent}
	if tracestate != "" {
		h[headerState] = []string{tracestate}
	}
}

// End ends the attempt's span with the receiver's status (0 for none),
// what became of the delivery (outcome: succeeded, retrying, failed…) and,
// for a failure, its type in a few words ("timeout", "network", "500").
func (a Attempt) End(status int, outcome, errorType string) {
	if a.span == nil {
		return
	}
	if status > 0 {
		a.span.SetAttributes(attribute.Int("http.response.status_code", status))
	}
	a.span.SetAttributes(attribute.String("hooks.outcome", outcome))
	if errorType != "" {
		a.span.SetAttributes(attribute.String("error.type", errorType))
		a.span.SetStatus(codes.Error, "")
	}
	a.span.End()
}
