package store

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"hooks/store/storetest"
)

func TestOpenRefusesADatabaseFromANewerHooks(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	known, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// What a newer binary's migration would leave behind.
	if _, err := db.write.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)`, known+1); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, dsn)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a database with a newer schema")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("err = %v, want ErrSchemaTooNew", err)
	}
	for _, want := range []string{databaseName(dsn), "downgrades are not supported", "backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// databaseName is how an error names the database at dsn: its path on
// SQLite, the database's name on PostgreSQL (a URL's password must not
// appear in errors, so the whole URL need not either).
func databaseName(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return strings.TrimPrefix(u.Path, "/")
	}
	return dsn
}
