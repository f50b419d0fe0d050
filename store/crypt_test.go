package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store/storetest"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, MasterKeySize) }

func openDBAt(t *testing.T, dsn string, opts ...Option) *DB {
	t.Helper()
	db, err := Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func createSecretWebhook(t *testing.T, db *DB, secret string) *domain.Endpoint {
	t.Helper()
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, Name: "n", URL: "https://example.com/hook", Topics: []string{"*"}, Enabled: true,
		Signing: domain.Signing{Scheme: "standard"}, Secret: secret, Timeout: 5 * time.Second}
	if err := db.CreateEndpoint(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

// rawSecrets reads an endpoint's secret columns as stored.
func rawSecrets(t *testing.T, db *DB, id string) (secret, previous string) {
	t.Helper()
	if err := db.write.QueryRow(`SELECT secret, previous_secret FROM endpoints WHERE id = $1`, id).Scan(&secret, &previous); err != nil {
		t.Fatal(err)
	}
	return secret, previous
}

// fileContains reports whether the database's files (main and WAL) hold s.
func fileContains(t *testing.T, path, s string) bool {
	t.Helper()
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

func TestSecretsAreEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db := openDBAt(t, dsn, WithMasterKey(testKey(1)))
	const current, previous = "whsec_CURRENTsecretCURRENTsecretCURRENT0", "whsec_PREVIOUSsecretPREVIOUSsecretPREVI0"
	w := createSecretWebhook(t, db, previous)
	w.Secret, w.PreviousSecret, w.PreviousSecretUntil = current, previous, time.Now().Add(time.Hour)
	if err := db.UpdateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}

	rawCur, rawPrev := rawSecrets(t, db, w.ID)
	for _, raw := range []string{rawCur, rawPrev} {
		if !strings.HasPrefix(raw, sealedPrefix) || strings.Contains(raw, "secret") {
			t.Errorf("stored secret %q is not sealed", raw)
		}
	}
	if storetest.Backend() == storetest.SQLite {
		if _, err := db.write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{current, previous, "CURRENTsecret", "PREVIOUSsecret"} {
			if fileContains(t, dsn, s) {
				t.Errorf("the database file holds %q in the clear", s)
			}
		}
	}

	got, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Secret != current || got.PreviousSecret != previous {
		t.Errorf("read back secrets %q, %q; want %q, %q", got.Secret, got.PreviousSecret, current, previous)
	}
	list, _, err := db.Endpoints(ctx, domain.DefaultTenant, "", 10)
	if err != nil || len(list) != 1 || list[0].Secret != current {
		t.Errorf("Webhooks: %v, %v", list, err)
	}
	byID, err := db.EndpointsByIDs(ctx, []string{w.ID})
	if err != nil || byID[w.ID] == nil || byID[w.ID].PreviousSecret != previous {
		t.Errorf("WebhooksByIDs: %v, %v", byID, err)
	}
}

func TestSealedSecretIsBoundToItsRow(t *testing.T) {
	ctx := context.Background()
	db := openDBAt(t, storetest.DSN(t), WithMasterKey(testKey(1)))
	a := createSecretWebhook(t, db, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	b := createSecretWebhook(t, db, "whsec_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")
	rawA, _ := rawSecrets(t, db, a.ID)
	// Someone with write access to the file copies a's ciphertext into b
	// (or into b's previous secret): neither may open as a's secret.
	if _, err := db.write.Exec(`UPDATE endpoints SET secret = $1, previous_secret = $2 WHERE id = $3`, rawA, rawA, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EndpointByID(ctx, domain.DefaultTenant, b.ID); err == nil {
		t.Fatal("a secret sealed for one endpoint opened as another's")
	}
	if _, err := db.EndpointByID(ctx, domain.DefaultTenant, a.ID); err != nil {
		t.Fatalf("the untouched endpoint no longer reads: %v", err)
	}
}

func TestOpenRefusesWrongMasterKey(t *testing.T) {
	dsn := storetest.DSN(t)
	db := openDBAt(t, dsn, WithMasterKey(testKey(1)))
	createSecretWebhook(t, db, "")
	db.Close()

	_, err := Open(context.Background(), dsn, WithMasterKey(testKey(2)))
	if !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("Open with another key: err = %v, want ErrWrongMasterKey", err)
	}
	if _, err := Open(context.Background(), dsn, WithMasterKey(testKey(1)[:16])); err == nil {
		t.Fatal("Open accepted a 16-byte master key")
	}
}

func TestEncryptedSecretsNeedTheKeyToRead(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db := openDBAt(t, dsn, WithMasterKey(testKey(1)))
	w := createSecretWebhook(t, db, "whsec_SOMEsecretSOMEsecretSOMEsecretSOMEsec0")
	db.Close()

	// Subcommands that never read secrets (apikey) open without the key...
	db = openDBAt(t, dsn)
	if _, _, err := db.CreateAPIKey(ctx, "", "k"); err != nil {
		t.Fatal(err)
	}
	// ...but a secret never comes back as ciphertext.
	_, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("reading an encrypted secret without the key: err = %v", err)
	}
}

func TestFirstOpenWithKeyEncryptsExistingSecrets(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db := openDBAt(t, dsn)
	const secret = "whsec_LEGACYlegacyLEGACYlegacyLEGACYlegac0"
	w := createSecretWebhook(t, db, secret)
	if raw, _ := rawSecrets(t, db, w.ID); raw != secret {
		t.Fatalf("without a key the secret is stored as %q", raw)
	}
	pkcs8 := []byte("pretend PKCS#8 DER private key bytes")
	if _, err := db.write.Exec(`INSERT INTO signing_keys (id, tenant_id, private_key, created_at) VALUES ('kid1', 'default', $1, 0)`, pkcs8); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = openDBAt(t, dsn, WithMasterKey(testKey(7)))
	raw, _ := rawSecrets(t, db, w.ID)
	if !strings.HasPrefix(raw, sealedPrefix) {
		t.Errorf("legacy secret still stored as %q", raw)
	}
	got, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if err != nil || got.Secret != secret {
		t.Fatalf("after encryption: %v, %v", got, err)
	}
	var storedKey []byte
	if err := db.write.QueryRow(`SELECT private_key FROM signing_keys WHERE id = 'kid1'`).Scan(&storedKey); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(storedKey, pkcs8) {
		t.Error("signing key still stored in the clear")
	}
	if plain, err := db.open(storedKey, signingKeyLabel("kid1")); err != nil || !bytes.Equal(plain, pkcs8) {
		t.Errorf("signing key opens to %q, %v", plain, err)
	}
	db.Close()
	// A second start with the same key opens without re-encrypting.
	db = openDBAt(t, dsn, WithMasterKey(testKey(7)))
	if got, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID); err != nil || got.Secret != secret {
		t.Fatalf("after reopening: %v, %v", got, err)
	}
}

func TestLoadMasterKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hooks.key")
	key, created, err := LoadMasterKey(path)
	if err != nil || !created || len(key) != MasterKeySize {
		t.Fatalf("first load: %d bytes, created %v, %v", len(key), created, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("new key file has permissions %04o, want 0600", perm)
	}
	again, created, err := LoadMasterKey(path)
	if err != nil || created || !bytes.Equal(again, key) {
		t.Fatalf("second load: created %v, same %v, %v", created, bytes.Equal(again, key), err)
	}

	for _, perm := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(path, perm); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadMasterKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("permissions %04o: err = %v, want a refusal that says chmod 600", perm, err)
		}
	}
	os.Chmod(path, 0o400)
	if _, _, err := LoadMasterKey(path); err != nil {
		t.Errorf("owner-read-only key refused: %v", err)
	}

	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("not base64 at all!\n"), 0o600)
	if _, _, err := LoadMasterKey(bad); err == nil {
		t.Error("a key file without a base64 key was accepted")
	}
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("c2hvcnQ=\n"), 0o600)
	if _, _, err := LoadMasterKey(short); err == nil {
		t.Error("a key file with a 5-byte key was accepted")
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	db := openDBAt(t, storetest.DSN(t), WithMasterKey(testKey(3)))
	a, b := db.seal([]byte("same"), "l"), db.seal([]byte("same"), "l")
	if bytes.Equal(a, b) {
		t.Error("sealing the same value twice gave the same ciphertext")
	}
	if got, err := db.open(a, "l"); err != nil || string(got) != "same" {
		t.Errorf("open = %q, %v", got, err)
	}
	if _, err := db.open(a, "other"); err == nil {
		t.Error("a value opened under another label")
	}
	tampered := bytes.Clone(a)
	tampered[len(tampered)-2] ^= 'A' ^ 'B'
	if _, err := db.open(tampered, "l"); err == nil {
		t.Error("a tampered value opened")
	}
}

// Values that mark an endpoint's extra header and metadata in the files.
const (
	headerCredential   = "HDRcredentialHDRcredential0"
	metadataCredential = "METAcredentialMETAcredential0"
)

// checkpointedFilesHold checkpoints a SQLite database and reports which of
// values its main file or WAL holds in the clear.
func checkpointedFilesHold(t *testing.T, db *DB, path string, values ...string) []string {
	t.Helper()
	if _, err := db.write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, v := range values {
		if fileContains(t, path, v) {
			found = append(found, v)
		}
	}
	return found
}

func TestHeadersAndMetadataAreEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db := openDBAt(t, dsn, WithMasterKey(testKey(1)))
	w := createSecretWebhook(t, db, "")
	w.Headers = map[string]string{"X-Api-Key": headerCredential}
	w.Metadata = map[string]string{"api_key": metadataCredential}
	if err := db.UpdateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}

	var headers, metadata string
	if err := db.write.QueryRow(`SELECT headers, metadata FROM endpoints WHERE id = $1`, w.ID).Scan(&headers, &metadata); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{headers, metadata} {
		if !strings.HasPrefix(raw, sealedPrefix) || strings.Contains(raw, "credential") || strings.Contains(raw, "api") {
			t.Errorf("stored column %q is not sealed", raw)
		}
	}
	if storetest.Backend() == storetest.SQLite {
		if found := checkpointedFilesHold(t, db, dsn, headerCredential, metadataCredential, "X-Api-Key"); len(found) > 0 {
			t.Errorf("the database files hold %q in the clear", found)
		}
	}

	got, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Headers["X-Api-Key"] != headerCredential || got.Metadata["api_key"] != metadataCredential {
		t.Errorf("read back headers %v, metadata %v", got.Headers, got.Metadata)
	}
	// Sealed values are bound to their row and column, like secrets.
	if _, err := db.write.Exec(`UPDATE endpoints SET headers = $1 WHERE id = $2`, metadata, w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID); err == nil {
		t.Error("sealed metadata opened as the endpoint's headers")
	}
}

// An upgrade from a hooks that stored headers and metadata as plain JSON
// leaves no plaintext behind: Open seals the rows, and on SQLite neither
// the pages' free space nor the WAL keeps the old bytes.
func TestOpenSealsPlaintextHeadersAndMetadata(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db := openDBAt(t, dsn, WithMasterKey(testKey(1)))
	w := createSecretWebhook(t, db, "")
	other := createSecretWebhook(t, db, "")
	// What an older hooks wrote: plain JSON, under a master key in use.
	if _, err := db.write.Exec(`UPDATE endpoints SET headers = $1, metadata = $2 WHERE id = $3`,
		`{"X-Api-Key":"`+headerCredential+`"}`, `{"api_key":"`+metadataCredential+`"}`, w.ID); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for range 2 { // and a second start finds nothing left to do
		db = openDBAt(t, dsn, WithMasterKey(testKey(1)))
		got, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Headers["X-Api-Key"] != headerCredential || got.Metadata["api_key"] != metadataCredential {
			t.Errorf("after the upgrade: headers %v, metadata %v", got.Headers, got.Metadata)
		}
		if _, err := db.EndpointByID(ctx, domain.DefaultTenant, other.ID); err != nil {
			t.Errorf("an endpoint sealed already: %v", err)
		}
		if storetest.Backend() == storetest.SQLite {
			if found := checkpointedFilesHold(t, db, dsn, headerCredential, metadataCredential); len(found) > 0 {
				t.Errorf("the database files still hold %q in the clear", found)
			}
		}
		db.Close()
	}
}
