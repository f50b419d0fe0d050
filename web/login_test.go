package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/store"
)

func TestSafeNextRefusesOtherOrigins(t *testing.T) {
	for _, tc := range []struct{ next, want string }{
		{"/webhooks?x=1", "/webhooks?x=1"},
		{"/deliveries/dlv_1#attempts", "/deliveries/dlv_1#attempts"},
		{"/a//b", "/a//b"},
		{"/", "/"},
		{"", "/"},
		{"webhooks", "/"},
		{"//evil.example", "/"},
		{"///evil.example", "/"},
		{"/\t/evil.example", "/"}, // browsers drop the tab: //evil.example
		{"/\n/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"\t//evil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"/\x1f/evil.example", "/"},
		{"/\x7f/evil.example", "/"},
		{"/\\evil.example", "/"}, // browsers read \ as /
		{"/\\/evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/a\\b", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{" /evil", "/"},
	} {
		if got := safeNext(tc.next); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.next, got, tc.want)
		}
	}
}

// FuzzSafeNext checks that whatever next is, the redirect stays on this
// site once a browser has cleaned it up: tabs and newlines removed, and a
// backslash read as a slash.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/webhooks?x=1", "//evil.example", "/\t/evil.example", "/\\evil.example", "/%09/x", "https://x", "/a/../..//x"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://hooks.test/login")
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		cleaned := strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(got)
		if !strings.HasPrefix(cleaned, "/") || strings.HasPrefix(cleaned, "//") || strings.HasPrefix(cleaned, "/\\") {
			t.Fatalf("safeNext(%q) = %q, which a browser reads as %q", next, got, cleaned)
		}
		u, err := url.Parse(strings.ReplaceAll(cleaned, "\\", "/"))
		if err != nil {
			t.Fatalf("safeNext(%q) = %q, which does not parse: %v", next, got, err)
		}
		if r := base.ResolveReference(u); r.Scheme != "https" || r.Host != "hooks.test" {
			t.Fatalf("safeNext(%q) = %q leads to %s", next, got, r)
		}
	})
}

func TestLoginNextWithTabStaysOnSite(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	r := c.post("/login", url.Values{"email": {"ada@example.com"}, "password": {uiPassword}, "next": {"/\t/evil.example"}})
	if r.want(t, http.StatusSeeOther, ""); r.Header.Get("Location") != "/" {
		t.Fatalf("after sign-in: Location %q, want /", r.Header.Get("Location"))
	}
	// Signed in already: the login page redirects at once.
	r = c.get("/login?next=/%09/evil.example")
	if r.want(t, http.StatusFound, ""); r.Header.Get("Location") != "/" {
		t.Fatalf("signed in: Location %q, want /", r.Header.Get("Location"))
	}
	r = c.get("/login?next=/%5C/evil.example")
	if r.want(t, http.StatusFound, ""); r.Header.Get("Location") != "/" {
		t.Fatalf("signed in: Location %q, want /", r.Header.Get("Location"))
	}
}

// fixedClock is a clock that stands still until the test moves it;
// handlers may read it meanwhile.
type fixedClock struct{ ns atomic.Int64 }

func newFixedClock() *fixedClock {
	c := &fixedClock{}
	c.ns.Store(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fixedClock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fixedClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestLoginLimiterNeverRefusesAnAddressThatHasNotFailed(t *testing.T) {
	clock := newFixedClock()
	l := newLoginLimiter(clock.now)
	fail := func(addr, email string) bool {
		a, ok := l.begin(addr, email)
		if ok {
			l.end(a, true)
		}
		return ok
	}
	for range pairLoginLimit.burst {
		if !fail("203.0.113.7", "ada@example.com") {
			t.Fatal("refused within the pair's burst")
		}
	}
	if _, ok := l.begin("203.0.113.7", "ADA@example.com "); ok {
		t.Fatal("the guessing pair is not throttled")
	}
	if a, ok := l.begin("198.51.100.9", "ada@example.com"); !ok {
		t.Fatal("a fresh address is refused for an account that another address guesses at")
	} else {
		l.end(a, false)
	}
	// Spend the server-wide ceiling from many addresses: those that failed
	// wait, a fresh one still gets its try.
	for i := range globalLoginLimit.burst {
		fail(fmt.Sprintf("10.1.%d.%d", i/256, i%256), "nobody@example.com")
	}
	if _, ok := l.begin("10.1.0.1", "other@example.com"); ok {
		t.Error("an address that failed is let through while the server-wide ceiling is spent")
	}
	if a, ok := l.begin("192.0.2.55", "ada@example.com"); !ok {
		t.Error("a fresh address is refused because of the server-wide ceiling")
	} else {
		l.end(a, false)
	}
	// Time refills every bucket.
	clock.advance(pairLoginLimit.every)
	if a, ok := l.begin("203.0.113.7", "ada@example.com"); !ok {
		t.Error("the pair is still throttled after its refill interval")
	} else {
		l.end(a, false)
	}
}

func TestLoginLimiterCountsAttemptsInFlight(t *testing.T) {
	l := newLoginLimiter(newFixedClock().now)
	var held []loginAttempt
	for range pairLoginLimit.burst {
		a, ok := l.begin("203.0.113.7", "ada@example.com")
		if !ok {
			t.Fatal("refused within the burst")
		}
		held = append(held, a)
	}
	if _, ok := l.begin("203.0.113.7", "ada@example.com"); ok {
		t.Fatal("parallel guesses beyond the burst go ahead while the others are checked")
	}
	for _, a := range held {
		l.end(a, false)
	}
	if l.pairs.len() != 0 || l.addrs.len() != 0 {
		t.Errorf("successful sign-ins left %d pair and %d address entries", l.pairs.len(), l.addrs.len())
	}
}

func TestLoginLimiterJunkDoesNotResetAThrottle(t *testing.T) {
	clock := newFixedClock()
	l := newLoginLimiter(clock.now)
	for range pairLoginLimit.burst {
		a, _ := l.begin("203.0.113.7", "ada@example.com")
		l.end(a, true)
	}
	// The old code cleared its whole table on the 10,001st new entry.
	for i := range 10_001 {
		if a, ok := l.begin(fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255), fmt.Sprintf("junk%d@example.com", i)); ok {
			l.end(a, true)
		}
	}
	if _, ok := l.begin("203.0.113.7", "ada@example.com"); ok {
		t.Fatal("10,001 junk sign-ins reset an existing throttle")
	}
	// Memory stays bounded; the throttle in use outlives the junk.
	for i := range maxLimitEntries {
		if a, ok := l.begin(fmt.Sprintf("2001:db8:%x::1", i), "junk@example.com"); ok {
			l.end(a, true)
		}
		if i%1000 == 0 {
			l.begin("203.0.113.7", "ada@example.com")
		}
	}
	if l.pairs.len() > maxLimitEntries || l.addrs.len() > maxLimitEntries {
		t.Errorf("tables hold %d pairs and %d addresses, over %d", l.pairs.len(), l.addrs.len(), maxLimitEntries)
	}
	if _, ok := l.begin("203.0.113.7", "ada@example.com"); ok {
		t.Error("a throttle in use was evicted by junk")
	}
}

func TestClientAddrTrustsForwardedForOnlyFromTrustedProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"untrusted peer's header ignored", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted proxy", "10.0.0.2:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"right-most untrusted", "10.0.0.2:5000", []string{"1.2.3.4, 198.51.100.1, 10.0.0.3"}, "198.51.100.1"},
		{"several headers", "10.0.0.2:5000", []string{"1.2.3.4", "198.51.100.1"}, "198.51.100.1"},
		{"spoofed left part ignored", "10.0.0.2:5000", []string{"10.9.9.9, 198.51.100.1"}, "198.51.100.1"},
		{"garbage stops the walk", "10.0.0.2:5000", []string{"1.2.3.4, nonsense, 10.0.0.3"}, "10.0.0.3"},
		{"no header from the proxy", "10.0.0.2:5000", nil, "10.0.0.2"},
		{"IPv6 proxy", "[2001:db8::5]:443", []string{"[2001:db8::9]:1234, 2a00:1450::1"}, "2a00:1450::1"},
		{"mapped IPv4", "[::ffff:10.0.0.2]:5000", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/login", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, trusted).String(); got != tc.want {
				t.Errorf("clientAddr = %s, want %s", got, tc.want)
			}
		})
	}
	if got, want := throttleKey(netip.MustParseAddr("2a00:1450::1:2:3:4")), "2a00:1450::/64"; got != want {
		t.Errorf("throttleKey = %s, want %s", got, want)
	}
}

// TestLoginThrottleBehindATrustedProxy signs in through the real server
// as if behind a reverse proxy on loopback: the guesser is throttled, the
// account's owner at another address signs in at once. Without
// --trusted-proxies every client is the proxy, as X-Forwarded-For can't
// be believed.
func TestLoginThrottleBehindATrustedProxy(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, trusted := range []bool{true, false} {
		t.Run(fmt.Sprintf("trusted=%v", trusted), func(t *testing.T) {
			s := newTestServer(t, uiDev, func(_ *delivery.Config, wc *Config) {
				if trusted {
					wc.TrustedProxies = loopback
				}
			})
			s.srv.ui.limiter.now = newFixedClock().now
			addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
			guesser, owner := newUIClient(t, s), newUIClient(t, s)
			wrong := url.Values{"email": {"ada@example.com"}, "password": {"wrong password!"}}
			right := url.Values{"email": {"ada@example.com"}, "password": {uiPassword}}
			for range pairLoginLimit.burst {
				guesser.post("/login", wrong, "X-Forwarded-For", "203.0.113.7").want(t, http.StatusUnauthorized, "")
			}
			guesser.post("/login", right, "X-Forwarded-For", "203.0.113.7").want(t, http.StatusTooManyRequests, "")
			if trusted {
				owner.post("/login", right, "X-Forwarded-For", "198.51.100.9").want(t, http.StatusSeeOther, "/")
			} else {
				owner.post("/login", right, "X-Forwarded-For", "198.51.100.9").want(t, http.StatusTooManyRequests, "")
			}
		})
	}
}
