package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store/storetest"
)

// The secret of every scheme past the first is sealed like the endpoint
// secret; the v1a private key never sits in the database in the clear.
func TestSeveralSchemesSecretsAreEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db := openDBAt(t, dsn, WithMasterKey(testKey(1)))
	w := createSecretWebhook(t, db, "whsec_FIRSTsecretFIRSTsecretFIRSTsecretFIRS0")
	v1a := domain.NewSecret(domain.SchemeStandardV1a)
	const hmac, hmacPrevious = "HMACsecretHMACsecretHMAC", "PREVIOUShmacPREVIOUShmac"
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	w.AlsoSigning = []domain.SchemeSecrets{
		{Signing: domain.Signing{Scheme: domain.SchemeStandardV1a}, Secret: v1a},
		{Signing: domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Sig", Encoding: "hex"}, Secret: hmac,
			PreviousSecret: hmacPrevious, PreviousSecretUntil: until},
	}
	if err := db.UpdateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	var signing string
	if err := db.write.QueryRow(`SELECT signing FROM endpoints WHERE id = $1`, w.ID).Scan(&signing); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{v1a, v1a[5:], hmac, hmacPrevious} {
		if strings.Contains(signing, s) {
			t.Errorf("the signing column holds %q in the clear: %s", s, signing)
		}
	}
	if storetest.Backend() == storetest.SQLite {
		if found := checkpointedFilesHold(t, db, dsn, v1a, v1a[5:], hmac, hmacPrevious); len(found) > 0 {
			t.Errorf("the database files hold %q in the clear", found)
		}
	}
	got, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.AlsoSigning) != 2 || got.AlsoSigning[0].Secret != v1a || got.AlsoSigning[1].Secret != hmac ||
		got.AlsoSigning[1].PreviousSecret != hmacPrevious || !got.AlsoSigning[1].PreviousSecretUntil.Equal(until) ||
		got.AlsoSigning[1].Header != "X-Sig" || got.Signing.Scheme != "standard" {
		t.Errorf("read back %+v, %+v", got.Signing, got.AlsoSigning)
	}
	// A sealed secret is bound to its place: swapped with another scheme's,
	// neither opens.
	var list []storedScheme
	if err := json.Unmarshal([]byte(signing), &list); err != nil {
		t.Fatal(err)
	}
	list[1].Secret, list[2].Secret = list[2].Secret, list[1].Secret
	if _, err := db.write.Exec(`UPDATE endpoints SET signing = $1 WHERE id = $2`, jsonText(list), w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID); err == nil {
		t.Error("secrets swapped between schemes opened")
	}
}

// A row written when signing was always one object still reads, and an
// endpoint with one scheme is still stored that way, byte for byte.
func TestSigningColumnKeepsTheSingleObjectForm(t *testing.T) {
	ctx := context.Background()
	db := openDBAt(t, storetest.DSN(t))
	w := createSecretWebhook(t, db, "whsec_FIRSTsecretFIRSTsecretFIRSTsecretFIRS0")
	const old = `{"scheme":"hmac-sha256","header":"X-Pepperi-Signature","encoding":"hex","prefix":"sha256="}`
	if _, err := db.write.Exec(`UPDATE endpoints SET signing = $1 WHERE id = $2`, old, w.ID); err != nil {
		t.Fatal(err)
	}
	got, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Pepperi-Signature", Encoding: "hex", Prefix: "sha256="}
	if got.Signing != want || len(got.AlsoSigning) != 0 {
		t.Fatalf("old row reads as %+v, %+v", got.Signing, got.AlsoSigning)
	}
	if err := db.UpdateEndpoint(ctx, got); err != nil {
		t.Fatal(err)
	}
	var signing string
	if err := db.write.QueryRow(`SELECT signing FROM endpoints WHERE id = $1`, w.ID).Scan(&signing); err != nil {
		t.Fatal(err)
	}
	if signing != old {
		t.Errorf("signing stored as %s, want %s", signing, old)
	}
}

// A database written without a master key gets its extra schemes' secrets
// sealed on the first start with one.
func TestFirstOpenWithKeyEncryptsSeveralSchemesSecrets(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db := openDBAt(t, dsn)
	w := createSecretWebhook(t, db, "whsec_FIRSTsecretFIRSTsecretFIRSTsecretFIRS0")
	v1a := domain.NewSecret(domain.SchemeStandardV1a)
	w.AlsoSigning = []domain.SchemeSecrets{{Signing: domain.Signing{Scheme: domain.SchemeStandardV1a}, Secret: v1a}}
	if err := db.UpdateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = openDBAt(t, dsn, WithMasterKey(testKey(3)))
	var signing string
	if err := db.write.QueryRow(`SELECT signing FROM endpoints WHERE id = $1`, w.ID).Scan(&signing); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(signing, v1a) || !strings.Contains(signing, sealedPrefix) {
		t.Errorf("after the first start with a key the signing column is %s", signing)
	}
	got, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if err != nil || len(got.AlsoSigning) != 1 || got.AlsoSigning[0].Secret != v1a {
		t.Fatalf("after encryption: %+v, %v", got, err)
	}
}
