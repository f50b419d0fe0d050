package delivery

import (
	"hooks/domain"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// maxRetryAfter caps how long a receiver's Retry-After can push a retry.
const maxRetryAfter = 24 * time.Hour

// retryDelay returns how long to wait after failed attempt number n
// (1-based) under policy p. Jitter of ±20% spreads retries of a burst of
// failures so they don't come back as another burst.
func retryDelay(p domain.RetryPolicy, n int, rnd func() float64) time.Duration {
	var d time.Duration
	switch p.Schedule {
	case domain.ScheduleFixed:
		return time.Duration(p.IntervalSeconds) * time.Second
	default:
		i := n - 1
		if i >= len(domain.ExponentialDelays) {
			i = len(domain.ExponentialDelays) - 1
		}
		d = domain.ExponentialDelays[i]
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rnd()))
}

// retryable reports whether a failed attempt should be retried under p.
// statusCode is 0 when no response arrived; timedOut then tells a timeout
// from another network error (refused, reset, DNS, TLS). The presets:
// 5xx retries no answer, 408, 429 and 5xx; non-2xx every failure. A list
// retries what one of its tokens matches.
func retryable(p domain.RetryPolicy, statusCode int, timedOut bool) bool {
	r := p.RetryOn
	if r.IsList() {
		for _, s := range r.Tokens {
			// Stored lists were validated; a token that no longer parses
			// matches nothing rather than stopping the delivery.
			if t, err := domain.ParseRetryToken(s); err == nil && t.Matches(statusCode, timedOut) {
				return true
			}
		}
		return false
	}
	if r.Preset == domain.RetryOnNon2xx || statusCode == 0 {
		return true
	}
	return statusCode == http.StatusRequestTimeout || statusCode == http.StatusTooManyRequests || statusCode >= 500
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return min(time.Duration(secs)*time.Second, maxRetryAfter), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter), true
	}
	return 0, false
}

func defaultRand() float64 { return rand.Float64() }
