package store

import (
	"context"
	"database/sql"
	"strings"
)

// Multi-row statements. On PostgreSQL every statement is a network round
// trip, so the hot writes (an ingest batch's deliveries, an outcome batch's
// updates and attempts) put up to maxRowsPerStatement rows in one. On
// SQLite a statement is a function call, and one prepared row at a time is
// faster than parsing a new long statement (14,500 against 9,400
// deliveries/s in hooks bench at fan-out 10), so there the same statement
// carries one row.

// maxRowsPerStatement bounds a multi-row statement: at 13 values a row it
// stays well under PostgreSQL's 65,535 parameters.
const maxRowsPerStatement = 500

// rowStatement is a statement that takes a list of rows: head, then the
// rows (each row, width values), then tail.
type rowStatement struct {
	head, row, tail string
	width           int
}

// sql returns the statement for n rows.
func (rs rowStatement) sql(n int) string {
	var b strings.Builder
	b.Grow(len(rs.head) + n*(len(rs.row)+2) + len(rs.tail))
	b.WriteString(rs.head)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(rs.row)
	}
	b.WriteString(rs.tail)
	return b.String()
}

// rowWriter runs one rowStatement in a transaction, as many rows at a time
// as the dialect wants.
type rowWriter struct {
	rs      rowStatement
	perStmt int
	one     *sql.Stmt // the one-row statement, prepared, when perStmt is 1
}

// rowWriter returns a writer of rs. Call it before beginning the
// transaction: on SQLite it prepares the one-row statement on the writer,
// whose one connection the transaction then holds.
func (db *DB) rowWriter(ctx context.Context, rs rowStatement) (*rowWriter, error) {
	w := &rowWriter{rs: rs, perStmt: db.sql.rowsPerStatement}
	if w.perStmt == 1 {
		var err error
		if w.one, err = db.prepared(ctx, db.write, rs.sql(1)); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// exec writes args, rows of rs.width values, in tx. With scan set, the
// statement returns rows (RETURNING), and scan reads each.
func (w *rowWriter) exec(ctx context.Context, tx *sql.Tx, args []any, scan func(*sql.Rows) error) error {
	var one *sql.Stmt
	if w.one != nil {
		one = tx.StmtContext(ctx, w.one)
	}
	for step := w.rs.width * w.perStmt; len(args) > 0; {
		n := min(step, len(args))
		chunk := args[:n]
		args = args[n:]
		var rows *sql.Rows
		var err error
		switch {
		case scan == nil && one != nil:
			_, err = one.ExecContext(ctx, chunk...)
		case scan == nil:
			_, err = tx.ExecContext(ctx, w.rs.sql(n/w.rs.width), chunk...)
		case one != nil:
			rows, err = one.QueryContext(ctx, chunk...)
		default:
			rows, err = tx.QueryContext(ctx, w.rs.sql(n/w.rs.width), chunk...)
		}
		if err != nil {
			return err
		}
		if rows != nil {
			for rows.Next() {
				if err := scan(rows); err != nil {
					rows.Close()
					return err
				}
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}
