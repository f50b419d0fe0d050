// Package storetest gives tests a fresh, empty hooks database on the backend
// the test run asks for, so that one test suite checks the store's contract
// on SQLite and on PostgreSQL alike.
//
// By default tests run on SQLite, in a file under t.TempDir(). With
// HOOKS_TEST_BACKEND=postgres they run on a new PostgreSQL database, created
// for each test on the server that HOOKS_TEST_POSTGRES names and dropped when
// the test ends. To start a local server for that from the repository root:
//
//	eval "$(bash .ci/postgres.sh)"
//	HOOKS_TEST_BACKEND=postgres go test ./store/... ./delivery/... ./web/...
//
// Without HOOKS_TEST_POSTGRES, tests that need PostgreSQL skip, unless
// HOOKS_REQUIRE_POSTGRES=1 (as in CI) makes them fail instead.
//
// The package does not import hooks/store, so that store's own tests can use
// it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// The environment variables that choose and find the backend.
const (
	// BackendEnv selects the backend DSN returns: "sqlite" (the default)
	// or "postgres".
	BackendEnv = "HOOKS_TEST_BACKEND"
	// PostgresEnv is the URL of a PostgreSQL server on which the tests may
	// create and drop databases, as .ci/postgres.sh prints it.
	PostgresEnv = "HOOKS_TEST_POSTGRES"
	// RequirePostgresEnv, set to 1, makes a missing PostgresEnv fail the
	// tests that need PostgreSQL instead of skipping them.
	RequirePostgresEnv = "HOOKS_REQUIRE_POSTGRES"
)

// The values Backend returns.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// adminTimeout bounds creating or dropping a test database, so that a
// server that stopped answering fails the test instead of hanging it.
const adminTimeout = 30 * time.Second

// Backend is the backend this test run uses: SQLite, or Postgres when
// HOOKS_TEST_BACKEND=postgres. Any other value of HOOKS_TEST_BACKEND is
// returned as it is, and DSN fails the test on it.
func Backend() string {
	if b := os.Getenv(BackendEnv); b != "" {
		return b
	}
	return SQLite
}

// DSN returns the data source name of a fresh, empty database for t on the
// backend of this run (see Backend), to pass to store.Open. On SQLite it is
// the path of a file that does not exist yet in t.TempDir(); on PostgreSQL,
// the URL of a database created for t and dropped when t ends. Opening the
// same DSN again reopens the same database on either backend.
func DSN(t testing.TB) string {
	t.Helper()
	switch b := Backend(); b {
	case SQLite:
		return filepath.Join(t.TempDir(), "hooks.db")
	case Postgres:
		if os.Getenv(PostgresEnv) == "" {
			// The run asked for PostgreSQL by name: skipping every
			// test would pass without testing anything.
			t.Fatalf("%s=%s needs %s; run `eval \"$(bash .ci/postgres.sh)\"` from the repository root", BackendEnv, Postgres, PostgresEnv)
		}
		return PostgresDSN(t)
	default:
		t.Fatalf("%s=%q: want %q or %q", BackendEnv, b, SQLite, Postgres)
		return ""
	}
}

// PostgresDSN returns the URL of a fresh, empty PostgreSQL database created
// for t on the server that HOOKS_TEST_POSTGRES names, whatever the backend
// of this run; it is dropped when t ends. It is for tests that only make
// sense on PostgreSQL, such as several instances sharing one database.
// Without HOOKS_TEST_POSTGRES it skips t, or fails it if
// HOOKS_REQUIRE_POSTGRES=1.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	server := os.Getenv(PostgresEnv)
	if server == "" {
		msg := "PostgreSQL test: " + PostgresEnv + " is not set; to run it, start a local server with `eval \"$(bash .ci/postgres.sh)\"` from the repository root"
		if os.Getenv(RequirePostgresEnv) == "1" {
			t.Fatal(msg + " (" + RequirePostgresEnv + "=1 requires it)")
		}
		t.Skip(msg)
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s=%q: want a postgres:// URL", PostgresEnv, server)
	}

	name := "hooks_t_" + randomHex(8)
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	// template0 rather than the default template1: CREATE DATABASE fails
	// while anyone else is connected to its template, and template0 never
	// accepts connections. The name is ours and safe to splice in.
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		t.Fatalf("storetest: create database %s on %s: %v", name, u.Redacted(), err)
	}
	t.Cleanup(func() { dropDatabase(t, server, name) })

	db := *u
	db.Path = "/" + name
	db.RawPath = ""
	return db.String()
}

// dropDatabase drops the test database name. WITH (FORCE) ends the
// connections a test left open (PostgreSQL 13 and later), which a plain
// DROP DATABASE would wait on and then refuse.
func dropDatabase(t testing.TB, server, name string) {
	t.Helper()
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Errorf("storetest: %v", err)
		return
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("storetest: drop database %s: %v", name, err)
	}
}

// SkipOnPostgres skips t when this run uses PostgreSQL, for a test of
// something only SQLite has: a database file to copy, reopen by path or
// fill up, SQLite's query plans or its size limit. why says what.
func SkipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if Backend() == Postgres {
		t.Skip("SQLite only: " + why)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
