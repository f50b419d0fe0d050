package cli

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"hooks/client"
)

// snippetProcess is one of the README's receiver snippets, running.
type snippetProcess struct {
	addr  string
	mu    sync.Mutex
	lines []string
}

func (p *snippetProcess) has(prefix string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func (p *snippetProcess) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// startSnippet runs argv with env and waits for its "listening on ADDR" line.
func startSnippet(t *testing.T, env []string, argv ...string) *snippetProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), append(env, "PORT=0")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &snippetProcess{}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok && p.addr == "" {
				p.addr = a
			}
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%v stdout:\n%s\nstderr:\n%s", argv, p.output(), stderr.String())
		}
	})
	waitFor(t, strings.Join(argv, " ")+" to listen", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.addr != ""
	})
	return p
}

// requireTool returns the path of tool, or skips the test when it is
// missing and env (e.g. HOOKS_REQUIRE_PYTHON) is not 1.
func requireTool(t *testing.T, tool, env string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv(env) == "1" {
			t.Fatalf("%s is required (%s=1) but not found", tool, env)
		}
		t.Skipf("%s not found; set %s=1 to require it", tool, env)
	}
	return path
}

// TestSnippetsVerifyRealDeliveries runs the receiver snippets the README
// quotes (testdata/snippets: Go, Node.js, Python) for every signing scheme
// against real deliveries from a real server: each must accept a delivery
// signed for it and reject one signed with another secret (another
// tenant's key for jwt).
func TestSnippetsVerifyRealDeliveries(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	c := client.New(s.url, s.key)
	req, _ := http.NewRequest(http.MethodPut, s.url+"/api/v1/tenants/other", nil)
	req.Header.Set("Authorization", "Bearer "+s.key)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("create tenant: %v %v", resp, err)
	}
	other := client.New(s.url, s.key)
	other.Tenant = "other"

	goBin := filepath.Join(t.TempDir(), "receiver")
	languages := map[string]func(t *testing.T) []string{
		"go": func(t *testing.T) []string {
			if _, err := os.Stat(goBin); err != nil {
				out, err := exec.Command("go", "build", "-o", goBin, "./testdata/snippets/go").CombinedOutput()
				if err != nil {
					t.Fatalf("build the Go snippet: %v\n%s", err, out)
				}
			}
			return []string{goBin}
		},
		"node": func(t *testing.T) []string {
			node := requireTool(t, "node", "HOOKS_REQUIRE_NODE")
			if _, err := os.Stat("testdata/snippets/node/node_modules/standardwebhooks"); err != nil {
				if os.Getenv("HOOKS_REQUIRE_NODE") == "1" {
					t.Fatal("run npm ci in cli/testdata/snippets/node first")
				}
				t.Skip("npm ci has not been run in cli/testdata/snippets/node")
			}
			return []string{node, "testdata/snippets/node/receiver.mjs"}
		},
		"python": func(t *testing.T) []string {
			return []string{requireTool(t, "python3", "HOOKS_REQUIRE_PYTHON"), "testdata/snippets/python/receiver.py"}
		},
	}
	schemes := []struct {
		name        string
		env         []string
		signing     client.Signing
		secret      string
		wrongSecret string
	}{
		{"standard-webhooks", nil, client.Signing{Scheme: "standard-webhooks"}, newStandardSecret(), newStandardSecret()},
		{"hmac-hex", []string{"SIGNATURE_HEADER=X-Pepperi-Signature", "PREFIX=sha256="},
			client.Signing{Scheme: "hmac-sha256", Header: "X-Pepperi-Signature", Prefix: "sha256="}, "It's a Secret to Everybody", "another secret!"},
		{"hmac-base64", []string{"SIGNATURE_HEADER=X-Hmac-SHA256", "ENCODING=base64"},
			client.Signing{Scheme: "hmac-sha256", Header: "X-Hmac-SHA256", Encoding: "base64"}, "shopify-like-secret", "another secret!"},
		{"shared-secret", []string{"SIGNATURE_HEADER=X-Shopery-Secret"},
			client.Signing{Scheme: "shared-secret", Header: "X-Shopery-Secret"}, "shopery-shared-secret", "another secret!"},
		{"jwt", []string{"ISSUER=" + s.url + "/default", "AUDIENCE=default"}, client.Signing{Scheme: "jwt"}, "", ""},
	}
	for lang, argv := range languages {
		t.Run(lang, func(t *testing.T) {
			cmd := argv(t)
			for _, sc := range schemes {
				t.Run(sc.name, func(t *testing.T) {
					scheme := sc.signing.Scheme
					env := append([]string{"SCHEME=" + scheme, "WEBHOOK_SECRET=" + sc.secret}, sc.env...)
					p := startSnippet(t, env, cmd...)
					topic := "snippets/" + lang + "/" + sc.name
					signing := sc.signing
					good, err := c.CreateWebhook(ctx, client.NewWebhook{URL: "http://" + p.addr + "/hooks", Events: []string{topic + "/good"},
						Signing: &signing, Secret: sc.secret})
					if err != nil {
						t.Fatal(err)
					}
					badClient := c
					if scheme == "jwt" {
						badClient = other // signed with another tenant's key, issuer and audience
					}
					bad, err := badClient.CreateWebhook(ctx, client.NewWebhook{URL: "http://" + p.addr + "/hooks", Events: []string{topic + "/bad"},
						Signing: &signing, Secret: sc.wrongSecret})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := c.SendEvent(ctx, client.Event{Topic: topic + "/good", Data: []byte(`{"order":{"id":1001,"note":"ünïcode ✓"}}`)}, ""); err != nil {
						t.Fatal(err)
					}
					waitFor(t, lang+" to verify a "+sc.name+" delivery", func() bool { return p.has("verified dlv_") })
					if _, err := badClient.SendEvent(ctx, client.Event{Topic: topic + "/bad", Data: []byte(`{}`)}, ""); err != nil {
						t.Fatal(err)
					}
					waitFor(t, lang+" to reject a wrongly signed "+sc.name+" delivery", func() bool { return p.has("rejected:") })
					if strings.Count(p.output(), "verified ") != 1 {
						t.Errorf("want exactly one verified delivery:\n%s", p.output())
					}
					for _, w := range []struct {
						c  *client.Client
						id string
					}{{c, good.ID}, {badClient, bad.ID}} {
						if _, err := w.c.SetWebhookEnabled(ctx, w.id, false); err != nil {
							t.Fatal(err)
						}
					}
				})
			}
		})
	}
}
