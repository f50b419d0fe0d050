// A webhook receiver that verifies hooks' deliveries, one function per
// signing scheme. Configure it with environment variables:
//
//	SCHEME=standard-webhooks WEBHOOK_SECRET=whsec_… PORT=9000 go run .
//	SCHEME=hmac-sha256 WEBHOOK_SECRET=… SIGNATURE_HEADER=X-Hooks-Signature [ENCODING=base64] [PREFIX=sha256=]
//	SCHEME=shared-secret WEBHOOK_SECRET=… SIGNATURE_HEADER=X-Hooks-Secret
//	SCHEME=jwt ISSUER=https://hooks.example.com/<tenant> AUDIENCE=<tenant>
package main

import (
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"

	"github.com/golang-jwt/jwt/v5"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Standard Webhooks: the official library checks webhook-id,
// webhook-timestamp (within 5 minutes) and webhook-signature.
func verifyStandard(secret string, h http.Header, body []byte) error {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return err
	}
	return wh.Verify(body, h)
}

// HMAC-SHA256 of the raw body, hex (GitHub, Pepperi) or base64 (Shopify).
func verifyHMAC(secret, header, prefix string, useBase64 bool, h http.Header, body []byte) error {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := hex.EncodeToString(mac.Sum(nil))
	if useBase64 {
		want = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	if !hmac.Equal([]byte(h.Get(header)), []byte(prefix+want)) {
		return errors.New("signature mismatch")
	}
	return nil
}

// Shared secret: the header holds the endpoint's secret itself.
func verifySharedSecret(secret, header string, h http.Header) error {
	if subtle.ConstantTimeCompare([]byte(h.Get(header)), []byte(secret)) != 1 {
		return errors.New("wrong secret")
	}
	return nil
}

// JWT bearer: an RS256 token from the issuer's JWKS, for this audience,
// whose body_sha256 claim is the hash of this body.
func verifyJWT(issuer, audience string, h http.Header, body []byte) error {
	token, ok := cutBearer(h.Get("Authorization"))
	if !ok {
		return errors.New("no bearer token")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		return jwksKey(issuer+"/.well-known/jwks.json", t.Header["kid"])
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(issuer), jwt.WithAudience(audience), jwt.WithExpirationRequired())
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	if claims["body_sha256"] != hex.EncodeToString(sum[:]) {
		return errors.New("body_sha256 mismatch")
	}
	return nil
}

func cutBearer(s string) (string, bool) {
	const p = "Bearer "
	if len(s) <= len(p) || s[:len(p)] != p {
		return "", false
	}
	return s[len(p):], true
}

// jwksKey fetches the JWK Set and returns the RSA key with this kid.
// (Cache the set in production and refetch on an unknown kid.)
func jwksKey(url string, kid any) (*rsa.PublicKey, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var set struct{ Keys []struct{ Kid, N, E string } }
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return nil, err
	}
	for _, k := range set.Keys {
		if k.Kid == kid {
			n, _ := base64.RawURLEncoding.DecodeString(k.N)
			e, _ := base64.RawURLEncoding.DecodeString(k.E)
			return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
		}
	}
	return nil, fmt.Errorf("no key %v", kid)
}

func main() {
	env := os.Getenv
	http.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // verify the raw bytes, before any JSON parsing
		var err error
		switch env("SCHEME") {
		case "standard-webhooks":
			err = verifyStandard(env("WEBHOOK_SECRET"), r.Header, body)
		case "hmac-sha256":
			err = verifyHMAC(env("WEBHOOK_SECRET"), env("SIGNATURE_HEADER"), env("PREFIX"), env("ENCODING") == "base64", r.Header, body)
		case "shared-secret":
			err = verifySharedSecret(env("WEBHOOK_SECRET"), env("SIGNATURE_HEADER"), r.Header)
		case "jwt":
			err = verifyJWT(env("ISSUER"), env("AUDIENCE"), r.Header, body)
		default:
			err = errors.New("unknown SCHEME")
		}
		if err != nil {
			fmt.Println("rejected:", err)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		// X-Hooks-Webhook-Id is the same on every retry: use it to drop duplicates.
		fmt.Println("verified", r.Header.Get("X-Hooks-Webhook-Id"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:"+env("PORT"))
	if err != nil {
		panic(err)
	}
	fmt.Println("listening on", ln.Addr())
	panic(http.Serve(ln, nil))
}
