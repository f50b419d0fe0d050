package sign

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hooks/domain"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/edwards25519"
)

// verifyEd25519 checks an Ed25519 signature (RFC 8032, section 5.1.7)
// with filippo.io/edwards25519's group arithmetic, not with crypto/ed25519,
// which the signer uses: [s]B = R + [k]A with k = SHA-512(R || A || msg).
func verifyEd25519(pub, msg, sig []byte) bool {
	if len(pub) != 32 || len(sig) != 64 {
		return false
	}
	A, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return false
	}
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(pub)
	h.Write(msg)
	k, err := new(edwards25519.Scalar).SetUniformBytes(h.Sum(nil))
	if err != nil {
		return false
	}
	// R' = [s]B - [k]A, which must encode to R.
	minusA := new(edwards25519.Point).Negate(A)
	R := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(k, minusA, s)
	return bytes.Equal(R.Bytes(), sig[:32])
}

// v1aReceiver verifies a request as a Standard Webhooks v1a receiver does:
// some v1a signature in webhook-signature must verify under the whpk_ key.
func v1aReceiver(t *testing.T, publicKey string, h http.Header, body string) bool {
	t.Helper()
	pub, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(publicKey, "whpk_"))
	if err != nil || !strings.HasPrefix(publicKey, "whpk_") {
		t.Fatalf("public key %q is not whpk_<base64>", publicKey)
	}
	msg := h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + body
	for _, part := range strings.Fields(h.Get("webhook-signature")) {
		sig, ok := strings.CutPrefix(part, "v1a,")
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && verifyEd25519(pub, []byte(msg), raw) {
			return true
		}
	}
	return false
}

func publicKey(t *testing.T, secret string) string {
	t.Helper()
	pub, err := domain.V1aPublicKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// TestIndependentVerifierRefusesForgery shows that the test verifier is not
// one that accepts anything: a changed body or key fails.
func TestIndependentVerifierRefusesForgery(t *testing.T) {
	secret := domain.NewSecret(domain.SchemeStandardV1a)
	s := mustNew(t, domain.Signing{Scheme: domain.SchemeStandardV1a}, secret)
	h := signHeaders(t, s, standardBody, Meta{DeliveryID: standardID, Timestamp: time.Unix(standardTimestamp, 0)})
	if !v1aReceiver(t, publicKey(t, secret), h, standardBody) {
		t.Fatal("a genuine v1a signature does not verify")
	}
	if v1aReceiver(t, publicKey(t, secret), h, standardBody+" ") {
		t.Error("a changed body verifies")
	}
	if v1aReceiver(t, publicKey(t, domain.NewSecret(domain.SchemeStandardV1a)), h, standardBody) {
		t.Error("another key verifies")
	}
}

func TestV1aVerifiesWithIndependentEd25519(t *testing.T) {
	secret := domain.NewSecret(domain.SchemeStandardV1a)
	if !strings.HasPrefix(secret, "whsk_") {
		t.Fatalf("v1a secret %q is not whsk_…", secret)
	}
	s := mustNew(t, domain.Signing{Scheme: domain.SchemeStandardV1a}, secret)
	now := time.Unix(1_700_000_000, 0)
	h := signHeaders(t, s, standardBody, Meta{DeliveryID: "dlv_1", Timestamp: now})
	if got := h.Get("webhook-id"); got != "dlv_1" {
		t.Errorf("webhook-id = %q", got)
	}
	if got := h.Get("webhook-timestamp"); got != strconv.FormatInt(now.Unix(), 10) {
		t.Errorf("webhook-timestamp = %q", got)
	}
	sig := h.Get("webhook-signature")
	if !strings.HasPrefix(sig, "v1a,") || strings.Contains(sig, " ") {
		t.Errorf("webhook-signature = %q, want one v1a,<base64>", sig)
	}
	if !v1aReceiver(t, publicKey(t, secret), h, standardBody) {
		t.Errorf("signature %q does not verify", sig)
	}
}

func TestV1aRotationSignsWithBothKeys(t *testing.T) {
	current, previous := domain.NewSecret(domain.SchemeStandardV1a), domain.NewSecret(domain.SchemeStandardV1a)
	s := mustNew(t, domain.Signing{Scheme: domain.SchemeStandardV1a}, current, previous)
	h := signHeaders(t, s, standardBody, Meta{DeliveryID: "dlv_1", Timestamp: time.Unix(1_700_000_000, 0)})
	if n := len(strings.Fields(h.Get("webhook-signature"))); n != 2 {
		t.Fatalf("webhook-signature = %q, want two signatures", h.Get("webhook-signature"))
	}
	for _, secret := range []string{current, previous} {
		if !v1aReceiver(t, publicKey(t, secret), h, standardBody) {
			t.Errorf("a receiver with the public key of %s… does not verify", secret[:9])
		}
	}
}

// TestSeveralSchemesSignOneRequest: Standard Webhooks v1 and v1a share one
// webhook-signature header, and a legacy HMAC header goes beside them; each
// verifies with its own, independent verifier.
func TestSeveralSchemesSignOneRequest(t *testing.T) {
	v1a := domain.NewSecret(domain.SchemeStandardV1a)
	hmacOpts := domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Pepperi-Signature", Prefix: "sha256=", Encoding: "hex"}
	if err := validate(&hmacOpts); err != nil {
		t.Fatal(err)
	}
	s, err := NewAll([]Scheme{
		{Options: hmacOpts, Secrets: []string{githubSecret}},
		{Options: domain.Signing{Scheme: domain.SchemeStandard}, Secrets: []string{standardSecret}},
		{Options: domain.Signing{Scheme: domain.SchemeStandardV1a}, Secrets: []string{v1a}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Now()
	h := signHeaders(t, s, githubBody, Meta{DeliveryID: "msg_1", Timestamp: ts})
	if got := h.Get("X-Pepperi-Signature"); got != githubSignature {
		t.Errorf("X-Pepperi-Signature = %q, want %q", got, githubSignature)
	}
	if vs := h.Values("webhook-signature"); len(vs) != 1 || len(strings.Fields(vs[0])) != 2 {
		t.Errorf("webhook-signature = %q, want one header with a v1 and a v1a signature", vs)
	}
	if err := standardVerifier(t, standardSecret).Verify([]byte(githubBody), h); err != nil {
		t.Errorf("Standard Webhooks library refuses the v1 signature beside v1a: %v", err)
	}
	if !v1aReceiver(t, publicKey(t, v1a), h, githubBody) {
		t.Error("the v1a signature does not verify")
	}
}

func TestNewAllRefusesJWTWithoutASigner(t *testing.T) {
	_, err := NewAll([]Scheme{{Options: domain.Signing{Scheme: domain.SchemeJWT}, Secrets: []string{"x"}}}, nil)
	if err == nil {
		t.Fatal("NewAll accepted jwt without a JWT signer")
	}
}

// TestV1aKeysMatchRFC8032: a whsk_ seed gives the public key of RFC 8032's
// first test vector, and the test verifier accepts that vector's signature.
func TestV1aKeysMatchRFC8032(t *testing.T) {
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	pub, _ := hex.DecodeString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
	sig, _ := hex.DecodeString("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
	got := publicKey(t, "whsk_"+base64.StdEncoding.EncodeToString(seed))
	if want := "whpk_" + base64.StdEncoding.EncodeToString(pub); got != want {
		t.Errorf("public key = %s, want %s", got, want)
	}
	if !verifyEd25519(pub, nil, sig) {
		t.Error("the test verifier refuses RFC 8032's test 1")
	}
}

// TestV1aAcceptedByNodeReceiver: Node's crypto.verify (OpenSSL's Ed25519)
// accepts hooks' v1a signatures, beside a v1 one and during a rotation, and
// refuses a changed body. The receiver is testdata/v1a-receiver/server.js,
// the README's snippet.
func TestV1aAcceptedByNodeReceiver(t *testing.T) {
	current, previous := domain.NewSecret(domain.SchemeStandardV1a), domain.NewSecret(domain.SchemeStandardV1a)
	s, err := NewAll([]Scheme{
		{Options: domain.Signing{Scheme: domain.SchemeStandard}, Secrets: []string{standardSecret}},
		{Options: domain.Signing{Scheme: domain.SchemeStandardV1a}, Secrets: []string{current, previous}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{current, previous} {
		url := startNodeReceiver(t, "testdata/v1a-receiver", false, "PUBLIC_KEY="+publicKey(t, secret))
		h := signHeaders(t, s, standardBody, Meta{DeliveryID: "dlv_node", Timestamp: time.Now()})
		if code, _ := post(t, url, h, standardBody); code != http.StatusNoContent {
			t.Errorf("receiver with key %s… answered %d, want 204", secret[:9], code)
		}
		if code, _ := post(t, url, h, standardBody+" "); code != http.StatusUnauthorized {
			t.Errorf("receiver answered %d to a changed body, want 401", code)
		}
	}
}
