package sign

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	jwtlib "github.com/golang-jwt/jwt/v5"
)

// jwksServer serves ring's key sets where the web package will:
// /{tenant}/.well-known/jwks.json and /.well-known/jwks.json.
func jwksServer(t *testing.T, ring *KeyRing) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	serve := func(w http.ResponseWriter, set []byte, err error) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(set)
	}
	mux.HandleFunc("GET /{tenant}/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		set, err := ring.JWKS(r.Context(), r.PathValue("tenant"))
		serve(w, set, err)
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		set, err := ring.AllJWKS(r.Context())
		serve(w, set, err)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// verifyJWT checks token the way a receiver does, with golang-jwt and a key
// fetched over HTTP from issuer's JWKS (decoded by go-jose's JWK Set type),
// at the receiver's time now. It returns the token's claims.
func verifyJWT(t *testing.T, token, issuer, audience string, now time.Time) (jwtlib.MapClaims, error) {
	t.Helper()
	keyfunc := func(tok *jwtlib.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token has no kid")
		}
		resp, err := http.Get(issuer + "/.well-known/jwks.json")
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("JWKS answered %s", resp.Status)
		}
		var set jose.JSONWebKeySet
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
			return nil, fmt.Errorf("decode JWKS: %w", err)
		}
		keys := set.Key(kid)
		if len(keys) != 1 {
			return nil, fmt.Errorf("JWKS has %d keys with kid %q", len(keys), kid)
		}
		if k := keys[0]; k.Algorithm != "RS256" || k.Use != "sig" || !k.IsPublic() {
			return nil, fmt.Errorf("JWKS key %q: alg %q, use %q, public %v", kid, k.Algorithm, k.Use, k.IsPublic())
		}
		return keys[0].Key, nil
	}
	parser := jwtlib.NewParser(
		jwtlib.WithValidMethods([]string{"RS256"}),
		jwtlib.WithIssuer(issuer),
		jwtlib.WithAudience(audience),
		jwtlib.WithExpirationRequired(),
		jwtlib.WithIssuedAt(),
		jwtlib.WithTimeFunc(func() time.Time { return now }),
	)
	claims := jwtlib.MapClaims{}
	_, err := parser.ParseWithClaims(token, claims, keyfunc)
	return claims, err
}

// bearer signs body with s and returns the token from the Authorization header.
func bearer(t *testing.T, s Signer, body string, m Meta) string {
	t.Helper()
	h := signHeaders(t, s, body, m)
	token, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok || len(h) != 1 {
		t.Fatalf("signer set %v, want only Authorization: Bearer <token>", h)
	}
	return token
}

func TestJWTVerifiesWithGolangJWT(t *testing.T) {
	tests := []struct {
		tenant string
		issuer string // after the server's URL
	}{
		{tenant: "OU1243", issuer: "/OU1243"},
		{tenant: "acme co", issuer: "/acme%20co"},
	}
	ring := NewKeyRing(newMemKeys(), 0)
	srv := jwksServer(t, ring)
	signer := NewJWT(ring, srv.URL+"/")
	for _, tt := range tests {
		t.Run(tt.tenant, func(t *testing.T) {
			body := `{"type":"orders/placed","data":{"id":42}}`
			m := Meta{DeliveryID: "dlv_01J0ABC", EndpointID: "wbh_01J0XYZ", TenantID: tt.tenant, Timestamp: t0}
			token := bearer(t, signer, body, m)
			issuer := srv.URL + tt.issuer
			if got := signer.Issuer(tt.tenant); got != issuer {
				t.Errorf("Issuer = %q, want %q", got, issuer)
			}

			claims, err := verifyJWT(t, token, issuer, tt.tenant, t0.Add(time.Minute))
			if err != nil {
				t.Fatalf("golang-jwt rejects the token: %v", err)
			}
			iat, _ := claims.GetIssuedAt()
			exp, _ := claims.GetExpirationTime()
			if iat == nil || exp == nil || !iat.Time.Equal(t0) {
				t.Fatalf("iat = %v, exp = %v, want iat %v", iat, exp, t0)
			}
			if d := exp.Sub(iat.Time); d <= 0 || d > 300*time.Second {
				t.Errorf("exp - iat = %v, want (0, 300s]", d)
			}
			sum := sha256.Sum256([]byte(body))
			for claim, want := range map[string]string{
				"jti":         m.DeliveryID,
				"sub":         m.EndpointID,
				"aud":         tt.tenant,
				"body_sha256": hex.EncodeToString(sum[:]),
			} {
				if got := claims[claim]; got != want {
					t.Errorf("claim %s = %v, want %q", claim, got, want)
				}
			}

			header := decodeSegment(t, token, 0)
			if header["alg"] != "RS256" || header["typ"] != "JWT" {
				t.Errorf("header = %v, want alg RS256 and typ JWT", header)
			}
			if kid := currentKID(t, ring, tt.tenant, t0); header["kid"] != kid {
				t.Errorf("kid = %v, want the current key %s", header["kid"], kid)
			}
		})
	}
}

// decodeSegment returns the JSON of part i (0 header, 1 claims) of a compact JWT.
func decodeSegment(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The same delivery retried carries the same jti, so a receiver can drop
// duplicates; each attempt's token is fresh.
func TestJWTRetryKeepsJTI(t *testing.T) {
	ring := NewKeyRing(newMemKeys(), 0)
	signer := NewJWT(ring, "https://hooks.example")
	m := Meta{DeliveryID: "dlv_same", EndpointID: "wbh_1", TenantID: "OU1", Timestamp: t0}
	first := bearer(t, signer, "{}", m)
	m.Timestamp = t0.Add(90 * time.Second)
	second := bearer(t, signer, "{}", m)
	if first == second {
		t.Fatal("two attempts got the same token")
	}
	a, b := decodeSegment(t, first, 1), decodeSegment(t, second, 1)
	if a["jti"] != "dlv_same" || b["jti"] != "dlv_same" {
		t.Errorf("jti = %v and %v, want dlv_same on both", a["jti"], b["jti"])
	}
}

func TestJWTRejectedByReceiver(t *testing.T) {
	ring := NewKeyRing(newMemKeys(), 0)
	srv := jwksServer(t, ring)
	signer := NewJWT(ring, srv.URL)
	m := Meta{DeliveryID: "dlv_1", EndpointID: "wbh_1", TenantID: "OU1", Timestamp: t0}
	token := bearer(t, signer, `{"a":1}`, m)
	otherTenant := bearer(t, signer, `{"a":1}`, Meta{DeliveryID: "dlv_2", EndpointID: "wbh_2", TenantID: "OU2", Timestamp: t0})

	// Change one claim and keep the signature: what an attacker can do
	// without the key.
	parts := strings.Split(token, ".")
	claims := decodeSegment(t, token, 1)
	claims["sub"] = "wbh_other"
	forged, _ := json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(forged)
	tampered := strings.Join(parts, ".")

	tests := []struct {
		name     string
		token    string
		issuer   string
		audience string
		now      time.Time
	}{
		{"tampered claims", tampered, srv.URL + "/OU1", "OU1", t0},
		{"another tenant's audience", token, srv.URL + "/OU1", "OU2", t0},
		{"another tenant's issuer and keys", otherTenant, srv.URL + "/OU1", "OU2", t0},
		{"expired", token, srv.URL + "/OU1", "OU1", t0.Add(TokenLifetime + time.Second)},
		{"issued in the future", token, srv.URL + "/OU1", "OU1", t0.Add(-time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := verifyJWT(t, tt.token, tt.issuer, tt.audience, tt.now); err == nil {
				t.Error("the receiver accepted the token")
			}
		})
	}
	if _, err := verifyJWT(t, token, srv.URL+"/OU1", "OU1", t0); err != nil {
		t.Fatalf("the untouched token is rejected too, so the cases above prove nothing: %v", err)
	}
}

// body_sha256 binds the token to the body: a receiver that checks it refuses
// a captured token replayed with another body.
func TestJWTBindsBody(t *testing.T) {
	ring := NewKeyRing(newMemKeys(), 0)
	srv := jwksServer(t, ring)
	signer := NewJWT(ring, srv.URL)
	token := bearer(t, signer, `{"amount":1}`, Meta{DeliveryID: "dlv_1", TenantID: "OU1", Timestamp: t0})
	claims, err := verifyJWT(t, token, srv.URL+"/OU1", "OU1", t0)
	if err != nil {
		t.Fatal(err)
	}
	replayed := sha256.Sum256([]byte(`{"amount":1000}`))
	if claims["body_sha256"] == hex.EncodeToString(replayed[:]) {
		t.Error("body_sha256 matches a different body")
	}
}

func TestJWTRotationKeepsOldTokensValid(t *testing.T) {
	st := newMemKeys()
	ring := NewKeyRing(st, 0)
	srv := jwksServer(t, ring)
	signer := NewJWT(ring, srv.URL)
	ctx := context.Background()
	issuer := srv.URL + "/OU1"

	if err := signer.Sign(http.Header{}, nil, Meta{TenantID: "OU1", Timestamp: t0}); err != nil {
		t.Fatal(err)
	}
	rotation := t0.Add(DefaultKeyRotation)
	// Signed a moment before the rotation job runs, by the key it retires.
	oldToken := bearer(t, signer, "{}", Meta{DeliveryID: "dlv_old", TenantID: "OU1", Timestamp: rotation.Add(-time.Second)})
	if err := ring.Rotate(ctx, rotation); err != nil {
		t.Fatal(err)
	}
	newToken := bearer(t, signer, "{}", Meta{DeliveryID: "dlv_new", TenantID: "OU1", Timestamp: rotation.Add(time.Second)})
	if decodeSegment(t, oldToken, 0)["kid"] == decodeSegment(t, newToken, 0)["kid"] {
		t.Fatal("the token after Rotate has the old kid")
	}

	// Until the old token expires both verify against the published set.
	almostExpired := rotation.Add(TokenLifetime - 2*time.Second)
	if err := ring.Rotate(ctx, almostExpired); err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{"old": oldToken, "new": newToken} {
		if _, err := verifyJWT(t, token, issuer, "OU1", almostExpired); err != nil {
			t.Errorf("%s token rejected before it expired: %v", name, err)
		}
	}

	// Once every token of the old key has expired the key is gone: even a
	// receiver whose clock lags far behind can't accept the old token.
	if err := ring.Rotate(ctx, rotation.Add(TokenLifetime+retiredKeyGrace)); err != nil {
		t.Fatal(err)
	}
	if _, err := verifyJWT(t, oldToken, issuer, "OU1", almostExpired); err == nil || !strings.Contains(err.Error(), "0 keys with kid") {
		t.Errorf("old token after its key was dropped: err = %v, want kid not found", err)
	}
	if _, err := verifyJWT(t, newToken, issuer, "OU1", rotation.Add(TokenLifetime)); err != nil {
		t.Errorf("new token rejected: %v", err)
	}
	if n := len(st.stored(t, "OU1")); n != 1 {
		t.Errorf("storage holds %d keys after the old one was dropped, want 1", n)
	}
}

// The server-wide set verifies any tenant's token too.
func TestAllJWKSVerifiesEveryTenant(t *testing.T) {
	ring := NewKeyRing(newMemKeys(), 0)
	srv := jwksServer(t, ring)
	signer := NewJWT(ring, srv.URL)
	for _, tenant := range []string{"OU1", "OU2"} {
		token := bearer(t, signer, "{}", Meta{TenantID: tenant, Timestamp: t0})
		// Verify against the root set by pretending the issuer is the root.
		root := jwtlib.NewParser(jwtlib.WithValidMethods([]string{"RS256"}), jwtlib.WithTimeFunc(func() time.Time { return t0 }))
		_, err := root.Parse(token, func(tok *jwtlib.Token) (any, error) {
			resp, err := http.Get(srv.URL + "/.well-known/jwks.json")
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			var set jose.JSONWebKeySet
			if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
				return nil, err
			}
			keys := set.Key(tok.Header["kid"].(string))
			if len(keys) != 1 {
				return nil, fmt.Errorf("%d keys for kid", len(keys))
			}
			return keys[0].Key, nil
		})
		if err != nil {
			t.Errorf("%s: token rejected with the server-wide set: %v", tenant, err)
		}
	}
}

func TestJWTNeedsTenant(t *testing.T) {
	signer := NewJWT(NewKeyRing(newMemKeys(), 0), "https://hooks.example")
	if err := signer.Sign(http.Header{}, nil, Meta{DeliveryID: "dlv_1"}); err == nil {
		t.Error("signed without a tenant")
	}
}

func TestJWTReportsStorageFailure(t *testing.T) {
	st := newMemKeys()
	st.fail("SigningKeys", errors.New("db locked"))
	signer := NewJWT(NewKeyRing(st, 0), "https://hooks.example")
	h := http.Header{}
	if err := signer.Sign(h, nil, Meta{TenantID: "OU1", Timestamp: t0}); err == nil || len(h) != 0 {
		t.Errorf("Sign = %v with headers %v, want an error and no headers", err, h)
	}
}

func BenchmarkJWTSign(b *testing.B) {
	signer := NewJWT(NewKeyRing(newMemKeys(), 0), "https://hooks.example")
	body := make([]byte, 1024)
	m := Meta{DeliveryID: "dlv_01J0ABCDEF", EndpointID: "wbh_01J0XYZ", TenantID: "OU1243", Timestamp: time.Now()}
	h := http.Header{}
	for b.Loop() {
		if err := signer.Sign(h, body, m); err != nil {
			b.Fatal(err)
		}
	}
}
