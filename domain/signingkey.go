package domain

import "time"

// A SigningKey is one tenant's JWT signing key as storage keeps it.
type SigningKey struct {
	ID         string    // the JWK "kid": the key's RFC 7638 SHA-256 thumbprint, base64url
	TenantID   string    // the tenant whose tokens the key signs
	PrivateKey []byte    // PKCS #8 DER; a secret, like an endpoint's signing secret
	CreatedAt  time.Time // when the key starts signing; on shared storage a rotation stores it ahead of this
	RetiredAt  time.Time // when the key stops signing (its successor's CreatedAt); zero until it has one
}
