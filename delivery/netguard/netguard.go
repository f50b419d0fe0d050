// Package netguard decides which webhook targets hooks may send requests to,
// and enforces that decision when it connects (protection against server-side
// request forgery: a customer registering http://169.254.169.254/ or a host
// name that resolves to the operator's private network).
//
// The rules are applied twice: when a URL is saved (CheckURL, which can only
// judge literal IP addresses) and when a connection is made (DialContext, which
// judges every address that DNS returns and then connects to that exact
// address, so a second DNS answer cannot swap in a different one).
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// ErrForbiddenAddress reports a target that is, or resolves to, an address
// webhooks may not be sent to.
var ErrForbiddenAddress = errors.New("forbidden target address")

// ErrInvalidURL reports a URL that cannot be a webhook target.
var ErrInvalidURL = errors.New("invalid webhook URL")

// DefaultMaxIdleConnsPerHost is the keep-alive pool size per receiver used by
// Transport when Policy.MaxIdleConnsPerHost is zero.
const DefaultMaxIdleConnsPerHost = 64

// A Resolver looks up the addresses of a host name. *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Policy says which webhook targets are allowed.
//
// The zero Policy is the production default: https only, public addresses
// only. A Policy must not be modified while DialContext is in use; Transport
// takes a copy.
type Policy struct {
	AllowHTTP    bool           // --dev: plain http:// allowed
	AllowPrivate bool           // --dev: loopback/private targets allowed (cloud metadata addresses stay refused)
	Allow        []netip.Prefix // CIDRs opened explicitly even when AllowPrivate is false
	Resolver     Resolver       // nil = net.DefaultResolver

	// MaxIdleConnsPerHost is the keep-alive pool size per receiver of the
	// transport built by Transport; zero means DefaultMaxIdleConnsPerHost.
	MaxIdleConnsPerHost int

	// dial replaces the real dialer in tests, so that a test can prove no
	// connection was attempted without ever risking a real one.
	dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// A rangeRule names a refused address range.
type rangeRule struct {
	prefix netip.Prefix
	what   string // completes "<addr> is ..."
}

// metadata lists the cloud instance-metadata services. They hand out
// credentials to whoever asks from inside the machine, so they stay refused
// even with AllowPrivate (--dev on a cloud VM is common); only an explicit
// Allow prefix opens them.
var metadata = []rangeRule{
	{netip.MustParsePrefix("169.254.169.254/32"), "a cloud metadata address (AWS, GCP, Azure, OCI, DigitalOcean)"},
	{netip.MustParsePrefix("169.254.170.2/32"), "a cloud metadata address (AWS ECS task metadata)"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "a cloud metadata address (AWS IPv6)"},
	{netip.MustParsePrefix("100.100.100.200/32"), "a cloud metadata address (Alibaba Cloud)"},
	{netip.MustParsePrefix("192.0.0.192/32"), "a cloud metadata address (Oracle Cloud)"},
}

// metadataHosts are the names of the metadata services; they are refused by
// name so that the mistake shows up when the URL is saved.
var metadataHosts = map[string]bool{
	"metadata":                   true,
	"metadata.google.internal":   true,
	"metadata.goog":              true,
	"instance-data":              true,
	"instance-data.ec2.internal": true,
}

// refused lists the special-purpose ranges (IANA IPv4 and IPv6
// special-purpose registries) that are not reachable public unicast. Order
// matters only for the message: the most specific entry comes first.
var refused = []rangeRule{
	{netip.MustParsePrefix("0.0.0.0/32"), "the unspecified address"},
	{netip.MustParsePrefix("0.0.0.0/8"), `a "this network" address`},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT (shared) address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("192.88.99.0/24"), "a 6to4 relay anycast address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("255.255.255.255/32"), "the broadcast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},

	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible IPv6 address (deprecated)"},
	{netip.MustParsePrefix("::ffff:0:0:0/96"), "an IPv4-translated IPv6 address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	{netip.MustParsePrefix("2001::/23"), "an IETF protocol assignment address (Teredo, benchmarking, ORCHID)"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("3fff::/20"), "a documentation address"},
	{netip.MustParsePrefix("fc00::/7"), "a private (unique local) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
)

// Allowed reports whether a webhook may be sent to ip.
//
// An IPv4-mapped IPv6 address is judged as the IPv4 address it maps, and a
// NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address as the IPv4 address it
// embeds, because that is where the packets end up.
func (p *Policy) Allowed(ip netip.Addr) bool {
	what, _ := p.refusal(ip)
	return what == ""
}

// refusal says why ip is refused ("" if it is not) and which address was
// judged: ip itself, or the IPv4 address it maps or embeds.
func (p *Policy) refusal(ip netip.Addr) (what string, judged netip.Addr) {
	if !ip.IsValid() {
		return "not a valid IP address", ip
	}
	// Prefix.Contains never matches an address with a zone, so drop it: the
	// zone picks an interface, it does not change which host is reached.
	ip = ip.WithZone("")
	if p.allowListed(ip) {
		return "", ip
	}
	ip = ip.Unmap()
	if p.allowListed(ip) {
		return "", ip
	}
	if v4, ok := embeddedIPv4(ip); ok {
		return p.refusal(v4)
	}
	for _, r := range metadata {
		if r.prefix.Contains(ip) {
			return r.what, ip
		}
	}
	if p.AllowPrivate {
		return "", ip
	}
	for _, r := range refused {
		if r.prefix.Contains(ip) {
			return r.what, ip
		}
	}
	if ip.Is6() && !globalUnicast6.Contains(ip) {
		return "an IPv6 address outside global unicast space", ip
	}
	return "", ip
}

func (p *Policy) allowListed(ip netip.Addr) bool {
	for _, pr := range p.Allow {
		if pr.Contains(ip) {
			return true
		}
	}
	return false
}

// embeddedIPv4 returns the IPv4 address that a NAT64 or 6to4 address carries.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	switch {
	case nat64.Contains(ip):
		b := ip.As16()
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		b := ip.As16()
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// check returns nil if ip is allowed, or an error wrapping
// ErrForbiddenAddress that says why and how to allow it. host is the name
// that resolved to ip, or "" if ip was given literally.
func (p *Policy) check(host string, ip netip.Addr) error {
	what, judged := p.refusal(ip)
	if what == "" {
		return nil
	}
	subject := ip.String()
	if judged != ip.WithZone("") {
		subject = fmt.Sprintf("%s (which reaches %s)", ip, judged)
	}
	var b strings.Builder
	if host != "" {
		fmt.Fprintf(&b, "%s resolves to %s, which is %s", host, subject, what)
	} else {
		fmt.Fprintf(&b, "%s is %s", subject, what)
	}
	if isMetadata(judged) {
		fmt.Fprintf(&b, "; instance metadata is refused even with --dev (add %s to the allowlist only if you really mean it)", netip.PrefixFrom(judged, judged.BitLen()))
	} else {
		fmt.Fprintf(&b, "; webhooks may only target public addresses (start hooks with --dev to allow private targets, or add a CIDR containing %s to the allowlist)", judged)
	}
	return fmt.Errorf("%w: %s", ErrForbiddenAddress, b.String())
}

func isMetadata(ip netip.Addr) bool {
	for _, r := range metadata {
		if r.prefix.Contains(ip) {
			return true
		}
	}
	return false
}

// checkHostName refuses names that are known to reach forbidden addresses
// without asking DNS: the metadata services and, unless AllowPrivate,
// localhost (RFC 6761 reserves it for loopback).
func (p *Policy) checkHostName(host string) error {
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if metadataHosts[name] {
		return fmt.Errorf("%w: %s is a cloud metadata service; instance metadata is refused even with --dev", ErrForbiddenAddress, host)
	}
	if !p.AllowPrivate && (name == "localhost" || strings.HasSuffix(name, ".localhost")) {
		return fmt.Errorf("%w: %s is a loopback name; webhooks may only target public addresses (start hooks with --dev to allow private targets)", ErrForbiddenAddress, host)
	}
	return nil
}
