package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"hooks/domain"
	"hooks/service"
	"hooks/store"
	"hooks/templates"
)

// maxRecentAttempts bounds the latest attempts read for what the
// statistics can't tell: each endpoint's last attempt and its run of
// failures. Counts, rates and latencies come from the statistics, exact at
// any volume; on a server busy enough that these are not the whole day's
// attempts, an endpoint with none among them shows no last attempt.
const maxRecentAttempts = 5_000

// healthStats is one endpoint's last 24 hours.
type healthStats struct {
	attempts, ok   int64 // from the statistics
	failedLastHour int64 // from the statistics
	lastAt         time.Time
	lastCode       int
	lastFailureAt  time.Time
	streak         int // failed attempts since the last success
	streakEnded    bool
}

func (h *healthStats) rate() float64 {
	if h.attempts == 0 {
		return 0
	}
	return float64(h.ok) / float64(h.attempts)
}

// endpointHealth is the tenant's endpoints' last 24 hours: counts from the
// hour statistics (the current hour and the 23 before it), failures in the
// last hour from the minute statistics, and the last attempts from up to
// maxRecentAttempts of the latest.
func (s *Server) endpointHealth(ctx context.Context, tenant string) (map[string]*healthStats, error) {
	now := time.Now().UTC()
	day, err := s.db.StatsByEndpoint(ctx, tenant, dayStart(now), now, store.StatsHour)
	if err != nil {
		return nil, err
	}
	hour, err := s.db.StatsByEndpoint(ctx, tenant, now.Add(-time.Hour), now, store.StatsMinute)
	if err != nil {
		return nil, err
	}
	samples, err := s.db.RecentAttempts(ctx, tenant, now.Add(-24*time.Hour), now.Add(time.Minute), maxRecentAttempts)
	if err != nil {
		return nil, err
	}
	out := map[string]*healthStats{}
	get := func(id string) *healthStats {
		h := out[id]
		if h == nil {
			h = &healthStats{}
			out[id] = h
		}
		return h
	}
	for id, b := range day {
		h := get(id)
		h.attempts, h.ok = b.Attempts, b.Succeeded
	}
	for id, b := range hour {
		get(id).failedLastHour = b.Failed()
	}
	for _, a := range samples { // newest first
		h := get(a.EndpointID)
		if h.lastAt.IsZero() {
			h.lastAt, h.lastCode = a.StartedAt, a.StatusCode
		}
		if a.OK() {
			h.streakEnded = true
			continue
		}
		if !h.streakEnded {
			h.streak++
		}
		if h.lastFailureAt.IsZero() {
			h.lastFailureAt = a.StartedAt
		}
	}
	return out, nil
}

// dayStart is the start of the 24 hourly buckets that end with now's hour.
func dayStart(now time.Time) time.Time { return now.Truncate(time.Hour).Add(-23 * time.Hour) }

// hourStart is the start of the 60 minute buckets that end with now's minute.
func hourStart(now time.Time) time.Time { return now.Truncate(time.Minute).Add(-59 * time.Minute) }

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	ctx := r.Context()
	v := templates.DashboardPage{Page: s.page(r, c, "Dashboard", templates.NavDashboard), Range: "1h"}
	if r.URL.Query().Get("range") == "24h" {
		v.Range = "24h"
	}
	n, err := s.db.CountEndpoints(ctx, c.tenant)
	if err != nil {
		return err
	}
	v.HasWebhooks = n > 0
	if !v.HasWebhooks {
		s.render(w, r, http.StatusOK, templates.Dashboard(v))
		return nil
	}
	now := time.Now().UTC()
	minutes, err := s.db.Stats(ctx, c.tenant, "", hourStart(now), now, store.StatsMinute)
	if err != nil {
		return err
	}
	hours, err := s.db.Stats(ctx, c.tenant, "", dayStart(now), now, store.StatsHour)
	if err != nil {
		return err
	}
	if v.Stats.Pending, err = s.db.CountUnfinished(ctx, c.tenant, ""); err != nil {
		return err
	}
	var lastHour, lastDay store.StatsBucket
	for i := range minutes {
		lastHour.Add(&minutes[i])
	}
	for i := range hours {
		lastDay.Add(&hours[i])
	}
	v.Stats.DeliveriesLastHour, v.Stats.DeliveriesLastDay = int(lastHour.Attempts), int(lastDay.Attempts)
	v.Stats.Finished = int(lastDay.Attempts)
	if lastDay.Attempts > 0 {
		v.Stats.SuccessRate = float64(lastDay.Succeeded) / float64(lastDay.Attempts)
	}
	v.Stats.P50Ms, _ = lastHour.QuantileMs(0.50)
	v.Stats.P95Ms, _ = lastHour.QuantileMs(0.95)
	if v.Range == "24h" {
		v.Throughput, v.Latency = chartBuckets(hours)
	} else {
		v.Throughput, v.Latency = chartBuckets(minutes)
	}

	hooks, _, err := s.db.Endpoints(ctx, c.tenant, "", service.MaxEndpointsPerTenant)
	if err != nil {
		return err
	}
	health, err := s.endpointHealth(ctx, c.tenant)
	if err != nil {
		return err
	}
	v.Attention = attention(hooks, health)
	s.render(w, r, http.StatusOK, templates.Dashboard(v))
	return nil
}

// chartBuckets turns statistics into the charts' bars and latency points.
func chartBuckets(stats []store.StatsBucket) ([]templates.ThroughputBucket, []templates.LatencyBucket) {
	through := make([]templates.ThroughputBucket, len(stats))
	latency := make([]templates.LatencyBucket, len(stats))
	for i := range stats {
		b := &stats[i]
		through[i] = templates.ThroughputBucket{Start: b.Start, Succeeded: int(b.Succeeded), Failed: int(b.Failed())}
		latency[i] = templates.LatencyBucket{Start: b.Start, Count: int(b.Attempts)}
		latency[i].P50Ms, _ = b.QuantileMs(0.50)
		latency[i].P95Ms, _ = b.QuantileMs(0.95)
	}
	return through, latency
}

// attention lists the endpoints hooks disabled itself, then the enabled
// ones whose latest attempts fail, worst first.
func attention(hooks []*domain.Endpoint, health map[string]*healthStats) []templates.AttentionItem {
	var out []templates.AttentionItem
	for _, h := range hooks {
		hl := health[h.ID]
		if hl == nil {
			hl = &healthStats{}
		}
		item := templates.AttentionItem{WebhookID: h.ID, Name: h.Name, URL: h.URL, SuccessRate: hl.rate(),
			LastFailureAt: hl.lastFailureAt, FailedLastHour: int(hl.failedLastHour)}
		switch {
		case !h.Enabled && autoDisabledReason(h) != "":
			item.Disabled, item.Reason = true, h.DisabledReason
		case h.Enabled && hl.streak > 0 && hl.failedLastHour > 0:
			item.Reason = failingReason(hl)
		default:
			continue
		}
		out = append(out, item)
	}
	slices.SortStableFunc(out, func(a, b templates.AttentionItem) int {
		if a.Disabled != b.Disabled {
			if a.Disabled {
				return -1
			}
			return 1
		}
		return b.FailedLastHour - a.FailedLastHour
	})
	return out
}

func failingReason(h *healthStats) string {
	last := "no response (network error or timeout)"
	if h.lastCode != 0 {
		last = "HTTP " + strconv.Itoa(h.lastCode)
	}
	if h.streak == 1 {
		return "The last attempt failed: " + last + "."
	}
	return "The last " + strconv.Itoa(h.streak) + " attempts failed; the latest got " + last + "."
}
