package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/domain"
	"hooks/service"
)

func TestKeyLimiterRefillsAndSaysWhen(t *testing.T) {
	l := newKeyLimiter(5) // 5/s, bursts of 10
	t0 := time.Unix(1000, 0)
	for i := range 10 {
		if ok, _ := l.allow("k", t0); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("k", t0)
	if ok || wait <= 0 || wait > 200*time.Millisecond {
		t.Fatalf("11th request: ok %v, wait %s; want refused for about 200ms", ok, wait)
	}
	if ok, _ := l.allow("other", t0); !ok {
		t.Error("another key shares the first key's bucket")
	}
	// A refused request uses no token, so exactly one is back after 200ms.
	if ok, _ := l.allow("k", t0.Add(200*time.Millisecond)); !ok {
		t.Error("no token after the wait the limiter announced")
	}
	if ok, _ := l.allow("k", t0.Add(200*time.Millisecond)); ok {
		t.Error("two tokens after one refill interval")
	}
	if newKeyLimiter(0) != nil || newKeyLimiter(-1) != nil {
		t.Error("a zero or negative rate should mean no limiter")
	}
}

func TestAPIRateLimitAnswers429WithRetryAfter(t *testing.T) {
	s := newTestServer(t, func(_ *delivery.Config, wc *Config) { wc.APIRateLimit = 2 }) // bursts of 4
	_, other, err := s.db.CreateAPIKey(context.Background(), "", "other")
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		mustStatus(t, s.do("GET", "/api/v1/webhooks", s.key, nil, nil), http.StatusOK)
	}
	var body errorBody
	resp := s.do("GET", "/api/v1/webhooks", s.key, nil, &body)
	mustStatus(t, resp, http.StatusTooManyRequests)
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q, want a whole number of seconds ≥ 1", resp.Header.Get("Retry-After"))
	}
	if body.Error.Code != domain.ELIMIT || !strings.Contains(body.Error.Message, "rate limit") {
		t.Errorf("error = %+v", body.Error)
	}
	// Each key has its own budget.
	mustStatus(t, s.do("GET", "/api/v1/webhooks", other, nil, nil), http.StatusOK)
	// Bad credentials are refused as such, not counted against anyone.
	mustStatus(t, s.do("GET", "/api/v1/webhooks", "hk_bad", nil, nil), http.StatusUnauthorized)
}

func TestNoRateLimitUnlessConfigured(t *testing.T) {
	s := newTestServer(t)
	for range 200 {
		mustStatus(t, s.do("GET", "/api/v1/webhooks", s.key, nil, nil), http.StatusOK)
	}
}

func TestRequestBodyOverLimitIs413(t *testing.T) {
	s := newTestServer(t, func(_ *delivery.Config, wc *Config) { wc.MaxBodyBytes = 4 << 10 })
	big := `{"topic":"t","data":{"pad":"` + strings.Repeat("x", 4<<10) + `"}}`
	var body errorBody
	resp := s.do("POST", "/api/v1/events", s.key, big, &body)
	mustStatus(t, resp, http.StatusRequestEntityTooLarge)
	if body.Error.Code != domain.ETOOLARGE || !strings.Contains(body.Error.Message, "4096 bytes") {
		t.Errorf("error = %+v", body.Error)
	}
	// Just under the limit is fine.
	ok := `{"topic":"t","data":{"pad":"` + strings.Repeat("x", 3<<10) + `"}}`
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, ok, nil), http.StatusAccepted)
}

func TestWebhooksPerTenantLimit(t *testing.T) {
	s := newTestServer(t, devPolicy)
	ctx := context.Background()
	for i := range service.MaxEndpointsPerTenant {
		w := &domain.Endpoint{TenantID: domain.DefaultTenant, Name: fmt.Sprint(i), URL: "https://example.com/" + fmt.Sprint(i),
			Topics: []string{"*"}, Enabled: true, Secret: "s3cret-s3cret", Signing: domain.Signing{Scheme: "standard"}}
		if err := s.db.CreateEndpoint(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	var body errorBody
	resp := s.do("POST", "/api/v1/webhooks", s.key, map[string]any{"url": "http://127.0.0.1:1/x", "events": []string{"*"}}, &body)
	mustStatus(t, resp, http.StatusTooManyRequests)
	if body.Error.Code != domain.ELIMIT || !strings.Contains(body.Error.Message, "1000") {
		t.Errorf("error = %+v", body.Error)
	}
	// Another tenant is not affected.
	mustStatus(t, s.do("PUT", "/api/v1/tenants/other", s.key, nil, nil), http.StatusCreated)
	mustStatus(t, s.do("POST", "/api/v1/webhooks", s.key, map[string]any{"url": "http://127.0.0.1:1/x", "events": []string{"*"}},
		nil, "X-Tenant-ID", "other"), http.StatusCreated)
}

func TestWebhookConfigLimits(t *testing.T) {
	s := newTestServer(t, devPolicy)
	headers := map[string]string{}
	for i := range domain.MaxHeaders + 1 {
		headers[fmt.Sprintf("X-Custom-%d", i)] = "v"
	}
	tests := []struct {
		name  string
		patch map[string]any
		code  string
	}{
		{"too many headers", map[string]any{"headers": headers}, "invalid_headers"},
		{"header value too long", map[string]any{"headers": map[string]string{"X-Big": strings.Repeat("v", domain.MaxHeaderValue+1)}}, "invalid_headers"},
		{"header value with a newline", map[string]any{"headers": map[string]string{"X-Split": "a\r\nX-Injected: b"}}, "invalid_headers"},
		{"template too large", map[string]any{"envelope": map[string]string{"type": "template",
			"template": `{"d":"` + strings.Repeat("x", 64<<10) + `"}`}}, "invalid_envelope"},
		{"too many topics", map[string]any{"events": manyTopics(domain.MaxTopicsPerEndpoint + 1)}, "invalid_events"},
		{"topic too long", map[string]any{"events": []string{strings.Repeat("t", domain.MaxTopicLength+1)}}, "invalid_events"},
		{"timeout too long", map[string]any{"timeoutSeconds": 31}, "invalid_timeout_seconds"},
		{"too many attempts", map[string]any{"retry": map[string]any{"maxAttempts": domain.MaxAttemptsLimit + 1}}, "invalid_retry"},
		{"too much metadata", map[string]any{"metadata": manyMetadata(domain.MaxMetadata + 1)}, "invalid_metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := map[string]any{"url": "http://127.0.0.1:1/x", "events": []string{"*"}}
			for k, v := range tt.patch {
				in[k] = v
			}
			var body errorBody
			resp := s.do("POST", "/api/v1/webhooks", s.key, in, &body)
			if resp.StatusCode != http.StatusUnprocessableEntity || body.Error.Code != tt.code {
				t.Errorf("status %d, error %+v; want 422 %s", resp.StatusCode, body.Error, tt.code)
			}
		})
	}
}

func manyTopics(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%d", i)
	}
	return out
}

func manyMetadata(n int) map[string]string {
	out := map[string]string{}
	for i := range n {
		out[fmt.Sprint(i)] = "v"
	}
	return out
}
