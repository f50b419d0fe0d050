package web

import (
	"net/http"
	"time"

	"hooks/domain"
	"hooks/store"
)

// MaxStatsPoints bounds the buckets one stats request returns: a day of
// minutes, two months of hours or four years of days fit.
const MaxStatsPoints = 1500

// statsPointJSON is one bucket of GET /api/v1/stats.
type statsPointJSON struct {
	Start     time.Time    `json:"start"`
	Attempts  int64        `json:"attempts"`
	Succeeded int64        `json:"succeeded"`
	Failed    int64        `json:"failed"`
	FailedBy  failedByJSON `json:"failedBy"`
	P50Ms     *float64     `json:"p50Ms"` // null without attempts
	P95Ms     *float64     `json:"p95Ms"`
}

// failedByJSON is a bucket's failed attempts by class (store.FailureClassNames).
type failedByJSON struct {
	Timeout int64 `json:"timeout"`
	Network int64 `json:"network"`
	C4xx    int64 `json:"4xx"`
	C5xx    int64 `json:"5xx"`
	Other   int64 `json:"other"`
}

func statsPoint(b *store.StatsBucket) statsPointJSON {
	p := statsPointJSON{Start: b.Start, Attempts: b.Attempts, Succeeded: b.Succeeded, Failed: b.Failed(),
		FailedBy: failedByJSON{Timeout: b.FailedBy[store.FailedTimeout], Network: b.FailedBy[store.FailedNetwork],
			C4xx: b.FailedBy[store.Failed4xx], C5xx: b.FailedBy[store.Failed5xx], Other: b.FailedBy[store.FailedOther]}}
	if v, ok := b.QuantileMs(0.50); ok {
		p.P50Ms = &v
	}
	if v, ok := b.QuantileMs(0.95); ok {
		p.P95Ms = &v
	}
	return p
}

// statsQuery is a checked stats request.
type statsQuery struct {
	webhookID string
	from, to  time.Time
	interval  store.StatsInterval
}

// defaultStatsSpan is the window of a request that gives no from.
var defaultStatsSpan = map[store.StatsInterval]time.Duration{
	store.StatsMinute: time.Hour, store.StatsHour: 24 * time.Hour, store.StatsDay: 30 * 24 * time.Hour}

// parseStatsQuery reads webhookId, from, to and interval (default hour;
// to defaults to now and from to one window before to), and refuses a
// window of more than MaxStatsPoints buckets.
func parseStatsQuery(r *http.Request, now time.Time) (statsQuery, error) {
	v := r.URL.Query()
	q := statsQuery{webhookID: v.Get("webhookId"), interval: store.StatsInterval(v.Get("interval")), to: now}
	if q.interval == "" {
		q.interval = store.StatsHour
	}
	step := q.interval.Duration()
	if step == 0 {
		return q, domain.FieldErrorf("interval", "interval must be minute, hour or day")
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"to", &q.to}, {"from", &q.from}} {
		if s := v.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return q, domain.FieldErrorf(p.name, "%s must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z", p.name)
			}
			*p.dst = t
		}
	}
	if v.Get("from") == "" {
		q.from = q.to.Add(-defaultStatsSpan[q.interval])
	}
	if !q.to.After(q.from) {
		return q, domain.FieldErrorf("to", "to must be after from")
	}
	first, end := q.from.UTC().Truncate(step), q.to.UTC().Add(step-1).Truncate(step)
	if n := end.Sub(first) / step; n > MaxStatsPoints {
		return q, domain.FieldErrorf("from", "from–to spans %d %s buckets, more than %d: narrow the window or choose a longer interval",
			n, q.interval, MaxStatsPoints)
	}
	return q, nil
}

// getStats is GET /api/v1/stats: the caller's tenant's delivery statistics
// (of one webhook with webhookId) over time, from the roll-ups that
// recording outcomes keeps, so its cost follows the buckets asked for,
// never the number of attempts.
func (s *Server) getStats(w http.ResponseWriter, r *http.Request, c *caller) error {
	q, err := parseStatsQuery(r, time.Now())
	if err != nil {
		return err
	}
	if q.webhookID != "" {
		if _, err := s.db.EndpointByID(r.Context(), c.tenantID, q.webhookID); err != nil {
			return err
		}
	}
	buckets, err := s.db.Stats(r.Context(), c.tenantID, q.webhookID, q.from, q.to, q.interval)
	if err != nil {
		return err
	}
	data := make([]statsPointJSON, len(buckets))
	for i := range buckets {
		data[i] = statsPoint(&buckets[i])
	}
	writeJSON(w, http.StatusOK, struct {
		Data []statsPointJSON `json:"data"`
	}{data})
	return nil
}
