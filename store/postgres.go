package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hooks/domain"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL. The store's SQL is written once, with SQLite's `?` and `?N`
// placeholders and integers for booleans; a thin wrapper around pgx's
// database/sql driver rewrites the placeholders to PostgreSQL's `$N` when a
// statement is prepared and passes Go booleans as 0/1. The few statements
// that have to differ take their dialect's fragment from db.sql.

// IsPostgresURL reports whether dsn names a PostgreSQL database rather
// than a SQLite file.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// dialect holds the SQL fragments that differ between SQLite and PostgreSQL.
type dialect struct {
	postgres bool
	// idList is a subquery of the ids in one JSON array parameter.
	idList string
	// skipLocked ends a claim's inner SELECT: on PostgreSQL, several hooks
	// processes claim at once, and each passes over the rows another is
	// claiming instead of waiting for it.
	skipLocked string
	// insertOrder is a column that grows with each insert into deliveries,
	// kept in the deliveries_leased index.
	insertOrder string
	// rowsPerStatement is how many rows a hot multi-row write puts in
	// one statement (rows.go).
	rowsPerStatement int
}

var (
	sqliteDialect   = dialect{idList: `SELECT value FROM json_each(?)`, insertOrder: "rowid", rowsPerStatement: 1}
	postgresDialect = dialect{postgres: true, idList: `SELECT json_array_elements_text(?::json)`, skipLocked: ` FOR UPDATE SKIP LOCKED`,
		insertOrder: "id", rowsPerStatement: maxRowsPerStatement}
)

// openPostgres opens both pools on the PostgreSQL database at dsn. Unlike
// SQLite, PostgreSQL takes concurrent writers, and each statement costs a
// round trip, so the writer pool has a few connections: ingest, claims and
// outcome writes (one goroutine each) then wait on the network in
// parallel rather than in turn.
func (db *DB) openPostgres(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return domain.Errorf(domain.EINVALID, "database URL: %v", err)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "hooks"
	}
	db.pgConfig = cfg
	db.sql = postgresDialect
	open := func(maxConns int) *sql.DB {
		pool := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
		pool.SetMaxOpenConns(maxConns)
		pool.SetMaxIdleConns(maxConns)
		return pool
	}
	db.write, db.read = open(postgresWriters), open(8)
	if err := db.write.PingContext(ctx); err != nil {
		db.write.Close()
		db.read.Close()
		return wrapDBError(err, "connect to "+db.path)
	}
	return nil
}

// postgresWriters is the size of the writer pool on PostgreSQL: one each
// for ingest, claims and outcome writes, and one for everything else.
const postgresWriters = 4

// redactURL returns dsn with its password hidden, for logs and errors.
func redactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// pgConnector makes connections whose statements are rebound for
// PostgreSQL; everything else is pgx's.
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{conn.(*stdlib.Conn)}, nil
}

// pgConn is a pgx connection that takes SQLite-style placeholders.
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(context.Background(), rebind(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// CheckNamedValue passes booleans as 0 and 1, since both schemas keep them
// in integer columns, and everything else to pgx as it is.
func (c *pgConn) CheckNamedValue(v *driver.NamedValue) error {
	if b, ok := v.Value.(bool); ok {
		v.Value = int64(0)
		if b {
			v.Value = int64(1)
		}
	}
	return nil
}

// rebind rewrites SQLite placeholders (`?` in order, `?N` by number) to
// PostgreSQL's `$N`, leaving string literals, quoted names and comments
// alone.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+1])
			i += end
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(query[i+1 : j])
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// PostgreSQL error classes and codes that mean "try again later" rather
// than a bug: the server is shutting down, out of disk or connections, or
// chose this transaction as a deadlock or serialization victim.
var pgUnavailable = map[string]bool{
	"08": true, "53": true, "57P01": true, "57P02": true, "57P03": true,
	"40001": true, "40P01": true, "55P03": true,
}

// wrapPostgresError is wrapDBError's PostgreSQL half: it reports whether
// err is one of the resource errors and returns it as EUNAVAILABLE.
func wrapPostgresError(err error) (error, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pgUnavailable[pe.Code] || pgUnavailable[pe.Code[:2]] {
			return &domain.Error{Code: domain.EUNAVAILABLE, Message: "the database is unavailable (" + pe.Code + " " + pe.Message + "); try again shortly", Err: err}, true
		}
		// Class 22 is a value PostgreSQL can't store where SQLite would,
		// such as a NUL byte in text: bad input, not a server fault.
		if strings.HasPrefix(pe.Code, "22") {
			return &domain.Error{Code: domain.EINVALID, Message: "the database refused a value: " + pe.Message, Err: err}, true
		}
		return nil, false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.SafeToRetry(err) || errors.Is(err, driver.ErrBadConn) {
		return &domain.Error{Code: domain.EUNAVAILABLE, Message: "the database is unreachable; try again shortly", Err: err}, true
	}
	return nil, false
}

// isUniqueViolation reports whether err is a unique constraint failing, in
// either database.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// migrateLockID is the advisory lock that serialises migrations when several
// hooks processes start on one PostgreSQL database at once.
const migrateLockID = 0x686f6f6b73 // "hooks"

func (db *DB) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	if !db.sql.postgres {
		return nil // SQLite's immediate transaction already excludes other writers
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+strconv.Itoa(migrateLockID)+`)`)
	if err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	return nil
}
