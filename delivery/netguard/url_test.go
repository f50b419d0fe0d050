package netguard

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	strict := &Policy{}
	dev := &Policy{AllowHTTP: true, AllowPrivate: true}
	tests := []struct {
		name string
		p    *Policy
		raw  string
		want error  // nil, ErrInvalidURL or ErrForbiddenAddress
		msg  string // part of the error message, if any
	}{
		{"https", strict, "https://hooks.example.com/in?x=1", nil, ""},
		{"https with port", strict, "https://hooks.example.com:8443/in", nil, ""},
		{"public IPv4", strict, "https://8.8.8.8/", nil, ""},
		{"public IPv6", strict, "https://[2001:4860:4860::8888]:443/", nil, ""},
		{"IDN host", strict, "https://bücher.example/hook", nil, ""},
		{"punycode host", strict, "https://xn--bcher-kva.example/hook", nil, ""},
		{"escaped IDN host", strict, "https://%C3%BC.example/", nil, ""},
		{"trailing dot", strict, "https://example.com./", nil, ""},
		{"underscore", strict, "https://my_host.example.com/", nil, ""},
		{"upper-case scheme", strict, "HTTPS://EXAMPLE.COM/", nil, ""},
		{"http in dev", dev, "http://localhost:8080/hook", nil, ""},
		{"loopback in dev", dev, "http://127.0.0.1:8080/hook", nil, ""},
		{"max length", strict, "https://example.com/" + strings.Repeat("a", MaxURLLength-len("https://example.com/")), nil, ""},

		{"empty", strict, "", ErrInvalidURL, "empty"},
		{"ftp", strict, "ftp://example.com/", ErrInvalidURL, `scheme "ftp"`},
		{"javascript", strict, "javascript:alert(1)", ErrInvalidURL, `scheme "javascript"`},
		{"file", strict, "file:///etc/passwd", ErrInvalidURL, `scheme "file"`},
		{"gopher", dev, "gopher://127.0.0.1:6379/_INFO", ErrInvalidURL, "scheme"},
		{"relative", strict, "/hooks/in", ErrInvalidURL, "no scheme"},
		{"scheme-relative", strict, "//example.com/in", ErrInvalidURL, "no scheme"},
		{"no host", strict, "https:///path", ErrInvalidURL, "no host"},
		{"opaque", strict, "https:example.com", ErrInvalidURL, "no host"},
		{"port only", strict, "https://:443/", ErrInvalidURL, "no host"},
		{"userinfo", strict, "https://user:pass@example.com/", ErrInvalidURL, "user info"},
		{"empty userinfo", strict, "https://@example.com/", ErrInvalidURL, "user info"},
		{"userinfo trick", strict, "https://example.com@10.0.0.1/", ErrInvalidURL, "user info"},
		{"fragment", strict, "https://example.com/#frag", ErrInvalidURL, "fragment"},
		{"empty fragment", strict, "https://example.com/#", ErrInvalidURL, "fragment"},
		{"http without AllowHTTP", strict, "http://example.com/", ErrInvalidURL, "--dev"},
		{"http with only AllowPrivate", &Policy{AllowPrivate: true}, "http://example.com/", ErrInvalidURL, "http://"},
		{"too long", strict, "https://example.com/" + strings.Repeat("a", MaxURLLength), ErrInvalidURL, "limit is 2048"},
		{"space in host", strict, "https://exa mple.com/", ErrInvalidURL, "space"},
		{"space in path", strict, "https://example.com/a b", ErrInvalidURL, "space"},
		{"leading space", strict, " https://example.com/", ErrInvalidURL, "space"},
		{"trailing newline", strict, "https://example.com/\n", ErrInvalidURL, "control"},
		{"tab", strict, "https://example.com/\tx", ErrInvalidURL, "control"},
		{"NUL", strict, "https://example.com/\x00", ErrInvalidURL, "control"},
		{"DEL", strict, "https://example.com/\x7f", ErrInvalidURL, "control"},
		{"no-break space", strict, "https://example.com/\u00a0", ErrInvalidURL, "space"},
		{"invalid UTF-8", strict, "https://example.com/\xff", ErrInvalidURL, "UTF-8"},
		{"port zero", strict, "https://example.com:0/", ErrInvalidURL, "port"},
		{"port too big", strict, "https://example.com:65536/", ErrInvalidURL, "port"},
		{"port not numeric", strict, "https://example.com:https/", ErrInvalidURL, "port"},
		{"empty port", strict, "https://example.com:/", ErrInvalidURL, "port"},
		{"empty label", strict, "https://example..com/", ErrInvalidURL, "empty label"},
		{"leading dot", strict, "https://.example.com/", ErrInvalidURL, "empty label"},
		{"bad host char", strict, "https://exa%25mple.com/", ErrInvalidURL, "not allowed"},
		{"decimal IPv4", strict, "https://2130706433/", ErrInvalidURL, "standard form"},
		{"hex IPv4", strict, "https://0x7f000001/", ErrInvalidURL, "standard form"},
		{"short IPv4", strict, "https://127.1/", ErrInvalidURL, "standard form"},
		{"octal IPv4", strict, "https://0177.0.0.1/", ErrInvalidURL, "standard form"},
		{"decimal IPv4 in dev", dev, "http://2130706433/", ErrInvalidURL, "standard form"},
		{"unbracketed IPv6", strict, "https://::1/", ErrInvalidURL, ""},
		{"bracketed IPv4", strict, "https://[10.0.0.1]/", ErrInvalidURL, ""},
		{"bracketed name", strict, "https://[example.com]/", ErrInvalidURL, ""},

		{"private IPv4", strict, "https://10.0.0.1/", ErrForbiddenAddress, "10.0.0.1 is a private address"},
		{"loopback IPv4", strict, "https://127.0.0.1:8443/", ErrForbiddenAddress, "loopback"},
		{"loopback IPv6", strict, "https://[::1]/", ErrForbiddenAddress, "loopback"},
		{"mapped IPv6", strict, "https://[::ffff:10.0.0.1]/", ErrForbiddenAddress, "(which reaches 10.0.0.1)"},
		{"link-local with zone", strict, "https://[fe80::1%25eth0]/", ErrForbiddenAddress, "link-local"},
		{"unspecified", strict, "https://0.0.0.0/", ErrForbiddenAddress, "unspecified"},
		{"metadata", strict, "https://169.254.169.254/latest/meta-data/", ErrForbiddenAddress, "metadata"},
		{"metadata in dev", dev, "http://169.254.169.254/latest/meta-data/", ErrForbiddenAddress, "metadata"},
		{"metadata name", dev, "http://metadata.google.internal/computeMetadata/v1/", ErrForbiddenAddress, "metadata"},
		{"metadata name upper-case", strict, "https://METADATA.google.internal./", ErrForbiddenAddress, "metadata"},
		{"localhost", strict, "https://localhost/", ErrForbiddenAddress, "loopback"},
		{"localhost subdomain", strict, "https://app.localhost/", ErrForbiddenAddress, "loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := tt.p.CheckURL(tt.raw)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckURL(%q) = %v, want no error", tt.raw, err)
				}
				if u == nil || u.Host == "" {
					t.Fatalf("CheckURL(%q) = %v, want a URL with a host", tt.raw, u)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("CheckURL(%q) = %v, want %v", tt.raw, err, tt.want)
			}
			if u != nil {
				t.Errorf("CheckURL(%q) returned a URL with an error", tt.raw)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("CheckURL(%q) error %q does not mention %q", tt.raw, err, tt.msg)
			}
		})
	}
}

func TestCheckURLAllowPrefix(t *testing.T) {
	p, err := (&Policy{}).CheckURL("https://10.1.2.3/")
	if !errors.Is(err, ErrForbiddenAddress) || p != nil {
		t.Fatalf("without allowlist: %v, %v", p, err)
	}
	pol := &Policy{Allow: mustPrefixes(t, "10.1.0.0/16")}
	if _, err := pol.CheckURL("https://10.1.2.3/"); err != nil {
		t.Fatalf("with allowlist: %v", err)
	}
}
