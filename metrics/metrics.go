// Package metrics exposes hooks' Prometheus metrics on a private registry.
//
// No metric carries a tenant, endpoint or topic label: cardinality stays
// bounded however many customers register endpoints, and a scrape reveals
// nothing about any one tenant. The one exception is opt-in: PerEndpoint
// (--metrics-per-endpoint) adds series labelled with endpoint ids, capped
// at a limit with an "_overflow" label for the rest (endpoint.go). The delivery engine reports through the
// plain functions Outcome and Batch (wired into delivery.Config), so the
// hot path costs a few atomic adds and delivery never imports this package.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hooks/domain"
	"hooks/store"
)

// Metrics holds hooks' counters and histograms and the collector that reads
// the queue from the store on each scrape.
type Metrics struct {
	reg            *prometheus.Registry
	eventsIngested prometheus.Counter
	attempts       *prometheus.CounterVec
	latency        prometheus.Histogram
	retries        prometheus.Counter
	batchSize      prometheus.Histogram
	batchLatency   prometheus.Histogram
	leader         prometheus.Gauge
	http           *httpMetrics
	perEndpoint    *endpointMetrics // nil unless PerEndpoint
	log            *slog.Logger
}

// attemptBuckets are the buckets of the attempt duration histograms.
var attemptBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New returns the metrics of a server that stores its data in db. version
// goes into hooks_build_info.
func New(db *store.DB, version string, log *slog.Logger, opts ...Option) *Metrics {
	if log == nil {
		log = slog.Default()
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: log,
		eventsIngested: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hooks_events_ingested_total",
			Help: "Events accepted by the API (idempotent replays are not counted).",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hooks_delivery_attempts_total",
			Help: "Recorded delivery outcomes, by what became of the delivery (succeeded, retrying, failed, cancelled, awaiting_callback) and the receiver's status class (2xx, 3xx, 4xx, 5xx, error = no response, none = not sent).",
		}, []string{"outcome", "status_class"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hooks_delivery_attempt_duration_seconds",
			Help:    "Time from sending a webhook request to reading its response (or failing).",
			Buckets: attemptBuckets,
		}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hooks_delivery_retries_scheduled_total",
			Help: "Failed attempts after which a retry was scheduled.",
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hooks_sqlite_write_batch_size",
			Help:    "Delivery outcomes written per database transaction (group commit; the name predates PostgreSQL support).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024},
		}),
		batchLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hooks_sqlite_write_batch_duration_seconds",
			Help:    "Time to write one batch of delivery outcomes to the database (SQLite or PostgreSQL), commit included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hooks_leader",
			Help: "1 while this instance runs the periodic jobs; on a shared PostgreSQL database exactly one instance has 1. Always 1 on SQLite.",
		}),
	}
	if !db.Shared() {
		m.leader.Set(1)
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "hooks_build_info",
		Help:        "Always 1; its labels name the running build.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	m.http = newHTTPMetrics(m.reg)
	m.reg.MustRegister(m.eventsIngested, m.attempts, m.latency, m.retries, m.batchSize, m.batchLatency, m.leader, build,
		&storeCollector{db: db, log: log},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range opts {
		o(m)
	}
	return m
}

// Registry is the private registry the metrics live in, for tests and for
// other packages that want to add their own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text (or OpenMetrics) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling:     promhttp.ContinueOnError,
		Timeout:           10 * time.Second,
		EnableOpenMetrics: true,
	})
}

// EventsIngested counts n newly accepted events. It is safe on a nil *Metrics.
func (m *Metrics) EventsIngested(n int) {
	if m == nil || n <= 0 {
		return
	}
	m.eventsIngested.Add(float64(n))
}

// Outcome records one stored delivery outcome; pass it as
// delivery.Config.OnOutcome.
func (m *Metrics) Outcome(o store.Outcome) {
	class := "none"
	if a := o.Attempt; a != nil {
		class = statusClass(a.StatusCode)
		m.latency.Observe(a.Duration.Seconds())
	}
	m.attempts.WithLabelValues(o.Status, class).Inc()
	if o.Status == domain.StatusRetrying {
		m.retries.Inc()
	}
	if m.perEndpoint != nil {
		m.perEndpoint.outcome(o, class)
	}
}

// Leading records whether this instance runs the periodic jobs; pass it as
// the store.Leader's onChange.
func (m *Metrics) Leading(leading bool) {
	if leading {
		m.leader.Set(1)
	} else {
		m.leader.Set(0)
	}
}

// Batch records one group-commit write; pass it as delivery.Config.OnBatch.
func (m *Metrics) Batch(n int, took time.Duration) {
	m.batchSize.Observe(float64(n))
	m.batchLatency.Observe(took.Seconds())
}

func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "error"
	}
	return strconv.Itoa(code/100) + "xx"
}

// storeCollector reads the queue and the endpoint counts from the store on
// each scrape, with cheap indexed queries (see store.QueueStats), so the
// numbers are true even with several processes or after a restart.
type storeCollector struct {
	db  *store.DB
	log *slog.Logger
}

var (
	queueWaitingDesc = prometheus.NewDesc("hooks_queue_waiting_deliveries",
		"Deliveries pending or retrying, including those being attempted now.", nil, nil)
	queueDueDesc = prometheus.NewDesc("hooks_queue_due_deliveries",
		"Deliveries due now and not yet claimed by a worker: the backlog.", nil, nil)
	queueOldestDesc = prometheus.NewDesc("hooks_queue_oldest_due_age_seconds",
		"How long the longest-waiting due delivery has been due (0 when none is).", nil, nil)
	endpointsDesc = prometheus.NewDesc("hooks_endpoints",
		"Registered endpoints, by state (enabled, disabled).", []string{"state"}, nil)
	autoDisabledDesc = prometheus.NewDesc("hooks_endpoints_auto_disabled",
		"Disabled endpoints that hooks disabled itself (auto-disable after failures, or a 410 Gone answer), not a user.", nil, nil)
	scrapeErrorDesc = prometheus.NewDesc("hooks_store_scrape_error",
		"1 if reading the queue from the database failed during this scrape.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueWaitingDesc
	ch <- queueDueDesc
	ch <- queueOldestDesc
	ch <- endpointsDesc
	ch <- autoDisabledDesc
	ch <- scrapeErrorDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := time.Now()
	failed := 0.0
	if s, err := c.db.QueueStats(ctx, now); err != nil {
		c.log.Warn("metrics: read queue stats", "err", err)
		failed = 1
	} else {
		age := 0.0
		if !s.OldestDue.IsZero() {
			age = max(now.Sub(s.OldestDue).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(queueWaitingDesc, prometheus.GaugeValue, float64(s.Waiting))
		ch <- prometheus.MustNewConstMetric(queueDueDesc, prometheus.GaugeValue, float64(s.Due))
		ch <- prometheus.MustNewConstMetric(queueOldestDesc, prometheus.GaugeValue, age)
	}
	if en, dis, auto, err := c.db.EndpointCounts(ctx); err != nil {
		c.log.Warn("metrics: count endpoints", "err", err)
		failed = 1
	} else {
		ch <- prometheus.MustNewConstMetric(endpointsDesc, prometheus.GaugeValue, float64(en), "enabled")
		ch <- prometheus.MustNewConstMetric(endpointsDesc, prometheus.GaugeValue, float64(dis), "disabled")
		ch <- prometheus.MustNewConstMetric(autoDisabledDesc, prometheus.GaugeValue, float64(auto))
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, failed)
}
