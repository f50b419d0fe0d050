package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// The seed corpora are in testdata/fuzz/<FuzzName>.

// fuzzServer is a Server on a real database with no engine running: the
// fuzz targets exercise decoding, validation and storage, not delivery.
func fuzzServer(f *testing.F) (*Server, string) {
	f.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine := delivery.New(db, delivery.Config{Logger: log})
	_, key, err := db.CreateAPIKey(ctx, "", "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	return New(db, engine, Config{PublicURL: "http://hooks.test", Logger: log, MaxBodyBytes: 64 << 10}), key
}

func serve(s *Server, key, method, path string, body []byte, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// checkClientError checks that a refused request got a 4xx with the
// documented error body: never a 500 for bad input.
func checkClientError(t *testing.T, rec *httptest.ResponseRecorder, allowed ...int) {
	t.Helper()
	ok := false
	for _, s := range allowed {
		ok = ok || rec.Code == s
	}
	if !ok {
		t.Fatalf("status %d, want one of %v; body %s", rec.Code, allowed, rec.Body)
	}
	var e errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("status %d with error body %q (%v)", rec.Code, rec.Body, err)
	}
	if strings.Contains(e.Error.Message, "internal") {
		t.Fatalf("client error reads like a server one: %q", e.Error.Message)
	}
}

// FuzzCreateWebhook posts arbitrary bodies to POST /api/v1/webhooks
// through the real handler and database. Every body gets 201 or a 4xx with
// a JSON error; an endpoint that is created reads back valid: its URL
// passes the policy, its topics are valid patterns, it has a secret.
func FuzzCreateWebhook(f *testing.F) {
	s, key := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := serve(s, key, "POST", "/api/v1/webhooks", body)
		if rec.Code != http.StatusCreated {
			checkClientError(t, rec, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge)
			return
		}
		var w webhookJSON
		if err := json.Unmarshal(rec.Body.Bytes(), &w); err != nil {
			t.Fatalf("201 with body %q: %v", rec.Body, err)
		}
		if w.Secret == "" || !strings.HasPrefix(w.ID, domain.PrefixEndpoint) {
			t.Fatalf("created %+v without an id or secret", w)
		}
		if len(w.Events) == 0 {
			t.Fatalf("created an endpoint with no topics from %q", body)
		}
		for _, p := range append(append([]string{}, w.Events...), w.SubTopics...) {
			if err := domain.ValidTopicPattern(p); err != nil {
				t.Fatalf("stored topic pattern %q: %v", p, err)
			}
		}
		if _, err := (&netguard.Policy{}).CheckURL(w.URL); err != nil {
			t.Fatalf("stored URL %q fails the policy: %v", w.URL, err)
		}
		got := serve(s, key, "GET", "/api/v1/webhooks/"+w.ID, nil)
		if got.Code != http.StatusOK {
			t.Fatalf("GET the new endpoint: %d %s", got.Code, got.Body)
		}
		// Keep the tenant under its endpoint limit across iterations.
		if del := serve(s, key, "DELETE", "/api/v1/webhooks/"+w.ID, nil); del.Code != http.StatusNoContent {
			t.Fatalf("DELETE: %d %s", del.Code, del.Body)
		}
	})
}

// FuzzCreateEvent posts arbitrary bodies and idempotency keys to
// POST /api/v1/events. Every request gets 202 or a 4xx with a JSON error;
// an accepted event is stored with its topic and data as posted, and the
// same idempotency key gives the same event back.
func FuzzCreateEvent(f *testing.F) {
	s, key := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte, idemKey string) {
		var headers []string
		if idemKey != "" && !strings.ContainsAny(idemKey, "\r\n\x00") {
			headers = []string{"Idempotency-Key", idemKey}
		}
		rec := serve(s, key, "POST", "/api/v1/events", body, headers...)
		if rec.Code != http.StatusAccepted {
			checkClientError(t, rec, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge)
			return
		}
		var acc eventAccepted
		if err := json.Unmarshal(rec.Body.Bytes(), &acc); err != nil || !strings.HasPrefix(acc.ID, domain.PrefixEvent) {
			t.Fatalf("202 with body %q: %v", rec.Body, err)
		}
		got := serve(s, key, "GET", "/api/v1/events/"+acc.ID, nil)
		if got.Code != http.StatusOK {
			t.Fatalf("GET the new event: %d %s", got.Code, got.Body)
		}
		var ev eventJSON
		if err := json.Unmarshal(got.Body.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		if err := domain.ValidTopic(ev.Topic); err != nil {
			t.Fatalf("stored topic %q: %v", ev.Topic, err)
		}
		if !json.Valid(ev.Data) {
			t.Fatalf("stored data is not JSON: %q", ev.Data)
		}
		if len(headers) > 0 && rec.Header().Get("Idempotent-Replayed") == "" {
			again := serve(s, key, "POST", "/api/v1/events", body, headers...)
			var acc2 eventAccepted
			json.Unmarshal(again.Body.Bytes(), &acc2)
			if again.Code != http.StatusAccepted || acc2.ID != acc.ID || again.Header().Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay with the same key: %d %s, want event %s", again.Code, again.Body, acc.ID)
			}
		}
	})
}

// FuzzDecodeJSON feeds arbitrary bodies to decodeJSON for every input type
// the API decodes: it never panics, and every failure is an application
// error a client can act on (invalid or too large), never an internal one.
func FuzzDecodeJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{&webhookInput{}, &eventInput{}, &struct {
			Events []eventInput `json:"events"`
		}{}}
		for _, v := range targets {
			req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			req.Body = http.MaxBytesReader(httptest.NewRecorder(), req.Body, 4<<10)
			err := decodeJSON(req, v)
			if err == nil {
				if len(body) > 4<<10 {
					t.Fatalf("decoded %d bytes past the 4 KiB limit", len(body))
				}
				continue
			}
			var se *domain.Error
			if !errors.As(err, &se) {
				t.Fatalf("%T: decodeJSON(%q) = %v, not a domain.Error", v, body, err)
			}
			if se.Code != domain.EINVALID && se.Code != domain.ETOOLARGE {
				t.Fatalf("%T: decodeJSON(%q) code %s", v, body, se.Code)
			}
			if se.Message == "" {
				t.Fatalf("%T: decodeJSON(%q): empty message", v, body)
			}
		}
	})
}
