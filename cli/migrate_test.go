package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// migrateSource makes a SQLite database with a webhook and an API key,
// its secrets sealed under the master key in hooks.key beside it, as
// "hooks serve" leaves one.
func migrateSource(t *testing.T) (path string, w *domain.Endpoint, apiKey string) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "hooks.db")
	key, _, err := store.LoadMasterKey(filepath.Join(filepath.Dir(path), "hooks.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, path, store.WithMasterKey(key))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w = &domain.Endpoint{TenantID: domain.DefaultTenant, Name: "w", URL: "https://example.com/hook", Topics: []string{"*"}, Enabled: true,
		Signing: domain.Signing{Scheme: "standard-webhooks"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		Envelope: domain.Envelope{Type: "raw"}, Retry: domain.RetryPolicy{Schedule: "exponential", MaxAttempts: 3, RetryOn: domain.RetryOnPreset("5xx")},
		Timeout: 5 * time.Second, Headers: map[string]string{"X-Api-Key": "hk_migrated_header_value"},
		Metadata: map[string]string{"api_key": "ak_migrated_metadata_value"}}
	if err := db.CreateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	if _, apiKey, err = db.CreateAPIKey(ctx, "", "ci"); err != nil {
		t.Fatal(err)
	}
	return path, w, apiKey
}

// testMigrate runs "hooks migrate" from a new SQLite database to dst and
// checks the copy through the store with the source's master key.
func testMigrate(t *testing.T, dst string) {
	ctx := context.Background()
	src, w, apiKey := migrateSource(t)
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"migrate", "--from", src, "--to", dst}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	keyFile := filepath.Join(filepath.Dir(src), "hooks.key")
	for _, want := range []string{"endpoints              1 row\n", "api_keys               1 row\n", "hooks serve --db ", "--master-key-file " + keyFile} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}

	key, _, err := store.LoadMasterKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dst, store.WithMasterKey(key))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.EndpointByID(ctx, w.TenantID, w.ID)
	if err != nil || got.Secret != w.Secret || got.Headers["X-Api-Key"] != w.Headers["X-Api-Key"] || got.Metadata["api_key"] != w.Metadata["api_key"] {
		t.Fatalf("webhook in the copy: %+v, %v", got, err)
	}
	if _, err := db.APIKeyBySecret(ctx, apiKey); err != nil {
		t.Errorf("API key in the copy: %v", err)
	}

	stdout.Reset()
	stderr.Reset()
	if code := run(ctx, []string{"migrate", "--from", src, "--to", dst}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "already holds data") {
		t.Errorf("a second migrate into the copy: exit %d, stderr %q", code, stderr.String())
	}
}

func TestMigrateCopiesToSQLite(t *testing.T) {
	testMigrate(t, filepath.Join(t.TempDir(), "copy.db"))
}

func TestMigrateCopiesToPostgres(t *testing.T) {
	testMigrate(t, storetest.PostgresDSN(t))
}

func TestMigrateNeedsTheSourcesKeyAndMakesNone(t *testing.T) {
	ctx := context.Background()
	src, _, _ := migrateSource(t)
	dst := filepath.Join(t.TempDir(), "copy.db")
	missing := filepath.Join(t.TempDir(), "hooks.key")
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"migrate", "--from", src, "--to", dst, "--master-key-file", missing}, &stdout, &stderr); code != 1 {
		t.Fatalf("without the key file: exit %d, stderr %q", code, stderr.String())
	}
	for _, f := range []string{missing, dst} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("migrate without the key file made %s: %v", f, err)
		}
	}

	other := filepath.Join(t.TempDir(), "other.key")
	if _, _, err := store.LoadMasterKey(other); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run(ctx, []string{"migrate", "--from", src, "--to", dst, "--master-key-file", other}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "check --master-key-file") {
		t.Fatalf("with another key: exit %d, stderr %q", code, stderr.String())
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("migrate with another key made %s: %v", dst, err)
	}

	stderr.Reset()
	if code := run(ctx, []string{"migrate", "--from", src}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: hooks migrate") {
		t.Errorf("without --to: exit %d, stderr %q", code, stderr.String())
	}
}
