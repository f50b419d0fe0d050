package sign

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ppsReceiverDir holds the Node receiver; see its server.js.
const ppsReceiverDir = "testdata/pps-receiver"

// startPPSReceiver starts the Express receiver for issuer and tenant and
// returns its webhook URL. Without node or the receiver's node_modules it
// skips the test, or fails it when HOOKS_REQUIRE_NODE=1 (as CI sets, after
// installing them).
func startPPSReceiver(t *testing.T, issuer, tenant string) string {
	t.Helper()
	return startNodeReceiver(t, ppsReceiverDir, true, "ISSUER="+issuer, "TENANT="+tenant) + "/webhook"
}

// startNodeReceiver runs server.js in dir with env and returns the URL it
// listens on. needModules says whether it needs npm packages.
func startNodeReceiver(t *testing.T, dir string, needModules bool, env ...string) string {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		msg := why + "; to run this test: npm ci --prefix delivery/sign/" + dir
		if os.Getenv("HOOKS_REQUIRE_NODE") == "1" {
			t.Fatal(msg + " (HOOKS_REQUIRE_NODE=1 makes this a failure)")
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil && needModules {
		missing(dir + "/node_modules is missing")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, "server.js")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "PORT=0"), env...)
	cmd.Stderr = &testWriter{t: t}
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
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if url, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				ready <- url
			}
		}
		close(ready)
	}()
	select {
	case url, ok := <-ready:
		if !ok {
			t.Fatal("the Node receiver exited before listening")
		}
		return url
	case <-time.After(30 * time.Second):
		t.Fatal("the Node receiver did not start within 30s")
	}
	return ""
}

// testWriter sends a child process's stderr to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Logf("node: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// post sends body with headers h to url and returns the status and body.
func post(t *testing.T, url string, h http.Header, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestJWTAcceptedByExpressJWTReceiver checks hooks' tokens with the stack
// PPS receivers run: express-jwt verifying with keys that jwks-rsa fetches
// (and caches) from the issuer's JWKS, served here from our KeyRing.
func TestJWTAcceptedByExpressJWTReceiver(t *testing.T) {
	const tenant = "OU1243"
	ctx := context.Background()
	ring := NewKeyRing(newMemKeys(), 0)
	srv := jwksServer(t, ring)
	signer := NewJWT(ring, srv.URL)
	issuer := signer.Issuer(tenant)

	// The receiver checks exp against the real clock, so tokens are
	// signed now. The first key is made 30 days minus a minute ago, so that
	// the Rotate below (two minutes ahead) replaces it.
	now := time.Now()
	if err := signer.Sign(http.Header{}, nil, Meta{TenantID: tenant, Timestamp: now.Add(-DefaultKeyRotation + time.Minute)}); err != nil {
		t.Fatal(err)
	}
	url := startPPSReceiver(t, issuer, tenant)

	body := `{"ID":"evt_1","Data":{"order":42}}`
	signed := func(m Meta) http.Header {
		t.Helper()
		return signHeaders(t, signer, body, m)
	}
	meta := Meta{DeliveryID: "dlv_node", EndpointID: "wbh_node", TenantID: tenant, Timestamp: now}
	valid := signed(meta)

	if code, resp := post(t, url, valid, body); code != http.StatusOK || !strings.Contains(resp, `"jti":"dlv_node"`) {
		t.Fatalf("valid token: %d %s, want 200 with jti dlv_node", code, resp)
	}

	tampered := valid.Clone()
	token := strings.TrimPrefix(tampered.Get("Authorization"), "Bearer ")
	parts := strings.Split(token, ".")
	claims := decodeSegment(t, token, 1)
	claims["aud"] = "OU9999"
	forged, _ := json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(forged)
	tampered.Set("Authorization", "Bearer "+strings.Join(parts, "."))

	expired := meta
	expired.Timestamp = now.Add(-TokenLifetime - time.Minute)
	foreign := meta
	foreign.TenantID = "OU2"

	rejected := []struct {
		name string
		h    http.Header
	}{
		{"no token", http.Header{}},
		{"tampered claims", tampered},
		{"another tenant's token", signed(foreign)},
		{"expired", signed(expired)},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			code, resp := post(t, url, tt.h, body)
			if code != http.StatusUnauthorized {
				t.Errorf("got %d %s, want 401", code, resp)
			}
			t.Logf("receiver: %s", resp)
		})
	}

	// A receiver that expects another audience refuses a token that is
	// otherwise valid, signature and issuer included.
	otherAudience := startPPSReceiver(t, issuer, "OU2")
	if code, resp := post(t, otherAudience, valid, body); code != http.StatusUnauthorized || !strings.Contains(resp, "audience") {
		t.Errorf("token for %s at a receiver for OU2: %d %s, want 401 for the audience", tenant, code, resp)
	}

	// After a rotation the receiver, which cached the old key, must fetch
	// the new one on its first token, and still accept the old key's.
	if err := ring.Rotate(ctx, now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// The key that signs is the one current at the signature's time.
	later := meta
	later.Timestamp = now.Add(2 * time.Minute)
	rotated := signed(later)
	kid := func(h http.Header) any {
		return decodeSegment(t, strings.TrimPrefix(h.Get("Authorization"), "Bearer "), 0)["kid"]
	}
	if kid(rotated) == kid(valid) {
		t.Fatal("Rotate did not change the signing key")
	}
	for name, h := range map[string]http.Header{"new key": rotated, "old key": valid} {
		if code, resp := post(t, url, h, body); code != http.StatusOK {
			t.Errorf("%s after rotation: %d %s, want 200", name, code, resp)
		}
	}
}
