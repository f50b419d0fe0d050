package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"hooks/domain"
)

// Setting returns the value of the server-wide setting name, or ENOTFOUND.
func (db *DB) Setting(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "setting %s not found", name)
	}
	return v, wrapDBError(err, "read setting")
}

// PutSetting stores value under name, replacing any earlier value.
func (db *DB) PutSetting(ctx context.Context, name string, value []byte) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return wrapDBError(err, "write setting")
}

// RandomSetting returns the secret setting name, first storing n random
// bytes under it if it has no value yet. Two processes starting at once
// agree on one value: the insert is a no-op when the other got there
// first. With a master key the value is stored encrypted, like endpoint
// secrets, so a copy of the database alone can't forge session cookies.
func (db *DB) RandomSetting(ctx context.Context, name string, n int) ([]byte, error) {
	label := "settings.value:" + name
	var v []byte
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			name, db.seal(randomBytes(n), label)); err != nil {
			return wrapDBError(err, "write setting")
		}
		if err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v); err != nil {
			return wrapDBError(err, "read setting")
		}
		if db.aead != nil && !bytes.HasPrefix(v, []byte(sealedPrefix)) {
			// Written before this database had a master key: seal it now.
			v = db.seal(v, label)
			_, err := tx.ExecContext(ctx, `UPDATE settings SET value = ? WHERE name = ?`, v, name)
			return wrapDBError(err, "seal setting")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.open(v, label)
}
