package domain

import (
	"errors"
	"fmt"
	"hooks/domain/filter"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Limits on what an endpoint may be configured with.
const (
	MaxTopicsPerEndpoint = 100
	MaxHeaders           = 20
	MaxHeaderValue       = 1024
	MaxMetadata          = 50
	MaxMetadataValue     = 1024
	MaxTimeout           = 30 * time.Second
	DefaultTimeout       = 5 * time.Second
	MaxAttemptsLimit     = 50
	MaxRetryInterval     = 7 * 24 * 3600 // seconds, for a fixed schedule
	MaxRateLimit         = 100000        // deliveries per second
)

// Checks are the rules that endpoint validation takes from the parts that
// own them: the network policy for URLs and the envelope compiler live in
// packages that import this one.
type Checks struct {
	// URL vets a target URL and returns the form to store. Its error is
	// shown to the user as it is, so it must be safe to show.
	URL func(raw string) (string, error)
	// Host vets the host of a broker address (destination.url, brokers)
	// under the same policy. Its error is shown as it is.
	Host func(host string) error
	// Template compiles an envelope template. Its error is shown to the
	// user as it is, so it must say what is wrong and where.
	Template func(template string) error
	// HeaderPrefix is the server's metadata header prefix (X-Hooks-); an
	// endpoint's static headers can't use it.
	HeaderPrefix string
}

// ValidateEndpoint checks e as a user configured it and fills in defaults
// (name, secret, signing options, retry policy, timeout). It returns an
// EINVALID *Error whose Field is the API path of the input at fault.
func ValidateEndpoint(e *Endpoint, c Checks) error {
	e.Name = strings.TrimSpace(e.Name)
	if len(e.Name) > 200 {
		return FieldErrorf("name", "name is longer than 200 characters")
	}
	if err := e.Destination.normalize(c.Host); err != nil {
		return err
	}
	if e.Destination.IsHTTP() {
		u, err := c.URL(strings.TrimSpace(e.URL))
		if err != nil {
			return &Error{Code: EINVALID, Field: "url", Message: err.Error(), Err: err}
		}
		e.URL = u
	} else {
		// A broker destination's URL is its target, for display: never
		// what the user typed, which could be an old HTTP URL.
		e.URL = e.Destination.Target()
	}
	u := e.URL
	if e.Name == "" {
		e.Name = hostOf(u)
	}
	if err := checkTopics("events", &e.Topics); err != nil {
		return err
	}
	// Checked after checkTopics, which drops blank entries: ["", " "] is none.
	if len(e.Topics) == 0 {
		return FieldErrorf("events", "subscribe to at least one event topic (e.g. orders/placed, orders/* or *)")
	}
	if err := checkTopics("subTopics", &e.SubTopics); err != nil {
		return err
	}
	if err := checkFilter(e); err != nil {
		return err
	}
	if err := checkSigning(e); err != nil {
		return err
	}
	if err := e.Envelope.normalize(c.Template); err != nil {
		return err
	}
	if err := e.Retry.Normalize(); err != nil {
		return err
	}
	switch {
	case e.Timeout == 0:
		e.Timeout = DefaultTimeout
	case e.Timeout < time.Second || e.Timeout > MaxTimeout:
		return FieldErrorf("timeoutSeconds", "timeout must be between 1 and 30 seconds")
	}
	if e.RateLimit < 0 || e.RateLimit > MaxRateLimit {
		return FieldErrorf("rateLimit", "rate limit must be between 0 (none) and 100000 per second")
	}
	if err := checkHeaders(e, c.HeaderPrefix); err != nil {
		return err
	}
	if len(e.Metadata) > MaxMetadata {
		return FieldErrorf("metadata", "at most %d metadata entries", MaxMetadata)
	}
	for k, v := range e.Metadata {
		if k == "" || len(k) > 100 || len(v) > MaxMetadataValue {
			return FieldErrorf("metadata", "metadata keys must be 1-100 bytes and values at most %d bytes", MaxMetadataValue)
		}
	}
	return nil
}

// hostOf returns the host[:port] of a URL that Checks.URL accepted, the
// default name of an endpoint.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

func checkTopics(field string, topics *[]string) error {
	if len(*topics) > MaxTopicsPerEndpoint {
		return FieldErrorf(field, "at most %d entries", MaxTopicsPerEndpoint)
	}
	seen := map[string]bool{}
	var out []string
	for _, t := range *topics {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		if err := ValidTopicPattern(t); err != nil {
			return FieldErrorf(field, "%s", err)
		}
		seen[t] = true
		out = append(out, t)
	}
	*topics = out
	return nil
}

// checkHeaders checks e's static headers and stores their names canonical.
func checkHeaders(e *Endpoint, prefix string) error {
	if len(e.Headers) > MaxHeaders {
		return FieldErrorf("headers", "at most %d headers", MaxHeaders)
	}
	signatureHeaders := map[string]bool{}
	for _, s := range e.Schemes() {
		if s.Header != "" {
			signatureHeaders[http.CanonicalHeaderKey(s.Header)] = true
		}
	}
	headers := make(map[string]string, len(e.Headers))
	for k, v := range e.Headers {
		ck := http.CanonicalHeaderKey(strings.TrimSpace(k))
		if !ValidHeaderName(ck) {
			return FieldErrorf("headers", "%q is not a valid header name", k)
		}
		if reservedHeaders[ck] != 0 || strings.HasPrefix(ck, http.CanonicalHeaderKey(prefix)) || signatureHeaders[ck] {
			return FieldErrorf("headers", "header %s is set by hooks itself", ck)
		}
		if len(v) > MaxHeaderValue || strings.ContainsAny(v, "\r\n\x00") {
			return FieldErrorf("headers", "header %s: value must be one line of at most %d bytes", ck, MaxHeaderValue)
		}
		headers[ck] = v
	}
	e.Headers = headers
	return nil
}

// checkSigning normalizes every signing scheme of e, generates the secrets
// that are missing and checks the rest. With one scheme, errors name
// signing.<option> and secret, as the API's object form does; with several
// they name signing[i].<option> and signing[i].secret (secret for the
// first, which the API's secret field sets).
func checkSigning(e *Endpoint) error {
	schemes := e.Schemes()
	if len(schemes) > MaxSigningSchemes {
		return FieldErrorf("signing", "at most %d signing schemes", MaxSigningSchemes)
	}
	path := func(i int) string {
		if len(schemes) == 1 {
			return "signing"
		}
		return fmt.Sprintf("signing[%d]", i)
	}
	headers := map[string]int{} // canonical header → index of the scheme that writes it
	for i := range schemes {
		s := &schemes[i]
		if err := s.Normalize(); err != nil {
			var de *Error
			if errors.As(err, &de) && len(schemes) > 1 {
				de.Field = path(i) + strings.TrimPrefix(de.Field, "signing")
			}
			return err
		}
		h := http.CanonicalHeaderKey(s.Header)
		if reservedHeaders[h] == setByHooks {
			return FieldErrorf(path(i)+".header", "header %s is set by hooks itself; choose another name", s.Header)
		}
		// Standard Webhooks v1 and v1a share one webhook-signature header,
		// as the specification allows; every other pair must not collide.
		switch s.Scheme {
		case SchemeStandard, SchemeStandardV1a:
			h = "Webhook-Signature " + s.Scheme
		case SchemeJWT:
			h = "Authorization"
		}
		if j, dup := headers[h]; dup {
			return FieldErrorf(path(i), "%s already signs with %s; each scheme may write its header once", path(j), strings.TrimPrefix(h, "Webhook-Signature "))
		}
		headers[h] = i
		field := path(i) + ".secret"
		if i == 0 {
			field = "secret"
		}
		if s.Secret == "" {
			s.Secret = NewSecret(s.Scheme)
		} else if err := checkSecret(field, s.Scheme, s.Secret); err != nil {
			return err
		}
	}
	e.SetSchemes(schemes)
	return nil
}

func checkSecret(field, scheme, secret string) error {
	if len(secret) > 1024 || strings.ContainsAny(secret, "\r\n\x00") {
		return FieldErrorf(field, "secret must be one line of at most 1024 bytes")
	}
	switch scheme {
	case SchemeStandard:
		key, err := DecodeStandardSecret(secret)
		if err != nil || !strings.HasPrefix(secret, "whsec_") || len(key) < 24 || len(key) > 64 {
			return FieldErrorf(field, "a Standard Webhooks secret is whsec_ followed by base64 of 24-64 random bytes; leave it empty to generate one")
		}
	case SchemeStandardV1a:
		if _, err := V1aPrivateKey(secret); err != nil {
			return FieldErrorf(field, "a Standard Webhooks v1a private key is whsk_ followed by base64 of a 32-byte Ed25519 seed; leave it empty to generate one")
		}
	default:
		if len(secret) < 8 {
			return FieldErrorf(field, "secret must be at least 8 characters")
		}
	}
	return nil
}

// Normalize fills in the defaults of s's scheme and reports, as an
// EINVALID *Error naming the option, what is wrong with it.
func (s *Signing) Normalize() error {
	switch s.Scheme {
	case "", SchemeStandard:
		s.Scheme = SchemeStandard
		s.Header, s.Encoding, s.Prefix = "", "", ""
	case SchemeStandardV1a:
		s.Header, s.Encoding, s.Prefix = "", "", ""
	case SchemeHMAC:
		if s.Header == "" {
			s.Header = "X-Hooks-Signature"
		}
		switch s.Encoding {
		case "":
			s.Encoding = "hex"
		case "hex", "base64":
		default:
			return FieldErrorf("signing.encoding", "encoding must be hex or base64, not %q", s.Encoding)
		}
	case SchemeSharedSecret:
		if s.Header == "" {
			s.Header = "X-Hooks-Secret"
		}
		s.Encoding, s.Prefix = "", ""
	case SchemeJWT:
		s.Header, s.Encoding, s.Prefix = "", "", ""
	default:
		return FieldErrorf("signing.scheme", "unknown scheme %q (want standard-webhooks, standard-webhooks-v1a, hmac-sha256, shared-secret or jwt)", s.Scheme)
	}
	if s.Header != "" && !ValidHeaderName(s.Header) {
		return FieldErrorf("signing.header", "%q is not a valid header name", s.Header)
	}
	if reservedHeaders[http.CanonicalHeaderKey(s.Header)] == framing {
		return FieldErrorf("signing.header", "%q is set by the HTTP client and can't carry a signature", s.Header)
	}
	if !validPrefix(s.Prefix) {
		return FieldErrorf("signing.prefix", "prefix must be at most 64 printable ASCII characters")
	}
	return nil
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

// Why a header name is reserved.
const (
	framing    = 1 + iota // framing or hop-by-hop: written by the HTTP client, or dropped on the way
	setByHooks            // hooks sets it on every request
)

// reservedHeaders are the headers that neither a signature nor an
// endpoint's static headers may use, by canonical name.
var reservedHeaders = map[string]int{
	"Connection":          framing,
	"Content-Length":      framing,
	"Content-Type":        framing,
	"Host":                framing,
	"Keep-Alive":          framing,
	"Proxy-Authorization": framing,
	"Proxy-Connection":    framing,
	"Te":                  framing,
	"Trailer":             framing,
	"Transfer-Encoding":   framing,
	"Upgrade":             framing,
	"User-Agent":          setByHooks,
	"Authorization":       setByHooks,
	"Webhook-Id":          setByHooks,
	"Webhook-Timestamp":   setByHooks,
	"Webhook-Signature":   setByHooks,
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

// normalize fills in the defaults of an envelope: an empty type is raw, and
// only a template keeps its template.
func (v *Envelope) normalize(compile func(string) error) error {
	switch v.Type {
	case "", EnvelopeRaw:
		v.Type, v.Template = EnvelopeRaw, ""
	case EnvelopeStandard:
		v.Template = ""
	case EnvelopeTemplate:
		if err := compile(v.Template); err != nil {
			return &Error{Code: EINVALID, Field: "envelope.template", Message: err.Error(), Err: err}
		}
	default:
		return FieldErrorf("envelope.type", "unknown type %q (want raw, standard or template)", v.Type)
	}
	return nil
}

// Normalize fills in the defaults of p and reports, as an EINVALID *Error
// naming the option, what is wrong with it.
func (p *RetryPolicy) Normalize() error {
	def := DefaultRetryPolicy()
	if p.Schedule == "" {
		p.Schedule = def.Schedule
	}
	switch p.Schedule {
	case ScheduleExponential:
		p.IntervalSeconds = 0
	case ScheduleFixed:
		if p.IntervalSeconds < 1 || p.IntervalSeconds > MaxRetryInterval {
			return FieldErrorf("retry.intervalSeconds", "a fixed schedule needs intervalSeconds between 1 and 604800")
		}
	default:
		return FieldErrorf("retry.schedule", "schedule must be exponential or fixed, not %q", p.Schedule)
	}
	if err := p.RetryOn.normalize(); err != nil {
		return err
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = def.MaxAttempts
	}
	if p.MaxAttempts < 1 || p.MaxAttempts > MaxAttemptsLimit {
		return FieldErrorf("retry.maxAttempts", "maxAttempts must be between 1 and %d", MaxAttemptsLimit)
	}
	return nil
}

// checkFilter compiles e's filter and stores it compact; an empty one, or
// {}, which matches every event, is none.
func checkFilter(e *Endpoint) error {
	f, err := CompileFilter(e.Filter)
	if err != nil {
		return err
	}
	e.Filter = ""
	if f != nil {
		e.Filter = f.String()
	}
	return nil
}

// CompileFilter compiles a payload filter as a user wrote it. It returns
// nil for none (blank text, or {}, which matches every event), and an
// EINVALID *Error naming the operator at fault by its path in the API's
// terms: Field and Message start with filter.data.order.total.$gte.
func CompileFilter(text string) (*filter.Filter, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	f, err := filter.Compile([]byte(text))
	if err != nil {
		field, msg := "filter", err.Error()
		var fe *filter.Error
		if errors.As(err, &fe) {
			if fe.Path != "" && !strings.HasPrefix(fe.Path, "[") {
				field += "."
			}
			field, msg = field+fe.Path, fe.Message
		}
		return nil, FieldErrorf(field, "%s: %s", field, msg)
	}
	if f.String() == "{}" {
		return nil, nil
	}
	return f, nil
}
