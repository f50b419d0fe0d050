package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"hooks/store"
)

// DefaultPerEndpointLimit is how many endpoints get series of their own
// with PerEndpoint unless told otherwise (--metrics-per-endpoint-limit).
const DefaultPerEndpointLimit = 500

// OverflowEndpoint is the endpoint label of the attempts of every endpoint
// beyond the limit.
const OverflowEndpoint = "_overflow"

// Option tunes New.
type Option func(*Metrics)

// PerEndpoint adds series labelled with the endpoint id
// (--metrics-per-endpoint). The first limit endpoints to record an attempt
// since the start get series of their own; the attempts of any other are
// counted under endpoint="_overflow", so a scrape holds at most limit+1
// endpoints' series however many endpoints there are. limit <= 0 is
// DefaultPerEndpointLimit. The label is the endpoint's id only: never its
// name, URL or tenant.
func PerEndpoint(limit int) Option {
	if limit <= 0 {
		limit = DefaultPerEndpointLimit
	}
	return func(m *Metrics) { m.perEndpoint = newEndpointMetrics(m.reg, limit) }
}

// endpointMetrics are the per-endpoint series.
type endpointMetrics struct {
	attempts *prometheus.CounterVec
	latency  *prometheus.HistogramVec

	limit int
	mu    sync.Mutex
	own   int                            // endpoints with series of their own
	seen  map[string]prometheus.Observer // endpoint label → its latency histogram
}

func newEndpointMetrics(reg *prometheus.Registry, limit int) *endpointMetrics {
	e := &endpointMetrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hooks_endpoint_delivery_attempts_total",
			Help: "Recorded delivery outcomes per endpoint id (as hooks_delivery_attempts_total); endpoints beyond --metrics-per-endpoint-limit are counted under endpoint=\"_overflow\".",
		}, []string{"endpoint", "outcome", "status_class"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hooks_endpoint_delivery_attempt_duration_seconds",
			Help:    "Time from sending a webhook request to reading its response (or failing), per endpoint id; endpoints beyond the limit under endpoint=\"_overflow\".",
			Buckets: attemptBuckets,
		}, []string{"endpoint"}),
		limit: limit,
		seen:  map[string]prometheus.Observer{},
	}
	reg.MustRegister(e.attempts, e.latency)
	return e
}

// label returns the endpoint label for id and its latency histogram.
func (e *endpointMetrics) label(id string) (string, prometheus.Observer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if h, ok := e.seen[id]; ok {
		return id, h
	}
	if e.own >= e.limit || id == "" {
		id = OverflowEndpoint
		if h, ok := e.seen[id]; ok {
			return id, h
		}
	} else {
		e.own++
	}
	h := e.latency.WithLabelValues(id)
	e.seen[id] = h
	return id, h
}

func (e *endpointMetrics) outcome(o store.Outcome, class string) {
	id, h := e.label(o.EndpointID)
	if a := o.Attempt; a != nil {
		h.Observe(a.Duration.Seconds())
	}
	e.attempts.WithLabelValues(id, o.Status, class).Inc()
}
