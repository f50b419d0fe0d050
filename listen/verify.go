// Package listen is a local webhook receiver for developers: it prints
// every delivery it gets and checks its signature in any scheme hooks
// signs with, like "stripe listen". It is what "hooks listen" runs.
//
// The checks are written from the receivers' side, independently of the
// signers in delivery/sign: the official Standard Webhooks library,
// crypto/hmac over the raw body, a constant-time secret comparison, and
// golang-jwt with keys fetched from the issuer's JWKS, as a receiver
// following each provider's guide would do. A bug in a signer therefore
// shows up here as a failed check instead of being mirrored.
package listen

import (
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Scheme names, as in an endpoint's signing options.
const (
	SchemeStandard     = "standard-webhooks"
	SchemeHMAC         = "hmac-sha256"
	SchemeSharedSecret = "shared-secret"
	SchemeJWT          = "jwt"
)

// Options say how deliveries are signed.
type Options struct {
	Scheme   string // one of the Scheme constants; standard-webhooks if empty
	Secret   string // the endpoint's secret (all schemes but jwt)
	Header   string // hmac-sha256, shared-secret: the header to read; hooks' default if empty
	Encoding string // hmac-sha256: hex (default) or base64
	Prefix   string // hmac-sha256: text before the signature, e.g. "sha256="
	JWKSURL  string // jwt: where the public keys are; Issuer + "/.well-known/jwks.json" if empty
	Issuer   string // jwt: the expected "iss", <public-url>/<tenant>
	Audience string // jwt: the expected "aud", the tenant id
	Client   *http.Client
}

// A Verifier checks one delivery's signature.
type Verifier interface {
	Verify(h http.Header, body []byte) error
}

// NewVerifier returns the check for o.Scheme.
func NewVerifier(o Options) (Verifier, error) {
	switch o.Scheme {
	case "", SchemeStandard:
		if o.Secret == "" {
			return nil, errors.New("--secret is required: the endpoint's whsec_… secret")
		}
		wh, err := standardwebhooks.NewWebhook(o.Secret)
		if err != nil {
			return nil, fmt.Errorf("--secret: not a Standard Webhooks secret: %w", err)
		}
		return standardVerifier{wh}, nil
	case SchemeHMAC:
		if o.Secret == "" {
			return nil, errors.New("--secret is required")
		}
		v := hmacVerifier{key: []byte(o.Secret), header: o.Header, prefix: o.Prefix, base64: o.Encoding == "base64"}
		if v.header == "" {
			v.header = "X-Hooks-Signature"
		}
		if o.Encoding != "" && o.Encoding != "hex" && o.Encoding != "base64" {
			return nil, fmt.Errorf("--encoding %q: want hex or base64", o.Encoding)
		}
		return v, nil
	case SchemeSharedSecret:
		if o.Secret == "" {
			return nil, errors.New("--secret is required")
		}
		v := sharedVerifier{secret: o.Secret, header: o.Header}
		if v.header == "" {
			v.header = "X-Hooks-Secret"
		}
		return v, nil
	case SchemeJWT:
		if o.Issuer == "" || o.Audience == "" {
			return nil, errors.New("--issuer and --audience are required for jwt: <public-url>/<tenant> and the tenant id")
		}
		u := o.JWKSURL
		if u == "" {
			u = strings.TrimRight(o.Issuer, "/") + "/.well-known/jwks.json"
		}
		c := o.Client
		if c == nil {
			c = &http.Client{Timeout: 10 * time.Second}
		}
		return &jwtVerifier{jwksURL: u, issuer: o.Issuer, audience: o.Audience, client: c}, nil
	}
	return nil, fmt.Errorf("unknown scheme %q: want standard-webhooks, hmac-sha256, shared-secret or jwt", o.Scheme)
}

type standardVerifier struct{ wh *standardwebhooks.Webhook }

func (v standardVerifier) Verify(h http.Header, body []byte) error {
	if h.Get("Webhook-Signature") == "" {
		return errors.New("no webhook-signature header")
	}
	return v.wh.Verify(body, h)
}

type hmacVerifier struct {
	key            []byte
	header, prefix string
	base64         bool
}

func (v hmacVerifier) Verify(h http.Header, body []byte) error {
	got := h.Get(v.header)
	if got == "" {
		return fmt.Errorf("no %s header", v.header)
	}
	mac := hmac.New(sha256.New, v.key)
	mac.Write(body)
	sum := mac.Sum(nil)
	want := hex.EncodeToString(sum)
	if v.base64 {
		want = base64.StdEncoding.EncodeToString(sum)
	}
	if !hmac.Equal([]byte(got), []byte(v.prefix+want)) {
		return fmt.Errorf("%s does not match the HMAC-SHA256 of the body", v.header)
	}
	return nil
}

type sharedVerifier struct{ secret, header string }

func (v sharedVerifier) Verify(h http.Header, _ []byte) error {
	got := h.Get(v.header)
	if got == "" {
		return fmt.Errorf("no %s header", v.header)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(v.secret)) != 1 {
		return fmt.Errorf("%s is not the secret", v.header)
	}
	return nil
}

// jwtVerifier checks an RS256 bearer token against the issuer's JWKS,
// fetched on first use and again when a token names an unknown key (a
// rotation), as jwks-rsa does.
type jwtVerifier struct {
	jwksURL, issuer, audience string
	client                    *http.Client

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

func (v *jwtVerifier) Verify(h http.Header, body []byte) error {
	raw, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return errors.New("no Authorization: Bearer token")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, v.key,
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(v.issuer), jwt.WithAudience(v.audience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(30*time.Second))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	if got, _ := claims["body_sha256"].(string); got != hex.EncodeToString(sum[:]) {
		return errors.New("the token's body_sha256 does not match the body")
	}
	return nil
}

func (v *jwtVerifier) key(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	v.mu.Lock()
	defer v.mu.Unlock()
	if k := v.keys[kid]; k != nil {
		return k, nil
	}
	// An unknown kid may be a new key: refetch, but at most every 5 s so a
	// stream of bad tokens can't hammer the JWKS endpoint.
	if time.Since(v.fetched) < 5*time.Second && v.keys != nil {
		return nil, fmt.Errorf("no key %q in %s", kid, v.jwksURL)
	}
	keys, err := fetchJWKS(v.client, v.jwksURL)
	v.fetched = time.Now()
	if err != nil {
		return nil, err
	}
	v.keys = keys
	if k := keys[kid]; k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("no key %q in %s", kid, v.jwksURL)
}

// fetchJWKS reads the RSA keys of a JWK Set (RFC 7517) by kid.
func fetchJWKS(c *http.Client, url string) (map[string]*rsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS %s: %s", url, resp.Status)
	}
	var set struct {
		Keys []struct {
			Kty, Kid, N, E, Use string
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("read JWKS %s: %w", url, err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) > 4 {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys, nil
}
