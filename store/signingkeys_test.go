package store

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"hooks/delivery/sign"
	"hooks/domain"
	"hooks/store/storetest"
)

// jwksKids returns the key ids of a JWK Set document.
func jwksKids(t *testing.T, doc []byte) []string {
	t.Helper()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// signAs makes ring sign one token for tenant at now.
func signAs(t *testing.T, ring *sign.KeyRing, tenant string, now time.Time) {
	t.Helper()
	h := http.Header{}
	err := sign.NewJWT(ring, "https://hooks.example").Sign(h, []byte(`{}`), sign.Meta{TenantID: tenant, DeliveryID: "dlv_1", EndpointID: "wbh_1", Timestamp: now})
	if err != nil || !strings.HasPrefix(h.Get("Authorization"), "Bearer ") {
		t.Fatalf("sign: %v, header %q", err, h.Get("Authorization"))
	}
}

func TestSigningKeysAreSealedAndSurviveRestartAndRotation(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	master := WithMasterKey(bytes.Repeat([]byte{7}, MasterKeySize))
	db, err := Open(ctx, dsn, master)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	// The schedule checked here is a lone instance's: hiding db.Shared
	// keeps a PostgreSQL KeyRing from delaying rotations for other
	// instances to follow (sign's keyring_cluster_test.go tests that).
	ring := sign.NewKeyRing(struct{ sign.KeyStorage }{db}, time.Hour)
	signAs(t, ring, "OU1243", t0)

	keys, err := db.SigningKeys(ctx, "OU1243")
	if err != nil || len(keys) != 1 {
		t.Fatalf("SigningKeys = %v, %v", keys, err)
	}
	first := keys[0]
	if _, err := x509.ParsePKCS8PrivateKey(first.PrivateKey); err != nil {
		t.Fatalf("stored key does not parse: %v", err)
	}
	if !first.CreatedAt.Equal(t0) || !first.RetiredAt.IsZero() {
		t.Fatalf("key times = %v, %v", first.CreatedAt, first.RetiredAt)
	}
	var raw []byte
	if err := db.read.QueryRowContext(ctx, `SELECT private_key FROM signing_keys WHERE id = $1`, first.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte(sealedPrefix)) || bytes.Contains(raw, first.PrivateKey[:64]) {
		t.Fatalf("private key is stored in the clear: %.40q", raw)
	}

	// A rotation after the period makes a second key and keeps the first
	// published while its tokens can live.
	if err := ring.Rotate(ctx, t0.Add(61*time.Minute)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, dsn, master)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err = db.SigningKeys(ctx, "OU1243")
	if err != nil || len(keys) != 2 {
		t.Fatalf("after rotation: %d keys, %v", len(keys), err)
	}
	if keys[1].ID != first.ID || !keys[1].RetiredAt.Equal(t0.Add(61*time.Minute)) || !keys[0].RetiredAt.IsZero() {
		t.Fatalf("after rotation: newest %s retired %v; oldest %s retired %v", keys[0].ID, keys[0].RetiredAt, keys[1].ID, keys[1].RetiredAt)
	}
	ring = sign.NewKeyRing(struct{ sign.KeyStorage }{db}, time.Hour)
	doc, err := ring.JWKS(ctx, "OU1243")
	if err != nil {
		t.Fatal(err)
	}
	if kids := jwksKids(t, doc); len(kids) != 2 || kids[0] != keys[0].ID || kids[1] != first.ID {
		t.Fatalf("JWKS kids = %v, want [%s %s]", kids, keys[0].ID, first.ID)
	}

	// Once the retired key's last token has expired, Rotate deletes it.
	if err := ring.Rotate(ctx, t0.Add(61*time.Minute+sign.TokenLifetime+2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	all, err := db.AllSigningKeys(ctx)
	if err != nil || len(all) != 1 || all[0].ID != keys[0].ID {
		t.Fatalf("AllSigningKeys after prune = %v, %v", all, err)
	}
}

func TestSigningKeysNeedTheMasterKey(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db, err := Open(ctx, dsn, WithMasterKey(bytes.Repeat([]byte{7}, MasterKeySize)))
	if err != nil {
		t.Fatal(err)
	}
	signAs(t, sign.NewKeyRing(db, 0), "default", time.Now())
	db.Close()

	db, err = Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AllSigningKeys(ctx); err == nil {
		t.Fatal("sealed signing keys were read without the master key")
	}
}

func TestRetireAndDeleteSigningKey(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if err := db.InsertSigningKey(ctx, domain.SigningKey{ID: "k1", TenantID: "default", PrivateKey: []byte("der"), CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := db.RetireSigningKey(ctx, "k1", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A second retirement keeps the first time.
	if err := db.RetireSigningKey(ctx, "k1", at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	keys, err := db.SigningKeys(ctx, "default")
	if err != nil || len(keys) != 1 || !keys[0].RetiredAt.Equal(at.Add(time.Hour)) || string(keys[0].PrivateKey) != "der" {
		t.Fatalf("keys = %+v, %v", keys, err)
	}
	if err := db.RetireSigningKey(ctx, "missing", at); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("retire missing key: %v", err)
	}
	for range 2 {
		if err := db.DeleteSigningKey(ctx, "k1"); err != nil {
			t.Fatal(err)
		}
	}
	if keys, err := db.SigningKeys(ctx, "default"); err != nil || len(keys) != 0 {
		t.Fatalf("after delete: %v, %v", keys, err)
	}
}
