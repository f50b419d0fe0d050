package delivery

import (
	"hooks/domain"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRedactorReplacesValuesAndKeepsTheRequest(t *testing.T) {
	w := &domain.Endpoint{
		Headers:  map[string]string{"X-Tenant-Key": "tk_0123456789abcdef", "X-Flag": "1"},
		Metadata: map[string]string{"api_key": `ak_"quoted"_0123`, "long": "tk_0123456789abcdef-and-more", "flag": "true"},
	}
	r := newRedactor(w, []string{"whsec_AAAAAAAAAAAAAAAA", ""})

	body := []byte(`{"a":"tk_0123456789abcdef-and-more","b":"ak_\"quoted\"_0123","c":true,"d":1,"e":"whsec_AAAAAAAAAAAAAAAA"}`)
	sent := string(body)
	got := r.body(body)
	if want := `{"a":"[redacted]","b":"[redacted]","c":true,"d":1,"e":"[redacted]"}`; string(got) != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if string(body) != sent {
		t.Errorf("the body to send changed: %s", body)
	}
	clean := []byte(`{"nothing":"here"}`)
	if got := r.body(clean); &got[0] != &clean[0] {
		t.Error("a body without credentials was copied")
	}

	h := http.Header{"X-Trace": {"ok", "via tk_0123456789abcdef"}, "X-Tenant-Key": {"tk_0123456789abcdef"}, "X-Flag": {"1"}, "Accept": {"true"}}
	out := r.headers(h)
	if got := out["X-Trace"]; got[0] != "ok" || got[1] != "via [redacted]" {
		t.Errorf("X-Trace logged as %q", got)
	}
	for _, k := range []string{"X-Tenant-Key", "X-Flag"} {
		if got := out.Get(k); got != "[redacted]" {
			t.Errorf("extra header %s logged as %q", k, got)
		}
	}
	if out.Get("Accept") != "true" {
		t.Errorf("a short value was redacted: Accept %q", out.Get("Accept"))
	}
	if h["X-Trace"][1] != "via tk_0123456789abcdef" || h.Get("X-Tenant-Key") != "tk_0123456789abcdef" {
		t.Errorf("the request's headers changed: %v", h)
	}
}

func BenchmarkRedactorBody(b *testing.B) {
	w := &domain.Endpoint{Headers: map[string]string{"X-Api-Key": "ak_live_0123456789abcdef"}, Metadata: map[string]string{"api_key": "ak_live_0123456789abcdef"}}
	r := newRedactor(w, []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	body := make([]byte, 1024)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r.body(body)
	}
}

// FuzzCredentialName checks the in-place comparison against the plain
// definition: the lower-cased name is one of two names or contains one of
// five words. Header names are ASCII: others never reach it.
func FuzzCredentialName(f *testing.F) {
	for _, s := range []string{"Authorization", "Cookie", "X-Api-Key", "X-Apikey", "X-Secret-Token", "Password", "Content-Type",
		"X-Webhook-Secret", "SECRET", "Tok", "authorizations", "X-AUTHORIZATION", "cOoKiE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for i := range len(name) {
			if name[i] >= utf8.RuneSelf {
				t.Skip("not a header name")
			}
		}
		lk := strings.ToLower(name)
		want := lk == "authorization" || lk == "cookie" || strings.Contains(lk, "secret") || strings.Contains(lk, "token") ||
			strings.Contains(lk, "api-key") || strings.Contains(lk, "apikey") || strings.Contains(lk, "password")
		if got := credentialName(name); got != want {
			t.Errorf("credentialName(%q) = %v, want %v", name, got, want)
		}
	})
}
