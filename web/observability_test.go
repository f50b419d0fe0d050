package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/metrics"
	"hooks/store"
	"hooks/store/storetest"
)

// observedServer is a test server wired as main wires it: metrics fed by
// the engine's observers and served at /metrics, with opts.
func observedServer(t *testing.T, opts ...metrics.Option) (*testServer, context.CancelFunc, <-chan struct{}) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New(db, "test", log, opts...)
	engine := delivery.New(db, delivery.Config{Logger: log, Workers: 4, OnOutcome: m.Outcome, OnBatch: m.Batch,
		Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true}})
	s := &testServer{t: t, db: db, engine: engine, srv: New(db, engine, Config{Logger: log, Version: "test", Metrics: m, MetricsToken: testMetricsToken})}
	s.http = httptest.NewServer(m.Instrument(s.srv))
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		engine.Run(runCtx, time.Second)
	}()
	t.Cleanup(func() {
		s.http.Close()
		stop()
		<-done
		db.Close()
	})
	if _, s.key, err = db.CreateAPIKey(ctx, "", "test"); err != nil {
		t.Fatal(err)
	}
	return s, stop, done
}

// testMetricsToken is the --metrics-token of observedServer.
const testMetricsToken = "metrics-token-for-tests"

func scrape(t *testing.T, s *testServer) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.http.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testMetricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	return string(body)
}

// metricValue returns the value of the sample line that starts with
// series (name and labels exactly as exposed), or "" if there is none.
func metricValue(text, series string) string {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

func TestMetricsCountIngestOutcomesRetriesAndQueue(t *testing.T) {
	s, _, _ := observedServer(t)
	ok := newReceiver(t)
	failing := newReceiver(t, 500)
	s.createWebhook(s.key, map[string]any{"url": ok.srv.URL, "events": []string{"orders/*"}})
	s.createWebhook(s.key, map[string]any{"url": failing.srv.URL, "events": []string{"orders/*"},
		"retry": map[string]any{"schedule": "fixed", "intervalSeconds": 3600, "maxAttempts": 3}})
	off := s.createWebhook(s.key, map[string]any{"url": ok.srv.URL, "events": []string{"none"}, "isEnabled": false})

	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","data":{}}`, nil, "Idempotency-Key", "k1"), http.StatusAccepted)
	// A replay is not a new event.
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","data":{}}`, nil, "Idempotency-Key", "k1"), http.StatusAccepted)
	mustStatus(t, s.do("POST", "/api/v1/events/batch", s.key, `{"events":[{"topic":"other"},{"topic":"other"}]}`, nil), http.StatusAccepted)
	ok.wait(1, 5*time.Second)
	failing.wait(1, 5*time.Second)

	want := map[string]string{
		`hooks_events_ingested_total`:                                                     "3",
		`hooks_delivery_attempts_total{outcome="succeeded",status_class="2xx"}`:           "1",
		`hooks_delivery_attempts_total{outcome="retrying",status_class="5xx"}`:            "1",
		`hooks_delivery_retries_scheduled_total`:                                          "1",
		`hooks_delivery_attempt_duration_seconds_count`:                                   "2",
		`hooks_endpoints{state="enabled"}`:                                                "2",
		`hooks_endpoints{state="disabled"}`:                                               "1",
		`hooks_queue_waiting_deliveries`:                                                  "1", // the retry, due in an hour
		`hooks_queue_due_deliveries`:                                                      "0",
		`hooks_queue_oldest_due_age_seconds`:                                              "0",
		`hooks_store_scrape_error`:                                                        "0",
		`hooks_http_requests_total{route="POST /api/v1/events",status_class="2xx"}`:       "2",
		`hooks_http_requests_total{route="POST /api/v1/events/batch",status_class="2xx"}`: "1",
		`hooks_http_requests_total{route="POST /api/v1/webhooks",status_class="2xx"}`:     "3",
		`hooks_build_info{goversion="` + runtime.Version() + `",version="test"}`:          "1",
	}
	// Outcomes are counted once their batch is written, and a scrape reads
	// its collectors concurrently, so poll until one scrape shows it all.
	var text string
	var wrong []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		text, wrong = scrape(t, s), nil
		for series, v := range want {
			if got := metricValue(text, series); got != v {
				wrong = append(wrong, fmt.Sprintf("%s = %q, want %q", series, got, v))
			}
		}
		if len(wrong) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, w := range wrong {
		t.Error(w)
	}
	if got := metricValue(text, `hooks_sqlite_write_batch_size_count`); got == "" || got == "0" {
		t.Errorf("hooks_sqlite_write_batch_size_count = %q, want at least one batch", got)
	}
	// Routes are counted by pattern, never by path.
	s.do("GET", "/api/v1/webhooks/wbh_missing", s.key, nil, nil)
	text = scrape(t, s)
	if got := metricValue(text, `hooks_http_requests_total{route="GET /api/v1/webhooks/{id}",status_class="4xx"}`); got != "1" {
		t.Errorf("a 404 on GET /api/v1/webhooks/{id}: counted %q, want 1", got)
	}
	// Bounded cardinality and no tenant data: no tenant, endpoint or topic
	// appears anywhere in the exposition.
	for _, leak := range []string{"tenant", "default", off.ID, "wbh_", "orders", ok.srv.URL} {
		if strings.Contains(text, leak) {
			t.Errorf("/metrics mentions %q", leak)
		}
	}
}

func TestReadyzFollowsTheEngineAndDatabase(t *testing.T) {
	s, stop, done := observedServer(t)
	get := func() (int, string) {
		resp, err := http.Get(s.http.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !s.engine.Running() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if code, body := get(); code != 200 || !strings.Contains(body, `"status":"ready"`) {
		t.Fatalf("readyz with a running engine: %d %s", code, body)
	}
	stop()
	<-done
	if code, body := get(); code != 503 || !strings.Contains(body, `"engine":"not running"`) || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz with the engine stopped: %d %s", code, body)
	}
	s.db.Close()
	if code, body := get(); code != 503 || !strings.Contains(body, `"database":"not writable"`) {
		t.Fatalf("readyz with the database closed: %d %s", code, body)
	}
	if code := func() int {
		resp, err := http.Get(s.http.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}(); code != 200 {
		t.Errorf("healthz = %d while the process is up, want 200", code)
	}
}
