package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hooks/client"
	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/delivery/sign"
	"hooks/store"
	"hooks/store/storetest"
	"hooks/web"
)

// syncBuffer collects a command's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls f until it returns true, or fails the test after 10 s.
func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !f(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// hooksServer is a real hooks server in this process: web.New and
// delivery.New on a temporary SQLite file, delivering to loopback as
// --dev allows, with JWT signing and its JWKS routes.
type hooksServer struct {
	url string
	key string
}

func startServer(t *testing.T) *hooksServer {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + ts.Listener.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ring := sign.NewKeyRing(db, 0)
	engine := delivery.New(db, delivery.Config{Logger: log, Workers: 4, JWT: sign.NewJWT(ring, publicURL),
		Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true}})
	ts.Config.Handler = web.New(db, engine, web.Config{PublicURL: publicURL, Logger: log, Version: "test", JWKS: ring})
	ts.Start()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		engine.Run(runCtx, time.Second)
	}()
	t.Cleanup(func() {
		ts.Close()
		stop()
		<-done
		db.Close()
	})
	_, key, err := db.CreateAPIKey(ctx, "", "cli test")
	if err != nil {
		t.Fatal(err)
	}
	return &hooksServer{url: publicURL, key: key}
}

// run runs one API command against s and returns its stdout.
func (s *hooksServer) run(t *testing.T, cmd func(context.Context, []string, io.Writer, io.Writer, string) error, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append(args, "--url", s.url, "--key", s.key)
	if err := cmd(context.Background(), args, &stdout, &stderr, "test"); err != nil {
		t.Fatalf("%v: %v\nstderr: %s", args, err, stderr.String())
	}
	return stdout.String()
}

// listener is a running "hooks listen".
type listener struct {
	addr   string
	out    *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

func startListen(t *testing.T, args ...string) *listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{out: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	stderr := &syncBuffer{}
	go func() { l.done <- Listen(ctx, append(args, "--port", "0"), l.out, stderr, false) }()
	ready := regexp.MustCompile(`Listening on http://(\S+),`)
	waitFor(t, "hooks listen to start", func() bool {
		m := ready.FindStringSubmatch(stderr.String())
		if m != nil {
			l.addr = m[1]
		}
		return m != nil
	})
	t.Cleanup(func() {
		cancel()
		if err := <-l.done; err != nil {
			t.Errorf("listen: %v", err)
		}
	})
	return l
}

func newStandardSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// TestListenVerifiesRealDeliveriesInEveryScheme runs the developer loop
// end to end for each signing scheme: endpoints create → hooks listen →
// hooks send → the listener prints the delivery and says the signature
// passed → deliveries list shows it succeeded. A listener holding the
// wrong secret must say the check failed, and hooks must record it.
func TestListenVerifiesRealDeliveriesInEveryScheme(t *testing.T) {
	s := startServer(t)
	cases := []struct {
		name           string
		create, listen []string
		wrongListen    []string
	}{
		{"standard-webhooks", []string{"--secret", "$SECRET"}, []string{"--secret", "$SECRET"},
			[]string{"--secret", newStandardSecret()}},
		{"hmac-sha256 hex", []string{"--scheme", "hmac-sha256", "--header", "X-Pepperi-Signature", "--prefix", "sha256=", "--secret", "It's a Secret to Everybody"},
			[]string{"--scheme", "hmac-sha256", "--header", "X-Pepperi-Signature", "--prefix", "sha256=", "--secret", "It's a Secret to Everybody"},
			[]string{"--scheme", "hmac-sha256", "--header", "X-Pepperi-Signature", "--secret", "It's a Secret to Everybody"}},
		{"hmac-sha256 base64", []string{"--scheme", "hmac-sha256", "--header", "X-Hmac-SHA256", "--encoding", "base64", "--secret", "shhh-quiet-please"},
			[]string{"--scheme", "hmac-sha256", "--header", "X-Hmac-SHA256", "--encoding", "base64", "--secret", "shhh-quiet-please"},
			[]string{"--scheme", "hmac-sha256", "--header", "X-Hmac-SHA256", "--encoding", "hex", "--secret", "shhh-quiet-please"}},
		{"shared-secret", []string{"--scheme", "shared-secret", "--header", "X-Shopery-Secret", "--secret", "open-sesame"},
			[]string{"--scheme", "shared-secret", "--header", "X-Shopery-Secret", "--secret", "open-sesame"},
			[]string{"--scheme", "shared-secret", "--header", "X-Shopery-Secret", "--secret", "wrong"}},
		{"jwt", []string{"--scheme", "jwt"},
			[]string{"--scheme", "jwt", "--issuer", s.url + "/default", "--audience", "default"},
			[]string{"--scheme", "jwt", "--issuer", s.url + "/default", "--audience", "another-tenant"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			secret := newStandardSecret()
			subst := func(args []string) []string {
				out := make([]string, len(args))
				for i, a := range args {
					out[i] = strings.ReplaceAll(a, "$SECRET", secret)
				}
				return out
			}
			topic := "orders/case" + string(rune('a'+i))
			for _, wrong := range []bool{false, true} {
				listenArgs := tc.listen
				if wrong {
					listenArgs = tc.wrongListen
				}
				l := startListen(t, subst(listenArgs)...)
				var w client.Webhook
				out := s.run(t, Endpoints, append([]string{"create", "--endpoint-url", "http://" + l.addr + "/hooks", "--events", topic,
					"--output", "json"}, subst(tc.create)...)...)
				if err := json.Unmarshal([]byte(out), &w); err != nil || !strings.HasPrefix(w.ID, "wbh_") {
					t.Fatalf("endpoints create: %q, %v", out, err)
				}
				out = s.run(t, Send, "--topic", topic, "--sub-topic", "product:adv/adv-120", "--data", `{"id":42,"total":"9.90"}`)
				if !strings.Contains(out, "accepted: 1 delivery") {
					t.Fatalf("send printed %q", out)
				}
				want := "✔ signature verified (" + strings.Fields(tc.name)[0] + ")"
				if wrong {
					want = "✘ signature INVALID (" + strings.Fields(tc.name)[0] + ")"
				}
				waitFor(t, "the listener to print "+want, func() bool { return strings.Contains(l.out.String(), want) })
				printed := l.out.String()
				for _, part := range []string{"POST /hooks", "topic=" + topic, "sub-topic=product:adv/adv-120", "webhook-id=dlv_", "\"id\": 42,\n"} {
					if !strings.Contains(printed, part) {
						t.Errorf("listener output lacks %q:\n%s", part, printed)
					}
				}
				wantStatus := "succeeded"
				if wrong {
					wantStatus = "failed" // the listener answers 401, which is not retried by default
				}
				waitFor(t, "the delivery to be "+wantStatus, func() bool {
					var page client.Page[client.Delivery]
					json.Unmarshal([]byte(s.run(t, Deliveries, "list", "--endpoint", w.ID, "--output", "json")), &page)
					return len(page.Data) == 1 && page.Data[0].Status == wantStatus
				})
				s.run(t, Endpoints, "disable", w.ID)
			}
		})
	}
}

func TestEndpointsAndDeliveriesCommands(t *testing.T) {
	s := startServer(t)
	secret := newStandardSecret()
	l := startListen(t, "--secret", secret)
	out := s.run(t, Endpoints, "create", "--endpoint-url", "http://"+l.addr+"/in", "--events", "orders/*,refunds/created", "--name", "Shop", "--secret", secret)
	m := regexp.MustCompile(`endpoint (wbh_\S+) created`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "secret: "+secret) {
		t.Fatalf("endpoints create printed %q", out)
	}
	id := m[1]
	table := s.run(t, Endpoints, "list")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[1], id) ||
		!strings.Contains(lines[1], "orders/*,refunds/created") || !strings.HasSuffix(lines[1], "yes") {
		t.Fatalf("endpoints list:\n%s", table)
	}
	// tabwriter aligns the columns: NAME starts at the same offset in both lines.
	if strings.Index(lines[0], "NAME") != strings.Index(lines[1], "Shop") {
		t.Errorf("columns are not aligned:\n%s", table)
	}

	out = s.run(t, Send, "--topic", "orders/placed", "--idempotency-key", "order-1", "--output", "json")
	var acc struct {
		ID         string
		Deliveries int
		Replayed   bool
	}
	json.Unmarshal([]byte(out), &acc)
	if !strings.HasPrefix(acc.ID, "evt_") || acc.Deliveries != 1 || acc.Replayed {
		t.Fatalf("send --output json: %s", out)
	}
	if out := s.run(t, Send, "--topic", "orders/placed", "--idempotency-key", "order-1"); !strings.Contains(out, acc.ID) ||
		!strings.Contains(out, "seen before") {
		t.Errorf("replayed send printed %q", out)
	}
	waitFor(t, "the first delivery", func() bool { return strings.Count(l.out.String(), "signature verified") == 1 })

	var page client.Page[client.Delivery]
	waitFor(t, "a succeeded delivery", func() bool {
		json.Unmarshal([]byte(s.run(t, Deliveries, "list", "--output", "json")), &page)
		return len(page.Data) == 1 && page.Data[0].Status == "succeeded"
	})
	dlv := page.Data[0].ID
	table = s.run(t, Deliveries, "list", "--status", "succeeded")
	if !strings.Contains(table, dlv) || !strings.Contains(table, "ATTEMPTS") || !strings.Contains(table, "200") {
		t.Errorf("deliveries list:\n%s", table)
	}
	// The id may come before or after the flags.
	if out := s.run(t, Deliveries, "redeliver", dlv); !strings.Contains(out, dlv+" queued") {
		t.Errorf("redeliver printed %q", out)
	}
	waitFor(t, "the redelivery", func() bool { return strings.Count(l.out.String(), "webhook-id="+dlv) == 2 })

	if out := s.run(t, Endpoints, "disable", id); !strings.Contains(out, id+" disabled") {
		t.Errorf("disable printed %q", out)
	}
	if table := s.run(t, Endpoints, "list"); !strings.Contains(table, "no (disabled by a user)") {
		t.Errorf("list after disable:\n%s", table)
	}
}

func TestCommandErrorsAndExitKinds(t *testing.T) {
	s := startServer(t)
	var stdout, stderr bytes.Buffer
	ctx := context.Background()
	// Usage errors (exit 2) explain themselves on stderr.
	for _, args := range [][]string{
		{"--url", s.url, "--key", s.key},                                  // no --topic
		{"--topic", "t", "--url", s.url},                                  // no key
		{"--topic", "t", "--data", "{nope", "--url", s.url, "--key", "k"}, // bad JSON
		{"--topic", "t", "--output", "yaml", "--key", "k"},
	} {
		stderr.Reset()
		if err := Send(ctx, args, &stdout, &stderr, "test"); !errors.Is(err, ErrUsage) || stderr.Len() == 0 {
			t.Errorf("send %v: err %v, stderr %q; want a usage error with a message", args, err, stderr.String())
		}
	}
	if err := Deliveries(ctx, []string{"redeliver", "--url", s.url, "--key", s.key}, &stdout, &stderr, "test"); !errors.Is(err, ErrUsage) {
		t.Errorf("redeliver without an id: %v", err)
	}
	// API errors (exit 1) carry the server's message and code.
	err := Send(ctx, []string{"--topic", "t", "--url", s.url, "--key", "hk_wrong"}, &stdout, &stderr, "test")
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || !strings.Contains(err.Error(), "unauthorized") {
		t.Errorf("bad key: %v", err)
	}
	err = Deliveries(ctx, []string{"redeliver", "dlv_missing", "--url", s.url, "--key", s.key}, &stdout, &stderr, "test")
	if !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Errorf("unknown delivery: %v", err)
	}
	// A server that isn't there is said plainly.
	err = Send(ctx, []string{"--topic", "t", "--url", "http://127.0.0.1:1", "--key", "k"}, &stdout, &stderr, "test")
	if err == nil || !strings.Contains(err.Error(), "can't reach hooks") {
		t.Errorf("no server: %v", err)
	}
	if err := Listen(ctx, []string{"--scheme", "nope"}, &stdout, &stderr, false); !errors.Is(err, ErrUsage) {
		t.Errorf("listen with an unknown scheme: %v", err)
	}
}

// TestEndpointsCreateWithFilter creates an endpoint with --filter: the
// answer carries the filter, and an event it refuses gets no delivery.
func TestEndpointsCreateWithFilter(t *testing.T) {
	s := startServer(t)
	out := s.run(t, Endpoints, "create", "--endpoint-url", "http://127.0.0.1:9/in", "--events", "orders/*",
		"--filter", `{"data": {"total": {"$gte": 100}}}`, "--output", "json")
	var w client.Webhook
	var compact bytes.Buffer
	if err := json.Unmarshal([]byte(out), &w); err != nil || json.Compact(&compact, w.Filter) != nil ||
		compact.String() != `{"data":{"total":{"$gte":100}}}` {
		t.Fatalf("endpoints create --filter: %s (%v)", out, err)
	}
	for data, want := range map[string]int{`{"total":5}`: 0, `{"total":500}`: 1} {
		var acc client.Accepted
		json.Unmarshal([]byte(s.run(t, Send, "--topic", "orders/placed", "--data", data, "--output", "json")), &acc)
		if acc.Deliveries != want {
			t.Errorf("send %s: %d deliveries, want %d", data, acc.Deliveries, want)
		}
	}
}
