package web

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/domain"
)

// ppsReceiverDir is the Express + express-jwt + jwks-rsa receiver that
// delivery/sign's tests also use, written the way the PPS guide shows.
var ppsReceiverDir = filepath.Join("..", "delivery", "sign", "testdata", "pps-receiver")

// startExpressReceiver runs the Node receiver for issuer and audience and
// returns its webhook URL. Without node or its node_modules the test is
// skipped, or fails when HOOKS_REQUIRE_NODE=1 (as CI sets after npm ci).
func startExpressReceiver(t *testing.T, issuer, audience string) string {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		msg := why + "; to run this test: npm ci --prefix delivery/sign/testdata/pps-receiver"
		if os.Getenv("HOOKS_REQUIRE_NODE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(ppsReceiverDir, "node_modules")); err != nil {
		missing("the receiver's node_modules is missing")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, "server.js")
	cmd.Dir = ppsReceiverDir
	cmd.Env = append(os.Environ(), "PORT=0", "ISSUER="+issuer, "TENANT="+audience)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		defer close(ready)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				ready <- u
			}
		}
	}()
	select {
	case u, ok := <-ready:
		if !ok {
			t.Fatal("the Node receiver exited before listening")
		}
		return u + "/webhook"
	case <-time.After(30 * time.Second):
		t.Fatal("the Node receiver did not start within 30s")
	}
	return ""
}

// TestPPSExpressReceiverAcceptsDeliveries runs the whole PPS contract: the
// server (behind a reverse proxy at its public URL, as deployed) signs a
// delivery, and an Express receiver verifies it with keys that jwks-rsa
// fetches from <public-url>/<tenant>/.well-known/jwks.json.
func TestPPSExpressReceiverAcceptsDeliveries(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil && os.Getenv("HOOKS_REQUIRE_NODE") != "1" {
		t.Skip("node is not installed")
	}
	// The public URL must be known before the server starts, and the test
	// server picks its own port: a proxy in front of it has the URL first.
	var target atomic.Pointer[url.URL]
	public := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target.Load())
	}})
	defer public.Close()
	s := newJWTServer(t, func(dc *delivery.Config, wc *Config) {
		wc.PublicURL = public.URL
		dc.HeaderPrefix = "X-Pps-"
	})
	u, _ := url.Parse(s.http.URL)
	target.Store(u)

	mustStatus(t, s.do("PUT", "/api/v1/tenants/OU1243", s.key, nil, nil), http.StatusCreated)
	rcv := startExpressReceiver(t, public.URL+"/OU1243", "OU1243")
	s.createWebhookIn("OU1243", map[string]any{"url": rcv, "events": []string{"*"}, "signing": map[string]any{"scheme": "jwt"}})
	s.postEvent("OU1243", `{"topic":"orders/placed","data":{"OrderID":7}}`)

	var list listJSON[deliveryJSON]
	var d deliveryJSON
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		s.do("GET", "/api/v1/deliveries", s.key, nil, &list, "X-Tenant-ID", "OU1243")
		if len(list.Data) == 1 && list.Data[0].Status != domain.StatusPending {
			s.do("GET", "/api/v1/deliveries/"+list.Data[0].ID, s.key, nil, &d, "X-Tenant-ID", "OU1243")
			if d.Status == domain.StatusSucceeded || d.Status == domain.StatusFailed {
				break
			}
		}
	}
	if d.Status != domain.StatusSucceeded || len(d.Attempts) != 1 {
		t.Fatalf("delivery = %s; attempts %+v", d.Status, d.Attempts)
	}
	// The receiver echoes the token's jti: the webhook id.
	if body := d.Attempts[0].ResponseBody; !strings.Contains(body, `"jti":"`+d.ID+`"`) {
		t.Errorf("receiver answered %s, want the delivery id as jti", body)
	}
}
