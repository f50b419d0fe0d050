package delivery_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// rawServer accepts connections on loopback and hands each to serve, for
// receivers that don't speak proper HTTP.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				serve(c)
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/hook"
}

// readRequest consumes one HTTP request from c.
func readRequest(c net.Conn) {
	if req, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
		io.Copy(io.Discard, req.Body)
	}
}

// TestHostileReceiversAreBounded points one endpoint at each kind of
// hostile receiver and one at a healthy one, all at once: every attempt
// ends within its endpoint's timeout, at most 64 KiB of a response is kept,
// and the healthy endpoint's deliveries are not held up by the others.
func TestHostileReceiversAreBounded(t *testing.T) {
	ctx := context.Background()
	const timeout = time.Second
	stop := make(chan struct{})
	defer close(stop)

	cases := []struct {
		name  string
		url   string
		check func(t *testing.T, a *domain.Attempt)
	}{{
		name: "hangs without answering",
		url: rawServer(t, func(c net.Conn) {
			readRequest(c)
			<-stop
		}),
		check: func(t *testing.T, a *domain.Attempt) {
			if a.StatusCode != 0 || !strings.Contains(a.Error, "timed out") {
				t.Errorf("status %d, error %q; want a timeout", a.StatusCode, a.Error)
			}
		},
	}, {
		name: "trickles the body a byte at a time",
		url: rawServer(t, func(c net.Conn) {
			readRequest(c)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
			}
		}),
		check: func(t *testing.T, a *domain.Attempt) {
			if !strings.Contains(a.Error, "timed out") {
				t.Errorf("error %q; want a timeout while reading the response", a.Error)
			}
		},
	}, {
		name: "answers a 10 MB body",
		url: rawServer(t, func(c net.Conn) {
			readRequest(c)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n")
			chunk := []byte(strings.Repeat("0123456789abcdef", 4096))
			for range 10 << 20 / len(chunk) {
				if _, err := c.Write(chunk); err != nil {
					return // hooks stopped reading, as it should
				}
			}
		}),
		check: func(t *testing.T, a *domain.Attempt) {
			if a.StatusCode != 200 || a.Error != "" {
				t.Errorf("status %d, error %q; want a 200 kept as success", a.StatusCode, a.Error)
			}
			if len(a.ResponseBody) != 64<<10 || !a.ResponseTruncated {
				t.Errorf("kept %d bytes, truncated %v; want 65536, true", len(a.ResponseBody), a.ResponseTruncated)
			}
		},
	}, {
		name: "resets the connection",
		url: rawServer(t, func(c net.Conn) {
			readRequest(c)
			c.(*net.TCPConn).SetLinger(0) // close with RST
		}),
		check: func(t *testing.T, a *domain.Attempt) {
			if a.StatusCode != 0 || a.Error == "" {
				t.Errorf("status %d, error %q; want a network error", a.StatusCode, a.Error)
			}
		},
	}, {
		name: "answers invalid HTTP",
		url: rawServer(t, func(c net.Conn) {
			readRequest(c)
			io.WriteString(c, "HELLO I AM NOT HTTP\r\n\r\n")
		}),
		check: func(t *testing.T, a *domain.Attempt) {
			if a.StatusCode != 0 || !strings.Contains(a.Error, "malformed HTTP") {
				t.Errorf("status %d, error %q; want a malformed HTTP error", a.StatusCode, a.Error)
			}
		},
	}, {
		name: "sends endless headers",
		url: rawServer(t, func(c net.Conn) {
			readRequest(c)
			io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			for {
				if _, err := io.WriteString(c, "X-Junk: "+strings.Repeat("j", 1000)+"\r\n"); err != nil {
					return
				}
			}
		}),
		check: func(t *testing.T, a *domain.Attempt) {
			if a.StatusCode != 0 || a.Error == "" {
				t.Errorf("status %d, error %q; want the response refused", a.StatusCode, a.Error)
			}
		},
	}}

	var healthyMu sync.Mutex
	var healthyTimes []time.Duration
	start := time.Now()
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		healthyMu.Lock()
		healthyTimes = append(healthyTimes, time.Since(start))
		healthyMu.Unlock()
	}))
	defer healthy.Close()

	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mu sync.Mutex
	attempts := map[string][]*domain.Attempt{} // by URL
	var firstTimeout time.Duration             // when the first hostile attempt timed out
	done := make(chan struct{}, 1000)
	engine := delivery.New(db, delivery.Config{
		Policy:         &netguard.Policy{AllowHTTP: true, AllowPrivate: true},
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		Workers:        8,
		MaxPerEndpoint: 2,
		OnOutcome: func(o store.Outcome) {
			if o.Attempt != nil {
				mu.Lock()
				attempts[o.Attempt.URL] = append(attempts[o.Attempt.URL], o.Attempt)
				if firstTimeout == 0 && strings.Contains(o.Attempt.Error, "timed out") {
					firstTimeout = time.Since(start)
				}
				mu.Unlock()
			}
			done <- struct{}{}
		},
	})
	urls := []string{healthy.URL}
	for _, c := range cases {
		urls = append(urls, c.url)
	}
	for _, u := range urls {
		hook := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: u, Topics: []string{"*"}, Enabled: true,
			Timeout: timeout, Retry: domain.RetryPolicy{MaxAttempts: 1}}
		if err := engine.ValidateWebhook(hook); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateEndpoint(ctx, hook); err != nil {
			t.Fatal(err)
		}
	}
	// Each endpoint gets 4 deliveries: twice its concurrency cap, so the
	// hostile ones hold their workers for two rounds of timeouts.
	const perEndpoint = 4
	var events []*domain.Event
	for range perEndpoint {
		events = append(events, &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{}`)})
	}
	if _, err := db.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	engineDone := make(chan error)
	start = time.Now()
	go func() { engineDone <- engine.Run(runCtx, time.Second) }()
	engine.Wake()
	for range perEndpoint * len(urls) {
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Fatal("not every attempt ended within 15 s")
		}
	}
	cancel()
	if err := <-engineDone; err != nil {
		t.Fatal(err)
	}

	healthyMu.Lock()
	if len(healthyTimes) != perEndpoint {
		t.Fatalf("healthy endpoint got %d deliveries, want %d", len(healthyTimes), perEndpoint)
	}
	mu.Lock()
	for _, d := range healthyTimes {
		// The hostile endpoints take two rounds of timeouts; the healthy
		// one must not wait for any of them. Judged by order, not by a
		// wall-clock bound, so a loaded machine can't fail it.
		if firstTimeout == 0 || d >= firstTimeout {
			t.Errorf("a healthy delivery arrived %s after start, not before the first hostile timeout (%s): held up by hostile endpoints", d, firstTimeout)
		}
	}
	mu.Unlock()
	healthyMu.Unlock()

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mu.Lock()
			as := attempts[c.url]
			mu.Unlock()
			if len(as) != perEndpoint {
				t.Fatalf("%d attempts recorded, want %d", len(as), perEndpoint)
			}
			for _, a := range as {
				if a.Duration > timeout+500*time.Millisecond {
					t.Errorf("attempt took %s, beyond the %s timeout", a.Duration, timeout)
				}
				c.check(t, a)
			}
			// What was stored matches what was observed.
			ds, _, err := db.Deliveries(ctx, store.DeliveryFilter{TenantID: domain.DefaultTenant, Limit: 250})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				stored, err := db.AttemptsByDelivery(ctx, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range stored {
					if len(a.ResponseBody) > 64<<10 {
						t.Errorf("stored a %d-byte response body", len(a.ResponseBody))
					}
				}
			}
		})
	}
}
