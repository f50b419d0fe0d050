package domain

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Endpoint is a URL that a tenant registered to receive events: what the
// API and the UI call a webhook.
type Endpoint struct {
	ID       string
	TenantID string
	Name     string
	// URL is where an HTTP destination posts to; for a broker destination,
	// its Target (no credentials), set by validation.
	URL string
	// Destination selects the sender; its zero value is HTTP.
	Destination Destination
	Topics      []string
	SubTopics   []string
	// Filter is a payload filter (package filter) as compact JSON text, ""
	// for none: an event the endpoint subscribes to is delivered only if
	// it matches.
	Filter         string
	Enabled        bool
	DisabledReason string
	DisabledAt     time.Time
	// PausedUntil is when the pause that the receiver asked for (429 or
	// 503 with Retry-After) ends; no delivery is attempted before. Zero,
	// or in the past, when it is not paused. Only the engine sets it.
	PausedUntil time.Time
	// Signing is the endpoint's first signing scheme; Secret,
	// PreviousSecret and PreviousSecretUntil are its secrets.
	Signing Signing
	Secret  string
	// PreviousSecret stays valid until PreviousSecretUntil after a rotation.
	PreviousSecret      string
	PreviousSecretUntil time.Time
	// AlsoSigning are more schemes, each with its own secrets, that add
	// their headers to the same request: the API's signing[1:].
	AlsoSigning []SchemeSecrets
	Headers     map[string]string
	Envelope    Envelope
	Retry       RetryPolicy
	Timeout     time.Duration
	RateLimit   int // deliveries per second, 0 = unlimited
	Metadata    map[string]string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// SchemeSecrets is a signing scheme with its secrets: the current one, and
// the previous one, valid until PreviousSecretUntil after a rotation.
type SchemeSecrets struct {
	Signing
	Secret              string
	PreviousSecret      string
	PreviousSecretUntil time.Time
}

// Secrets returns the secrets a signer should use now: the current one
// first, then the previous one while its grace period lasts.
func (s *SchemeSecrets) Secrets(now time.Time) []string {
	if s.PreviousSecret != "" && now.Before(s.PreviousSecretUntil) {
		return []string{s.Secret, s.PreviousSecret}
	}
	return []string{s.Secret}
}

// Shown returns what of s's current secret may leave hooks, and under
// which name: "publicKey" and the whpk_ public key for Standard Webhooks
// v1a, whose private key never leaves hooks; "secret" and the secret for
// every other scheme.
func (s *SchemeSecrets) Shown() (name, value string) {
	if s.Scheme == SchemeStandardV1a {
		pub, err := V1aPublicKey(s.Secret)
		if err != nil {
			return "publicKey", "" // validation refuses such a key; show nothing of it
		}
		return "publicKey", pub
	}
	return "secret", s.Secret
}

// Secrets returns the secrets the first scheme's signer should use now.
func (e *Endpoint) Secrets(now time.Time) []string {
	if e.PreviousSecret != "" && now.Before(e.PreviousSecretUntil) {
		return []string{e.Secret, e.PreviousSecret}
	}
	return []string{e.Secret}
}

// Schemes returns every signing scheme of e with its secrets, the first
// scheme (Signing, Secret…) first. The result is a new slice, but
// changing its elements changes nothing in e.
func (e *Endpoint) Schemes() []SchemeSecrets {
	out := make([]SchemeSecrets, 0, 1+len(e.AlsoSigning))
	out = append(out, SchemeSecrets{Signing: e.Signing, Secret: e.Secret, PreviousSecret: e.PreviousSecret,
		PreviousSecretUntil: e.PreviousSecretUntil})
	return append(out, e.AlsoSigning...)
}

// SetSchemes replaces e's signing schemes and their secrets with schemes,
// which must hold at least one.
func (e *Endpoint) SetSchemes(schemes []SchemeSecrets) {
	first := schemes[0]
	e.Signing, e.Secret, e.PreviousSecret, e.PreviousSecretUntil = first.Signing, first.Secret, first.PreviousSecret, first.PreviousSecretUntil
	e.AlsoSigning = append([]SchemeSecrets(nil), schemes[1:]...)
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
	SchemeStandardV1a  = "standard-webhooks-v1a" // Ed25519
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

// KeepsPreviousSecret reports whether the scheme can carry the signatures
// of two secrets on one request, so that a rotated-out secret keeps
// working for a grace period. Standard Webhooks lists signatures in one
// header; an HMAC or shared-secret header holds exactly one value, so
// rotating its secret switches at once.
func KeepsPreviousSecret(scheme string) bool {
	return scheme == SchemeStandard || scheme == SchemeStandardV1a
}

// MaxSigningSchemes bounds the schemes one endpoint signs with.
const MaxSigningSchemes = 4

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

// What a retry policy retries: the two presets, set as a string.
const (
	RetryOn5xx    = "5xx"     // network errors, timeouts, 408, 429 and 5xx
	RetryOnNon2xx = "non-2xx" // every failed attempt
)

// RetryPolicy says which failed attempts are retried, and when.
type RetryPolicy struct {
	Schedule        string  `json:"schedule"`                  // exponential or fixed
	IntervalSeconds int     `json:"intervalSeconds,omitempty"` // for fixed
	MaxAttempts     int     `json:"maxAttempts"`
	RetryOn         RetryOn `json:"retryOn"`
}

// ExponentialDelays is the default schedule after each failed attempt:
// about 5 s, 5 m, 30 m, 2 h, 5 h, 10 h, 10 h, then the delivery fails.
var ExponentialDelays = [...]time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// DefaultRetryPolicy is what an endpoint gets when it names none.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Schedule: ScheduleExponential, MaxAttempts: len(ExponentialDelays) + 1, RetryOn: RetryOnPreset(RetryOn5xx)}
}

// NewSecret returns a new random secret in the shape scheme expects:
// whsec_<base64> for Standard Webhooks, an Ed25519 private key
// whsk_<base64 of its 32-byte seed> for Standard Webhooks v1a, URL-safe
// base64 otherwise.
func NewSecret(scheme string) string {
	b := make([]byte, 32)
	rand.Read(b)
	switch scheme {
	case SchemeStandard, "":
		return "whsec_" + base64.StdEncoding.EncodeToString(b)
	case SchemeStandardV1a:
		return "whsk_" + base64.StdEncoding.EncodeToString(b)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrBadV1aSecret reports a Standard Webhooks v1a private key that is not
// whsk_<base64 of a 32-byte Ed25519 seed>.
var ErrBadV1aSecret = errors.New("secret is not whsk_<base64 of a 32-byte Ed25519 seed>")

// V1aPrivateKey returns the Ed25519 private key of a "whsk_" secret.
func V1aPrivateKey(secret string) (ed25519.PrivateKey, error) {
	rest, ok := strings.CutPrefix(secret, "whsk_")
	seed, err := base64.StdEncoding.DecodeString(rest)
	if !ok || err != nil || len(seed) != ed25519.SeedSize {
		return nil, ErrBadV1aSecret
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// V1aPublicKey returns the public key of a "whsk_" secret as receivers
// configure it: whpk_<base64 of the 32-byte Ed25519 public key>.
func V1aPublicKey(secret string) (string, error) {
	key, err := V1aPrivateKey(secret)
	if err != nil {
		return "", err
	}
	return "whpk_" + base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)), nil
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

// UserDisabledReason is the reason shown for an endpoint that a person or a
// program disabled; any other reason means hooks disabled it (auto-disable,
// 410 Gone), which metrics count apart.
const UserDisabledReason = "disabled by a user"
