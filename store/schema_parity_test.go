package store

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"
	"testing"

	"hooks/store/storetest"
)

// column is what the schemas must agree on for one column: whether it may
// be NULL, and its kind of value (text, integer or bytes). Types differ
// in name (INTEGER times in SQLite are BIGINT in PostgreSQL; BLOB is BYTEA).
type column struct {
	kind    string
	notNull bool
}

func sqliteKind(decl string) string {
	switch d := strings.ToUpper(decl); {
	case strings.Contains(d, "INT"):
		return "integer"
	case strings.Contains(d, "BLOB"):
		return "bytes"
	default:
		return "text"
	}
}

func postgresKind(dataType string) string {
	switch dataType {
	case "integer", "bigint", "smallint":
		return "integer"
	case "bytea":
		return "bytes"
	default:
		return "text"
	}
}

// schemaOf returns every table's columns and the names of its indexes.
func schemaOf(t *testing.T, db *DB) (tables map[string]map[string]column, indexes []string) {
	t.Helper()
	ctx := context.Background()
	tables = map[string]map[string]column{}
	query := func(q string, scan func(*sql.Rows) error) {
		t.Helper()
		rows, err := db.read.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	add := func(table, name string, c column) {
		if tables[table] == nil {
			tables[table] = map[string]column{}
		}
		tables[table][name] = c
	}
	if db.sql.postgres {
		query(`SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema()`,
			func(r *sql.Rows) error {
				var table, name, typ, nullable string
				err := r.Scan(&table, &name, &typ, &nullable)
				add(table, name, column{postgresKind(typ), nullable == "NO"})
				return err
			})
		query(`SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() 
			AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
			func(r *sql.Rows) error {
				var name string
				err := r.Scan(&name)
				indexes = append(indexes, name)
				return err
			})
	} else {
		query(`SELECT m.name, p.name, p.type, p."notnull" OR p.pk FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`,
			func(r *sql.Rows) error {
				var table, name, typ string
				var notNull bool
				err := r.Scan(&table, &name, &typ, &notNull)
				add(table, name, column{sqliteKind(typ), notNull})
				return err
			})
		query(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`, func(r *sql.Rows) error {
			var name string
			err := r.Scan(&name)
			indexes = append(indexes, name)
			return err
		})
	}
	slices.Sort(indexes)
	return tables, indexes
}

// TestSchemasMatchOnBothDatabases checks that the PostgreSQL migrations
// build the schema the SQLite ones do: the same tables, columns, kinds of
// value, NULL rules and indexes (users' email index is the one that
// differs by design: SQLite has UNIQUE COLLATE NOCASE on the column).
func TestSchemasMatchOnBothDatabases(t *testing.T) {
	ctx := context.Background()
	lite, err := Open(ctx, t.TempDir()+"/hooks.db")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := Open(ctx, storetest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()

	liteTables, liteIndexes := schemaOf(t, lite)
	pgTables, pgIndexes := schemaOf(t, pg)
	if a, b := slices.Sorted(maps.Keys(liteTables)), slices.Sorted(maps.Keys(pgTables)); !slices.Equal(a, b) {
		t.Fatalf("tables differ:\n sqlite   %v\n postgres %v", a, b)
	}
	for table, cols := range liteTables {
		if !maps.Equal(cols, pgTables[table]) {
			t.Errorf("table %s differs:\n sqlite   %v\n postgres %v", table, cols, pgTables[table])
		}
	}
	pgIndexes = slices.DeleteFunc(pgIndexes, func(name string) bool { return name == "users_by_email" })
	if !slices.Equal(liteIndexes, pgIndexes) {
		t.Errorf("indexes differ:\n sqlite   %v\n postgres %v", liteIndexes, pgIndexes)
	}
}
