package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"hooks/domain"
)

func TestParseRetryToken(t *testing.T) {
	for _, c := range []struct {
		token string
		want  domain.RetryToken
		bad   bool
	}{
		{token: "403", want: domain.RetryToken{Code: 403}},
		{token: "599", want: domain.RetryToken{Code: 599}},
		{token: "100", want: domain.RetryToken{Code: 100}},
		{token: "4xx", want: domain.RetryToken{Class: 4}},
		{token: "5xx", want: domain.RetryToken{Class: 5}},
		{token: "timeout", want: domain.RetryToken{Timeout: true}},
		{token: "network", want: domain.RetryToken{Network: true}},
		{token: "600", bad: true},
		{token: "099", bad: true},
		{token: "6xx", bad: true},
		{token: "4XX", bad: true}, // normalize lowercases; the parser is exact
		{token: "40", bad: true},
		{token: "4x", bad: true},
		{token: "+40", bad: true},
		{token: "4-1", bad: true},
		{token: "", bad: true},
		{token: "non-2xx", bad: true}, // a preset, not a token
	} {
		got, err := domain.ParseRetryToken(c.token)
		if c.bad {
			if err == nil {
				t.Errorf("ParseRetryToken(%q) = %+v, want an error", c.token, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseRetryToken(%q) = %+v, %v; want %+v", c.token, got, err, c.want)
		}
	}
}

func TestRetryTokenMatches(t *testing.T) {
	const timeout, network = true, false
	for _, c := range []struct {
		token    string
		code     int
		timedOut bool
		want     bool
	}{
		{"403", 403, false, true},
		{"403", 404, false, false},
		{"4xx", 404, false, true},
		{"4xx", 500, false, false},
		{"5xx", 503, false, true},
		{"5xx", 0, network, false},
		{"timeout", 0, timeout, true},
		{"timeout", 0, network, false},
		{"network", 0, network, true},
		{"network", 0, timeout, false},
		{"network", 502, false, false},
	} {
		tok, err := domain.ParseRetryToken(c.token)
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Matches(c.code, c.timedOut); got != c.want {
			t.Errorf("%q matches (%d, timedOut %v) = %v, want %v", c.token, c.code, c.timedOut, got, c.want)
		}
	}
}

// TestRetryOnJSONKeepsItsForm: a string stays a string and a list a list,
// through the API and the stored policy alike.
func TestRetryOnJSONKeepsItsForm(t *testing.T) {
	for _, in := range []string{`"5xx"`, `"non-2xx"`, `["403","5xx","timeout","network"]`} {
		var r domain.RetryOn
		if err := json.Unmarshal([]byte(in), &r); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, err := json.Marshal(r)
		if err != nil || string(out) != in {
			t.Errorf("%s came back as %s (%v)", in, out, err)
		}
	}
	var p domain.RetryPolicy
	if err := json.Unmarshal([]byte(`{"schedule":"exponential","maxAttempts":3,"retryOn":"5xx"}`), &p); err != nil || p.RetryOn.Preset != "5xx" {
		t.Errorf("a stored policy from before token lists reads as %+v, %v", p, err)
	}
	for _, bad := range []string{`5`, `{"a":1}`, `[1]`} {
		if err := json.Unmarshal([]byte(bad), new(domain.RetryOn)); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

func TestRetryOnValidation(t *testing.T) {
	for _, c := range []struct {
		name string
		on   domain.RetryOn
		want []string // the tokens kept; nil when refused
	}{
		{"PPS", domain.RetryOnTokens("403", "5xx", "timeout", "network"), []string{"403", "5xx", "timeout", "network"}},
		{"trimmed, lowercased, deduplicated", domain.RetryOnTokens(" 5XX", "5xx", "Timeout"), []string{"5xx", "timeout"}},
		{"empty list", domain.RetryOnTokens(), nil},
		{"unknown token", domain.RetryOnTokens("403", "soon"), nil},
		{"code out of range", domain.RetryOnTokens("700"), nil},
		{"unknown preset", domain.RetryOnPreset("4xx"), nil},
	} {
		p := domain.RetryPolicy{RetryOn: c.on}
		err := p.Normalize()
		if c.want == nil {
			if domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(err.Error(), "retryOn") {
				t.Errorf("%s: err = %v, want EINVALID about retryOn", c.name, err)
			} else if e, ok := err.(*domain.Error); !ok || e.Field != "retry.retryOn" {
				t.Errorf("%s: err %#v does not name retry.retryOn", c.name, err)
			}
			continue
		}
		if err != nil || strings.Join(p.RetryOn.Tokens, ",") != strings.Join(c.want, ",") || !p.RetryOn.IsList() {
			t.Errorf("%s: %+v, %v; want tokens %q", c.name, p.RetryOn, err, c.want)
		}
	}
	p := domain.RetryPolicy{}
	if err := p.Normalize(); err != nil || p.RetryOn.IsList() || p.RetryOn.Preset != domain.RetryOn5xx {
		t.Errorf("unset retryOn normalizes to %+v, %v; want the 5xx preset", p.RetryOn, err)
	}
}

// FuzzRetryOn checks the retryOn parser on any input: decoding never
// panics; a decoded value that validates encodes back to JSON that decodes
// to the same tokens in the same form; every kept token parses and
// matches only status codes of its own kind. The seed corpus is in
// testdata/fuzz/FuzzRetryOn.
func FuzzRetryOn(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string, code int, timedOut bool) {
		var r domain.RetryOn
		if json.Unmarshal([]byte(in), &r) != nil {
			return
		}
		p := domain.RetryPolicy{RetryOn: r}
		if p.Normalize() != nil {
			return
		}
		out, err := json.Marshal(p.RetryOn)
		if err != nil {
			t.Fatal(err)
		}
		var back domain.RetryOn
		if err := json.Unmarshal(out, &back); err != nil || back.String() != p.RetryOn.String() || back.IsList() != p.RetryOn.IsList() {
			t.Fatalf("%s → %s → %+v (%v)", in, out, back, err)
		}
		for _, s := range p.RetryOn.Tokens {
			tok, err := domain.ParseRetryToken(s)
			if err != nil {
				t.Fatalf("kept token %q does not parse: %v", s, err)
			}
			if tok.Matches(code, timedOut) && code != 0 && (tok.Timeout || tok.Network) {
				t.Fatalf("%q matched status %d", s, code)
			}
			if tok.Matches(code, timedOut) && code == 0 && (tok.Code != 0 || tok.Class != 0) {
				t.Fatalf("%q matched no answer", s)
			}
		}
	})
}
