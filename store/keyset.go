package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// NewestPage is the cursor of the first (newest) page of a list, for links
// back to it that must carry a cursor.
const NewestPage = "newest"

// defaultPageSize is a list's page size when the filter names none.
const defaultPageSize = 50

// keyset is a list of one table paged on its id, newest first. Ids are
// ULIDs, so time ranges become id ranges and a page costs the same at row
// 10 or row 10 million: there is no OFFSET into the list.
type keyset struct {
	from  string // the FROM clause, e.g. "deliveries" or "audit_log a LEFT JOIN …"
	id    string // the id column as the query names it, e.g. "a.id"
	where []string
	args  []any
}

// filter adds the condition cond, with its one argument, when on.
func (k *keyset) filter(on bool, cond string, arg any) {
	if on {
		k.where, k.args = append(k.where, cond), append(k.args, arg)
	}
}

// clause is the WHERE clause of the filters and extra conditions.
func (k *keyset) clause(extra ...string) string {
	where := append(k.where[:len(k.where):len(k.where)], extra...)
	if len(where) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(where, " AND ")
}

// page returns the query of the page after cursor ("" for the first),
// selecting columns, and its arguments. It asks for limit+1 rows, so that
// cutPage can tell whether another page follows.
func (k *keyset) page(columns, cursor string, limit int) (string, []any) {
	var after []string
	args := k.args[:len(k.args):len(k.args)]
	if cursor != "" {
		after, args = []string{k.id + " < ?"}, append(args, cursor)
	}
	return `SELECT ` + columns + ` FROM ` + k.from + k.clause(after...) + ` ORDER BY ` + k.id + ` DESC LIMIT ?`, append(args, limit+1)
}

// newerCursor returns the cursor of the page before the one that cursor
// starts (NewestPage when that is the first page), so that a list can link
// "← Newer" without OFFSET into it: it reads at most limit+1 ids up the
// index.
func (db *DB) newerCursor(ctx context.Context, k keyset, cursor string, limit int) (string, error) {
	if cursor == "" || cursor == NewestPage {
		return "", nil
	}
	args := append(k.args[:len(k.args):len(k.args)], cursor, limit)
	var id string
	err := db.read.QueryRowContext(ctx, `SELECT `+k.id+` FROM `+k.from+k.clause(k.id+" >= ?")+
		` ORDER BY `+k.id+` LIMIT 1 OFFSET ?`, args...).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return NewestPage, nil
	case err != nil:
		return "", wrapDBError(err, "read newer page")
	}
	return id, nil
}

// cutPage cuts the limit+1 rows that a page query read to limit, and
// returns the next page's cursor: the last row's id, or "" when no row
// followed.
func cutPage[T any](rows []T, limit int, id func(T) string) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, id(rows[limit-1])
}
