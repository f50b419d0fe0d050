package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestRetryOnTokensThroughTheAPI: retry.retryOn takes a list of tokens as
// well as the two presets, answers each the way it was set, and refuses a
// bad token with a 422 that names retry.retryOn.
func TestRetryOnTokensThroughTheAPI(t *testing.T) {
	s := newTestServer(t, devPolicy)
	retryOnOf := func(id string) string {
		var raw struct {
			Retry struct {
				RetryOn json.RawMessage `json:"retryOn"`
			} `json:"retry"`
		}
		mustStatus(t, s.do("GET", "/api/v1/webhooks/"+id, s.key, nil, &raw), http.StatusOK)
		return string(raw.Retry.RetryOn)
	}
	for _, c := range []struct {
		in   any
		want string
	}{
		{[]string{"403", "5xx", "timeout", "network"}, `["403","5xx","timeout","network"]`},
		{[]string{" 4XX", "4xx", "Network"}, `["4xx","network"]`},
		{"non-2xx", `"non-2xx"`},
		{nil, `"5xx"`},
	} {
		retry := map[string]any{"maxAttempts": 3}
		if c.in != nil {
			retry["retryOn"] = c.in
		}
		hook := s.createWebhook(s.key, map[string]any{"url": "https://example.com/hook", "events": []string{"a"}, "retry": retry})
		if got := retryOnOf(hook.ID); got != c.want {
			t.Errorf("retryOn %v reads back as %s, want %s", c.in, got, c.want)
		}
	}

	hook := s.createWebhook(s.key, map[string]any{"url": "https://example.com/hook", "events": []string{"a"}})
	for _, body := range []string{
		`{"retry":{"retryOn":["403","soon"]}}`,
		`{"retry":{"retryOn":["700"]}}`,
		`{"retry":{"retryOn":[]}}`,
		`{"retry":{"retryOn":"4xx"}}`,
		`{"retry":{"retryOn":5}}`,
		`{"retry":{"retryOn":[403]}}`,
	} {
		var out errorBody
		resp := s.do("PATCH", "/api/v1/webhooks/"+hook.ID, s.key, body, &out)
		mustStatus(t, resp, http.StatusUnprocessableEntity)
		if out.Error.Code != "invalid_retry" || len(out.Error.Details) != 1 || out.Error.Details[0].Field != "retry.retryOn" ||
			!strings.Contains(out.Error.Message, "retryOn") {
			t.Errorf("%s: error %+v, want invalid_retry naming retry.retryOn", body, out.Error)
		}
	}
	if got := retryOnOf(hook.ID); got != `"5xx"` {
		t.Errorf("refused updates changed retryOn to %s", got)
	}
}
