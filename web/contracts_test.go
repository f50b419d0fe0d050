package web

// Provider contracts end to end: an endpoint created through the API with a
// provider's exact options, an event posted through the API, and what a
// loopback receiver got checked with an implementation that is not hooks'
// own (crypto/hmac, golang-jwt plus a JWKS fetched over HTTP, the official
// Standard Webhooks library).

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jwtlib "github.com/golang-jwt/jwt/v5"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"hooks/delivery"
	"hooks/delivery/envelope"
	"hooks/delivery/sign"
	"hooks/domain"
	"hooks/store"
)

// capture is a loopback receiver that records every request and answers
// the nth (from 0) with answer(n), or 200 {"ok":true} when answer is nil.
type capture struct {
	t      *testing.T
	srv    *httptest.Server
	got    chan received
	n      atomic.Int64
	answer func(r *http.Request, n int) (int, string)
}

func newCapture(t *testing.T, answer func(r *http.Request, n int) (int, string)) *capture {
	t.Helper()
	c := &capture{t: t, got: make(chan received, 100), answer: answer}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := int(c.n.Add(1) - 1)
		status, answer := http.StatusOK, `{"ok":true}`
		if c.answer != nil {
			status, answer = c.answer(r, n)
		}
		h := r.Header.Clone()
		h.Set(":method", r.Method)
		h.Set(":path", r.URL.RequestURI())
		c.got <- received{header: h, body: body, at: time.Now()}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// next returns the next request the receiver got, or fails the test.
func (c *capture) next() received {
	c.t.Helper()
	select {
	case r := <-c.got:
		return r
	case <-time.After(5 * time.Second):
		c.t.Fatal("the receiver got no request within 5s")
		return received{}
	}
}

// postEvent posts an event as the tenant and returns its id.
func (s *testServer) postEvent(tenant, body string) string {
	s.t.Helper()
	var ev eventAccepted
	resp := s.do("POST", "/api/v1/events", s.key, body, &ev, "X-Tenant-ID", tenant)
	mustStatus(s.t, resp, http.StatusAccepted)
	if ev.Deliveries == 0 {
		s.t.Fatalf("event %s matched no endpoint", body)
	}
	return ev.ID
}

// createWebhookIn registers an endpoint in tenant.
func (s *testServer) createWebhookIn(tenant string, body map[string]any) webhookJSON {
	s.t.Helper()
	var out webhookJSON
	resp := s.do("POST", "/api/v1/webhooks", s.key, body, &out, "X-Tenant-ID", tenant)
	mustStatus(s.t, resp, http.StatusCreated)
	return out
}

func hmacSHA256(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

func TestHMACAndSharedSecretContracts(t *testing.T) {
	const secret = "pepperi-and-shopify-secret-é" // user-supplied, used as UTF-8 bytes
	tests := []struct {
		name    string
		signing map[string]any
		check   func(t *testing.T, h http.Header, body []byte)
	}{
		{
			name:    "hmac hex (Pepperi, GitHub)",
			signing: map[string]any{"scheme": "hmac-sha256", "header": "X-Pepperi-Signature", "encoding": "hex", "prefix": "sha256="},
			check: func(t *testing.T, h http.Header, body []byte) {
				want := "sha256=" + hex.EncodeToString(hmacSHA256(secret, body))
				if got := h.Get("X-Pepperi-Signature"); got != want {
					t.Errorf("X-Pepperi-Signature = %q, want %q", got, want)
				}
			},
		},
		{
			name:    "hmac base64 (eWarehousing, Shopify)",
			signing: map[string]any{"scheme": "hmac-sha256", "header": "X-Hmac-SHA256", "encoding": "base64"},
			check: func(t *testing.T, h http.Header, body []byte) {
				got, err := base64.StdEncoding.DecodeString(h.Get("X-Hmac-SHA256"))
				if err != nil || !hmac.Equal(got, hmacSHA256(secret, body)) {
					t.Errorf("X-Hmac-SHA256 = %q (%v), not the base64 HMAC of the raw body", h.Get("X-Hmac-SHA256"), err)
				}
			},
		},
		{
			name:    "shared secret (Shopery)",
			signing: map[string]any{"scheme": "shared-secret", "header": "X-Shopery-Secret"},
			check: func(t *testing.T, h http.Header, body []byte) {
				if got := h.Get("X-Shopery-Secret"); got != secret {
					t.Errorf("X-Shopery-Secret = %q, want the secret", got)
				}
			},
		},
	}
	s := newTestServer(t, devPolicy)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newCapture(t, nil)
			hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"orders/*"}, "signing": tt.signing,
				"secret": secret, "envelope": "standard"})
			if hook.Secret != secret {
				t.Fatalf("create answered secret %q, want the one supplied", hook.Secret)
			}
			s.postEvent("default", `{"topic":"orders/placed","data":{"id":42,"note":"ü"}}`)
			got := rcv.next()
			if !json.Valid(got.body) || !bytes.Contains(got.body, []byte(`"data":{"id":42,"note":"ü"}`)) {
				t.Fatalf("body = %s", got.body)
			}
			tt.check(t, got.header, got.body)
			for name := range got.header {
				if name != "X-Shopery-Secret" && strings.Contains(strings.Join(got.header[name], ","), secret) {
					t.Errorf("header %s carries the secret", name)
				}
			}
			dlv := got.header.Get("X-Hooks-Webhook-Id")
			d := s.waitDelivery(dlv, domain.StatusSucceeded, 5*time.Second)
			if len(d.Attempts) != 1 {
				t.Fatalf("attempts = %+v", d.Attempts)
			}
			for name, v := range d.Attempts[0].RequestHeaders {
				if strings.Contains(v, secret) {
					t.Errorf("the attempt log shows the secret in %s", name)
				}
			}
		})
	}
}

func TestStandardWebhooksRotationSignsWithBothSecrets(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newCapture(t, nil)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}})
	oldSecret := hook.Secret

	var rotated struct {
		Secret                  string     `json:"secret"`
		PreviousSecretExpiresAt *time.Time `json:"previousSecretExpiresAt"`
	}
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/secret/rotate", s.key, nil, &rotated), http.StatusOK)
	if rotated.Secret == oldSecret || rotated.PreviousSecretExpiresAt == nil ||
		time.Until(*rotated.PreviousSecretExpiresAt) < 23*time.Hour {
		t.Fatalf("rotate = %+v", rotated)
	}
	verify := func(secret string, got received) error {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		return wh.Verify(got.body, got.header)
	}

	s.postEvent("default", `{"topic":"t","data":{"n":1}}`)
	got := rcv.next()
	if sigs := strings.Fields(got.header.Get("Webhook-Signature")); len(sigs) != 2 {
		t.Fatalf("webhook-signature = %q, want two signatures during the grace period", got.header.Get("Webhook-Signature"))
	}
	for name, secret := range map[string]string{"old": oldSecret, "new": rotated.Secret} {
		if err := verify(secret, got); err != nil {
			t.Errorf("a receiver that knows only the %s secret rejects the delivery: %v", name, err)
		}
	}

	// Ending the grace period at once leaves the new secret alone.
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/secret/rotate", s.key, map[string]any{"graceSeconds": 0}, &rotated), http.StatusOK)
	s.postEvent("default", `{"topic":"t","data":{"n":2}}`)
	got = rcv.next()
	if err := verify(rotated.Secret, got); err != nil {
		t.Errorf("new secret: %v", err)
	}
	if err := verify(oldSecret, got); err == nil {
		t.Error("the first secret still verifies after a rotation without grace")
	}
}

// lateKeys is the JWT key storage of a test server: the store it stands
// for is opened by newTestServer after the options that need it are read.
type lateKeys struct{ db atomic.Pointer[store.DB] }

func (k *lateKeys) SigningKeys(ctx context.Context, tenantID string) ([]domain.SigningKey, error) {
	return k.db.Load().SigningKeys(ctx, tenantID)
}
func (k *lateKeys) InsertSigningKey(ctx context.Context, key domain.SigningKey) error {
	return k.db.Load().InsertSigningKey(ctx, key)
}
func (k *lateKeys) RetireSigningKey(ctx context.Context, id string, at time.Time) error {
	return k.db.Load().RetireSigningKey(ctx, id, at)
}
func (k *lateKeys) DeleteSigningKey(ctx context.Context, id string) error {
	return k.db.Load().DeleteSigningKey(ctx, id)
}
func (k *lateKeys) AllSigningKeys(ctx context.Context) ([]domain.SigningKey, error) {
	return k.db.Load().AllSigningKeys(ctx)
}

// newJWTServer is a test server wired as cli/serve.go wires serve: a KeyRing
// on the store signs jwt endpoints and publishes the JWK Sets.
func newJWTServer(t *testing.T, opts ...serverOption) *testServer {
	t.Helper()
	keys := &lateKeys{}
	withJWT := func(dc *delivery.Config, wc *Config) {
		ring := sign.NewKeyRing(keys, 0)
		dc.JWT = sign.NewJWT(ring, wc.PublicURL)
		wc.JWKS = ring
	}
	// withJWT goes last: it reads the public URL that opts may set.
	s := newTestServer(t, append(append([]serverOption{devPolicy}, opts...), withJWT)...)
	keys.db.Store(s.db)
	return s
}

// fetchJWKS gets a JWK Set over HTTP and returns its RSA keys by kid,
// decoded by hand from n and e (RFC 7518 §6.3.1), not by hooks' library.
func fetchJWKS(t *testing.T, url string) (map[string]*rsa.PublicKey, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	var set struct {
		Keys []struct{ Kty, Kid, Alg, Use, N, E string } `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if k.Kty != "RSA" || k.Alg != "RS256" || k.Use != "sig" || err1 != nil || err2 != nil {
			t.Fatalf("JWK %+v is not an RS256 signing key", k)
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys, resp.Header
}

// TestPPSContract reproduces Pitchpoint's receiving contract: an RS256
// bearer token checked against <issuer>/.well-known/jwks.json with issuer
// and audience, and X-Pps- metadata headers.
func TestPPSContract(t *testing.T) {
	s := newJWTServer(t, func(dc *delivery.Config, _ *Config) { dc.HeaderPrefix = "X-Pps-" })
	mustStatus(t, s.do("PUT", "/api/v1/tenants/OU1243", s.key, nil, nil), http.StatusCreated)
	rcv := newCapture(t, nil)
	hook := s.createWebhookIn("OU1243", map[string]any{"url": rcv.srv.URL + "/pps", "events": []string{"orders/*"},
		"signing": map[string]any{"scheme": "jwt"}})

	// Before the tenant's first signature its key set is empty, and asking
	// for it does not create a key.
	if keys, _ := fetchJWKS(t, s.http.URL+"/OU1243/.well-known/jwks.json"); len(keys) != 0 {
		t.Fatalf("a tenant that never signed publishes %d keys", len(keys))
	}

	evID := s.postEvent("OU1243", `{"topic":"orders/placed","subTopic":"product:adv/adv-120","data":{"OrderID":7}}`)
	got := rcv.next()
	h := got.header

	// The metadata headers, PPS style, and no X-Hooks- ones.
	dlv := h.Get("X-Pps-Webhook-Id")
	for name, want := range map[string]string{"X-Pps-Topic": "orders/placed", "X-Pps-Sub-Topic": "product:adv/adv-120", "X-Pps-Tenant-Id": "OU1243"} {
		if h.Get(name) != want {
			t.Errorf("%s = %q, want %q", name, h.Get(name), want)
		}
	}
	if !strings.HasPrefix(dlv, "dlv_") {
		t.Errorf("X-Pps-Webhook-Id = %q", dlv)
	}
	if at := h.Get("X-Pps-Triggered-At"); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$`).MatchString(at) {
		t.Errorf("X-Pps-Triggered-At = %q, want UTC RFC 3339 with nanoseconds", at)
	}
	for name := range h {
		if strings.HasPrefix(name, "X-Hooks-") {
			t.Errorf("header %s sent although the prefix is X-Pps-", name)
		}
	}

	keys, jwksHeader := fetchJWKS(t, s.http.URL+"/OU1243/.well-known/jwks.json")
	if cc := jwksHeader.Get("Cache-Control"); !strings.Contains(cc, "max-age=300") {
		t.Errorf("JWKS Cache-Control = %q", cc)
	}
	bearer, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok {
		t.Fatalf("Authorization = %q", h.Get("Authorization"))
	}
	issuer := "http://hooks.test/OU1243"
	claims := jwtlib.MapClaims{}
	token, err := jwtlib.ParseWithClaims(bearer, claims, func(tok *jwtlib.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if k := keys[kid]; k != nil {
			return k, nil
		}
		return nil, fmt.Errorf("kid %q is not in the tenant's JWKS", kid)
	}, jwtlib.WithValidMethods([]string{"RS256"}), jwtlib.WithIssuer(issuer), jwtlib.WithAudience("OU1243"),
		jwtlib.WithExpirationRequired(), jwtlib.WithIssuedAt())
	if err != nil || !token.Valid {
		t.Fatalf("golang-jwt rejects the token: %v", err)
	}
	iat, _ := claims.GetIssuedAt()
	exp, _ := claims.GetExpirationTime()
	if d := exp.Sub(iat.Time); d <= 0 || d > 300*time.Second {
		t.Errorf("exp - iat = %s, want at most 5 minutes", d)
	}
	sum := sha256.Sum256(got.body)
	for name, want := range map[string]string{"jti": dlv, "sub": hook.ID, "body_sha256": hex.EncodeToString(sum[:])} {
		if claims[name] != want {
			t.Errorf("claim %s = %v, want %q", name, claims[name], want)
		}
	}

	// The server-wide set has the key too; an unknown tenant is 404 and
	// a known tenant without keys is an empty set.
	all, _ := fetchJWKS(t, s.http.URL+"/.well-known/jwks.json")
	for kid := range keys {
		if all[kid] == nil {
			t.Errorf("/.well-known/jwks.json lacks key %s", kid)
		}
	}
	if resp := s.do("GET", "/nope/.well-known/jwks.json", "", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown tenant's JWKS: %d, want 404", resp.StatusCode)
	}
	if keys, _ := fetchJWKS(t, s.http.URL+"/default/.well-known/jwks.json"); len(keys) != 0 {
		t.Errorf("default tenant has %d keys, want none", len(keys))
	}

	var d deliveryJSON
	for deadline := time.Now().Add(5 * time.Second); d.Status != domain.StatusSucceeded && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		s.do("GET", "/api/v1/deliveries/"+dlv, s.key, nil, &d, "X-Tenant-ID", "OU1243")
	}
	if d.Status != domain.StatusSucceeded || d.EventID != evID || d.Attempts[0].RequestHeaders["Authorization"] != "[redacted]" {
		t.Errorf("delivery = %+v", d)
	}
}

// compactJSON removes the insignificant white space from a JSON body.
func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	return out.String()
}

func TestPepperiEnvelopeThroughTheAPI(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newCapture(t, nil)
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"accounts/*"},
		"envelope": map[string]any{"type": "template", "template": envelope.PepperiTemplate},
		"metadata": map[string]string{"companyId": "232455", "triggeredById": "123", "triggeredByUri": "/users/123"}})
	evID := s.postEvent("default", `{"topic":"accounts/created","data":{"ID": 173331, "ExternalID": "ASFG9322", "URI": "/accounts/173331"}}`)
	got := rcv.next()
	var d deliveryJSON
	s.do("GET", "/api/v1/deliveries/"+got.header.Get("X-Hooks-Webhook-Id"), s.key, nil, &d)

	// UpdatedAt is the attempt's time, which only the body tells.
	var sent struct{ Delivery struct{ UpdatedAt string } }
	json.Unmarshal(got.body, &sent)
	updated, err := time.Parse(time.RFC3339Nano, sent.Delivery.UpdatedAt)
	if err != nil || updated.Before(d.CreatedAt) || time.Since(updated) > time.Minute {
		t.Fatalf("Delivery.UpdatedAt = %q (%v), created %v", sent.Delivery.UpdatedAt, err, d.CreatedAt)
	}
	want := fmt.Sprintf(`{"ID":%q,"Delivery":{"ID":%q,"CreatedAt":%q,"UpdatedAt":%q},"CompanyID":232455,
		"TriggeredBy":{"ID":"123","URI":"/users/123"},"Data":{"ID": 173331, "ExternalID": "ASFG9322", "URI": "/accounts/173331"}}`,
		evID, d.ID, d.CreatedAt.Format(time.RFC3339Nano), sent.Delivery.UpdatedAt)
	if g, w := compactJSON(t, got.body), compactJSON(t, []byte(want)); g != w {
		t.Errorf("receiver got\n%s\nwant\n%s", g, w)
	}
}

func TestAlphaTouchEnvelopeThroughTheAPI(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newCapture(t, nil)
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"resident/*"},
		"envelope": map[string]any{"type": "template", "template": envelope.AlphaTouchTemplate},
		"metadata": map[string]string{"api_key": "UNIQUE_API_KEY"}})
	want := map[string]string{
		"resident/created": `{"api_key":"UNIQUE_API_KEY","action":"create","entity":"resident","entity_id":17,"data":{"id":17,"name":"Ann"}}`,
		"resident/updated": `{"api_key":"UNIQUE_API_KEY","action":"update","entity":"resident","entity_id":17,"data":{"id":17,"name":"Anne"}}`,
		"resident/deleted": `{"api_key":"UNIQUE_API_KEY","action":"delete","entity":"resident","entity_id":17}`,
	}
	s.postEvent("default", `{"topic":"resident/created","data":{"id":17,"name":"Ann"}}`)
	s.postEvent("default", `{"topic":"resident/updated","data":{"id":17,"name":"Anne"}}`)
	s.postEvent("default", `{"topic":"resident/deleted","data":{"id":17}}`)
	for range want {
		got := rcv.next()
		topic := got.header.Get("X-Hooks-Topic")
		if g := compactJSON(t, got.body); g != want[topic] {
			t.Errorf("%s: receiver got\n%s\nwant\n%s", topic, g, want[topic])
		}
	}
}

func TestSuccessFalseWith200IsAFailedAttempt(t *testing.T) {
	s := newTestServer(t, devPolicy)
	const answer = `{"Success":false,"HTMLResponse":"<p>Order <b>7</b> rejected: unknown customer</p>"}`
	rcv := newCapture(t, func(*http.Request, int) (int, string) { return http.StatusOK, answer })
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}})
	s.postEvent("default", `{"topic":"orders/placed","data":{"id":7}}`)
	got := rcv.next()
	d := s.waitDelivery(got.header.Get("X-Hooks-Webhook-Id"), domain.StatusFailed, 5*time.Second)
	if len(d.Attempts) != 1 {
		t.Fatalf("%d attempts, want 1: a 200 is not retried", len(d.Attempts))
	}
	a := d.Attempts[0]
	if a.StatusCode != 200 || a.ResponseBody != answer || !strings.Contains(a.Error, "Success") {
		t.Errorf("attempt = status %d, body %q, error %q", a.StatusCode, a.ResponseBody, a.Error)
	}

	// Success:true with an HTMLResponse is delivered.
	ok := newCapture(t, func(*http.Request, int) (int, string) {
		return http.StatusOK, `{"Success":true,"HTMLResponse":"<p>ok</p>"}`
	})
	s.createWebhook(s.key, map[string]any{"url": ok.srv.URL, "events": []string{"invoices/*"}})
	s.postEvent("default", `{"topic":"invoices/paid","data":{"id":8}}`)
	s.waitDelivery(ok.next().header.Get("X-Hooks-Webhook-Id"), domain.StatusSucceeded, 5*time.Second)
}
