package web

import (
	"hooks/domain"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultAPIRateLimit is the API requests per second one key may make,
// sustained, when the server is not configured otherwise. It is far above
// what a producer needs (a benchmark posting thousands of events a second
// with one key stays under it) and is there to stop a runaway client from
// starving the others; bursts of up to twice as many are allowed.
const DefaultAPIRateLimit = 20000

// keyLimiter is a token bucket per API key. Buckets are created for
// authenticated keys only, so there are at most as many as keys exist.
type keyLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// newKeyLimiter returns a limiter of perSecond requests per key, or nil
// (no limit) when perSecond is 0 or less.
func newKeyLimiter(perSecond float64) *keyLimiter {
	if perSecond <= 0 {
		return nil
	}
	burst := int(min(math.Ceil(2*perSecond), math.MaxInt32))
	return &keyLimiter{limit: rate.Limit(perSecond), burst: max(burst, 1), buckets: map[string]*rate.Limiter{}}
}

// allow takes a token from key's bucket, or says how long until one is
// available.
func (l *keyLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused request does not use up a token
		return false, d
	}
	return true, 0
}

// checkRate answers whether the caller's key is within its rate limit; if
// not, it sets Retry-After and returns an ELIMIT error (429).
func (s *Server) checkRate(w http.ResponseWriter, c *caller) error {
	if s.limiter == nil {
		return nil
	}
	ok, wait := s.limiter.allow(c.key.ID, time.Now())
	if ok {
		return nil
	}
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return domain.Errorf(domain.ELIMIT, "this API key is over its rate limit of %g requests per second; retry after %d s", float64(s.limiter.limit), secs)
}
