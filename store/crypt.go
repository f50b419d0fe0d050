package store

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"hooks/domain"
	"io/fs"
	"os"
	"strings"
)

// MasterKeySize is the length of the master key: AES-256.
const MasterKeySize = 32

// sealedPrefix starts every value sealed under the master key, so a reader
// can tell ciphertext from a value written before encryption was on.
const sealedPrefix = "enc1:"

// Labels bind a sealed value to where it is stored (AES-GCM associated
// data), so ciphertext copied into another row or column does not open.
const (
	labelKeyCheck = "master-key-check"
)

// endpointSecretLabel is the label of an endpoint's current (previous=false)
// or previous secret.
func endpointSecretLabel(id string, previous bool) string {
	if previous {
		return "endpoints.previous_secret:" + id
	}
	return "endpoints.secret:" + id
}

// endpointFieldLabel is the label of an endpoint's extra headers or
// metadata (column "headers" or "metadata"), each sealed as one JSON object.
func endpointFieldLabel(column, id string) string { return "endpoints." + column + ":" + id }

// signingKeyLabel is the label of a JWT signing key's private key.
func signingKeyLabel(id string) string { return "signing_keys.private_key:" + id }

// WithMasterKey makes the DB encrypt secrets at rest — endpoint signing
// secrets (those of every scheme), endpoint extra headers and metadata,
// broker destinations (their URLs hold credentials), and JWT private keys — with
// AES-256-GCM under key, which must be
// MasterKeySize bytes. Open refuses a key that does not decrypt the secrets
// already stored, and encrypts any stored before a key was used.
//
// Without it, secrets are stored as given (tests, and subcommands such as
// apikey that never read them); reading an encrypted secret then fails.
func WithMasterKey(key []byte) Option {
	return func(db *DB) { db.masterKey = bytes.Clone(key) }
}

// initCipher builds the AEAD from the master key given to Open, if any.
func (db *DB) initCipher() error {
	if db.masterKey == nil {
		return nil
	}
	if len(db.masterKey) != MasterKeySize {
		return domain.Errorf(domain.EINVALID, "the master key must be %d bytes, not %d", MasterKeySize, len(db.masterKey))
	}
	block, err := aes.NewCipher(db.masterKey)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	db.aead, err = cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	return nil
}

// seal encrypts plaintext for storage, bound to label. Empty stays empty
// ("no secret"), and without a master key plaintext is returned as is.
// Each call draws a fresh random nonce, so equal secrets seal differently.
func (db *DB) seal(plaintext []byte, label string) []byte {
	if len(plaintext) == 0 || db.aead == nil {
		return plaintext
	}
	nonce := make([]byte, db.aead.NonceSize(), db.aead.NonceSize()+len(plaintext)+db.aead.Overhead())
	rand.Read(nonce)
	sealed := db.aead.Seal(nonce, nonce, plaintext, []byte(label))
	out := make([]byte, len(sealedPrefix)+base64.RawStdEncoding.EncodedLen(len(sealed)))
	copy(out, sealedPrefix)
	base64.RawStdEncoding.Encode(out[len(sealedPrefix):], sealed)
	return out
}

// open decrypts a value written by seal under the same label. With a
// master key, a value that is not sealed is refused (Open has encrypted
// every secret it found), and without one, a sealed value can't be read.
func (db *DB) open(stored []byte, label string) ([]byte, error) {
	if len(stored) == 0 {
		return stored, nil
	}
	enc, sealed := bytes.CutPrefix(stored, []byte(sealedPrefix))
	switch {
	case !sealed && db.aead == nil:
		return stored, nil
	case !sealed:
		return nil, domain.Errorf(domain.EINTERNAL, "a secret (%s) is stored unencrypted although a master key is in use", labelKind(label))
	case db.aead == nil:
		return nil, domain.Errorf(domain.EINTERNAL, "this database's secrets are encrypted; open it with its master key (--master-key-file)")
	}
	raw := make([]byte, base64.RawStdEncoding.DecodedLen(len(enc)))
	n, err := base64.RawStdEncoding.Decode(raw, enc)
	if err != nil || n < db.aead.NonceSize()+db.aead.Overhead() {
		return nil, domain.Errorf(domain.EINTERNAL, "a secret (%s) is corrupt", labelKind(label))
	}
	raw = raw[:n]
	ns := db.aead.NonceSize()
	plain, err := db.aead.Open(nil, raw[:ns], raw[ns:], []byte(label))
	if err != nil {
		return nil, domain.Errorf(domain.EINTERNAL, "a secret (%s) does not decrypt with this master key", labelKind(label))
	}
	return plain, nil
}

// sealString and openString are seal and open for TEXT columns.
func (db *DB) sealString(plaintext, label string) string {
	return string(db.seal([]byte(plaintext), label))
}

func (db *DB) openString(stored, label string) (string, error) {
	b, err := db.open([]byte(stored), label)
	return string(b), err
}

// labelKind is the part of a label that is safe and useful in a message.
func labelKind(label string) string {
	kind, _, _ := strings.Cut(label, ":")
	return kind
}

// openEndpointSecrets decrypts w's secrets in place after a read.
func (db *DB) openEndpointSecrets(w *domain.Endpoint) error {
	var err error
	if w.Secret, err = db.openString(w.Secret, endpointSecretLabel(w.ID, false)); err != nil {
		return fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	if w.PreviousSecret, err = db.openString(w.PreviousSecret, endpointSecretLabel(w.ID, true)); err != nil {
		return fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	return nil
}

// ErrWrongMasterKey is returned by Open when the master key does not
// decrypt the secrets already in the database.
var ErrWrongMasterKey = errors.New("the master key does not decrypt this database's secrets")

// checkMasterKey runs once in Open with a master key. A database that has
// seen a key holds a sealed check value, which this key must open; on the
// first start with a key, every secret stored in the clear is sealed in
// the same transaction that writes the check value.
func (db *DB) checkMasterKey(ctx context.Context) error {
	if db.aead == nil {
		return nil
	}
	var check []byte
	err := db.write.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = 'master_key_check'`).Scan(&check)
	switch {
	case err == nil:
		if _, err := db.open(check, labelKeyCheck); err != nil {
			return ErrWrongMasterKey
		}
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return wrapDBError(err, "read master key check")
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.sealStoredSecrets(ctx, tx); err != nil {
			return err
		}
		// Another process starting on the same PostgreSQL database may
		// have written its check first; then this key must open that one.
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ('master_key_check', ?) ON CONFLICT (name) DO NOTHING`,
			db.seal([]byte("hooks"), labelKeyCheck)); err != nil {
			return wrapDBError(err, "write master key check")
		}
		if err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = 'master_key_check'`).Scan(&check); err != nil {
			return wrapDBError(err, "read master key check")
		}
		if _, err := db.open(check, labelKeyCheck); err != nil {
			return ErrWrongMasterKey
		}
		return nil
	})
}

// sealStoredSecrets encrypts the secrets that a database written without a
// master key holds in the clear.
func (db *DB) sealStoredSecrets(ctx context.Context, tx *sql.Tx) error {
	type row struct{ id, secret, previous, signing, destination string }
	rows, err := tx.QueryContext(ctx, `SELECT id, secret, previous_secret, signing, destination FROM endpoints`)
	if err != nil {
		return wrapDBError(err, "read endpoint secrets")
	}
	var endpoints []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.secret, &r.previous, &r.signing, &r.destination); err != nil {
			rows.Close()
			return wrapDBError(err, "read endpoint secrets")
		}
		endpoints = append(endpoints, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrapDBError(err, "read endpoint secrets")
	}
	for _, r := range endpoints {
		if strings.HasPrefix(r.secret, sealedPrefix) || strings.HasPrefix(r.previous, sealedPrefix) || strings.HasPrefix(r.destination, sealedPrefix) {
			return ErrWrongMasterKey // sealed under a key whose check value is gone
		}
		signing, err := db.sealSigningColumn(r.id, r.signing)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE endpoints SET secret = ?, previous_secret = ?, signing = ?, destination = ? WHERE id = ?`,
			db.sealString(r.secret, endpointSecretLabel(r.id, false)), db.sealString(r.previous, endpointSecretLabel(r.id, true)), signing,
			db.sealString(r.destination, destinationLabel(r.id)), r.id); err != nil {
			return wrapDBError(err, "encrypt endpoint secret")
		}
	}

	type key struct {
		id  string
		pem []byte
	}
	rows, err = tx.QueryContext(ctx, `SELECT id, private_key FROM signing_keys`)
	if err != nil {
		return wrapDBError(err, "read signing keys")
	}
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.id, &k.pem); err != nil {
			rows.Close()
			return wrapDBError(err, "read signing keys")
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrapDBError(err, "read signing keys")
	}
	for _, k := range keys {
		if bytes.HasPrefix(k.pem, []byte(sealedPrefix)) {
			return ErrWrongMasterKey
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET private_key = ? WHERE id = ?`,
			db.seal(k.pem, signingKeyLabel(k.id)), k.id); err != nil {
			return wrapDBError(err, "encrypt signing key")
		}
	}
	return nil
}

// sealEndpointFields encrypts the extra headers and metadata of endpoints
// that a hooks before schema version 5 stored as plain JSON. SQL can't
// encrypt, so Open does it here, at every start with a master key; once
// every row is sealed it is one query that finds nothing.
//
// Several instances may start at once on PostgreSQL: the migration lock
// serialises them, and each update applies only if the row still holds
// the plaintext it read, so a row that another instance or a user's edit
// changed meanwhile is left as it now is.
//
// On SQLite the old row's bytes would stay in the page's free space and in
// the WAL, where "strings hooks.db" finds them: secure_delete zeroes freed
// space in the pages this writes, and a checkpoint then empties the WAL.
// (On PostgreSQL, VACUUM removes the old row versions; autovacuum does so
// in time, or run VACUUM endpoints after the upgrade.)
func (db *DB) sealEndpointFields(ctx context.Context) error {
	if db.aead == nil {
		return nil
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return wrapDBError(err, "seal endpoint headers")
	}
	defer conn.Close()
	if !db.sql.postgres {
		if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
			return wrapDBError(err, "seal endpoint headers")
		}
		defer conn.ExecContext(context.Background(), `PRAGMA secure_delete = OFF`)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return wrapDBError(err, "seal endpoint headers")
	}
	defer tx.Rollback()
	if err := db.lockMigrations(ctx, tx); err != nil {
		return err
	}
	type row struct{ id, headers, metadata string }
	rows, err := tx.QueryContext(ctx, `SELECT id, headers, metadata FROM endpoints
		WHERE headers NOT LIKE 'enc1:%' OR metadata NOT LIKE 'enc1:%'`)
	if err != nil {
		return wrapDBError(err, "read endpoint headers")
	}
	var plain []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.headers, &r.metadata); err != nil {
			rows.Close()
			return wrapDBError(err, "read endpoint headers")
		}
		plain = append(plain, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrapDBError(err, "read endpoint headers")
	}
	if len(plain) == 0 {
		return nil
	}
	seal := func(stored, column, id string) string {
		if strings.HasPrefix(stored, sealedPrefix) {
			return stored
		}
		return db.sealString(stored, endpointFieldLabel(column, id))
	}
	for _, r := range plain {
		if _, err := tx.ExecContext(ctx, `UPDATE endpoints SET headers = ?, metadata = ? WHERE id = ? AND headers = ? AND metadata = ?`,
			seal(r.headers, "headers", r.id), seal(r.metadata, "metadata", r.id), r.id, r.headers, r.metadata); err != nil {
			return wrapDBError(err, "encrypt endpoint headers")
		}
	}
	if err := tx.Commit(); err != nil {
		return wrapDBError(err, "encrypt endpoint headers")
	}
	if !db.sql.postgres {
		if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return wrapDBError(err, "checkpoint after encrypting endpoint headers")
		}
	}
	return nil
}

// LoadMasterKey reads the master key from path, a file holding the key in
// base64. If the file does not exist it creates one with a new random key,
// readable by its owner only, and reports created. It refuses a file that
// group or others may read or write: the key is what keeps the database's
// secrets secret.
func LoadMasterKey(path string) (key []byte, created bool, err error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, MasterKeySize)
		rand.Read(key)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("create master key file: %w", err)
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			os.Remove(path)
			return nil, false, fmt.Errorf("write master key file %s: %w", path, err)
		}
		return key, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("master key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, false, fmt.Errorf("master key file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, false, fmt.Errorf("master key file %s has permissions %04o; only its owner may read it (chmod 600 %s)", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("read master key file: %w", err)
	}
	key, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != MasterKeySize {
		return nil, false, fmt.Errorf("master key file %s must hold %d bytes in base64", path, MasterKeySize)
	}
	return key, false, nil
}
