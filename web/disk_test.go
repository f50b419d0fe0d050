package web

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// newTestServerWithDB is newTestServer on a database opened with opts. It
// is always a SQLite file, since the tests here fill it up and lock it.
func newTestServerWithDB(t *testing.T, opts ...store.Option) *testServer {
	t.Helper()
	storetest.SkipOnPostgres(t, "fills up and locks the SQLite file")
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "hooks.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine := delivery.New(db, delivery.Config{Logger: log, Workers: 8, Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true}})
	s := &testServer{t: t, db: db, engine: engine, srv: New(db, engine, Config{PublicURL: "http://hooks.test", Logger: log})}
	s.http = httptest.NewServer(s.srv)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		engine.Run(runCtx, 5*time.Second)
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
	return s
}

// checkUnavailable checks a 503 answer: a clear error and a Retry-After.
func checkUnavailable(t *testing.T, resp *http.Response, body errorBody, cause string) {
	t.Helper()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	if body.Error.Code != domain.EUNAVAILABLE || !strings.Contains(body.Error.Message, cause) {
		t.Errorf("error %+v, want code unavailable naming %s", body.Error, cause)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

// TestDiskFullAnswers503AndDeliveryResumes fills the database up to its
// size cap (SQLITE_FULL, as on a full disk): the API answers 503 for events
// it could not store and 202 only for events it stored, and once there is
// room again the engine delivers every accepted event.
func TestDiskFullAnswers503AndDeliveryResumes(t *testing.T) {
	ctx := context.Background()
	s := newTestServerWithDB(t)
	rcv := newReceiver(t)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}})
	rcv.setSecret(hook.Secret)

	// Leave room for a few events only.
	raw, err := sql.Open("sqlite", "file:"+s.db.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var pages, pageSize int64
	err = raw.QueryRow(`PRAGMA page_count`).Scan(&pages)
	if err == nil {
		err = raw.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	}
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.SetMaxSize(ctx, pages*pageSize+64<<10); err != nil {
		t.Fatal(err)
	}
	payload := `{"topic":"t","data":{"pad":"` + strings.Repeat("x", 8<<10) + `"}}`
	var accepted []string
	full := false
	for range 100 {
		var out struct {
			eventAccepted
			errorBody
		}
		resp := s.do("POST", "/api/v1/events", s.key, payload, &out)
		if resp.StatusCode == http.StatusAccepted {
			accepted = append(accepted, out.ID)
			continue
		}
		checkUnavailable(t, resp, out.errorBody, "SQLITE_FULL")
		full = true
		break
	}
	if !full {
		t.Fatal("100 events of 8 KiB fit in 64 KiB")
	}
	if len(accepted) == 0 {
		t.Fatal("not one event fitted in 64 KiB")
	}
	t.Logf("%d events accepted before the database was full", len(accepted))
	// Every 202 is an event that is stored; nothing else is.
	var list listJSON[eventJSON]
	mustStatus(t, s.do("GET", "/api/v1/events?limit=250", s.key, nil, &list), 200)
	if len(list.Data) != len(accepted) {
		t.Errorf("%d events stored, %d answered 202", len(list.Data), len(accepted))
	}
	for _, id := range accepted {
		mustStatus(t, s.do("GET", "/api/v1/events/"+id, s.key, nil, nil), 200)
	}
	// Reads keep working while writes can't.
	mustStatus(t, s.do("GET", "/api/v1/webhooks/"+hook.ID, s.key, nil, nil), 200)

	// Room again (an operator freed space): ingest and delivery resume.
	if err := s.db.SetMaxSize(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var ev eventAccepted
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, payload, &ev), http.StatusAccepted)
	accepted = append(accepted, ev.ID)
	for _, id := range accepted {
		var e eventJSON
		s.do("GET", "/api/v1/events/"+id, s.key, nil, &e)
		if len(e.Deliveries) != 1 {
			t.Fatalf("event %s has %d deliveries", id, len(e.Deliveries))
		}
		s.waitDelivery(e.Deliveries[0].ID, domain.StatusSucceeded, 10*time.Second)
	}
	if n := rcv.count(); n < len(accepted) {
		t.Errorf("receiver got %d requests for %d accepted events", n, len(accepted))
	}
}

// TestLockedDatabaseAnswers503AndDeliveryResumes holds the write lock from
// another connection for longer than the busy timeout: the API answers 503,
// and once the lock is gone ingest and delivery carry on.
func TestLockedDatabaseAnswers503AndDeliveryResumes(t *testing.T) {
	s := newTestServerWithDB(t, store.WithBusyTimeout(100*time.Millisecond))
	rcv := newReceiver(t)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}})
	rcv.setSecret(hook.Secret)

	other, err := sql.Open("sqlite", "file:"+s.db.Path()+"?_txlock=immediate&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin() // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO settings (name, value) VALUES ('lock-holder', 'x')`); err != nil {
		t.Fatal(err)
	}

	var bad errorBody
	start := time.Now()
	resp := s.do("POST", "/api/v1/events", s.key, `{"topic":"t"}`, &bad)
	checkUnavailable(t, resp, bad, "SQLITE_BUSY")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the 503 took %s; the busy timeout is 100ms", d)
	}
	var list listJSON[eventJSON]
	mustStatus(t, s.do("GET", "/api/v1/events", s.key, nil, &list), 200)
	if len(list.Data) != 0 {
		t.Errorf("%d events stored while the API answered 503", len(list.Data))
	}

	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var ev eventAccepted
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"t"}`, &ev), http.StatusAccepted)
	rcv.wait(1, 10*time.Second)
}
