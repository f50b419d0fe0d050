package store

import (
	"sync"
	"time"
)

// lookupCacheTTL is how long a positive API key or tenant lookup is
// remembered. The API checks both on every request; a few seconds of
// memory takes two queries off the hot path, and bounds how long a key or
// tenant removed behind the store's back (another process) keeps working:
// a key revoked on one instance is refused by every other within this
// time, which must stay under the 5 s that the API promises.
const lookupCacheTTL = 4 * time.Second

// lookupCacheMax bounds each cache; when full it is emptied.
const lookupCacheMax = 4096

// ttlCache is a small map whose entries expire.
type ttlCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

func (c *ttlCache[K, V]) get(k K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[K, V]) put(k K, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= lookupCacheMax {
		c.m = map[K]ttlEntry[V]{}
	}
	c.m[k] = ttlEntry[V]{v: v, expires: now.Add(lookupCacheTTL)}
}

// replace changes the value of k's entry, if there is one, and keeps its
// expiry: a value changed here was not read again from the database, so
// it earns no longer stay than the read it came from.
func (c *ttlCache[K, V]) replace(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		c.m[k] = ttlEntry[V]{v: v, expires: e.expires}
	}
}

func (c *ttlCache[K, V]) forget(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

// clear empties the cache, e.g. after a write it can't pin down.
func (c *ttlCache[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}
