package store

import (
	"context"
	"database/sql"
)

// stmtKey names a prepared statement: its pool and its SQL.
type stmtKey struct {
	pool  *sql.DB
	query string
}

// prepared returns query prepared on pool, preparing it the first time.
// database/sql keeps one prepared copy per connection of the pool, so a hot
// query is parsed and planned once per connection instead of once per call
// (parsing was a fifth of ingest's CPU before).
func (db *DB) prepared(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	key := stmtKey{pool, query}
	if s, ok := db.stmts.Load(key); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, wrapDBError(err, "prepare statement")
	}
	if old, loaded := db.stmts.LoadOrStore(key, s); loaded {
		s.Close()
		return old.(*sql.Stmt), nil
	}
	return s, nil
}

// preparedAll prepares several queries on pool. Call it before beginning a
// transaction on the writer, whose one connection the transaction holds,
// and use the statements in it with tx.StmtContext.
func (db *DB) preparedAll(ctx context.Context, pool *sql.DB, queries ...string) ([]*sql.Stmt, error) {
	out := make([]*sql.Stmt, len(queries))
	for i, q := range queries {
		s, err := db.prepared(ctx, pool, q)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// query runs a prepared query on pool (not in a transaction).
func (db *DB) query(ctx context.Context, pool *sql.DB, query string, args ...any) (*sql.Rows, error) {
	s, err := db.prepared(ctx, pool, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}
