package delivery

import (
	"bytes"
	"net/http"
	"slices"
	"strings"

	"hooks/domain"
	"hooks/rawjson"
)

// redacted replaces a credential in the attempt log.
const redacted = "[redacted]"

// minRedactLen is the shortest value that is redacted wherever it occurs.
// A value of a few bytes ("1", "eu", "true", "v2") occurs in bodies and
// headers by chance, so replacing every occurrence would garble the log
// while hiding nothing: credentials are long (API keys, tokens and
// signing secrets run to 16 bytes and more). Shorter extra-header values
// are still redacted by their header's name.
const minRedactLen = 8

// redactor hides an endpoint's credentials in the copy of a request that
// the attempt log keeps: the values of its extra headers and metadata, and
// its signing secrets, wherever they appear in the headers or the body (a
// template puts metadata.api_key in the body, as AlphaTouch's does). The
// request sent is not changed.
type redactor struct {
	names map[string]bool // the extra headers' canonical names and the shared-secret headers
	// values, and the same as strings for headers, are longest first, so
	// that a value containing another is replaced whole.
	values  [][]byte
	strings []string
}

// newRedactor collects what to redact for w, with secrets its signer uses.
func newRedactor(w *domain.Endpoint, secrets []string) *redactor {
	r := &redactor{names: make(map[string]bool, len(w.Headers)+1)}
	for _, s := range w.Schemes() {
		if s.Scheme == domain.SchemeSharedSecret {
			r.names[http.CanonicalHeaderKey(s.Header)] = true
		}
	}
	var values []string
	add := func(v string) {
		if len(v) < minRedactLen {
			return
		}
		values = append(values, v)
		// A template writes a string value JSON-escaped; look for that
		// form too when it differs (quotes, backslashes, control bytes).
		if esc := string(rawjson.AppendEscaped(nil, v)); esc != v {
			values = append(values, esc)
		}
	}
	for k, v := range w.Headers {
		// prepare sends its own Content-Type and User-Agent over an extra
		// header of that name: the log shows those as sent.
		if k := http.CanonicalHeaderKey(k); k != "Content-Type" && k != "User-Agent" {
			r.names[k] = true
		}
		add(v)
	}
	for _, v := range w.Metadata {
		add(v)
	}
	for _, s := range secrets {
		add(s)
	}
	slices.SortFunc(values, func(a, b string) int { return len(b) - len(a) })
	values = slices.Compact(values)
	for _, v := range values {
		r.values = append(r.values, []byte(v))
	}
	r.strings = values
	return r
}

// body returns b with every credential replaced, or b itself when it holds
// none. It never changes b. The search is a plain substring scan per value,
// and an endpoint without values skips it: this runs on every attempt.
func (r *redactor) body(b []byte) []byte {
	out := b
	for _, v := range r.values {
		if bytes.Contains(out, v) {
			out = bytes.ReplaceAll(out, v, []byte(redacted)) // a copy: b is the body being sent
		}
	}
	return out
}

// text is body for a header value.
func (r *redactor) text(s string) string {
	for _, v := range r.strings {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	return s
}

// headers copies h for the attempt log with credentials masked: the shared
// secret, bearer tokens, anything under a credential-like name, every extra
// header of the endpoint, and the endpoint's credentials by value.
func (r *redactor) headers(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if r.names[k] || credentialName(k) {
			out[k] = []string{redacted}
			continue
		}
		out[k] = vs
		cloned := false
		for i, v := range vs {
			red := r.text(v)
			if red == v {
				continue
			}
			if !cloned {
				out[k], cloned = slices.Clone(vs), true // vs is the request's own slice
			}
			out[k][i] = red
		}
	}
	return out
}

// credentialName reports whether a header of this name carries a
// credential whatever the endpoint: authorization, cookies, and names that
// say secret, token, API key or password.
//
// It runs for every header of every attempt, so it compares in place
// rather than lowering a copy of the name. Header names are ASCII (HTTP
// tokens; the transport refuses others), and so is the comparison.
func credentialName(k string) bool {
	return equalFoldASCII(k, "authorization") || equalFoldASCII(k, "cookie") || containsFold(k, "secret") ||
		containsFold(k, "token") || containsFold(k, "api-key") || containsFold(k, "apikey") || containsFold(k, "password")
}

// containsFold reports whether s contains sub, a lower-case ASCII word,
// in any ASCII case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalFoldASCII(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether s, lowered in ASCII, is lower.
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
