package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"hooks/domain"
)

// The methods in this file make *DB the sign.KeyStorage of the JWT
// scheme's KeyRing. Private keys are sealed under the master key like
// endpoint secrets (see crypt.go), bound to their key id, so a stolen
// database file does not let anyone sign tokens that receivers accept.

const signingKeyColumns = `id, tenant_id, private_key, created_at, retired_at`

// SigningKeys returns a tenant's JWT signing keys, current and retired,
// newest first.
func (db *DB) SigningKeys(ctx context.Context, tenantID string) ([]domain.SigningKey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE tenant_id = ? ORDER BY created_at DESC, id DESC`, tenantID)
	if err != nil {
		return nil, wrapDBError(err, "list signing keys")
	}
	return db.scanSigningKeys(rows)
}

// AllSigningKeys returns every tenant's JWT signing keys.
func (db *DB) AllSigningKeys(ctx context.Context) ([]domain.SigningKey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys ORDER BY tenant_id, created_at DESC, id DESC`)
	if err != nil {
		return nil, wrapDBError(err, "list signing keys")
	}
	return db.scanSigningKeys(rows)
}

// InsertSigningKey stores a new JWT signing key.
func (db *DB) InsertSigningKey(ctx context.Context, k domain.SigningKey) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO signing_keys (id, tenant_id, private_key, created_at, retired_at)
		VALUES (?, ?, ?, ?, ?)`, k.ID, k.TenantID, db.seal(k.PrivateKey, signingKeyLabel(k.ID)), ms(k.CreatedAt), nullMS(k.RetiredAt))
	return wrapDBError(err, "insert signing key")
}

// RetireSigningKey records that key id stopped signing at at. Retiring a
// key twice keeps the first time.
func (db *DB) RetireSigningKey(ctx context.Context, id string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE signing_keys SET retired_at = COALESCE(retired_at, ?) WHERE id = ?`, ms(at), id)
	if err != nil {
		return wrapDBError(err, "retire signing key")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.ENOTFOUND, "signing key %s not found", id)
	}
	return nil
}

// DeleteSigningKey removes a JWT signing key. Deleting a key that is
// already gone is not an error: the KeyRing only wants it gone.
func (db *DB) DeleteSigningKey(ctx context.Context, id string) error {
	_, err := db.write.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = ?`, id)
	return wrapDBError(err, "delete signing key")
}

func (db *DB) scanSigningKeys(rows *sql.Rows) ([]domain.SigningKey, error) {
	defer rows.Close()
	var out []domain.SigningKey
	for rows.Next() {
		var k domain.SigningKey
		var sealed []byte
		var createdAt int64
		var retiredAt sql.NullInt64
		if err := rows.Scan(&k.ID, &k.TenantID, &sealed, &createdAt, &retiredAt); err != nil {
			return nil, wrapDBError(err, "scan signing key")
		}
		var err error
		if k.PrivateKey, err = db.open(sealed, signingKeyLabel(k.ID)); err != nil {
			return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		k.CreatedAt, k.RetiredAt = fromMS(createdAt), fromNullMS(retiredAt)
		out = append(out, k)
	}
	return out, wrapDBError(rows.Err(), "list signing keys")
}
