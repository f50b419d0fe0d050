package web

import (
	"container/list"
	"strings"
	"sync"
	"time"
)

// loginLimiter slows password guessing without locking the real user out.
// It counts failed sign-ins, not sign-ins, in three token buckets:
//
//   - per (address, account) pair: the guesses one client may make at one
//     account;
//   - per address, over all accounts: one client spraying many accounts;
//   - server-wide: many clients at once. Once it is spent, only addresses
//     that failed recently are refused.
//
// An address with no recent failure is never refused, whatever other
// addresses do to the same account, so an attacker can't lock the owner
// out by guessing wrong on purpose. Attempts in flight count against the
// buckets until they end, so parallel guesses can't all slip through
// while bcrypt runs. Each table holds at most maxLimitEntries buckets and
// forgets the least recently used one beyond that, never the whole table:
// a spray of junk can cost an attacker's oldest idle entries, not reset a
// throttle that is in use.
type loginLimiter struct {
	now func() time.Time

	mu     sync.Mutex
	pairs  *bucketLRU // key: address + "\x00" + account
	addrs  *bucketLRU // key: address
	global bucket
}

// limitPolicy is a bucket's size and refill rate: burst failures at
// once, then one more every every.
type limitPolicy struct {
	burst int
	every time.Duration
}

// Sign-in limits. A pair gets 5 wrong passwords, then one every 30 s; an
// address 10 over all accounts, then one every 6 s (an office behind one
// NAT still works); the whole server 100, then 2 a second, beyond which
// only addresses without recent failures may try.
var (
	pairLoginLimit   = limitPolicy{burst: 5, every: 30 * time.Second}
	addrLoginLimit   = limitPolicy{burst: 10, every: 6 * time.Second}
	globalLoginLimit = limitPolicy{burst: 100, every: 500 * time.Millisecond}
)

// maxLimitEntries bounds each table of the login limiter: about 100 bytes
// an entry, so a few MB at most under a spray of addresses.
const maxLimitEntries = 50_000

func newLoginLimiter(now func() time.Time) *loginLimiter {
	t := now()
	return &loginLimiter{now: now, pairs: newBucketLRU(maxLimitEntries), addrs: newBucketLRU(maxLimitEntries),
		global: bucket{tokens: float64(globalLoginLimit.burst), at: t}}
}

// loginAttempt is one sign-in in flight, from begin to end.
type loginAttempt struct {
	addr, pair string
}

// begin reports whether a sign-in from addr for email may go ahead. If it
// may, the attempt holds a token of its pair and address until end.
func (l *loginLimiter) begin(addr, email string) (loginAttempt, bool) {
	a := loginAttempt{addr: addr, pair: addr + "\x00" + strings.ToLower(strings.TrimSpace(email))}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.global.refill(now, globalLoginLimit)
	// Look both up before deciding: a lookup marks an entry as used, so a
	// throttle that is being tried against stays in the tables.
	ab, pb := l.addrs.get(a.addr), l.pairs.get(a.pair)
	if ab != nil {
		ab.refill(now, addrLoginLimit)
		if ab.available() < 1 || ab.failedRecently(addrLoginLimit) && l.global.tokens < 1 {
			return a, false
		}
	}
	if pb != nil {
		pb.refill(now, pairLoginLimit)
		if pb.available() < 1 {
			return a, false
		}
	}
	if ab == nil {
		ab = l.addrs.add(a.addr, bucket{tokens: float64(addrLoginLimit.burst), at: now})
	}
	if pb == nil {
		pb = l.pairs.add(a.pair, bucket{tokens: float64(pairLoginLimit.burst), at: now})
	}
	ab.pending++
	pb.pending++
	return a, true
}

// end records how an attempt that begin let through ended. A failure
// costs a token of the pair, the address and the server; a success
// forgets the pair's failures (the password was proved) but not the
// address's, which would let a guesser reset its budget by signing in to
// an account of its own.
func (l *loginLimiter) end(a loginAttempt, failed bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if failed {
		l.global.refill(now, globalLoginLimit)
		l.global.tokens = max(l.global.tokens-1, 0)
	}
	if ab := l.addrs.get(a.addr); ab != nil {
		ab.settle(now, addrLoginLimit, failed)
		if ab.idle(addrLoginLimit) {
			l.addrs.remove(a.addr)
		}
	}
	if pb := l.pairs.get(a.pair); pb != nil {
		pb.settle(now, pairLoginLimit, failed)
		if !failed {
			pb.tokens = float64(pairLoginLimit.burst)
		}
		if pb.idle(pairLoginLimit) {
			l.pairs.remove(a.pair)
		}
	}
}

// bucket is a token bucket of failures: full means none recently.
type bucket struct {
	tokens  float64
	at      time.Time // when tokens was brought up to date
	pending int       // attempts in flight, each holding a token
}

func (b *bucket) refill(now time.Time, p limitPolicy) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(float64(p.burst), b.tokens+float64(d)/float64(p.every))
		b.at = now
	}
}

// available is the tokens not held by attempts in flight.
func (b *bucket) available() float64 { return b.tokens - float64(b.pending) }

// failedRecently reports whether a failure has not yet been refilled.
func (b *bucket) failedRecently(p limitPolicy) bool { return b.tokens < float64(p.burst) }

// idle reports whether the bucket says nothing a new one wouldn't.
func (b *bucket) idle(p limitPolicy) bool { return b.pending == 0 && b.tokens >= float64(p.burst) }

// settle ends one attempt in flight, taking a token if it failed.
func (b *bucket) settle(now time.Time, p limitPolicy, failed bool) {
	b.pending = max(b.pending-1, 0)
	b.refill(now, p)
	if failed {
		b.tokens = max(b.tokens-1, 0)
	}
}

// bucketLRU is a bounded map of buckets that forgets the least recently
// used one when full.
type bucketLRU struct {
	max   int
	order *list.List // of *lruItem, most recently used first
	items map[string]*list.Element
}

type lruItem struct {
	key string
	b   bucket
}

func newBucketLRU(max int) *bucketLRU {
	return &bucketLRU{max: max, order: list.New(), items: map[string]*list.Element{}}
}

// get returns key's bucket, or nil, and marks it as just used.
func (c *bucketLRU) get(key string) *bucket {
	e, ok := c.items[key]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return &e.Value.(*lruItem).b
}

// add stores b under key, which must not be present, evicting the least
// recently used bucket if the map is full.
func (c *bucketLRU) add(key string, b bucket) *bucket {
	if c.order.Len() >= c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*lruItem).key)
	}
	e := c.order.PushFront(&lruItem{key: key, b: b})
	c.items[key] = e
	return &e.Value.(*lruItem).b
}

func (c *bucketLRU) remove(key string) {
	if e, ok := c.items[key]; ok {
		c.order.Remove(e)
		delete(c.items, key)
	}
}

func (c *bucketLRU) len() int { return c.order.Len() }
