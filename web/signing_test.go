package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/edwards25519"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"hooks/delivery"
)

// verifyV1a reports whether some v1a signature in h's webhook-signature
// verifies under publicKey (whpk_…). The Ed25519 check (RFC 8032, 5.1.7)
// uses filippo.io/edwards25519's arithmetic, not crypto/ed25519, which
// hooks signs with.
func verifyV1a(t *testing.T, publicKey string, h http.Header, body []byte) bool {
	t.Helper()
	pub, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(publicKey, "whpk_"))
	if err != nil || len(pub) != 32 || !strings.HasPrefix(publicKey, "whpk_") {
		t.Fatalf("public key %q is not whpk_<base64 of 32 bytes>", publicKey)
	}
	A, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		t.Fatal(err)
	}
	msg := append([]byte(h.Get("webhook-id")+"."+h.Get("webhook-timestamp")+"."), body...)
	for _, part := range strings.Fields(h.Get("webhook-signature")) {
		b64, ok := strings.CutPrefix(part, "v1a,")
		sig, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || len(sig) != 64 {
			continue
		}
		s, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:])
		if err != nil {
			continue
		}
		d := sha512.New()
		d.Write(sig[:32])
		d.Write(pub)
		d.Write(msg)
		k, _ := new(edwards25519.Scalar).SetUniformBytes(d.Sum(nil))
		R := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(k, new(edwards25519.Point).Negate(A), s)
		if bytes.Equal(R.Bytes(), sig[:32]) {
			return true
		}
	}
	return false
}

// countPrefix counts the signatures in webhook-signature that start with v.
func countPrefix(h http.Header, v string) int {
	n := 0
	for _, part := range strings.Fields(h.Get("webhook-signature")) {
		if strings.HasPrefix(part, v) {
			n++
		}
	}
	return n
}

type secretEntry struct {
	Scheme                  string     `json:"scheme"`
	Secret                  string     `json:"secret"`
	PublicKey               string     `json:"publicKey"`
	PreviousSecretValid     *bool      `json:"previousSecretValid"`
	PreviousSecretExpiresAt *time.Time `json:"previousSecretExpiresAt"`
	Note                    string     `json:"note"`
}

// TestSeveralSchemesSignEveryRequest drives an endpoint that signs with a
// legacy HMAC header, Standard Webhooks v1 and v1a through the API: every
// scheme verifies on the same request with its own verifier, a rotation
// keeps v1 and v1a signing with both secrets for the grace period (engine
// clock moved past it afterwards) while HMAC switches at once and says so,
// and the v1a private key shows up in no answer, attempt or log line.
func TestSeveralSchemesSignEveryRequest(t *testing.T) {
	var offset atomic.Int64 // the engine's clock, ahead of the real one
	var logMu syncBuffer
	s := newTestServer(t, devPolicy, func(dc *delivery.Config, wc *Config) {
		dc.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		log := slog.New(slog.NewTextHandler(&logMu, &slog.HandlerOptions{Level: slog.LevelDebug}))
		dc.Logger, wc.Logger = log, log
	})
	rcv := newCapture(t, nil)
	var bodies []string // every API answer, to search for the private key
	api := func(method, path string, body any, out any) {
		t.Helper()
		var raw json.RawMessage
		resp := s.do(method, path, s.key, body, &raw)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		bodies = append(bodies, string(raw))
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatal(err)
			}
		}
	}

	var created struct {
		ID      string          `json:"id"`
		Signing json.RawMessage `json:"signing"`
		Secrets []secretEntry   `json:"secrets"`
	}
	api("POST", "/api/v1/webhooks", map[string]any{"url": rcv.srv.URL, "events": []string{"*"}, "signing": []map[string]any{
		{"scheme": "hmac-sha256", "header": "X-Pepperi-Signature", "prefix": "sha256="},
		{"scheme": "standard-webhooks"},
		{"scheme": "standard-webhooks-v1a"},
	}}, &created)
	if want := `[{"scheme":"hmac-sha256","header":"X-Pepperi-Signature","encoding":"hex","prefix":"sha256="},{"scheme":"standard-webhooks"},{"scheme":"standard-webhooks-v1a"}]`; string(created.Signing) != want {
		t.Errorf("signing = %s, want %s", created.Signing, want)
	}
	var secrets struct {
		Secret  *string       `json:"secret"`
		Secrets []secretEntry `json:"secrets"`
	}
	api("GET", "/api/v1/webhooks/"+created.ID+"/secret", nil, &secrets)
	if secrets.Secret != nil || len(secrets.Secrets) != 3 {
		t.Fatalf("GET …/secret = %+v, want a list of three", secrets)
	}
	hmacSecret, v1Secret, v1aPublic := secrets.Secrets[0].Secret, secrets.Secrets[1].Secret, secrets.Secrets[2].PublicKey
	if secrets.Secrets[0].Scheme != "hmac-sha256" || hmacSecret == "" || !strings.HasPrefix(v1Secret, "whsec_") ||
		!strings.HasPrefix(v1aPublic, "whpk_") || secrets.Secrets[2].Secret != "" {
		t.Fatalf("GET …/secret = %+v", secrets.Secrets)
	}
	if len(created.Secrets) != 3 || created.Secrets[2].PublicKey != v1aPublic || created.Secrets[0].Secret != hmacSecret {
		t.Errorf("create answered secrets %+v, want those of GET …/secret", created.Secrets)
	}

	check := func(got received, hmacKey string, v1Keys []string, v1aKeys []string) {
		t.Helper()
		mac := hmac.New(sha256.New, []byte(hmacKey))
		mac.Write(got.body)
		if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); got.header.Get("X-Pepperi-Signature") != want {
			t.Errorf("X-Pepperi-Signature = %q, want %q", got.header.Get("X-Pepperi-Signature"), want)
		}
		if vs := got.header.Values("Webhook-Signature"); len(vs) != 1 {
			t.Errorf("webhook-signature headers = %q, want one", vs)
		}
		if n := countPrefix(got.header, "v1,"); n != len(v1Keys) {
			t.Errorf("%d v1 signatures in %q, want %d", n, got.header.Get("Webhook-Signature"), len(v1Keys))
		}
		if n := countPrefix(got.header, "v1a,"); n != len(v1aKeys) {
			t.Errorf("%d v1a signatures in %q, want %d", n, got.header.Get("Webhook-Signature"), len(v1aKeys))
		}
		for _, secret := range v1Keys {
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.VerifyIgnoringTimestamp(got.body, got.header); err != nil {
				t.Errorf("Standard Webhooks library refuses v1 with %s…: %v", secret[:10], err)
			}
		}
		for _, pub := range v1aKeys {
			if !verifyV1a(t, pub, got.header, got.body) {
				t.Errorf("v1a with %s… does not verify", pub[:10])
			}
		}
	}
	s.postEvent("default", `{"topic":"t","data":{"n":1}}`)
	check(rcv.next(), hmacSecret, []string{v1Secret}, []string{v1aPublic})

	var rotated struct {
		Secrets []secretEntry `json:"secrets"`
	}
	api("POST", "/api/v1/webhooks/"+created.ID+"/secret/rotate", map[string]any{"graceSeconds": 3600}, &rotated)
	if len(rotated.Secrets) != 3 {
		t.Fatalf("rotate = %+v", rotated)
	}
	r := rotated.Secrets
	if r[0].PreviousSecretValid == nil || *r[0].PreviousSecretValid || r[0].PreviousSecretExpiresAt != nil || r[0].Note == "" {
		t.Errorf("hmac rotation = %+v, want previousSecretValid false, no expiry, a note", r[0])
	}
	for _, e := range r[1:] {
		if e.PreviousSecretValid == nil || !*e.PreviousSecretValid || e.PreviousSecretExpiresAt == nil || e.Note != "" {
			t.Errorf("%s rotation = %+v, want the previous secret valid until an expiry", e.Scheme, e)
		}
	}
	if r[0].Secret == hmacSecret || r[1].Secret == v1Secret || r[2].PublicKey == v1aPublic || r[2].Secret != "" {
		t.Fatalf("rotate = %+v", r)
	}
	s.postEvent("default", `{"topic":"t","data":{"n":2}}`)
	check(rcv.next(), r[0].Secret, []string{r[1].Secret, v1Secret}, []string{r[2].PublicKey, v1aPublic})

	// Past the grace period the old secrets stop signing.
	offset.Store(int64(2 * time.Hour))
	s.postEvent("default", `{"topic":"t","data":{"n":3}}`)
	check(rcv.next(), r[0].Secret, []string{r[1].Secret}, []string{r[2].PublicKey})

	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	api("GET", "/api/v1/webhooks/"+created.ID+"/deliveries", nil, &list)
	for _, d := range list.Data {
		api("GET", "/api/v1/deliveries/"+d.ID, nil, nil)
	}
	api("GET", "/api/v1/webhooks/"+created.ID, nil, nil)
	api("GET", "/api/v1/webhooks", nil, nil)
	private := privateKeysOf(t, s, created.ID)
	for _, key := range private {
		for _, b := range bodies {
			if strings.Contains(b, key) || strings.Contains(b, key[5:]) {
				t.Errorf("an API answer holds the v1a private key: %s", b)
			}
		}
		if strings.Contains(logMu.String(), key[5:]) {
			t.Error("the log holds the v1a private key")
		}
	}
}

// privateKeysOf reads the v1a private keys, current and previous, that the
// store holds for endpoint id.
func privateKeysOf(t *testing.T, s *testServer, id string) []string {
	t.Helper()
	w, err := s.db.EndpointByID(t.Context(), "default", id)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, sc := range w.Schemes() {
		if sc.Scheme == "standard-webhooks-v1a" {
			keys = append(keys, sc.Secret)
			if sc.PreviousSecret != "" {
				keys = append(keys, sc.PreviousSecret)
			}
		}
	}
	if len(keys) != 2 {
		t.Fatalf("want a current and a previous v1a key, got %d", len(keys))
	}
	return keys
}

// TestOneSchemeAnswersAsBefore: an endpoint with one scheme shows signing
// as an object and its secret as {"secret"}; v1a alone shows {"publicKey"}.
func TestOneSchemeAnswersAsBefore(t *testing.T) {
	s := newTestServer(t, devPolicy)
	hook := s.createWebhook(s.key, map[string]any{"url": "http://127.0.0.1:1/h", "events": []string{"*"}})
	resp := s.do("GET", "/api/v1/webhooks/"+hook.ID, s.key, nil, nil)
	body := readBody(t, resp)
	if !strings.Contains(body, `"signing":{"scheme":"standard-webhooks"},`) {
		t.Errorf("GET webhook = %s, want signing as one object", body)
	}
	if body := readBody(t, s.do("GET", "/api/v1/webhooks/"+hook.ID+"/secret", s.key, nil, nil)); body != `{"secret":"`+hook.Secret+`"}`+"\n" {
		t.Errorf("GET …/secret = %s", body)
	}

	var v1a struct {
		ID        string `json:"id"`
		Secret    string `json:"secret"`
		PublicKey string `json:"publicKey"`
	}
	mustStatus(t, s.do("POST", "/api/v1/webhooks", s.key, map[string]any{"url": "http://127.0.0.1:1/h", "events": []string{"*"},
		"signing": map[string]any{"scheme": "standard-webhooks-v1a"}}, &v1a), http.StatusCreated)
	if v1a.Secret != "" || !strings.HasPrefix(v1a.PublicKey, "whpk_") {
		t.Errorf("create v1a answered secret %q, publicKey %q", v1a.Secret, v1a.PublicKey)
	}
	var got map[string]string
	mustStatus(t, s.do("GET", "/api/v1/webhooks/"+v1a.ID+"/secret", s.key, nil, &got), http.StatusOK)
	if len(got) != 1 || got["publicKey"] != v1a.PublicKey {
		t.Errorf("GET …/secret = %v, want only the public key", got)
	}
}

// TestRotationSaysWhenTheOldSecretStops: an HMAC or shared-secret header
// holds one value, so the old secret stops at once, and the answer says so
// instead of promising an expiry.
func TestRotationSaysWhenTheOldSecretStops(t *testing.T) {
	s := newTestServer(t, devPolicy)
	for _, signing := range []map[string]any{{"scheme": "hmac-sha256"}, {"scheme": "shared-secret"}} {
		var hook webhookJSON
		mustStatus(t, s.do("POST", "/api/v1/webhooks", s.key, map[string]any{"url": "http://127.0.0.1:1/h", "events": []string{"*"},
			"signing": signing}, &hook), http.StatusCreated)
		var got map[string]any
		mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/secret/rotate", s.key, map[string]any{"graceSeconds": 3600}, &got), http.StatusOK)
		if got["previousSecretValid"] != false || got["previousSecretExpiresAt"] != nil || got["note"] == nil || got["secret"] == hook.Secret {
			t.Errorf("%v: rotate = %v", signing["scheme"], got)
		}
	}
	hook := s.createWebhook(s.key, map[string]any{"url": "http://127.0.0.1:1/h", "events": []string{"*"}})
	var got map[string]any
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/secret/rotate", s.key, nil, &got), http.StatusOK)
	if got["previousSecretValid"] != true || got["previousSecretExpiresAt"] == nil || got["note"] != nil {
		t.Errorf("standard-webhooks rotate = %v", got)
	}
}

func TestSigningListErrorsNameTheScheme(t *testing.T) {
	s := newTestServer(t, devPolicy)
	var e struct {
		Error struct {
			Field   string `json:"field"`
			Details []struct {
				Field string `json:"field"`
			} `json:"details"`
		} `json:"error"`
	}
	resp := s.do("POST", "/api/v1/webhooks", s.key, map[string]any{"url": "http://127.0.0.1:1/h", "events": []string{"*"},
		"signing": []map[string]any{{"scheme": "standard-webhooks"}, {"scheme": "hmac-sha256", "header": "Content-Length"}}}, &e)
	mustStatus(t, resp, http.StatusUnprocessableEntity)
	if e.Error.Field != "signing" || len(e.Error.Details) != 1 || e.Error.Details[0].Field != "signing[1].header" {
		t.Errorf("error = %+v, want field signing, details on signing[1].header", e.Error)
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// syncBuffer is a bytes.Buffer that several goroutines may write: the log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
