package netguard

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxURLLength is the longest webhook URL CheckURL accepts, in bytes.
const MaxURLLength = 2048

// CheckURL validates raw as a webhook target when it is saved, and returns it
// parsed. It must be an absolute https URL (or http when AllowHTTP) with a
// host, without user info or fragment, at most MaxURLLength bytes, and with a
// port in 1-65535 if it has one. A literal IP host must be Allowed.
//
// A host name is not resolved here: what it resolves to can change after it
// is saved, so DialContext judges the addresses at connection time.
//
// The error wraps ErrInvalidURL or ErrForbiddenAddress, and its message says
// what to change.
func (p *Policy) CheckURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, invalid("the URL is empty")
	}
	if len(raw) > MaxURLLength {
		return nil, invalid("the URL is %d bytes long; the limit is %d", len(raw), MaxURLLength)
	}
	if !utf8.ValidString(raw) {
		return nil, invalid("the URL is not valid UTF-8")
	}
	for i, r := range raw {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return nil, invalid("the URL contains a space or control character (%q at byte %d); percent-encode it", r, i)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL; the user already has it.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return nil, invalid("%v", err)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !p.AllowHTTP {
			return nil, invalid("plain http:// is not allowed; use https:// (start hooks with --dev to allow http)")
		}
	case "":
		return nil, invalid("the URL has no scheme; it must start with https://")
	default:
		return nil, invalid("scheme %q is not supported; use https://", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, invalid("the URL has no host; write it as %s://host/path", u.Scheme)
	}
	if u.User != nil {
		return nil, invalid("the URL contains user info (user@ or user:password@); put credentials in a header instead")
	}
	if strings.Contains(raw, "#") {
		return nil, invalid("the URL contains a fragment (#...), which is never sent to the receiver; remove it")
	}
	if strings.HasSuffix(u.Host, ":") {
		return nil, invalid("the URL has an empty port after the host; remove the colon or add a port")
	}
	if port := u.Port(); port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return nil, invalid("port %s is out of range; it must be between 1 and 65535", port)
		}
	}
	host := u.Hostname()
	if host == "" {
		return nil, invalid("the URL has no host; write it as %s://host/path", u.Scheme)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		bracketed := strings.HasPrefix(u.Host, "[")
		if ip.Is4() == bracketed {
			// url.Parse already refuses both forms; this keeps the
			// invariant local instead of trusting that.
			return nil, invalid("IPv6 addresses must be in brackets and IPv4 addresses must not be")
		}
		if err := p.check("", ip); err != nil {
			return nil, err
		}
		return u, nil
	}
	if err := checkHostSyntax(host); err != nil {
		return nil, err
	}
	if err := p.checkHostName(host); err != nil {
		return nil, err
	}
	return u, nil
}

// checkHostSyntax accepts DNS names, including internationalised ones (the
// transport converts them to punycode), and refuses everything else.
func checkHostSyntax(host string) error {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	for _, l := range labels {
		if l == "" {
			return invalid("host %q has an empty label (two dots in a row, or a leading dot)", host)
		}
		for _, r := range l {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
				r == '-' || r == '_' || r >= utf8.RuneSelf && unicode.IsPrint(r)
			if !ok {
				return invalid("host %q contains %q, which is not allowed in a host name", host, r)
			}
		}
	}
	// Some resolvers (glibc's getaddrinfo) read 2130706433, 0x7f.1 or 127.1 as
	// IPv4 addresses. No top-level domain is numeric, so such a name can only
	// be an address in disguise: refuse it instead of guessing how it resolves.
	last := strings.ToLower(labels[len(labels)-1])
	if isDigits(last) || strings.HasPrefix(last, "0x") {
		return invalid("host %q looks like an IP address but is not one in standard form; write IPv4 as four decimal numbers (203.0.113.7) or use a DNS name", host)
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// URLError is a URL that cannot be a webhook target. Reason says what to
// change, in words fit to show the user; the error wraps ErrInvalidURL.
type URLError struct {
	Reason string
}

func (e *URLError) Error() string { return ErrInvalidURL.Error() + ": " + e.Reason }

// Unwrap returns ErrInvalidURL.
func (e *URLError) Unwrap() error { return ErrInvalidURL }

func invalid(format string, args ...any) error {
	return &URLError{Reason: fmt.Sprintf(format, args...)}
}

// CheckHost validates the host of a broker address (a host name or a
// literal IP, without port or brackets) when a destination is saved, by
// the rules CheckURL applies to a URL's host. As there, a host name is not
// resolved: DialContext judges its addresses at connection time.
func (p *Policy) CheckHost(host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.check("", ip)
	}
	if err := checkHostSyntax(host); err != nil {
		return err
	}
	return p.checkHostName(host)
}
