package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"hooks/domain"
	"hooks/metrics"
	"hooks/store"
)

// TestMetricsOnMainListenerNeedTokenOrAdmin checks who may read /metrics
// on the main listener: a scraper with the bearer token and a signed-in
// admin of every tenant; nobody else, and nobody at all without a token
// but admins.
func TestMetricsOnMainListenerNeedTokenOrAdmin(t *testing.T) {
	base := newTestServer(t, uiDev)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	serveWith := func(token string) *testServer {
		srv := New(base.db, base.engine, Config{PublicURL: "http://hooks.test", Dev: true, Logger: log,
			Metrics: metrics.New(base.db, "test", log), MetricsToken: token})
		s := *base
		s.srv = srv
		s.http = httptest.NewServer(srv)
		t.Cleanup(s.http.Close)
		return &s
	}
	addUIUser(t, base.db, "admin@example.com", store.RoleAdmin, "")
	addUIUser(t, base.db, "viewer@example.com", store.RoleViewer, "")
	addUIUser(t, base.db, "tenant-admin@example.com", store.RoleAdmin, domain.DefaultTenant)

	for _, token := range []string{"s3cret-scrape-token", ""} {
		s := serveWith(token)
		get := func(c *http.Client, auth string) int {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, s.http.URL+"/metrics", nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			return resp.StatusCode
		}
		anon := http.DefaultClient
		wantCode := func(who string, got, want int) {
			t.Helper()
			if got != want {
				t.Errorf("token %q, %s: /metrics = %d, want %d", token, who, got, want)
			}
		}
		wantCode("no credentials", get(anon, ""), http.StatusUnauthorized)
		wantCode("wrong token", get(anon, "Bearer nope"), http.StatusUnauthorized)
		wantCode("empty token", get(anon, "Bearer "), http.StatusUnauthorized)
		wantCode("an API key", get(anon, "Bearer "+base.key), http.StatusUnauthorized)
		if token != "" {
			wantCode("the token", get(anon, "Bearer "+token), http.StatusOK)
		}
		for email, want := range map[string]int{"admin@example.com": http.StatusOK, "viewer@example.com": http.StatusUnauthorized,
			"tenant-admin@example.com": http.StatusUnauthorized} {
			c := newUIClient(t, s)
			c.login(email)
			wantCode(email, get(c.hc, ""), want)
		}
	}
}
