package sign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TokenLifetime is how long a JWT that hooks signs is valid (exp - iat).
// It only has to outlive one attempt's request, and keeping it short limits
// what a leaked Authorization header (a proxy log, say) is good for.
const TokenLifetime = 5 * time.Minute

// JWT signs each request with "Authorization: Bearer <token>", an RS256 JWT
// from the tenant's current KeyRing key, as Pitchpoint's PPS receivers
// (express-jwt with jwks-rsa) expect. The header names the key ("kid"); the
// claims are:
//
//	iss          Issuer(tenant): <public-url>/<tenant>, whose JWKS is at iss + "/.well-known/jwks.json"
//	aud          the tenant id
//	sub          the endpoint id
//	jti          the webhook id, the same on every retry of one delivery
//	iat, exp     the attempt's time and TokenLifetime later
//	body_sha256  the hex SHA-256 of the body, so the token can't be replayed with another body
type JWT struct {
	ring      *KeyRing
	publicURL string
}

// NewJWT returns the JWT signer whose tokens ring's keys sign and whose
// issuers are below publicURL, the server's public base URL.
func NewJWT(ring *KeyRing, publicURL string) *JWT {
	return &JWT{ring: ring, publicURL: strings.TrimRight(publicURL, "/")}
}

// Issuer returns the "iss" of tenantID's tokens. Receivers fetch the keys
// from Issuer(tenantID) + "/.well-known/jwks.json".
func (j *JWT) Issuer(tenantID string) string {
	return j.publicURL + "/" + url.PathEscape(tenantID)
}

// jwtClaims is the token's payload. A struct, not a map: it is marshalled
// on every request.
type jwtClaims struct {
	Issuer     string `json:"iss"`
	Audience   string `json:"aud"`
	Subject    string `json:"sub,omitempty"`
	ID         string `json:"jti,omitempty"`
	IssuedAt   int64  `json:"iat"`
	Expiry     int64  `json:"exp"`
	BodySHA256 string `json:"body_sha256"`
}

// Sign implements Signer. A tenant's first signature generates and saves
// its key, so that call is slower and may fail on storage.
func (j *JWT) Sign(h http.Header, body []byte, m Meta) error {
	if m.TenantID == "" {
		return errors.New("sign jwt: no tenant")
	}
	now := m.Timestamp
	if now.IsZero() {
		now = time.Now()
	}
	// Signer has no context; storage is only reached on a tenant's first
	// signature, on an overdue rotation and, on shared storage, when the
	// ring's copy of the keys is old (see KeyRing).
	key, err := j.ring.signingKey(context.Background(), m.TenantID, now)
	if err != nil {
		return fmt.Errorf("sign jwt: %w", err)
	}
	sum := sha256.Sum256(body)
	payload, err := json.Marshal(jwtClaims{
		Issuer:     j.Issuer(m.TenantID),
		Audience:   m.TenantID,
		Subject:    m.EndpointID,
		ID:         m.DeliveryID,
		IssuedAt:   now.Unix(),
		Expiry:     now.Add(TokenLifetime).Unix(),
		BodySHA256: hex.EncodeToString(sum[:]),
	})
	if err != nil {
		return fmt.Errorf("sign jwt: %w", err)
	}
	jws, err := key.signer.Sign(payload)
	if err != nil {
		return fmt.Errorf("sign jwt: %w", err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return fmt.Errorf("sign jwt: %w", err)
	}
	h["Authorization"] = []string{"Bearer " + token}
	return nil
}
