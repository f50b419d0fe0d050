package web

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address a request came from, for sign-in throttling
// and logs. It is the peer's address unless the peer is one of the trusted
// proxies (--trusted-proxies): then it is the right-most address in
// X-Forwarded-For that is not a trusted proxy. Anyone can send
// X-Forwarded-For, and a proxy appends to what it received, so only the
// entries that trusted proxies added can be believed, and the first
// untrusted one from the right is the client that spoke to them.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseHostAddr(r.RemoteAddr)
	if !peer.IsValid() || !inPrefixes(peer, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHostAddr(strings.TrimSpace(hops[i]))
		if !a.IsValid() {
			// A malformed entry: what is left of it can't be believed.
			break
		}
		client = a
		if !inPrefixes(a, trusted) {
			break
		}
	}
	return client
}

// parseHostAddr parses an address with or without a port ("192.0.2.1",
// "192.0.2.1:80", "[2001:db8::1]:80"), or returns the zero Addr.
func parseHostAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.WithZone("").Unmap()
}

func inPrefixes(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// throttleKey is the part of a client address that sign-in throttling
// counts by: the address itself for IPv4, its /64 for IPv6, since one
// client commonly holds a whole /64 and could otherwise take a fresh
// address for every guess.
func throttleKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
