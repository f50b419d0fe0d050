package delivery

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"hooks/store"
)

// Retry schedule names.
const (
	ScheduleExponential = "exponential"
	ScheduleFixed       = "fixed"
)

// What a retry policy retries.
const (
	RetryOn5xx    = "5xx"     // network errors, timeouts, 408, 429 and 5xx
	RetryOnNon2xx = "non-2xx" // every failed attempt
)

// exponentialDelays is the default schedule after each failed attempt:
// about 5 s, 5 m, 30 m, 2 h, 5 h, 10 h, 10 h, then the delivery fails.
var exponentialDelays = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// DefaultRetryPolicy is what an endpoint gets when it names none.
func DefaultRetryPolicy() store.RetryPolicy {
	return store.RetryPolicy{Schedule: ScheduleExponential, MaxAttempts: len(exponentialDelays) + 1, RetryOn: RetryOn5xx}
}

// maxRetryAfter caps how long a receiver's Retry-After can push a retry.
const maxRetryAfter = 24 * time.Hour

// retryDelay returns how long to wait after failed attempt number n
// (1-based) under policy p. Jitter of ±20% spreads retries of a burst of
// failures so they don't come back as another burst.
func retryDelay(p store.RetryPolicy, n int, rnd func() float64) time.Duration {
	var d time.Duration
	switch p.Schedule {
	case ScheduleFixed:
		return time.Duration(p.IntervalSeconds) * time.Second
	default:
		i := n - 1
		if i >= len(exponentialDelays) {
			i = len(exponentialDelays) - 1
		}
		d = exponentialDelays[i]
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rnd()))
}

// retryable reports whether a failed attempt should be retried under p.
// statusCode is 0 when no response arrived (network error or timeout).
func retryable(p store.RetryPolicy, statusCode int) bool {
	if p.RetryOn == RetryOnNon2xx || statusCode == 0 {
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
