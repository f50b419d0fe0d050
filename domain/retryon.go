package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// RetryOn says which failed attempts a retry policy retries: a preset
// (RetryOn5xx, RetryOnNon2xx), written as a JSON string, or a list of
// tokens, written as a JSON list. It is written back the way it was set,
// so an API client reads what it sent.
type RetryOn struct {
	Preset string   // RetryOn5xx or RetryOnNon2xx; "" when Tokens is set
	Tokens []string // the list form: see ParseRetryToken; nil for a preset
}

// RetryOnPreset returns the preset p.
func RetryOnPreset(p string) RetryOn { return RetryOn{Preset: p} }

// RetryOnTokens returns the list form of tokens.
func RetryOnTokens(tokens ...string) RetryOn {
	if tokens == nil {
		tokens = []string{}
	}
	return RetryOn{Tokens: tokens}
}

// Equal reports whether r and o say the same, in the same form.
func (r RetryOn) Equal(o RetryOn) bool {
	return r.Preset == o.Preset && r.IsList() == o.IsList() && slices.Equal(r.Tokens, o.Tokens)
}

// Equal reports whether p and o are the same policy.
func (p RetryPolicy) Equal(o RetryPolicy) bool {
	return p.Schedule == o.Schedule && p.IntervalSeconds == o.IntervalSeconds && p.MaxAttempts == o.MaxAttempts &&
		p.RetryOn.Equal(o.RetryOn)
}

// IsList reports whether r was set as a list of tokens.
func (r RetryOn) IsList() bool { return r.Tokens != nil }

// IsZero reports whether r was not set at all.
func (r RetryOn) IsZero() bool { return r.Preset == "" && r.Tokens == nil }

// String is r as the user wrote it: the preset, or the tokens joined by
// commas.
func (r RetryOn) String() string {
	if r.IsList() {
		return strings.Join(r.Tokens, ",")
	}
	return r.Preset
}

// MarshalJSON writes a preset as a string and tokens as a list.
func (r RetryOn) MarshalJSON() ([]byte, error) {
	if r.IsList() {
		return json.Marshal(r.Tokens)
	}
	return json.Marshal(r.Preset)
}

// UnmarshalJSON reads a string (a preset) or a list of strings (tokens).
// null leaves r unset, for the default.
func (r *RetryOn) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*r = RetryOn{}
		return nil
	case len(b) > 0 && b[0] == '[':
		var tokens []string
		if err := json.Unmarshal(b, &tokens); err != nil {
			return retryOnTypeError(err)
		}
		*r = RetryOnTokens(tokens...)
		return nil
	}
	var p string
	if err := json.Unmarshal(b, &p); err != nil {
		return retryOnTypeError(err)
	}
	*r = RetryOn{Preset: p}
	return nil
}

// retryOnTypeError is the error for a retryOn of the wrong JSON type,
// naming the field as validation does so that the API reports it alike.
func retryOnTypeError(err error) error {
	return &Error{Code: EINVALID, Field: "retry.retryOn", Err: err,
		Message: `retryOn must be "5xx", "non-2xx" or a list of tokens such as ["403","5xx","timeout","network"]`}
}

// Tokens of a retryOn list besides status codes and classes.
const (
	RetryTokenTimeout = "timeout" // no answer within the endpoint's timeout
	RetryTokenNetwork = "network" // no answer for another reason: refused, reset, DNS, TLS
)

// RetryToken is one parsed token of a retryOn list. Exactly one of its
// forms is set.
type RetryToken struct {
	Code    int  // an exact status code, 100–599
	Class   int  // a class of status codes: 1 for "1xx" … 5 for "5xx"
	Timeout bool // "timeout"
	Network bool // "network"
}

// ParseRetryToken parses one token of a retryOn list: an exact status
// code ("403"), a class ("4xx"), "timeout" or "network". Its error says
// what is accepted, fit to show the user.
func ParseRetryToken(s string) (RetryToken, error) {
	switch s {
	case RetryTokenTimeout:
		return RetryToken{Timeout: true}, nil
	case RetryTokenNetwork:
		return RetryToken{Network: true}, nil
	}
	if len(s) == 3 && s[0] >= '1' && s[0] <= '5' {
		if s[1:] == "xx" {
			return RetryToken{Class: int(s[0] - '0')}, nil
		}
		if n, err := strconv.Atoi(s); err == nil && s[1] >= '0' && s[2] >= '0' {
			return RetryToken{Code: n}, nil
		}
	}
	return RetryToken{}, fmt.Errorf(`unknown retryOn token %q: want a status code ("403"), a class ("4xx", "5xx"), "timeout" or "network"`, s)
}

// Matches reports whether t covers an attempt that got statusCode, or no
// answer (statusCode 0) because it timed out or for another reason.
func (t RetryToken) Matches(statusCode int, timedOut bool) bool {
	switch {
	case statusCode == 0:
		return (t.Timeout && timedOut) || (t.Network && !timedOut)
	case t.Code != 0:
		return t.Code == statusCode
	case t.Class != 0:
		return statusCode/100 == t.Class
	}
	return false
}

// normalize checks r and fills in the default preset; an error names the
// field retry.retryOn.
func (r *RetryOn) normalize() error {
	if !r.IsList() {
		if r.Preset == "" {
			r.Preset = RetryOn5xx
		}
		if r.Preset != RetryOn5xx && r.Preset != RetryOnNon2xx {
			return FieldErrorf("retry.retryOn", "retryOn must be 5xx, non-2xx or a list of tokens, not %q", r.Preset)
		}
		return nil
	}
	if len(r.Tokens) == 0 {
		return FieldErrorf("retry.retryOn", "a retryOn list needs at least one token: a status code (\"403\"), a class (\"4xx\", \"5xx\"), \"timeout\" or \"network\"")
	}
	if len(r.Tokens) > maxRetryTokens {
		return FieldErrorf("retry.retryOn", "a retryOn list has at most %d tokens", maxRetryTokens)
	}
	seen := make(map[string]bool, len(r.Tokens))
	tokens := make([]string, 0, len(r.Tokens))
	for _, s := range r.Tokens {
		s = strings.ToLower(strings.TrimSpace(s))
		if _, err := ParseRetryToken(s); err != nil {
			return FieldErrorf("retry.retryOn", "%s", err)
		}
		if !seen[s] {
			seen[s] = true
			tokens = append(tokens, s)
		}
	}
	r.Preset, r.Tokens = "", tokens
	return nil
}

// maxRetryTokens bounds a retryOn list: more than the classes and a few
// dozen codes means a mistake.
const maxRetryTokens = 50
