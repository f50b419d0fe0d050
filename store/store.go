// Package store keeps hooks' data in SQLite: tenants, endpoints, events,
// deliveries, attempts, API keys and users. It owns the data types and the
// hand-written SQL; callers get one method per query.
package store

import (
	"context"
	"crypto/cipher"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hooks/domain"
	"io/fs"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// DB is an open hooks database. Writes go through one connection, since
// SQLite has a single writer anyway and queueing in Go is cheaper than
// busy-waiting in SQLite; reads use a pool of read-only connections.
type DB struct {
	write *sql.DB
	read  *sql.DB
	path  string // the SQLite file, or the PostgreSQL URL with its password hidden
	now   func() time.Time

	sql      dialect         // the SQL that differs between the databases (postgres.go)
	pgConfig *pgx.ConnConfig // PostgreSQL only: for connections of its own (LISTEN, locks)

	masterKey []byte      // from WithMasterKey; nil = secrets stored as given
	aead      cipher.AEAD // built from masterKey by Open

	busyTimeout time.Duration // WithBusyTimeout (limits.go)
	maxSize     int64         // WithMaxSize; 0 = no cap (limits.go)

	ingest    *ingester  // group commit of CreateEvents (ingest.go)
	handoffMu sync.Mutex // held by the ingester while it commits (handoff.go)
	handoff   *Handoff
	stmts     sync.Map                        // prepared statements by stmtKey (stmt.go)
	apiKeys   ttlCache[[32]byte, APIKey]      // by SHA-256 of the secret (apikeys.go)
	tenants   ttlCache[string, domain.Tenant] // by id (tenants.go)
	filters   filterCache                     // compiled payload filters (ingest.go)
}

// Option changes how Open sets up a DB.
type Option func(*DB)

// WithClock makes the DB take "now" from clock, for tests.
func WithClock(clock func() time.Time) Option {
	return func(db *DB) { db.now = clock }
}

// Open opens the database that dsn names and applies any migrations it
// has not seen yet: a PostgreSQL database for a postgres:// URL, else a
// SQLite file (created if needed) at dsn, with or without sqlite://.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	path := strings.TrimPrefix(dsn, "sqlite://")
	if path == "" {
		return nil, domain.Errorf(domain.EINVALID, "database path is empty")
	}
	db := &DB{path: path, now: time.Now, busyTimeout: DefaultBusyTimeout, sql: sqliteDialect}
	for _, opt := range opts {
		opt(db)
	}
	if err := db.initCipher(); err != nil {
		return nil, err
	}
	if IsPostgresURL(dsn) {
		db.path = redactURL(dsn)
		if err := db.openPostgres(ctx, dsn); err != nil {
			return nil, err
		}
		if err := db.setUp(ctx); err != nil {
			return nil, err
		}
		return db, nil
	}
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	pragmas := "_pragma=busy_timeout(" + strconv.FormatInt(db.busyTimeout.Milliseconds(), 10) + ")&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"
	dsn = "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
	var err error
	// SQLite's automatic checkpoint (every 1,000 pages, in the committing
	// writer) keeps the WAL at a few MB under sustained load: the WAL starts
	// over once a checkpoint caught up. (Checkpointing from another
	// connection instead never catches up while writes go on, and the WAL
	// grew by 70 MB/s in a benchmark.) A long reader, such as a backup, can
	// hold the restart off; journal_size_limit gives the disk back after.
	if db.write, err = sql.Open("sqlite", dsn+"&_txlock=immediate&_pragma=journal_size_limit(67108864)"); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	db.write.SetConnMaxIdleTime(0)
	if db.read, err = sql.Open("sqlite", dsn+"&_pragma=query_only(1)"); err != nil {
		db.write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.read.SetMaxOpenConns(8)
	db.read.SetMaxIdleConns(8)
	if err := db.setUp(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

// setUp brings a database whose pools are open up to date and starts the
// ingester; on failure it closes the pools.
func (db *DB) setUp(ctx context.Context) error {
	err := db.migrate(ctx)
	if err == nil {
		err = db.checkMasterKey(ctx)
	}
	if err == nil {
		err = db.sealEndpointFields(ctx)
	}
	if err == nil && !db.sql.postgres {
		err = db.SetMaxSize(ctx, db.maxSize)
	}
	if err != nil {
		db.read.Close()
		db.write.Close()
		return err
	}
	db.startIngester()
	return nil
}

// Close closes both connection pools.
func (db *DB) Close() error {
	db.stopIngester()
	return errors.Join(db.read.Close(), db.write.Close())
}

// Path is the database file's path, or the PostgreSQL URL without its
// password.
func (db *DB) Path() string { return db.path }

// Shared reports whether other hooks processes may use the database at the
// same time: true for PostgreSQL. A SQLite file has one process.
func (db *DB) Shared() bool { return db.sql.postgres }

// Ping checks that the database answers and can be written.
func (db *DB) Ping(ctx context.Context) error {
	_, err := db.write.ExecContext(ctx, `UPDATE settings SET value = value WHERE name = 'ping'`)
	return wrapDBError(err, "ping database")
}

// SchemaVersion is the newest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, wrapDBError(err, "read schema version")
}

// Backup writes a consistent copy of the live database to path (VACUUM INTO).
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.sql.postgres {
		return domain.Errorf(domain.EINVALID, "hooks backup copies SQLite files; back up PostgreSQL with pg_dump or your provider's snapshots")
	}
	// VACUUM INTO writes a new file, which the query_only read pool
	// refuses, and on the writer it would hold up every write for as long
	// as the copy takes; a connection of its own reads a snapshot beside
	// both.
	conn, err := sql.Open("sqlite", "file:"+(&url.URL{Path: db.path}).EscapedPath()+
		"?_pragma=busy_timeout("+strconv.FormatInt(db.busyTimeout.Milliseconds(), 10)+")")
	if err != nil {
		return fmt.Errorf("back up database: %w", err)
	}
	defer conn.Close()
	// The copy holds everything the database does: create it readable by
	// its owner only, whatever the umask, before SQLite writes into it
	// (VACUUM INTO accepts an empty file, and O_EXCL keeps a backup from
	// overwriting another).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("back up database: %w", err)
	}
	err = f.Chmod(0o600)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, `VACUUM INTO ?`, path)
	}
	if err != nil {
		os.Remove(path)
	}
	return wrapDBError(err, "back up database")
}

// privateFiles makes the SQLite database at path and its -wal and -shm
// files readable and writable by their owner only. SQLite would create
// the database 0644, and it gives the -wal and -shm files the database
// file's mode whenever it creates them, so creating the database 0600
// first covers all three. A database that exists already (made by an
// older hooks, or copied) loses any access for others, since endpoint
// secrets are encrypted but payloads and delivery logs are not; group
// access is left as the operator set it.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		// The umask can only have taken bits away; make it exactly 0600.
		err = f.Chmod(0o600)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("create %s: %w", path, err)
		}
		return nil
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("create %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o007 == 0 {
			continue
		}
		if err := os.Chmod(p, fi.Mode().Perm()&^0o007); err != nil {
			return fmt.Errorf("%s is readable by every user and can't be made private: %w", p, err)
		}
	}
	return nil
}

func (db *DB) migrate(ctx context.Context) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockMigrations(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	dir := "migrations"
	if db.sql.postgres {
		dir = "migrations/postgres"
	}
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if err := db.refuseNewerSchema(ctx, names); err != nil {
		return err
	}
	for _, name := range names {
		base := path.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		src, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if err := db.applyMigration(ctx, version, string(src)); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, version int, src string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.lockMigrations(ctx, tx); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, src); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, db.now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// clock is the current time as stored: UTC, in whole milliseconds.
func (db *DB) clock() time.Time { return db.now().UTC().Truncate(time.Millisecond) }

// execer runs a statement: the writer pool or a transaction on it.
type execer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

// tx runs fn in a write transaction and commits it if fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return wrapDBError(err, "begin transaction")
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return wrapDBError(tx.Commit(), "commit")
}

// wrapDBError turns SQLite's resource errors (disk full, locked beyond the
// busy timeout) into EUNAVAILABLE, so callers can answer 503 and retry later
// instead of treating them as bugs.
func wrapDBError(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if e, ok := wrapPostgresError(err); ok {
		return e
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
			return &domain.Error{Code: domain.EUNAVAILABLE, Message: "the database is unavailable (" + sqlite.ErrorCodeString[se.Code()&0xff] + "); try again shortly", Err: err}
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}
