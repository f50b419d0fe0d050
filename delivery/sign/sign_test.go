package sign

import (
	"errors"
	"fmt"
	"hooks/domain"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The expected values below come from outside this package: the Standard
// Webhooks vector from its specification, the hex one from GitHub's
// documentation, and the base64 one from
//
//	printf '%s' "$body" | openssl dgst -sha256 -hmac "$key" -binary | base64
//
// so a bug shared by the signer and a test-side recomputation can't hide.
const (
	standardSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	standardID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	standardTimestamp = 1614265330
	standardBody      = `{"test": 2432232314}`
	standardSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

	githubSecret    = "It's a Secret to Everybody"
	githubBody      = "Hello, World!"
	githubSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

	shopifySecret    = "hush-shopify-secret"
	shopifyBody      = `{"id":820982911946154508,"email":"jon@example.com"}`
	shopifySignature = "AQe34avm+DrNO5/m1YU8tgXMEDAbPK4/Js391eG47So="
)

// mustNew validates opts the way the API does and builds their signer.
func mustNew(t *testing.T, opts domain.Signing, secrets ...string) Signer {
	t.Helper()
	if err := validate(&opts); err != nil {
		t.Fatalf("Validate(%+v): %v", opts, err)
	}
	s, err := New(opts, secrets)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	return s
}

// signHeaders runs s and returns the headers it set.
func signHeaders(t *testing.T, s Signer, body string, m Meta) http.Header {
	t.Helper()
	h := http.Header{}
	if err := s.Sign(h, []byte(body), m); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return h
}

// standardVerifier returns the official library's verifier for secret.
func standardVerifier(t *testing.T, secret string) *standardwebhooks.Webhook {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("standardwebhooks.NewWebhook: %v", err)
	}
	return wh
}

func TestStandardMatchesSpecVector(t *testing.T) {
	s := mustNew(t, domain.Signing{}, standardSecret)
	h := signHeaders(t, s, standardBody, Meta{DeliveryID: standardID, Timestamp: time.Unix(standardTimestamp, 0)})

	if got := h.Get("webhook-signature"); got != standardSignature {
		t.Errorf("webhook-signature = %q, want %q", got, standardSignature)
	}
	if got := h.Get("webhook-id"); got != standardID {
		t.Errorf("webhook-id = %q, want %q", got, standardID)
	}
	if got := h.Get("webhook-timestamp"); got != "1614265330" {
		t.Errorf("webhook-timestamp = %q, want 1614265330", got)
	}
	// The vector is from 2021, outside the library's 5 minute tolerance.
	if err := standardVerifier(t, standardSecret).VerifyIgnoringTimestamp([]byte(standardBody), h); err != nil {
		t.Errorf("official library rejects the vector: %v", err)
	}
}

func TestStandardVerifiesWithOfficialLibrary(t *testing.T) {
	s := mustNew(t, domain.Signing{Scheme: domain.SchemeStandard}, standardSecret)
	body := `{"type":"orders/placed","data":{"id":1}}`
	h := signHeaders(t, s, body, Meta{DeliveryID: "dlv_01HZX", Timestamp: time.Now()})

	wh := standardVerifier(t, standardSecret)
	if err := wh.Verify([]byte(body), h); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if err := wh.Verify([]byte(body+" "), h); err == nil {
		t.Error("Verify accepted a changed body")
	}
	other := h.Clone()
	other.Set("webhook-id", "dlv_other")
	if err := wh.Verify([]byte(body), other); err == nil {
		t.Error("Verify accepted a changed webhook-id")
	}
}

// During a rotation each receiver may hold either secret, so every secret's
// signature must verify on its own.
func TestStandardRotationSignsWithEverySecret(t *testing.T) {
	const (
		current  = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
		previous = standardSecret
		stranger = "whsec_dGhpcyBpcyBub3Qgb25lIG9mIHRoZW0="
	)
	s := mustNew(t, domain.Signing{}, current, previous)
	body := `{"ping":true}`
	h := signHeaders(t, s, body, Meta{DeliveryID: "dlv_rot", Timestamp: time.Now()})

	sigs := strings.Split(h.Get("webhook-signature"), " ")
	if len(sigs) != 2 {
		t.Fatalf("webhook-signature = %q, want two space-separated signatures", h.Get("webhook-signature"))
	}
	for i, secret := range []string{current, previous} {
		wh := standardVerifier(t, secret)
		if err := wh.Verify([]byte(body), h); err != nil {
			t.Errorf("secret %d: Verify of the combined header: %v", i, err)
		}
		alone := h.Clone()
		alone.Set("webhook-signature", sigs[i])
		if err := wh.Verify([]byte(body), alone); err != nil {
			t.Errorf("secret %d: its own signature %q does not verify: %v", i, sigs[i], err)
		}
		wrong := h.Clone()
		wrong.Set("webhook-signature", sigs[1-i])
		if err := wh.Verify([]byte(body), wrong); err == nil {
			t.Errorf("secret %d: verified the other secret's signature", i)
		}
	}
	if err := standardVerifier(t, stranger).Verify([]byte(body), h); err == nil {
		t.Error("an unrelated secret verified the rotation header")
	}
}

func TestNewStandardRejectsBadSecret(t *testing.T) {
	for _, secret := range []string{"whsec_", "whsec_not base64!", "whsec_" + strings.Repeat("=", 4)} {
		if _, err := NewStandard([]string{secret}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("NewStandard(%q) error = %v, want ErrInvalidOptions", secret, err)
		}
	}
}

func TestHMACFixedVectors(t *testing.T) {
	tests := []struct {
		name   string
		opts   domain.Signing
		secret string
		body   string
		header string
		want   string
	}{
		{
			name:   "hex with prefix (Pepperi, GitHub)",
			opts:   domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Pepperi-Signature", Encoding: "hex", Prefix: "sha256="},
			secret: githubSecret,
			body:   githubBody,
			header: "X-Pepperi-Signature",
			want:   githubSignature,
		},
		{
			name:   "hex is the default encoding",
			opts:   domain.Signing{Scheme: domain.SchemeHMAC, Header: "x-hub-signature-256", Prefix: "sha256="},
			secret: githubSecret,
			body:   githubBody,
			header: "X-Hub-Signature-256",
			want:   githubSignature,
		},
		{
			name:   "base64 without prefix (Shopify, eWarehousing)",
			opts:   domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Hmac-SHA256", Encoding: "base64"},
			secret: shopifySecret,
			body:   shopifyBody,
			header: "X-Hmac-SHA256",
			want:   shopifySignature,
		},
		{
			name:   "default header",
			opts:   domain.Signing{Scheme: domain.SchemeHMAC, Encoding: "base64"},
			secret: shopifySecret,
			body:   shopifyBody,
			header: "X-Hooks-Signature",
			want:   shopifySignature,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Only the first secret signs: HMAC receivers hold exactly one.
			s := mustNew(t, tt.opts, tt.secret, "previous-secret")
			h := signHeaders(t, s, tt.body, Meta{DeliveryID: "dlv_1", Timestamp: time.Now()})
			if got := h.Values(tt.header); len(got) != 1 || got[0] != tt.want {
				t.Errorf("%s = %q, want [%q]", tt.header, got, tt.want)
			}
			if len(h) != 1 {
				t.Errorf("signer set %d headers, want 1: %v", len(h), h)
			}
		})
	}
}

func TestSharedSecretSendsSecret(t *testing.T) {
	s := mustNew(t, domain.Signing{Scheme: domain.SchemeSharedSecret, Header: "X-Shopery-Secret"}, "s3cr3t-value", "old")
	h := signHeaders(t, s, "{}", Meta{})
	if got := h.Values("X-Shopery-Secret"); len(got) != 1 || got[0] != "s3cr3t-value" {
		t.Errorf("X-Shopery-Secret = %q, want [s3cr3t-value]", got)
	}
	s = mustNew(t, domain.Signing{Scheme: domain.SchemeSharedSecret}, "s3cr3t-value")
	if got := signHeaders(t, s, "{}", Meta{}).Get("X-Hooks-Secret"); got != "s3cr3t-value" {
		t.Errorf("default header X-Hooks-Secret = %q, want s3cr3t-value", got)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    domain.Signing
		secrets []string
	}{
		{"no secret", domain.Signing{Scheme: domain.SchemeHMAC}, nil},
		{"empty secret", domain.Signing{Scheme: domain.SchemeSharedSecret}, []string{""}},
		{"jwt needs NewJWT", domain.Signing{Scheme: domain.SchemeJWT}, []string{"x"}},
		{"unknown scheme", domain.Signing{Scheme: "md5"}, []string{"x"}},
		{"standard secret not whsec", domain.Signing{Scheme: domain.SchemeStandard}, []string{"whsec_%%%"}},
		{"unvalidated bad header", domain.Signing{Scheme: domain.SchemeHMAC, Header: "Bad Header"}, []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts, tt.secrets); !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("New error = %v, want ErrInvalidOptions", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		in      domain.Signing
		want    domain.Signing
		wantErr bool
	}{
		{name: "empty is standard webhooks", in: domain.Signing{}, want: domain.Signing{Scheme: domain.SchemeStandard}},
		{
			name: "standard drops stray fields",
			in:   domain.Signing{Scheme: domain.SchemeStandard, Header: "X-A", Encoding: "hex", Prefix: "p"},
			want: domain.Signing{Scheme: domain.SchemeStandard},
		},
		{
			name: "hmac defaults",
			in:   domain.Signing{Scheme: domain.SchemeHMAC},
			want: domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Hooks-Signature", Encoding: "hex"},
		},
		{
			name: "hmac keeps its settings",
			in:   domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Hmac-SHA256", Encoding: "base64", Prefix: "sha256="},
			want: domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Hmac-SHA256", Encoding: "base64", Prefix: "sha256="},
		},
		{
			name: "shared secret defaults and drops encoding",
			in:   domain.Signing{Scheme: domain.SchemeSharedSecret, Encoding: "hex", Prefix: "x"},
			want: domain.Signing{Scheme: domain.SchemeSharedSecret, Header: "X-Hooks-Secret"},
		},
		{
			name: "shared secret header",
			in:   domain.Signing{Scheme: domain.SchemeSharedSecret, Header: "X-Shopery-Secret"},
			want: domain.Signing{Scheme: domain.SchemeSharedSecret, Header: "X-Shopery-Secret"},
		},
		{
			name: "jwt has no settings",
			in:   domain.Signing{Scheme: domain.SchemeJWT, Header: "X-A", Encoding: "hex", Prefix: "p"},
			want: domain.Signing{Scheme: domain.SchemeJWT},
		},
		{name: "unknown scheme", in: domain.Signing{Scheme: "hmac-md5"}, wantErr: true},
		{name: "scheme is case sensitive", in: domain.Signing{Scheme: "JWT"}, wantErr: true},
		{name: "bad encoding", in: domain.Signing{Scheme: domain.SchemeHMAC, Encoding: "base32"}, wantErr: true},
		{name: "header with space", in: domain.Signing{Scheme: domain.SchemeHMAC, Header: "X Sig"}, wantErr: true},
		{name: "header with colon", in: domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Sig:"}, wantErr: true},
		{name: "header with newline", in: domain.Signing{Scheme: domain.SchemeSharedSecret, Header: "X-Sig\r\nHost"}, wantErr: true},
		{name: "header not ASCII", in: domain.Signing{Scheme: domain.SchemeSharedSecret, Header: "X-Signatür"}, wantErr: true},
		{name: "header too long", in: domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-" + strings.Repeat("a", 200)}, wantErr: true},
		{name: "header Host", in: domain.Signing{Scheme: domain.SchemeHMAC, Header: "host"}, wantErr: true},
		{name: "header Content-Length", in: domain.Signing{Scheme: domain.SchemeSharedSecret, Header: "Content-Length"}, wantErr: true},
		{name: "header Content-Type", in: domain.Signing{Scheme: domain.SchemeHMAC, Header: "content-type"}, wantErr: true},
		{name: "header Transfer-Encoding", in: domain.Signing{Scheme: domain.SchemeHMAC, Header: "Transfer-Encoding"}, wantErr: true},
		{name: "prefix with newline", in: domain.Signing{Scheme: domain.SchemeHMAC, Prefix: "sha256=\n"}, wantErr: true},
		{name: "prefix with NUL", in: domain.Signing{Scheme: domain.SchemeHMAC, Prefix: "a\x00"}, wantErr: true},
		{name: "prefix too long", in: domain.Signing{Scheme: domain.SchemeHMAC, Prefix: strings.Repeat("p", 65)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in
			err := validate(&got)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidOptions) {
					t.Fatalf("Validate(%+v) error = %v, want ErrInvalidOptions", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate(%+v): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Validate(%+v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// validate normalises opts as the API does before New sees them, and
// reports a problem the way New does.
func validate(opts *domain.Signing) error {
	if err := opts.Normalize(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	return nil
}
