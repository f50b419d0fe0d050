package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"hooks/domain"
)

// APIKeyPrefix starts every API key, so leaked keys are easy to grep for.
const APIKeyPrefix = "hk_"

// apiKeyShownPrefix is how much of a key a list shows: "hk_" and 8 of its
// 43 random characters, enough to tell keys apart, useless to guess the
// rest (48 of 256 bits).
const apiKeyShownPrefix = len(APIKeyPrefix) + 8

// keyUseResolution is how stale a key's last use may be: recording every
// request would add a write to the API's hot path.
const keyUseResolution = time.Minute

// APIKey is a stored API key. Only a hash of the key is kept.
type APIKey struct {
	ID         string
	TenantID   string // "" for a key that may act on every tenant
	Name       string
	Scope      string // domain.ScopeAdmin, ScopePublish or ScopeRead
	Prefix     string // the key's first characters, to tell it apart in a list
	CreatedBy  string // usr_… or key_… that created it; "" from the command line
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// CreateAPIKey stores a new admin-scope key for tenantID ("" = all
// tenants) and returns the key itself, which is shown once and never stored.
func (db *DB) CreateAPIKey(ctx context.Context, tenantID, name string) (*APIKey, string, error) {
	k := &APIKey{TenantID: tenantID, Name: name, Scope: domain.ScopeAdmin}
	secret, err := db.InsertAPIKey(ctx, k)
	return k, secret, err
}

// InsertAPIKey stores k as a new key, setting its ID, Prefix and CreatedAt,
// and returns the key itself, which is shown once and never stored.
func (db *DB) InsertAPIKey(ctx context.Context, k *APIKey) (secret string, err error) {
	if k.TenantID != "" {
		if _, err := db.TenantByID(ctx, k.TenantID); err != nil {
			return "", err
		}
	}
	if k.Scope == "" {
		k.Scope = domain.ScopeAdmin
	}
	secret = APIKeyPrefix + base64.RawURLEncoding.EncodeToString(randomBytes(32))
	k.ID, k.Prefix, k.CreatedAt = domain.NewID(domain.PrefixAPIKey), secret[:apiKeyShownPrefix], db.clock()
	hash := sha256.Sum256([]byte(secret))
	_, err = db.write.ExecContext(ctx, `INSERT INTO api_keys (id, tenant_id, name, hash, scope, prefix, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, sql.NullString{String: k.TenantID, Valid: k.TenantID != ""}, k.Name, hash[:], k.Scope, k.Prefix, k.CreatedBy, ms(k.CreatedAt))
	if err != nil {
		return "", wrapDBError(err, "insert api key")
	}
	return secret, nil
}

const apiKeyColumns = `id, tenant_id, name, scope, prefix, created_by, created_at, last_used_at`

func scanAPIKey(row rowScanner, extra ...any) (*APIKey, error) {
	k := &APIKey{}
	var tenant sql.NullString
	var createdAt int64
	var lastUsed sql.NullInt64
	err := row.Scan(append([]any{&k.ID, &tenant, &k.Name, &k.Scope, &k.Prefix, &k.CreatedBy, &createdAt, &lastUsed}, extra...)...)
	if err != nil {
		return nil, err
	}
	k.TenantID, k.CreatedAt, k.LastUsedAt = tenant.String, fromMS(createdAt), fromNullMS(lastUsed)
	return k, nil
}

// APIKeyBySecret returns the key whose secret is secret, or EUNAUTHORIZED.
// The lookup is by SHA-256 of a 256-bit random key: an index seek on a hash
// leaks nothing useful through timing, unlike comparing the keys themselves.
//
// A key found is remembered for a few seconds (lookupCacheTTL), which is
// how long a key revoked on another instance may still work here.
func (db *DB) APIKeyBySecret(ctx context.Context, secret string) (*APIKey, error) {
	hash := sha256.Sum256([]byte(secret))
	now := db.now()
	if k, ok := db.apiKeys.get(hash, now); ok {
		return &k, nil
	}
	var stored []byte
	k, err := scanAPIKey(db.read.QueryRowContext(ctx, `SELECT `+apiKeyColumns+`, hash FROM api_keys WHERE hash = ?`, hash[:]), &stored)
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
	db.apiKeys.put(hash, *k, now)
	return k, nil
}

// NoteAPIKeyUse records that k, found by secret, was used now, at most
// once per keyUseResolution: a busy producer's key costs one write a
// minute, not one a request.
//
// The cached copy learns the new time, so the requests that follow don't
// write it again, but keeps its expiry: putting it back with a fresh
// lifetime would let a key revoked elsewhere since the cache read it work
// here for longer than the 5 s that revocation promises.
func (db *DB) NoteAPIKeyUse(ctx context.Context, k *APIKey, secret string) error {
	now := db.now()
	if now.Sub(k.LastUsedAt) < keyUseResolution {
		return nil
	}
	k.LastUsedAt = now
	db.apiKeys.replace(sha256.Sum256([]byte(secret)), *k)
	_, err := db.write.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		ms(now), k.ID, ms(now.Add(-keyUseResolution)))
	return wrapDBError(err, "note api key use")
}

// APIKeys returns the keys bound to tenantID, or every key when tenantID
// is "", oldest first.
func (db *DB) APIKeys(ctx context.Context, tenantID string) ([]*APIKey, error) {
	query, args := `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY id`, []any(nil)
	if tenantID != "" {
		query, args = `SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = ? ORDER BY id`, []any{tenantID}
	}
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrapDBError(err, "list api keys")
	}
	defer rows.Close()
	var out []*APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, wrapDBError(err, "list api keys")
		}
		out = append(out, k)
	}
	return out, wrapDBError(rows.Err(), "list api keys")
}

// APIKeyByID returns key id if it is bound to tenantID, or any key when
// tenantID is "", else ENOTFOUND.
func (db *DB) APIKeyByID(ctx context.Context, tenantID, id string) (*APIKey, error) {
	k, err := scanAPIKey(db.read.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || err == nil && tenantID != "" && k.TenantID != tenantID {
		return nil, domain.Errorf(domain.ENOTFOUND, "API key %s not found", id)
	}
	return k, wrapDBError(err, "read api key")
}

// DeleteAPIKey revokes key id: it stops working here at once and on every
// other instance within lookupCacheTTL.
func (db *DB) DeleteAPIKey(ctx context.Context, id string) error {
	var hash []byte
	err := db.write.QueryRowContext(ctx, `DELETE FROM api_keys WHERE id = ? RETURNING hash`, id).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Errorf(domain.ENOTFOUND, "API key %s not found", id)
	}
	if err != nil {
		return wrapDBError(err, "delete api key")
	}
	if len(hash) == sha256.Size {
		db.apiKeys.forget([sha256.Size]byte(hash))
	}
	return nil
}

// CountAPIKeys returns how many API keys exist.
func (db *DB) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n)
	return n, wrapDBError(err, "count api keys")
}
