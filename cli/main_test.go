package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/delivery/jobs"
	"hooks/delivery/sign"
	"hooks/domain"
	"hooks/store"
)

func TestAPIKeyCreatePrintsOnlyTheKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hooks.db")
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"apikey", "create", "--db", path, "--name", "ci"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	key := strings.TrimSpace(stdout.String())
	if !regexp.MustCompile(`^hk_[A-Za-z0-9_-]{43}$`).MatchString(key) {
		t.Fatalf("stdout = %q, want only the key", stdout.String())
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	k, err := db.APIKeyBySecret(ctx, key)
	if err != nil || k.Name != "ci" || k.TenantID != "" || k.Scope != domain.ScopeAdmin || k.CreatedBy != "cli" {
		t.Fatalf("stored key = %+v, %v; want an admin key of every tenant, made by cli", k, err)
	}
	recs, _, err := db.AuditRecords(ctx, store.AuditFilter{Limit: 10})
	if err != nil || len(recs) != 1 || recs[0].Action != "api_key.created" || recs[0].ObjectID != k.ID || recs[0].ActorID != "cli" {
		t.Fatalf("audit records = %+v, %v; want the key's creation by cli", recs, err)
	}

	stdout.Reset()
	if code := run(ctx, []string{"apikey", "create", "--db", path, "--scope", "publish"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--scope publish, no --name: exit %d: %s", code, stderr.String())
	}
	if k, err := db.APIKeyBySecret(ctx, strings.TrimSpace(stdout.String())); err != nil || k.Scope != domain.ScopePublish || k.Name == "" {
		t.Fatalf("--scope publish: stored key = %+v, %v", k, err)
	}

	stdout.Reset()
	if code := run(ctx, []string{"apikey", "create", "--db", path, "--tenant", "missing"}, &stdout, &stderr); code != 1 || stdout.Len() != 0 {
		t.Fatalf("unknown tenant: exit %d, stdout %q", code, stdout.String())
	}
}

func TestEnvSetsFlagsAndFlagsWin(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv("HOOKS_DB", filepath.Join(dir, "from-env.db"))
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"apikey", "create"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := filepath.Glob(filepath.Join(dir, "from-env.db")); err != nil {
		t.Fatal(err)
	}
	if code := run(ctx, []string{"apikey", "create", "--db", filepath.Join(dir, "from-flag.db")}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, name := range []string{"from-env.db", "from-flag.db"} {
		if m, _ := filepath.Glob(filepath.Join(dir, name)); len(m) != 1 {
			t.Errorf("%s was not created", name)
		}
	}
}

func TestVersionAndUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "hooks ") {
		t.Fatalf("version: exit %d, %q", code, stdout.String())
	}
	if code := run(context.Background(), []string{"nope"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "Usage") {
		t.Fatalf("unknown command: exit %d, stderr %q", code, stderr.String())
	}
}

func TestConfigPrintShowsEffectiveServeConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hooks.toml")
	if err := os.WriteFile(file, []byte("addr = \"127.0.0.1:9999\"\ndb = \"/var/lib/hooks/hooks.db\"\nworkers = 64\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOOKS_WORKERS", "7")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"config", "print", "--config", file, "--log-format", "json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{`addr = "127.0.0.1:9999"`, "# file " + file, `workers = 7`, "# env HOOKS_WORKERS",
		`log-format = "json"`, "# flag", `drain = "15s"`, "# default"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("config print lacks %q:\n%s", want, stdout.String())
		}
	}
	if code := run(context.Background(), []string{"config"}, &stdout, &stderr); code != 2 {
		t.Errorf("config without print: exit %d, want 2", code)
	}
}

func TestUserCreateReadsThePasswordFromStdin(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hooks.db")
	var stdout, stderr bytes.Buffer
	err := userCreate(ctx, []string{"create", "--db", path, "--email", "viewer@example.com", "--role", "viewer", "--tenant", "default"},
		strings.NewReader("correct horse battery\n"), &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	id := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(id, domain.PrefixUser) || strings.Contains(stdout.String()+stderr.String(), "correct horse") {
		t.Fatalf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, err := db.UserByEmail(ctx, "viewer@example.com")
	if err != nil || u.ID != id || u.Role != store.RoleViewer || u.TenantID != "default" || !store.CheckPassword(u, "correct horse battery") {
		t.Fatalf("stored user %+v, %v", u, err)
	}
	for name, tc := range map[string]struct {
		args  []string
		stdin string
	}{
		"short password": {[]string{"create", "--db", path, "--email", "a@example.com"}, "short\n"},
		"no email":       {[]string{"create", "--db", path}, "correct horse battery\n"},
		"same email":     {[]string{"create", "--db", path, "--email", "VIEWER@example.com"}, "correct horse battery\n"},
		"bad role":       {[]string{"create", "--db", path, "--email", "b@example.com", "--role", "root"}, "correct horse battery\n"},
	} {
		if err := userCreate(ctx, tc.args, strings.NewReader(tc.stdin), &stdout, &stderr); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestServeSchedulesContractJobs checks serve's periodic work for the
// provider contracts: an overdue JWT key is replaced at start-up, and the
// key rotation and callback poll jobs are on the scheduler.
func TestServeSchedulesContractJobs(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "hooks.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ring := sign.NewKeyRing(db, time.Hour)
	// The tenant's key was made two hours ago, beyond its one-hour period.
	h := http.Header{}
	if err := sign.NewJWT(ring, "https://hooks.example").Sign(h, nil, sign.Meta{TenantID: "default", Timestamp: time.Now().Add(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	sched, err := jobs.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer sched.Stop()
	if err := addContractJobs(ctx, sched, ring, delivery.New(db, delivery.Config{}), slog.Default()); err != nil {
		t.Fatal(err)
	}
	keys, err := db.SigningKeys(ctx, "default")
	if err != nil || len(keys) != 2 || !keys[0].RetiredAt.IsZero() || keys[1].RetiredAt.IsZero() {
		t.Fatalf("after start-up rotation: %d keys, %v; want a new current key and the old one retired", len(keys), err)
	}
	names := sched.Names()
	for _, want := range []string{"jwt-key-rotation", "callback-polls"} {
		if !slices.Contains(names, want) {
			t.Errorf("job %q is not scheduled (jobs: %v)", want, names)
		}
	}
}

// TestServeFromConfigFileWithJSONLogsAndMetricsListener runs "hooks serve"
// in this process configured only by a --config file: JSON logs, /readyz
// on the main listener, /metrics only on --metrics-addr.
func TestServeFromConfigFileWithJSONLogsAndMetricsListener(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hooks.toml")
	conf := "addr = \"127.0.0.1:0\"\nmetrics-addr = \"127.0.0.1:0\"\nlog-format = \"json\"\ndev = true\ndb = " +
		strconv.Quote(filepath.Join(dir, "hooks.db")) + "\n"
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncLog{}
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, []string{"serve", "--config", file}, io.Discard, logs) }()

	var addr, metricsAddr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" || metricsAddr == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not log its addresses:\n%s", logs.String())
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if line == "" {
				continue
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line is not JSON: %q", line)
			}
			switch rec.Msg {
			case "hooks is running":
				addr = rec.Addr
			case "serving metrics":
				metricsAddr = rec.Addr
			}
		}
	}
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var code int
	for deadline := time.Now().Add(10 * time.Second); code != 200 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		code, _ = get("http://" + addr + "/readyz")
	}
	if code != 200 {
		t.Errorf("/readyz = %d, want 200 once the engine runs", code)
	}
	if code, _ := get("http://" + addr + "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on --addr = %d, want 404 with --metrics-addr set", code)
	}
	if code, body := get("http://" + metricsAddr + "/metrics"); code != 200 || !strings.Contains(body, "hooks_build_info") {
		t.Errorf("/metrics on --metrics-addr = %d:\n%.300s", code, body)
	}
	cancel()
	select {
	case c := <-exited:
		if c != 0 {
			t.Errorf("serve exited %d:\n%s", c, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// syncLog is a bytes.Buffer that serve's goroutines may write concurrently.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeListensOnLoopbackByDefault checks the default of --addr, so a
// first start exposes nothing to the network, and the public URL derived
// from an address.
func TestServeListensOnLoopbackByDefault(t *testing.T) {
	var c serveConfig
	if err := parseFlags(serveFlags(&c, io.Discard), nil); err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:8080" {
		t.Errorf("default --addr = %q, want 127.0.0.1:8080", c.addr)
	}
	for addr, want := range map[string]string{
		"127.0.0.1:8080":    "http://localhost:8080",
		":8080":             "http://localhost:8080",
		"0.0.0.0:8080":      "http://localhost:8080",
		"[::1]:9000":        "http://localhost:9000",
		"192.0.2.10:8080":   "http://192.0.2.10:8080",
		"hooks.internal:80": "http://hooks.internal:80",
	} {
		if got := defaultPublicURL(addr); got != want {
			t.Errorf("defaultPublicURL(%q) = %q, want %q", addr, got, want)
		}
	}
	if _, err := parsePrefixes("trusted-proxies", "10.0.0.0/8, 192.0.2.1,::1"); err != nil {
		t.Errorf("a list of CIDRs and addresses: %v", err)
	}
	if _, err := parsePrefixes("trusted-proxies", "10.0.0.0/8,proxy.internal"); err == nil {
		t.Error("a host name was taken as a trusted proxy")
	}
}

// TestServeMetricsOnMainListenerNeedsTheToken runs "hooks serve" without
// --metrics-addr: /metrics on --addr answers 401 unless the scraper sends
// the token from HOOKS_METRICS_TOKEN, and a bad --trusted-proxies stops
// the start.
func TestServeMetricsOnMainListenerNeedsTheToken(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOOKS_METRICS_TOKEN", "scrape-me-please")
	t.Setenv("HOOKS_TRUSTED_PROXIES", "127.0.0.1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncLog{}
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--db", filepath.Join(dir, "hooks.db")}, io.Discard, logs)
	}()
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not log its address:\n%s", logs.String())
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "hooks is running" {
				addr = rec.Addr
			}
		}
	}
	scrape := func(auth string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := scrape(""); code != http.StatusUnauthorized {
		t.Errorf("/metrics without a token = %d, want 401", code)
	}
	if code, _ := scrape("Bearer wrong"); code != http.StatusUnauthorized {
		t.Errorf("/metrics with a wrong token = %d, want 401", code)
	}
	if code, body := scrape("Bearer scrape-me-please"); code != 200 || !strings.Contains(body, "hooks_build_info") {
		t.Errorf("/metrics with the token = %d:\n%.300s", code, body)
	}
	if strings.Contains(logs.String(), "scrape-me-please") {
		t.Error("the metrics token is in the log")
	}
	cancel()
	select {
	case c := <-exited:
		if c != 0 {
			t.Errorf("serve exited %d:\n%s", c, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}

	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "hooks.db"), "--trusted-proxies", "nope"},
		io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "--trusted-proxies") {
		t.Errorf("bad --trusted-proxies: exit %d, %s", code, stderr.String())
	}
}

// run is Run with no standard input and a development build, as the
// tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return Run(ctx, args, strings.NewReader(""), stdout, stderr, Build{Version: "dev", Commit: "none", Date: "unknown"})
}
