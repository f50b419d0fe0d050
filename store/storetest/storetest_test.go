package storetest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDSNIsFreshOnEachCall(t *testing.T) {
	a, b := DSN(t), DSN(t)
	if a == b {
		t.Fatalf("two calls returned the same DSN %q", a)
	}
	switch Backend() {
	case SQLite:
		if filepath.Base(a) != "hooks.db" {
			t.Errorf("DSN = %q, want a hooks.db file", a)
		}
		if _, err := os.Stat(a); !os.IsNotExist(err) {
			t.Errorf("DSN %q: stat = %v, want a file that does not exist yet", a, err)
		}
	case Postgres:
		if !strings.HasPrefix(a, "postgres") {
			t.Errorf("DSN = %q, want a postgres URL", a)
		}
	}
}

func TestSkipOnPostgres(t *testing.T) {
	ran := false
	t.Run("sub", func(t *testing.T) {
		SkipOnPostgres(t, "testing the skip")
		ran = true
	})
	if want := Backend() != Postgres; ran != want {
		t.Errorf("on %s the test ran = %v, want %v", Backend(), ran, want)
	}
}

func TestPostgresDSNIsEmptyAndDroppedAfter(t *testing.T) {
	var dsn string
	t.Run("use", func(t *testing.T) {
		dsn = PostgresDSN(t)
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		var tables int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("a fresh database has %d tables", tables)
		}
		// A connection still open when the test ends must not stop the
		// database from being dropped.
		if _, err := db.ExecContext(ctx, `CREATE TABLE t (id int)`); err != nil {
			t.Fatal(err)
		}
		if other := PostgresDSN(t); other == dsn {
			t.Errorf("two calls returned the same database %q", dsn)
		}
	})
	if dsn == "" || t.Failed() {
		return // the subtest skipped or failed, and said why
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", os.Getenv(PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, strings.TrimPrefix(u.Path, "/")).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s is still there after its test ended", u.Path)
	}
}
