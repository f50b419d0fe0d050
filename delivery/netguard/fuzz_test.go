package netguard

import (
	"errors"
	"net/netip"
	"strconv"
	"testing"
)

// The seed corpus is in testdata/fuzz/FuzzCheckURL and testdata/fuzz/FuzzAllowed.

func FuzzCheckURL(f *testing.F) {
	policies := []*Policy{
		{},
		{AllowHTTP: true, AllowPrivate: true},
		{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}},
	}
	f.Fuzz(func(t *testing.T, raw string) {
		accepted := make([]bool, len(policies))
		for i, p := range policies {
			u, err := p.CheckURL(raw)
			if err != nil {
				if u != nil {
					t.Fatalf("policy %d: CheckURL(%q) returned a URL and %v", i, raw, err)
				}
				if errors.Is(err, ErrInvalidURL) == errors.Is(err, ErrForbiddenAddress) {
					t.Fatalf("policy %d: CheckURL(%q) = %v, want exactly one of ErrInvalidURL, ErrForbiddenAddress", i, raw, err)
				}
				continue
			}
			accepted[i] = true
			if len(raw) > MaxURLLength {
				t.Fatalf("policy %d: accepted %d bytes", i, len(raw))
			}
			switch u.Scheme {
			case "https":
			case "http":
				if !p.AllowHTTP {
					t.Fatalf("policy %d: accepted http without AllowHTTP: %q", i, raw)
				}
			default:
				t.Fatalf("policy %d: accepted scheme %q: %q", i, u.Scheme, raw)
			}
			if u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
				t.Fatalf("policy %d: accepted %q without a host", i, raw)
			}
			if u.User != nil || u.Fragment != "" {
				t.Fatalf("policy %d: accepted %q with user info or fragment", i, raw)
			}
			if port := u.Port(); port != "" {
				if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
					t.Fatalf("policy %d: accepted port %q", i, port)
				}
			}
			if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !p.Allowed(ip) {
				t.Fatalf("policy %d: accepted %q whose address %s is not Allowed", i, raw, ip)
			}
			// What CheckURL returns must pass CheckURL again: callers store u.String().
			if s := u.String(); len(s) <= MaxURLLength {
				if _, err := p.CheckURL(s); err != nil {
					t.Fatalf("policy %d: CheckURL(%q) accepted, but its String %q is refused: %v", i, raw, s, err)
				}
			}
		}
		if accepted[0] && !accepted[1] {
			t.Fatalf("%q is accepted by the strict policy but refused by the dev policy", raw)
		}
	})
}

func FuzzAllowed(f *testing.F) {
	strict := &Policy{}
	dev := &Policy{AllowPrivate: true}
	f.Fuzz(func(t *testing.T, b []byte) {
		ip, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		allowed := strict.Allowed(ip)
		if allowed && !dev.Allowed(ip) {
			t.Fatalf("%s allowed by the strict policy but not with AllowPrivate", ip)
		}
		if allowed {
			u := ip.Unmap()
			if !u.IsGlobalUnicast() || u.IsPrivate() {
				t.Fatalf("%s allowed but is not public global unicast", ip)
			}
		}
		// An Allow prefix covering the address always opens it.
		open := &Policy{Allow: []netip.Prefix{netip.PrefixFrom(ip, ip.BitLen())}}
		if !open.Allowed(ip) {
			t.Fatalf("%s refused though the allowlist holds it", ip)
		}
		if ip.Is6() {
			if got := strict.Allowed(ip.WithZone("eth0")); got != allowed {
				t.Fatalf("%s: a zone changed the verdict to %v", ip, got)
			}
			return
		}
		// Every IPv6 form that reaches an IPv4 address gets its verdict.
		v4 := ip.As4()
		forms := map[string]netip.Addr{
			"mapped": netip.AddrFrom16(ip.As16()),
			"NAT64":  netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b, 12: v4[0], v4[1], v4[2], v4[3]}),
			"6to4":   netip.AddrFrom16([16]byte{0x20, 0x02, v4[0], v4[1], v4[2], v4[3], 15: 1}),
		}
		for _, p := range []*Policy{strict, dev} {
			want := p.Allowed(ip)
			for name, a := range forms {
				if got := p.Allowed(a); got != want {
					t.Fatalf("AllowPrivate=%v: %s form %s allowed=%v, but %s allowed=%v", p.AllowPrivate, name, a, got, ip, want)
				}
			}
		}
	})
}
