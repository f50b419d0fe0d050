package domain

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Endpoint is a URL that a tenant registered to receive events: what the
// API and the UI call a webhook.
type Endpoint struct {
	ID             string
	TenantID       string
	Name           string
	URL            string
	Topics         []string
	SubTopics      []string
	Enabled        bool
	DisabledReason string
	DisabledAt     time.Time
	Signing        Signing
	Secret         string
	// PreviousSecret stays valid until PreviousSecretUntil after a rotation.
	PreviousSecret      string
	PreviousSecretUntil time.Time
	Headers             map[string]string
	Envelope            Envelope
	Retry               RetryPolicy
	Timeout             time.Duration
	RateLimit           int // deliveries per second, 0 = unlimited
	Metadata            map[string]string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Secrets returns the secrets a signer should use now: the current one
// first, then the previous one while its grace period lasts.
func (e *Endpoint) Secrets(now time.Time) []string {
	if e.PreviousSecret != "" && now.Before(e.PreviousSecretUntil) {
		return []string{e.Secret, e.PreviousSecret}
	}
	return []string{e.Secret}
}

// Subscribed reports whether e receives an event with topic and subTopic:
// one of its topic patterns matches, and so does one of its sub-topic
// patterns if it has any.
func (e *Endpoint) Subscribed(topic, subTopic string) bool {
	matched := false
	for _, p := range e.Topics {
		if MatchTopic(p, topic) {
			matched = true
			break
		}
	}
	if !matched {
		return false
	}
	if len(e.SubTopics) == 0 {
		return true
	}
	for _, p := range e.SubTopics {
		if MatchTopic(p, subTopic) {
			return true
		}
	}
	return false
}

// Signing scheme names, as they appear in an endpoint's signing options.
const (
	SchemeStandard     = "standard-webhooks"
	SchemeHMAC         = "hmac-sha256"
	SchemeSharedSecret = "shared-secret"
	SchemeJWT          = "jwt"
)

// Signing is an endpoint's signing scheme and its options, as stored and as
// sent over the API.
type Signing struct {
	Scheme   string `json:"scheme"`
	Header   string `json:"header,omitempty"`
	Encoding string `json:"encoding,omitempty"` // hex or base64, for hmac-sha256
	Prefix   string `json:"prefix,omitempty"`   // e.g. "sha256=", for hmac-sha256
}

// Envelope kinds.
const (
	EnvelopeRaw      = "raw"
	EnvelopeStandard = "standard"
	EnvelopeTemplate = "template"
)

// Envelope says how an event becomes the body sent to an endpoint.
type Envelope struct {
	Type     string `json:"type"`
	Template string `json:"template,omitempty"`
}

// Retry schedule names.
const (
	ScheduleExponential = "exponential"
	ScheduleFixed       = "fixed"
)

// What a retry policy retries.
const (
	RetryOn5xx    = "5xx"     // network errors, timeouts, 408, 429 and 5xx
	RetryOnNon2xx = "non-2xx" // every failed attempt
)

// RetryPolicy says which failed attempts are retried, and when.
type RetryPolicy struct {
	Schedule        string `json:"schedule"`                  // exponential or fixed
	IntervalSeconds int    `json:"intervalSeconds,omitempty"` // for fixed
	MaxAttempts     int    `json:"maxAttempts"`
	RetryOn         string `json:"retryOn"` // 5xx or non-2xx
}

// ExponentialDelays is the default schedule after each failed attempt:
// about 5 s, 5 m, 30 m, 2 h, 5 h, 10 h, 10 h, then the delivery fails.
var ExponentialDelays = [...]time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// DefaultRetryPolicy is what an endpoint gets when it names none.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Schedule: ScheduleExponential, MaxAttempts: len(ExponentialDelays) + 1, RetryOn: RetryOn5xx}
}

// NewSecret returns a new random secret in the shape scheme expects:
// whsec_<base64> for Standard Webhooks, URL-safe base64 otherwise.
func NewSecret(scheme string) string {
	b := make([]byte, 32)
	rand.Read(b)
	if scheme == SchemeStandard || scheme == "" {
		return "whsec_" + base64.StdEncoding.EncodeToString(b)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrBadStandardSecret reports a Standard Webhooks secret that is not
// whsec_<base64>.
var ErrBadStandardSecret = errors.New("secret is not whsec_<base64>")

// DecodeStandardSecret returns the key bytes of a "whsec_" secret.
func DecodeStandardSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return nil, ErrBadStandardSecret
	}
	return key, nil
}
