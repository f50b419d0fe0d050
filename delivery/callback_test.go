package delivery

import (
	"math"
	"testing"
	"time"

	"hooks/delivery/netguard"
)

func TestParseAnswerOnlyDecodesAnswers(t *testing.T) {
	tests := []struct {
		body              string
		ok                bool
		success, callback bool // Success present and true; AsyncCallback present
	}{
		{`{"ok":true}`, false, false, false},
		{`[{"Success":false}]`, false, false, false},
		{`not json "Success"`, false, false, false},
		{`{"Success":true,"HTMLResponse":"<b>x</b>"}`, true, true, false},
		{`{"Success":false}`, true, false, false},
		{` {"AsyncCallback":{"URI":"/s","StartAfterSeconds":1,"IntervalSeconds":2}}`, true, false, true},
		{`{"Success":null}`, true, false, false},
		{`{"Success":"yes"}`, false, false, false}, // not a bool: not an answer
	}
	for _, tt := range tests {
		ans, ok := parseAnswer([]byte(tt.body))
		if ok != tt.ok || (ans.Success != nil && *ans.Success) != tt.success || (ans.AsyncCallback != nil) != tt.callback {
			t.Errorf("parseAnswer(%s) = %+v, %v", tt.body, ans, ok)
		}
	}
}

func TestCallbackSecondsAndInterval(t *testing.T) {
	limit := 24 * time.Hour
	for _, tt := range []struct {
		in   float64
		want time.Duration
	}{
		{-5, 0}, {math.NaN(), 0}, {0, 0}, {0.25, 250 * time.Millisecond}, {30, 30 * time.Second},
		{1e12, limit}, {math.Inf(1), limit},
	} {
		if got := seconds(tt.in, limit); got != tt.want {
			t.Errorf("seconds(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	e := New(nil, Config{CallbackMaxWait: time.Hour})
	for _, tt := range []struct {
		in   float64
		want time.Duration
	}{
		{0, defaultCallbackInterval}, {-1, defaultCallbackInterval}, {0.1, minCallbackInterval}, {90, 90 * time.Second}, {1e9, time.Hour},
	} {
		if got := e.callbackInterval(&asyncCallback{IntervalSeconds: tt.in}); got != tt.want {
			t.Errorf("callbackInterval(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCallbackTargetResolvesAndChecks(t *testing.T) {
	e := New(nil, Config{}) // production policy: https, public addresses only
	for _, tt := range []struct {
		endpoint, uri, want string // want "" = refused
	}{
		{"https://erp.example/hooks/in", "/status/7", "https://erp.example/status/7"},
		{"https://erp.example/hooks/in", "status/7?x=1", "https://erp.example/hooks/status/7?x=1"},
		{"https://erp.example/hooks/in", "https://jobs.example/j/1", "https://jobs.example/j/1"},
		{"https://erp.example/hooks/in", "http://jobs.example/j/1", ""},
		{"https://erp.example/hooks/in", "https://127.0.0.1/j/1", ""},
		{"https://erp.example/hooks/in", "https://169.254.169.254/latest/meta-data", ""},
		{"https://erp.example/hooks/in", "ftp://erp.example/x", ""},
		{"https://erp.example/hooks/in", "", ""},
	} {
		got, err := e.callbackTarget(tt.endpoint, tt.uri)
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("callbackTarget(%q) = %q, %v; want %q", tt.uri, got, err, tt.want)
		}
	}
	dev := New(nil, Config{Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true}})
	if got, err := dev.callbackTarget("http://127.0.0.1:8080/in", "/status"); err != nil || got != "http://127.0.0.1:8080/status" {
		t.Errorf("--dev: %q, %v", got, err)
	}
}
