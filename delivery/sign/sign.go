// Package sign turns a delivery's body into the headers that a receiver
// checks: one Signer type per scheme that hooks reproduces (Standard
// Webhooks, HMAC-SHA256 in hex or base64, a shared secret header, and JWT).
package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scheme names, as they appear in an endpoint's signing options.
const (
	SchemeStandard     = "standard-webhooks"
	SchemeHMAC         = "hmac-sha256"
	SchemeSharedSecret = "shared-secret"
	SchemeJWT          = "jwt"
)

// Options are an endpoint's signing settings, as stored and as sent over the API.
type Options struct {
	Scheme   string `json:"scheme"`
	Header   string `json:"header,omitempty"`
	Encoding string `json:"encoding,omitempty"` // hex or base64, for hmac-sha256
	Prefix   string `json:"prefix,omitempty"`   // e.g. "sha256=", for hmac-sha256
}

// Meta describes the attempt being signed.
type Meta struct {
	WebhookID  string    // the delivery's id: the same on every retry
	EndpointID string    // the endpoint (wbh_) id
	TenantID   string    // the tenant that owns the endpoint
	Timestamp  time.Time // when this attempt is sent
}

// A Signer adds authentication headers to an outgoing request.
type Signer interface {
	Sign(h http.Header, body []byte, m Meta) error
}

// ErrInvalidOptions reports signing options that can't produce a signer.
var ErrInvalidOptions = errors.New("invalid signing options")

// Validate normalises opts (filling defaults) and reports what is wrong with them.
func Validate(opts *Options) error {
	switch opts.Scheme {
	case "", SchemeStandard:
		opts.Scheme = SchemeStandard
		opts.Header, opts.Encoding, opts.Prefix = "", "", ""
	case SchemeHMAC:
		if opts.Header == "" {
			opts.Header = "X-Hooks-Signature"
		}
		switch opts.Encoding {
		case "":
			opts.Encoding = "hex"
		case "hex", "base64":
		default:
			return fmt.Errorf("%w: encoding must be hex or base64, not %q", ErrInvalidOptions, opts.Encoding)
		}
	case SchemeSharedSecret:
		if opts.Header == "" {
			opts.Header = "X-Hooks-Secret"
		}
		opts.Encoding, opts.Prefix = "", ""
	case SchemeJWT:
		opts.Header, opts.Encoding, opts.Prefix = "", "", ""
	default:
		return fmt.Errorf("%w: unknown scheme %q (want standard-webhooks, hmac-sha256, shared-secret or jwt)", ErrInvalidOptions, opts.Scheme)
	}
	if opts.Header != "" && !ValidHeaderName(opts.Header) {
		return fmt.Errorf("%w: %q is not a valid header name", ErrInvalidOptions, opts.Header)
	}
	if reservedHeaders[http.CanonicalHeaderKey(opts.Header)] {
		return fmt.Errorf("%w: %q is set by the HTTP client and can't carry a signature", ErrInvalidOptions, opts.Header)
	}
	if !validPrefix(opts.Prefix) {
		return fmt.Errorf("%w: prefix must be at most 64 printable ASCII characters", ErrInvalidOptions)
	}
	return nil
}

// reservedHeaders are framing and hop-by-hop headers: a signature written
// into one of them would break the request or be dropped on the way.
var reservedHeaders = map[string]bool{
	"Connection":          true,
	"Content-Length":      true,
	"Content-Type":        true,
	"Host":                true,
	"Keep-Alive":          true,
	"Proxy-Authorization": true,
	"Proxy-Connection":    true,
	"Te":                  true,
	"Trailer":             true,
	"Transfer-Encoding":   true,
	"Upgrade":             true,
}

// validPrefix reports whether p can start a header value. net/http refuses
// to send control characters, so a prefix holding one would fail every
// delivery instead of failing here, once, with a message.
func validPrefix(p string) bool {
	if len(p) > 64 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] > 0x7e {
			return false
		}
	}
	return true
}

// ValidHeaderName reports whether name can be a header that hooks sets:
// 1-128 letters, digits, '-' or '_' (a strict subset of HTTP tokens, so a
// name never needs quoting in any receiver's framework).
func ValidHeaderName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for _, c := range name {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// New returns the signer for opts. secrets holds the current secret first,
// then any previous secret still valid during a rotation. The jwt scheme
// needs a JWT signer from the caller and is built with NewJWT instead.
func New(opts Options, secrets []string) (Signer, error) {
	// Validate a copy so that options that skipped the API (a stored row, a
	// test) can't produce a signer that writes an empty or invalid header.
	if err := Validate(&opts); err != nil {
		return nil, err
	}
	if len(secrets) == 0 || secrets[0] == "" {
		return nil, fmt.Errorf("%w: no secret", ErrInvalidOptions)
	}
	switch opts.Scheme {
	case "", SchemeStandard:
		return NewStandard(secrets)
	case SchemeHMAC:
		return &HMAC{header: http.CanonicalHeaderKey(opts.Header), prefix: opts.Prefix, base64: opts.Encoding == "base64", key: []byte(secrets[0])}, nil
	case SchemeSharedSecret:
		return &SharedSecret{header: http.CanonicalHeaderKey(opts.Header), secret: secrets[0]}, nil
	}
	return nil, fmt.Errorf("%w: scheme %q needs its own constructor", ErrInvalidOptions, opts.Scheme)
}

// Standard signs as Standard Webhooks does: webhook-id, webhook-timestamp and
// webhook-signature "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>", one
// signature per valid secret, space separated.
type Standard struct {
	keys [][]byte
}

// NewStandard decodes "whsec_<base64>" secrets into a Standard signer.
func NewStandard(secrets []string) (*Standard, error) {
	s := &Standard{}
	for _, secret := range secrets {
		key, err := DecodeStandardSecret(secret)
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, key)
	}
	return s, nil
}

// DecodeStandardSecret returns the key bytes of a "whsec_" secret.
func DecodeStandardSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("%w: secret is not whsec_<base64>", ErrInvalidOptions)
	}
	return key, nil
}

// Sign implements Signer.
func (s *Standard) Sign(h http.Header, body []byte, m Meta) error {
	ts := strconv.FormatInt(m.Timestamp.Unix(), 10)
	var sig strings.Builder
	for i, key := range s.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(m.WebhookID))
		mac.Write([]byte{'.'})
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
		mac.Write(body)
		if i > 0 {
			sig.WriteByte(' ')
		}
		sig.WriteString("v1,")
		sig.WriteString(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	h["Webhook-Id"] = []string{m.WebhookID}
	h["Webhook-Timestamp"] = []string{ts}
	h["Webhook-Signature"] = []string{sig.String()}
	return nil
}

// HMAC puts prefix + hex or base64 HMAC-SHA256(secret, body) in one header,
// as Pepperi and GitHub (hex, "sha256=") or Shopify and eWarehousing (base64) do.
type HMAC struct {
	header string
	prefix string
	base64 bool
	key    []byte
}

// Sign implements Signer.
func (s *HMAC) Sign(h http.Header, body []byte, _ Meta) error {
	mac := hmac.New(sha256.New, s.key)
	mac.Write(body)
	sum := mac.Sum(nil)
	var enc string
	if s.base64 {
		enc = base64.StdEncoding.EncodeToString(sum)
	} else {
		enc = hex.EncodeToString(sum)
	}
	h[s.header] = []string{s.prefix + enc}
	return nil
}

// SharedSecret sends the secret itself in a header, as Shopery does. It proves
// nothing about the body and is weaker than a signature.
type SharedSecret struct {
	header string
	secret string
}

// Sign implements Signer.
func (s *SharedSecret) Sign(h http.Header, _ []byte, _ Meta) error {
	h[s.header] = []string{s.secret}
	return nil
}
