package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// answering is a receiver that answers every request with status and
// body, after release is closed if it is set.
func answering(t *testing.T, status int, body string, release chan struct{}) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if release != nil {
			<-release
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const pepperiAnswer = `{"Success":true,"HTMLResponse":"<h3>Order 1042 imported</h3>"}`

func TestPreferWaitAnswersWithTheReceiversHTMLResponse(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := answering(t, http.StatusOK, pepperiAnswer, nil)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.URL, "events": []string{"orders/*"}})

	var got eventAnswered
	resp := s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","data":{"n":1}}`, &got,
		"Prefer", "wait=10", "Idempotency-Key", "order-1042")
	mustStatus(t, resp, http.StatusOK)
	if h := resp.Header.Get("Preference-Applied"); h != "wait=10" {
		t.Errorf("Preference-Applied = %q, want wait=10", h)
	}
	if got.Deliveries != 1 || len(got.Results) != 1 {
		t.Fatalf("answer %+v, want one result", got)
	}
	r := got.Results[0]
	if r.WebhookID != hook.ID || r.Status != domain.StatusSucceeded || r.StatusCode == nil || *r.StatusCode != 200 || !r.Success ||
		r.HTMLResponse == nil || *r.HTMLResponse != "<h3>Order 1042 imported</h3>" {
		t.Errorf("result %+v", r)
	}

	// The same event posted again gets the outcome it had.
	var again eventAnswered
	resp = s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","data":{"n":1}}`, &again,
		"Prefer", "wait=10", "Idempotency-Key", "order-1042")
	mustStatus(t, resp, http.StatusOK)
	if resp.Header.Get("Idempotent-Replayed") != "true" || again.ID != got.ID || len(again.Results) != 1 ||
		again.Results[0].DeliveryID != r.DeliveryID || again.Results[0].HTMLResponse == nil {
		t.Errorf("replay answered %+v, want the first outcome of %s", again, r.DeliveryID)
	}

	// An event nobody subscribes to is answered at once.
	var none eventAnswered
	resp = s.do("POST", "/api/v1/events", s.key, `{"topic":"users/created"}`, &none, "Prefer", "wait=30")
	mustStatus(t, resp, http.StatusOK)
	if none.Deliveries != 0 || none.Results == nil || len(none.Results) != 0 {
		t.Errorf("unsubscribed event: %+v, want no deliveries and results []", none)
	}

	// Without Prefer the answer is as before.
	resp = s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed"}`, nil)
	mustStatus(t, resp, http.StatusAccepted)
	if resp.Header.Get("Preference-Applied") != "" {
		t.Errorf("Preference-Applied sent without Prefer")
	}
}

func TestPreferWaitForASlowReceiverAnswers202AndDeliveryGoesOn(t *testing.T) {
	s := newTestServer(t, devPolicy)
	release := make(chan struct{})
	rcv := answering(t, http.StatusOK, pepperiAnswer, release)
	s.createWebhook(s.key, map[string]any{"url": rcv.URL, "events": []string{"orders/*"}})

	var got eventAnswered
	resp := s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed"}`, &got, "Prefer", "wait=1")
	mustStatus(t, resp, http.StatusAccepted)
	if resp.Header.Get("Preference-Applied") != "wait=1" || len(got.Results) != 1 {
		t.Fatalf("answer %+v (Preference-Applied %q)", got, resp.Header.Get("Preference-Applied"))
	}
	r := got.Results[0]
	if r.Status != domain.StatusPending || r.StatusCode != nil || r.Success || r.HTMLResponse != nil {
		t.Errorf("result %+v, want pending", r)
	}
	close(release)
	s.waitDelivery(r.DeliveryID, domain.StatusSucceeded, 10*time.Second)
}

func TestPreferWaitReportsAFailedFirstAttemptAndTheDeliveryIsRetried(t *testing.T) {
	s := newTestServer(t, devPolicy)
	var mu sync.Mutex
	calls := 0
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"Success":false,"HTMLResponse":"<p>Warehouse offline</p>"}`)
			return
		}
		io.WriteString(w, pepperiAnswer)
	}))
	t.Cleanup(rcv.Close)
	s.createWebhook(s.key, map[string]any{"url": rcv.URL, "events": []string{"orders/*"},
		"retry": map[string]any{"schedule": "fixed", "intervalSeconds": 1, "maxAttempts": 3}})

	var got eventAnswered
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed"}`, &got, "Prefer", "wait=10"), http.StatusOK)
	r := got.Results[0]
	if r.Status != domain.StatusRetrying || r.StatusCode == nil || *r.StatusCode != 500 || r.Success ||
		r.HTMLResponse == nil || *r.HTMLResponse != "<p>Warehouse offline</p>" {
		t.Errorf("result %+v, want the failed first attempt", r)
	}
	d := s.waitDelivery(r.DeliveryID, domain.StatusSucceeded, 10*time.Second)
	if d.AttemptCount != 2 {
		t.Errorf("delivered after %d attempts, want 2", d.AttemptCount)
	}
}

// TestPreferWaitReadsAttemptsAnotherInstanceMade serves the API with an
// engine that never runs, while a second engine on the same database
// makes the attempts, as another hooks process would: the waiting request
// is never told of them and must find them in the store.
func TestPreferWaitReadsAttemptsAnotherInstanceMade(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() *store.DB {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	dbA, dbB := open(), open()
	dev := delivery.Config{}
	devPolicy(&dev, nil)
	idle := delivery.New(dbA, delivery.Config{Logger: log, Owner: "a", Policy: dev.Policy}) // never runs
	api := httptest.NewServer(New(dbA, idle, Config{PublicURL: "http://hooks.test", Logger: log}))
	t.Cleanup(api.Close)
	other := delivery.New(dbB, delivery.Config{Logger: log, Owner: "b", Policy: dev.Policy})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); other.Run(runCtx, time.Second) }()
	t.Cleanup(func() { stop(); <-done })

	_, key, err := dbA.CreateAPIKey(ctx, "", "test")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, db: dbA, http: api, key: key}
	rcv := answering(t, http.StatusOK, pepperiAnswer, nil)
	s.createWebhook(key, map[string]any{"url": rcv.URL, "events": []string{"orders/*"}})

	var got eventAnswered
	mustStatus(t, s.do("POST", "/api/v1/events", key, `{"topic":"orders/placed"}`, &got, "Prefer", "wait=10"), http.StatusOK)
	if r := got.Results[0]; r.Status != domain.StatusSucceeded || r.HTMLResponse == nil {
		t.Errorf("result %+v, want the other instance's attempt", r)
	}
	if n := idle.Waiters().Watched(); n != 0 {
		t.Errorf("%d deliveries still watched", n)
	}
}

// TestPreferWaitHoldsNoWorker waits for 20 events at once on an engine
// with one worker: if a wait held the worker, the others would time out.
func TestPreferWaitHoldsNoWorker(t *testing.T) {
	s := newTestServer(t, devPolicy, func(dc *delivery.Config, _ *Config) { dc.Workers = 1 })
	rcv := answering(t, http.StatusOK, pepperiAnswer, nil)
	s.createWebhook(s.key, map[string]any{"url": rcv.URL, "events": []string{"orders/*"}})

	const posts = 20
	statuses := make(chan int, posts)
	var wg sync.WaitGroup
	for i := range posts {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", s.http.URL+"/api/v1/events", strings.NewReader(fmt.Sprintf(`{"topic":"orders/placed","data":{"n":%d}}`, i)))
			req.Header.Set("Authorization", "Bearer "+s.key)
			req.Header.Set("Prefer", "wait=20")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	for code := range statuses {
		if code != http.StatusOK {
			t.Errorf("a waiting post answered %d, want 200", code)
		}
	}
}

func TestPreferWaitOnTheBatchRoute(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := answering(t, http.StatusOK, pepperiAnswer, nil)
	s.createWebhook(s.key, map[string]any{"url": rcv.URL, "events": []string{"orders/*"}})
	s.createWebhook(s.key, map[string]any{"url": rcv.URL, "events": []string{"orders/placed"}})

	var got struct{ Data []eventAnswered }
	resp := s.do("POST", "/api/v1/events/batch", s.key, `{"events":[{"topic":"orders/placed"},{"topic":"orders/paid"},{"topic":"users/created"}]}`,
		&got, "Prefer", "respond-async, wait=10")
	mustStatus(t, resp, http.StatusOK)
	if resp.Header.Get("Preference-Applied") != "wait=10" || len(got.Data) != 3 {
		t.Fatalf("answer %+v", got)
	}
	for i, want := range []int{2, 1, 0} {
		e := got.Data[i]
		if e.Deliveries != want || len(e.Results) != want {
			t.Errorf("event %d: %d deliveries, %d results, want %d", i, e.Deliveries, len(e.Results), want)
		}
		for _, r := range e.Results {
			if !r.Success || r.HTMLResponse == nil {
				t.Errorf("event %d: result %+v", i, r)
			}
		}
	}
}

func TestPreferWaitHeader(t *testing.T) {
	for _, c := range []struct {
		header []string
		want   time.Duration
	}{
		{nil, 0},
		{[]string{"wait=5"}, 5 * time.Second},
		{[]string{"respond-async, wait=10"}, 10 * time.Second},
		{[]string{"return=minimal", `Wait="3"`}, 3 * time.Second},
		{[]string{"wait=120"}, 30 * time.Second}, // at most MaxWait
		{[]string{"wait=0"}, 0},
		{[]string{"wait=-1"}, 0},
		{[]string{"wait=soon"}, 0},
		{[]string{"waiting=5"}, 0},
		{[]string{"handling=lenient; x=1, wait=2;y"}, 2 * time.Second},
	} {
		r := httptest.NewRequest("POST", "/api/v1/events", nil)
		for _, h := range c.header {
			r.Header.Add("Prefer", h)
		}
		if got := preferWait(r); got != c.want {
			t.Errorf("Prefer %q: wait %v, want %v", c.header, got, c.want)
		}
	}
}

func TestPreferWaitAnswersMatchTheOpenAPISchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	s := newTestServer(t, devPolicy)
	release := make(chan struct{})
	slow := answering(t, http.StatusOK, pepperiAnswer, release)
	fast := answering(t, http.StatusOK, pepperiAnswer, nil)
	s.createWebhook(s.key, map[string]any{"url": fast.URL, "events": []string{"orders/*"}})
	s.createWebhook(s.key, map[string]any{"url": slow.URL, "events": []string{"orders/paid"}})
	defer close(release)
	check := func(schema string, resp *http.Response, status int) {
		t.Helper()
		mustStatus(t, resp, status)
		body, _ := io.ReadAll(resp.Body)
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		if err := doc.Components.Schemas[schema].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("answer does not match schema %s: %v\n%s", schema, err, body)
		}
	}
	check("EventAnswered", s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed"}`, nil, "Prefer", "wait=10"), http.StatusOK)
	check("EventAccepted", s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/paid"}`, nil, "Prefer", "wait=1"), http.StatusAccepted)
	check("EventBatchAnswered", s.do("POST", "/api/v1/events/batch", s.key, `{"events":[{"topic":"orders/placed"},{"topic":"users/created"}]}`, nil,
		"Prefer", "wait=10"), http.StatusOK)
}

// TestPreferWaitOnSeveralInstances posts to one of two instances sharing
// PostgreSQL: either engine may make an attempt, and every wait ends with
// the first outcome all the same.
func TestPreferWaitOnSeveralInstances(t *testing.T) {
	inst := newInstances(t, 2, devPolicy)
	a := inst[0]
	rcv := answering(t, http.StatusOK, pepperiAnswer, nil)
	a.createWebhook(a.key, map[string]any{"url": rcv.URL, "events": []string{"orders/*"}})
	for i := range 10 {
		var got eventAnswered
		mustStatus(t, a.do("POST", "/api/v1/events", a.key, fmt.Sprintf(`{"topic":"orders/placed","data":{"n":%d}}`, i), &got,
			"Prefer", "wait=10"), http.StatusOK)
		if r := got.Results[0]; !r.Success || r.HTMLResponse == nil {
			t.Errorf("event %d: %+v", i, r)
		}
	}
}
