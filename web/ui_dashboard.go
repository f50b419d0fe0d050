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

// maxStatsAttempts bounds the attempts read for the dashboard and health
// columns. Past it (hundreds per second for a whole day) the figures cover
// the most recent attempts of the window only.
const maxStatsAttempts = 200_000

// healthStats is one endpoint's last 24 hours.
type healthStats struct {
	attempts, ok   int
	lastAt         time.Time
	lastCode       int
	failedLastHour int
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

// endpointHealth sums the tenant's attempts of the last 24 hours by endpoint.
func (s *Server) endpointHealth(ctx context.Context, tenant string) (map[string]*healthStats, error) {
	now := time.Now()
	samples, err := s.db.RecentAttempts(ctx, tenant, now.Add(-24*time.Hour), now.Add(time.Minute), maxStatsAttempts)
	if err != nil {
		return nil, err
	}
	return healthBySamples(samples, now), nil
}

// healthBySamples sums samples (newest first) by endpoint.
func healthBySamples(samples []store.AttemptSample, now time.Time) map[string]*healthStats {
	out := map[string]*healthStats{}
	for _, a := range samples {
		h := out[a.EndpointID]
		if h == nil {
			h = &healthStats{lastAt: a.StartedAt, lastCode: a.StatusCode}
			out[a.EndpointID] = h
		}
		h.attempts++
		if a.OK() {
			h.ok++
			h.streakEnded = true
			continue
		}
		if !h.streakEnded {
			h.streak++
		}
		if h.lastFailureAt.IsZero() {
			h.lastFailureAt = a.StartedAt
		}
		if now.Sub(a.StartedAt) <= time.Hour {
			h.failedLastHour++
		}
	}
	return out
}

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
	samples, err := s.db.RecentAttempts(ctx, c.tenant, now.Add(-24*time.Hour), now.Add(time.Minute), maxStatsAttempts)
	if err != nil {
		return err
	}
	if v.Stats.Pending, err = s.db.CountUnfinished(ctx, c.tenant, ""); err != nil {
		return err
	}
	var lastHour []time.Duration
	for _, a := range samples {
		if a.OK() {
			v.Stats.SuccessRate++
		}
		if now.Sub(a.StartedAt) <= time.Hour {
			v.Stats.DeliveriesLastHour++
			lastHour = append(lastHour, a.Duration)
		}
	}
	v.Stats.DeliveriesLastDay, v.Stats.Finished = len(samples), len(samples)
	if len(samples) > 0 {
		v.Stats.SuccessRate /= float64(len(samples))
	}
	v.Stats.P50Ms, v.Stats.P95Ms = percentileMs(lastHour, 0.50), percentileMs(lastHour, 0.95)
	v.Throughput, v.Latency = chartBuckets(samples, now, v.Range)

	hooks, _, err := s.db.Endpoints(ctx, c.tenant, "", service.MaxEndpointsPerTenant)
	if err != nil {
		return err
	}
	v.Attention = attention(hooks, healthBySamples(samples, now))
	s.render(w, r, http.StatusOK, templates.Dashboard(v))
	return nil
}

// chartBuckets splits the window into evenly spaced buckets: one minute
// over the last hour, fifteen minutes over the last day.
func chartBuckets(samples []store.AttemptSample, now time.Time, window string) ([]templates.ThroughputBucket, []templates.LatencyBucket) {
	span, step := time.Hour, time.Minute
	if window == "24h" {
		span, step = 24*time.Hour, 15*time.Minute
	}
	n := int(span / step)
	start := now.Truncate(step).Add(-time.Duration(n-1) * step)
	through := make([]templates.ThroughputBucket, n)
	durations := make([][]time.Duration, n)
	for i := range through {
		through[i].Start = start.Add(time.Duration(i) * step)
	}
	for _, a := range samples {
		if a.StartedAt.Before(start) {
			continue
		}
		i := int(a.StartedAt.Sub(start) / step)
		if i >= n {
			i = n - 1
		}
		if a.OK() {
			through[i].Succeeded++
		} else {
			through[i].Failed++
		}
		durations[i] = append(durations[i], a.Duration)
	}
	latency := make([]templates.LatencyBucket, n)
	for i := range latency {
		latency[i] = templates.LatencyBucket{Start: through[i].Start, Count: len(durations[i]),
			P50Ms: percentileMs(durations[i], 0.50), P95Ms: percentileMs(durations[i], 0.95)}
	}
	return through, latency
}

// percentileMs is the p-th percentile (nearest rank) of ds in milliseconds.
// It sorts ds.
func percentileMs(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(p*float64(len(ds))+0.999999) - 1
	i = max(0, min(i, len(ds)-1))
	return float64(ds[i]) / float64(time.Millisecond)
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
			LastFailureAt: hl.lastFailureAt, FailedLastHour: hl.failedLastHour}
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
