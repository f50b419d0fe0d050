package delivery

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"hooks/delivery/envelope"
	"hooks/delivery/netguard"
	"hooks/delivery/sign"
	"hooks/store"
)

// Limits on what an endpoint may be configured with.
const (
	MaxTopicsPerWebhook = 100
	MaxTopicLength      = 200
	MaxHeaders          = 20
	MaxHeaderValue      = 1024
	MaxMetadata         = 50
	MaxMetadataValue    = 1024
	MaxTimeout          = 30 * time.Second
	DefaultTimeout      = 5 * time.Second
	MaxAttemptsLimit    = 50
)

// reservedHeaders are set by hooks on every request; an endpoint's static
// headers can't replace them.
var reservedHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Host": true, "User-Agent": true, "Authorization": true,
	"Webhook-Id": true, "Webhook-Timestamp": true, "Webhook-Signature": true, "Transfer-Encoding": true, "Connection": true,
}

// ValidateWebhook checks w as a user configured it and fills in defaults.
// It returns a store.Error with code EINVALID naming the field at fault.
func (e *Engine) ValidateWebhook(w *store.Webhook) error {
	w.Name = strings.TrimSpace(w.Name)
	if len(w.Name) > 200 {
		return store.FieldErrorf("name", "name is longer than 200 characters")
	}
	u, err := e.cfg.Policy.CheckURL(strings.TrimSpace(w.URL))
	if err != nil {
		code := "url"
		msg := strings.TrimPrefix(err.Error(), netguard.ErrInvalidURL.Error()+": ")
		if errors.Is(err, netguard.ErrForbiddenAddress) {
			return &store.Error{Code: store.EINVALID, Field: code, Message: msg, Err: err}
		}
		return store.FieldErrorf(code, "%s", msg)
	}
	w.URL = u.String()
	if w.Name == "" {
		w.Name = u.Host
	}
	if err := checkTopics("events", &w.Topics); err != nil {
		return err
	}
	// Checked after checkTopics, which drops blank entries: ["", " "] is none.
	if len(w.Topics) == 0 {
		return store.FieldErrorf("events", "subscribe to at least one event topic (e.g. orders/placed, orders/* or *)")
	}
	if err := checkTopics("subTopics", &w.SubTopics); err != nil {
		return err
	}
	opts := sign.Options(w.Signing)
	if err := sign.Validate(&opts); err != nil {
		return store.FieldErrorf("signing", "%s", strings.TrimPrefix(err.Error(), sign.ErrInvalidOptions.Error()+": "))
	}
	w.Signing = store.Signing(opts)
	if reservedHeaders[http.CanonicalHeaderKey(w.Signing.Header)] {
		return store.FieldErrorf("signing", "header %s is set by hooks itself; choose another name", w.Signing.Header)
	}
	if w.Secret == "" {
		w.Secret = NewSecret(w.Signing.Scheme)
	} else if err := checkSecret(w.Signing.Scheme, w.Secret); err != nil {
		return err
	}
	spec := envelope.Spec{Type: envelope.Kind(w.Envelope.Type), Template: w.Envelope.Template}
	if err := spec.Validate(); err != nil {
		return store.FieldErrorf("envelope", "%s", strings.TrimPrefix(err.Error(), envelope.ErrInvalid.Error()+": "))
	}
	w.Envelope = store.Envelope{Type: string(spec.Type), Template: spec.Template}
	if err := checkRetry(&w.Retry); err != nil {
		return err
	}
	switch {
	case w.Timeout == 0:
		w.Timeout = DefaultTimeout
	case w.Timeout < time.Second || w.Timeout > MaxTimeout:
		return store.FieldErrorf("timeoutSeconds", "timeout must be between 1 and 30 seconds")
	}
	if w.RateLimit < 0 || w.RateLimit > 100000 {
		return store.FieldErrorf("rateLimit", "rate limit must be between 0 (none) and 100000 per second")
	}
	if len(w.Headers) > MaxHeaders {
		return store.FieldErrorf("headers", "at most %d headers", MaxHeaders)
	}
	headers := make(map[string]string, len(w.Headers))
	for k, v := range w.Headers {
		ck := http.CanonicalHeaderKey(strings.TrimSpace(k))
		if !sign.ValidHeaderName(ck) {
			return store.FieldErrorf("headers", "%q is not a valid header name", k)
		}
		if reservedHeaders[ck] || strings.HasPrefix(ck, http.CanonicalHeaderKey(e.cfg.HeaderPrefix)) ||
			(w.Signing.Header != "" && ck == http.CanonicalHeaderKey(w.Signing.Header)) {
			return store.FieldErrorf("headers", "header %s is set by hooks itself", ck)
		}
		if len(v) > MaxHeaderValue || strings.ContainsAny(v, "\r\n\x00") {
			return store.FieldErrorf("headers", "header %s: value must be one line of at most %d bytes", ck, MaxHeaderValue)
		}
		headers[ck] = v
	}
	w.Headers = headers
	if len(w.Metadata) > MaxMetadata {
		return store.FieldErrorf("metadata", "at most %d metadata entries", MaxMetadata)
	}
	for k, v := range w.Metadata {
		if k == "" || len(k) > 100 || len(v) > MaxMetadataValue {
			return store.FieldErrorf("metadata", "metadata keys must be 1-100 bytes and values at most %d bytes", MaxMetadataValue)
		}
	}
	return nil
}

func checkTopics(field string, topics *[]string) error {
	if len(*topics) > MaxTopicsPerWebhook {
		return store.FieldErrorf(field, "at most %d entries", MaxTopicsPerWebhook)
	}
	seen := map[string]bool{}
	var out []string
	for _, t := range *topics {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		if err := ValidTopicPattern(t); err != nil {
			return store.FieldErrorf(field, "%s", err)
		}
		seen[t] = true
		out = append(out, t)
	}
	*topics = out
	return nil
}

// ValidTopicPattern checks a subscription pattern: a topic, a prefix
// ending in "/*", or "*".
func ValidTopicPattern(p string) error {
	if p == "*" {
		return nil
	}
	if err := ValidTopic(strings.TrimSuffix(p, "/*")); err != nil {
		return err
	}
	if strings.Contains(strings.TrimSuffix(p, "/*"), "*") {
		return fmt.Errorf("topic pattern %q: '*' is only allowed as a whole last segment (orders/*)", p)
	}
	return nil
}

// ValidTopic checks an event's topic or sub-topic: 1-200 printable ASCII
// characters without spaces (orders/placed, order-created, product:adv/adv-120).
func ValidTopic(t string) error {
	if t == "" || len(t) > MaxTopicLength {
		return fmt.Errorf("topic must be 1-%d characters", MaxTopicLength)
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("topic %q: only printable ASCII without spaces is allowed", t)
		}
	}
	return nil
}

func checkRetry(p *store.RetryPolicy) error {
	def := DefaultRetryPolicy()
	if p.Schedule == "" {
		p.Schedule = def.Schedule
	}
	if p.RetryOn == "" {
		p.RetryOn = def.RetryOn
	}
	switch p.Schedule {
	case ScheduleExponential:
		p.IntervalSeconds = 0
	case ScheduleFixed:
		if p.IntervalSeconds < 1 || p.IntervalSeconds > 7*24*3600 {
			return store.FieldErrorf("retry", "a fixed schedule needs intervalSeconds between 1 and 604800")
		}
	default:
		return store.FieldErrorf("retry", "schedule must be exponential or fixed, not %q", p.Schedule)
	}
	if p.RetryOn != RetryOn5xx && p.RetryOn != RetryOnNon2xx {
		return store.FieldErrorf("retry", "retryOn must be 5xx or non-2xx, not %q", p.RetryOn)
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = def.MaxAttempts
	}
	if p.MaxAttempts < 1 || p.MaxAttempts > MaxAttemptsLimit {
		return store.FieldErrorf("retry", "maxAttempts must be between 1 and %d", MaxAttemptsLimit)
	}
	return nil
}

func checkSecret(scheme, secret string) error {
	if len(secret) > 1024 || strings.ContainsAny(secret, "\r\n\x00") {
		return store.FieldErrorf("secret", "secret must be one line of at most 1024 bytes")
	}
	if scheme == sign.SchemeStandard {
		key, err := sign.DecodeStandardSecret(secret)
		if err != nil || !strings.HasPrefix(secret, "whsec_") || len(key) < 24 || len(key) > 64 {
			return store.FieldErrorf("secret", "a Standard Webhooks secret is whsec_ followed by base64 of 24-64 random bytes; leave it empty to generate one")
		}
	} else if len(secret) < 8 {
		return store.FieldErrorf("secret", "secret must be at least 8 characters")
	}
	return nil
}
