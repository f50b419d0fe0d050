package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/store"
	"hooks/store/storetest"
)

// testServer is a real hooks server on a real SQLite file, with its engine
// running, reached over a real listener.
type testServer struct {
	t      *testing.T
	db     *store.DB
	engine *delivery.Engine
	srv    *Server
	http   *httptest.Server
	key    string // an all-tenant API key
}

type serverOption func(*delivery.Config, *Config)

// devPolicy lets tests deliver to loopback receivers, as --dev does.
func devPolicy(dc *delivery.Config, _ *Config) {
	dc.Policy = &netguard.Policy{AllowHTTP: true, AllowPrivate: true}
}

func newTestServer(t *testing.T, opts ...serverOption) *testServer {
	t.Helper()
	return newTestServerOn(t, storetest.DSN(t), opts...)
}

// newTestServerOn is newTestServer on the database dsn, which other test
// servers may share, as several hooks instances share one PostgreSQL.
func newTestServerOn(t *testing.T, dsn string, opts ...serverOption) *testServer {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dc := delivery.Config{Logger: log, Workers: 8}
	wc := Config{PublicURL: "http://hooks.test", Logger: log, Version: "test"}
	for _, o := range opts {
		o(&dc, &wc)
	}
	engine := delivery.New(db, dc)
	s := &testServer{t: t, db: db, engine: engine, srv: New(db, engine, wc)}
	s.http = httptest.NewServer(s.srv)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := engine.Run(runCtx, 5*time.Second); err != nil {
			t.Errorf("engine: %v", err)
		}
	}()
	t.Cleanup(func() {
		s.http.Close()
		stop()
		<-done
		db.Close()
	})
	_, s.key, err = db.CreateAPIKey(ctx, "", "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends a JSON API request with key and decodes the answer into out
// (if not nil). It returns the response with its body read.
func (s *testServer) do(method, path, key string, body any, out any, headers ...string) *http.Response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.http.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp
}

// mustStatus fails the test unless resp has the wanted status.
func mustStatus(t *testing.T, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: status %d, want %d; body %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, body)
	}
}

// createWebhook registers an endpoint and returns it with its secret.
func (s *testServer) createWebhook(key string, body map[string]any) webhookJSON {
	s.t.Helper()
	var out webhookJSON
	resp := s.do("POST", "/api/v1/webhooks", key, body, &out)
	mustStatus(s.t, resp, http.StatusCreated)
	return out
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a loopback webhook receiver that verifies every request with
// the official Standard Webhooks library (not hooks' own signer) and
// answers with the statuses it is told, in order, then 200.
type receiver struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	secret   string
	statuses []int
	got      []received
	bad      []string
	notify   chan struct{}
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{t: t, statuses: statuses, notify: make(chan struct{}, 1000)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setSecret(secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = secret
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	if r.secret != "" {
		wh, err := standardwebhooks.NewWebhook(r.secret)
		if err == nil {
			err = wh.Verify(body, req.Header)
		}
		if err != nil {
			r.bad = append(r.bad, err.Error())
		}
	}
	r.got = append(r.got, received{header: req.Header.Clone(), body: body, at: time.Now()})
	status := http.StatusOK
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	r.mu.Unlock()
	w.WriteHeader(status)
	io.WriteString(w, `{"ok":true}`)
	r.notify <- struct{}{}
}

// wait blocks until the receiver has n requests, or fails the test.
func (r *receiver) wait(n int, within time.Duration) []received {
	r.t.Helper()
	deadline := time.After(within)
	for {
		r.mu.Lock()
		if len(r.got) >= n {
			got := append([]received(nil), r.got...)
			bad := append([]string(nil), r.bad...)
			r.mu.Unlock()
			if len(bad) > 0 {
				r.t.Fatalf("signature verification failed: %v", bad)
			}
			return got
		}
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-deadline:
			r.t.Fatalf("receiver got %d requests, want %d", len(r.got), n)
		}
	}
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// waitDelivery polls the API until the delivery reaches status.
func (s *testServer) waitDelivery(id, status string, within time.Duration) deliveryJSON {
	s.t.Helper()
	deadline := time.Now().Add(within)
	var d deliveryJSON
	for time.Now().Before(deadline) {
		s.do("GET", "/api/v1/deliveries/"+id, s.key, nil, &d)
		if d.Status == status {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("delivery %s is %q, want %q", id, d.Status, status)
	return d
}
