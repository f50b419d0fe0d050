package netguard

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// DialContext connects to addr ("host:port", port numeric) on network "tcp",
// "tcp4" or "tcp6", for use as http.Transport.DialContext.
//
// It resolves host with the Policy's Resolver and refuses the whole target,
// with an error wrapping ErrForbiddenAddress, if ANY returned address is
// forbidden. Dialing only the allowed subset would also be safe, but a name
// that mixes public and private answers is a misconfiguration or an attack,
// and refusing it makes the outcome the same on every attempt instead of
// depending on answer order.
//
// It then dials the checked IP addresses themselves, in the resolver's order,
// so DNS is asked once per connection and a second answer cannot swap in a
// different address (DNS rebinding). The dialer's Control function checks the
// socket's actual remote address again just before connecting, as a last line
// of defence.
func (p *Policy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var lookupNet string
	switch network {
	case "tcp":
		lookupNet = "ip"
	case "tcp4":
		lookupNet = "ip4"
	case "tcp6":
		lookupNet = "ip6"
	default:
		return nil, fmt.Errorf("netguard: network %q is not supported", network)
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("netguard: %w", err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return nil, fmt.Errorf("netguard: invalid port %q in %q", portStr, addr)
	}
	if host == "" {
		// The dialer would read an empty host as the local system.
		return nil, fmt.Errorf("%w: %q has no host", ErrForbiddenAddress, addr)
	}

	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := p.check("", ip); err != nil {
			return nil, err
		}
		ips = []netip.Addr{ip}
	} else {
		if err := p.checkHostName(host); err != nil {
			return nil, err
		}
		r := p.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		ips, err = r.LookupNetIP(ctx, lookupNet, host)
		if err != nil {
			return nil, fmt.Errorf("netguard: resolving %s: %w", host, err)
		}
		for _, ip := range ips {
			if err := p.check(host, ip); err != nil {
				return nil, err
			}
		}
	}

	// Dial the address in its plain form, and only those that fit the network.
	var targets []netip.AddrPort
	for _, ip := range ips {
		ip = ip.Unmap()
		if network == "tcp4" && !ip.Is4() || network == "tcp6" && !ip.Is6() {
			continue
		}
		targets = append(targets, netip.AddrPortFrom(ip, uint16(port)))
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("netguard: no %s address for %s", lookupNet, host)
	}
	return p.dialSerial(ctx, network, targets)
}

// dialSerial tries targets in order, giving each a fair share of the time
// left, like the net package does for a host with several addresses.
func (p *Policy) dialSerial(ctx context.Context, network string, targets []netip.AddrPort) (net.Conn, error) {
	dial := p.dial
	if dial == nil {
		d := &net.Dialer{Control: p.control}
		dial = d.DialContext
	}
	var first error
	for i, t := range targets {
		if err := ctx.Err(); err != nil {
			if first == nil {
				first = err
			}
			break
		}
		dctx := ctx
		if deadline, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			dctx, cancel = context.WithDeadline(ctx, partialDeadline(time.Now(), deadline, len(targets)-i))
			defer cancel()
		}
		c, err := dial(dctx, network, t.String())
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if errors.Is(err, ErrForbiddenAddress) {
			break
		}
	}
	return nil, first
}

// partialDeadline returns the deadline for one of n remaining attempts: an
// equal share of the time left, but at least two seconds when there is that
// much, so one dead address does not use up the whole budget.
func partialDeadline(now, deadline time.Time, n int) time.Time {
	left := deadline.Sub(now)
	if left <= 0 {
		return deadline
	}
	share := left / time.Duration(n)
	const saneMinimum = 2 * time.Second
	if share < saneMinimum {
		share = min(left, saneMinimum)
	}
	return now.Add(share)
}

// control runs after the socket is created and before it connects, with the
// address the kernel will actually connect to.
func (p *Policy) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot check dial address %q: %v", ErrForbiddenAddress, address, err)
	}
	return p.check("", ap.Addr())
}

// Transport returns a new keep-alive transport for deliveries: it connects
// through DialContext, never uses a proxy (HTTP_PROXY and friends would send
// the request somewhere the address check never saw), and negotiates HTTP/2
// only when a TLS server offers it. It works on a copy of p.
//
// Build it once and share it; per-request limits come from the request's
// context.
func (p *Policy) Transport() *http.Transport {
	q := *p
	q.Allow = slices.Clone(p.Allow)
	perHost := q.MaxIdleConnsPerHost
	if perHost <= 0 {
		perHost = DefaultMaxIdleConnsPerHost
	}
	return &http.Transport{
		Proxy:       nil,
		DialContext: q.DialContext,
		// Setting DialContext and TLSClientConfig turns HTTP/2 off unless asked.
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		// A receiver's headers are logged, not trusted: keep them small.
		MaxResponseHeaderBytes: 64 << 10,
		// The attempt log should show the bytes that were exchanged, not a
		// transparently decompressed body.
		DisableCompression: true,
	}
}

// NewClient returns an http.Client for deliveries that uses p.Transport() and
// never follows redirects: a 3xx response is returned as it is, and counts as
// a failed attempt. A timeout of zero leaves the limit to each request's
// context.
func NewClient(p *Policy, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: p.Transport(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: timeout,
	}
}
