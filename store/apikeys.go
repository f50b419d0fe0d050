package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"hooks/domain"
	"time"
)

// APIKeyPrefix starts every API key, so leaked keys are easy to grep for.
const APIKeyPrefix = "hk_"

// APIKey is a stored API key. Only a hash of the key is kept.
type APIKey struct {
	ID         string
	TenantID   string // "" for a key that may act on every tenant
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// CreateAPIKey stores a new key for tenantID ("" = all tenants) and returns
// the key itself, which is shown once and never stored.
func (db *DB) CreateAPIKey(ctx context.Context, tenantID, name string) (*APIKey, string, error) {
	if tenantID != "" {
		if _, err := db.TenantByID(ctx, tenantID); err != nil {
			return nil, "", err
		}
	}
	secret := APIKeyPrefix + base64.RawURLEncoding.EncodeToString(randomBytes(32))
	k := &APIKey{ID: domain.NewID(domain.PrefixAPIKey), TenantID: tenantID, Name: name, CreatedAt: db.clock()}
	hash := sha256.Sum256([]byte(secret))
	_, err := db.write.ExecContext(ctx, `INSERT INTO api_keys (id, tenant_id, name, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		k.ID, sql.NullString{String: tenantID, Valid: tenantID != ""}, name, hash[:], ms(k.CreatedAt))
	if err != nil {
		return nil, "", wrapDBError(err, "insert api key")
	}
	return k, secret, nil
}

// APIKeyBySecret returns the key whose secret is secret, or EUNAUTHORIZED.
// The lookup is by SHA-256 of a 256-bit random key: an index seek on a hash
// leaks nothing useful through timing, unlike comparing the keys themselves.
//
// A key found is remembered for a few seconds (lookupCacheTTL).
func (db *DB) APIKeyBySecret(ctx context.Context, secret string) (*APIKey, error) {
	hash := sha256.Sum256([]byte(secret))
	now := db.now()
	if k, ok := db.apiKeys.get(hash, now); ok {
		return &k, nil
	}
	k := &APIKey{}
	var tenant sql.NullString
	var createdAt int64
	var lastUsed sql.NullInt64
	var stored []byte
	err := db.read.QueryRowContext(ctx, `SELECT id, tenant_id, name, hash, created_at, last_used_at FROM api_keys WHERE hash = ?`, hash[:]).
		Scan(&k.ID, &tenant, &k.Name, &stored, &createdAt, &lastUsed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.EUNAUTHORIZED, "invalid API key")
	}
	if err != nil {
		return nil, wrapDBError(err, "read api key")
	}
	// Belt and braces: the row matched on the hash already, but the final
	// say is a constant-time comparison rather than SQLite's memcmp.
	if subtle.ConstantTimeCompare(stored, hash[:]) != 1 {
		return nil, domain.Errorf(domain.EUNAUTHORIZED, "invalid API key")
	}
	k.TenantID, k.CreatedAt, k.LastUsedAt = tenant.String, fromMS(createdAt), fromNullMS(lastUsed)
	db.apiKeys.put(hash, *k, now)
	return k, nil
}

// CountAPIKeys returns how many API keys exist.
func (db *DB) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n)
	return n, wrapDBError(err, "count api keys")
}
