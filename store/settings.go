package store

import (
	"context"
	"database/sql"
	"errors"
)

// Setting returns the value of the server-wide setting name, or ENOTFOUND.
func (db *DB) Setting(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "setting %s not found", name)
	}
	return v, wrapDBError(err, "read setting")
}

// PutSetting stores value under name, replacing any earlier value.
func (db *DB) PutSetting(ctx context.Context, name string, value []byte) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return wrapDBError(err, "write setting")
}

// RandomSetting returns the setting name, first storing n random bytes
// under it if it has no value yet. Two processes starting at once agree on
// one value: the insert is a no-op when the other got there first.
func (db *DB) RandomSetting(ctx context.Context, name string, n int) ([]byte, error) {
	var v []byte
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			name, randomBytes(n)); err != nil {
			return wrapDBError(err, "write setting")
		}
		return wrapDBError(tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v), "read setting")
	})
	return v, err
}
