package main

// These tests run the real hooks binary as a subprocess and treat it as a
// user would: over HTTP, with signals, on a database file that outlives it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// hooksBinary builds the hooks binary once per test run.
func hooksBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the hooks binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hooks-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hooks")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// lockedBuffer collects a subprocess's log for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// lineWriter calls line for each complete line written to it.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// hooksProc is one running hooks serve.
type hooksProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	log  *lockedBuffer
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, once done is closed
}

var runningAddr = regexp.MustCompile(`msg="hooks is running".* addr=(\S+)`)

// startHooks runs "hooks serve --dev" on db, on a free loopback port, and
// waits until it answers.
func startHooks(t *testing.T, db string, extra ...string) *hooksProc {
	t.Helper()
	args := append([]string{"serve", "--dev", "--addr", "127.0.0.1:0", "--db", db, "--log-level", "info"}, extra...)
	cmd := exec.Command(hooksBinary(t), args...)
	cmd.Env = append(os.Environ(), "HOOKS_PUBLIC_URL=http://hooks.test")
	p := &hooksProc{t: t, cmd: cmd, log: &lockedBuffer{}, done: make(chan struct{})}
	addr := make(chan string, 1)
	// A writer rather than StderrPipe: Wait then returns only once every
	// line is in p.log, so a failure shows the whole log.
	lines := &lineWriter{line: func(line string) {
		fmt.Fprintln(p.log, line)
		if m := runningAddr.FindStringSubmatch(line); m != nil {
			select {
			case addr <- m[1]:
			default:
			}
		}
	}}
	cmd.Stderr = lines
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("hooks log:\n%s", p.log.String())
		}
	})
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-p.done:
		t.Fatalf("hooks exited at start-up: %v\n%s", p.err, p.log.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("hooks did not start:\n%s", p.log.String())
	}
	return p
}

// wait waits up to d for the process to exit and returns its exit code.
func (p *hooksProc) wait(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.t.Fatalf("hooks did not exit within %s", d)
	}
	if p.err == nil {
		return 0
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	p.t.Fatalf("wait: %v", p.err)
	return -1
}

func (p *hooksProc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// createAPIKey runs "hooks apikey create" and returns the key.
func createAPIKey(t *testing.T, db string) string {
	t.Helper()
	out, err := exec.Command(hooksBinary(t), "apikey", "create", "--db", db).Output()
	if err != nil {
		t.Fatalf("apikey create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// apiCall posts body as JSON to the API and decodes a JSON answer into out.
func apiCall(client *http.Client, method, url, key string, body, out any) (int, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s: %w", data, err)
		}
	}
	return resp.StatusCode, nil
}

// eventIDTemplate puts the event id in every body, so the receiver counts
// deliveries by event.
const eventIDTemplate = `{"eventId":"{{ event.id }}","deliveryId":"{{ delivery.id }}"}`

// createEndpoint registers url for every topic with the event-id template.
func createEndpoint(t *testing.T, p *hooksProc, key, url string) {
	t.Helper()
	var out struct{ ID string }
	status, err := apiCall(http.DefaultClient, "POST", p.base+"/api/v1/webhooks", key, map[string]any{
		"url": url, "events": []string{"*"}, "timeoutSeconds": 10,
		"envelope": map[string]string{"type": "template", "template": eventIDTemplate},
	}, &out)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create webhook: %d %v", status, err)
	}
}

// receipts counts deliveries by event id and notes which phase of the test
// (which run of hooks) each arrived in.
type receipts struct {
	mu     sync.Mutex
	phase  int
	byID   map[string][]int // event id → phase of each receipt
	active int              // requests being handled now
}

func newReceipts() *receipts { return &receipts{byID: map[string][]int{}} }

func (r *receipts) record(body []byte) (string, error) {
	var v struct{ EventID string }
	if err := json.Unmarshal(body, &v); err != nil || v.EventID == "" {
		return "", fmt.Errorf("body %q has no eventId", body)
	}
	r.mu.Lock()
	r.byID[v.EventID] = append(r.byID[v.EventID], r.phase)
	r.mu.Unlock()
	return v.EventID, nil
}

func (r *receipts) setPhase(n int) {
	r.mu.Lock()
	r.phase = n
	r.mu.Unlock()
}

func (r *receipts) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID[id])
}

func (r *receipts) inFlight() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active
}

func (r *receipts) enter(delta int) {
	r.mu.Lock()
	r.active += delta
	r.mu.Unlock()
}

// TestKill9LosesNoAcceptedEvent posts events from several clients, kills
// hooks with SIGKILL while deliveries are in flight, restarts it on the same
// database, and checks that every event answered 202 reaches the receiver,
// with duplicates only for deliveries the first run had claimed.
func TestKill9LosesNoAcceptedEvent(t *testing.T) {
	const (
		workers   = 4
		posters   = 8
		killAfter = 600 // accepted events
	)
	dir := t.TempDir()
	db := filepath.Join(dir, "hooks.db")
	key := createAPIKey(t, db)

	rec := newReceipts()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.enter(1)
		defer rec.enter(-1)
		body, _ := io.ReadAll(r.Body)
		if _, err := rec.record(body); err != nil {
			t.Error(err)
		}
		time.Sleep(20 * time.Millisecond) // keep attempts in flight and a backlog
	}))
	defer receiver.Close()

	p := startHooks(t, db, "--workers", fmt.Sprint(workers))
	createEndpoint(t, p, key, receiver.URL)

	var (
		mu       sync.Mutex
		accepted []string
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for g := range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var out struct{ ID string }
				status, err := apiCall(client, "POST", p.base+"/api/v1/events", key,
					map[string]any{"topic": "crash/test", "data": map[string]int{"poster": g, "n": i}}, &out)
				if err != nil {
					return // the server is gone
				}
				if status != http.StatusAccepted {
					t.Errorf("post event: status %d", status)
					return
				}
				mu.Lock()
				accepted = append(accepted, out.ID)
				mu.Unlock()
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(accepted)
		mu.Unlock()
		if n >= killAfter && rec.inFlight() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d events accepted in 30 s", n)
		}
		time.Sleep(time.Millisecond)
	}
	p.signal(syscall.SIGKILL)
	p.wait(10 * time.Second)
	rec.setPhase(1)
	close(stop)
	wg.Wait()

	mu.Lock()
	ids := append([]string(nil), accepted...)
	mu.Unlock()
	deliveredBefore := 0
	for _, id := range ids {
		if rec.count(id) > 0 {
			deliveredBefore++
		}
	}
	t.Logf("killed with %d events accepted, %d of them delivered", len(ids), deliveredBefore)
	if deliveredBefore == len(ids) {
		t.Log("warning: everything was delivered before the kill; the restart had nothing to resume")
	}

	p2 := startHooks(t, db, "--workers", fmt.Sprint(workers))
	deadline = time.Now().Add(60 * time.Second)
	for {
		missing := 0
		for _, id := range ids {
			if rec.count(id) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted events were never delivered", missing, len(ids))
		}
		time.Sleep(20 * time.Millisecond)
	}
	p2.signal(syscall.SIGTERM)
	if code := p2.wait(20 * time.Second); code != 0 {
		t.Errorf("second run exited %d after SIGTERM", code)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	duplicates := 0
	for id, phases := range rec.byID {
		if len(phases) < 2 {
			continue
		}
		duplicates += len(phases) - 1
		// A duplicate is an attempt whose outcome the killed run had not
		// recorded; the second run delivers each delivery once.
		if phases[0] != 0 || len(phases) > 2 {
			t.Errorf("event %s delivered in phases %v; only a delivery in flight at the kill may repeat, once", id, phases)
		}
	}
	// The engine holds at most 4×workers claimed, unrecorded deliveries.
	if bound := 4 * workers; duplicates > bound {
		t.Errorf("%d duplicate deliveries, more than the %d that can be in flight", duplicates, bound)
	}
	t.Logf("%d events accepted, all delivered; %d duplicates (bound %d)", len(ids), duplicates, 4*workers)
}

// holdingReceiver answers every request only when release is closed, and
// reports each arrival on arrived.
func holdingReceiver(t *testing.T, rec *receipts) (url string, arrived <-chan string, release func()) {
	t.Helper()
	ch := make(chan string, 100)
	hold := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.enter(1)
		defer rec.enter(-1)
		body, _ := io.ReadAll(r.Body)
		id, err := rec.record(body)
		if err != nil {
			t.Error(err)
		}
		ch <- id
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	release = func() { once.Do(func() { close(hold) }) }
	t.Cleanup(func() { release(); srv.Close() })
	return srv.URL, ch, release
}

// postEvents posts n events and returns their ids.
func postEvents(t *testing.T, p *hooksProc, key string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		var out struct{ ID string }
		status, err := apiCall(http.DefaultClient, "POST", p.base+"/api/v1/events", key, map[string]any{"topic": "t", "data": map[string]int{"n": i}}, &out)
		if err != nil || status != http.StatusAccepted {
			t.Fatalf("post event: %d %v", status, err)
		}
		ids = append(ids, out.ID)
	}
	return ids
}

func waitArrivals(t *testing.T, arrived <-chan string, n int) {
	t.Helper()
	for range n {
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("the receiver did not get the deliveries")
		}
	}
}

// deliveryStates opens the database as the binary left it and returns its
// deliveries' statuses and attempt counts.
func deliveryStates(t *testing.T, dir string) (status map[string]int, attempts int) {
	t.Helper()
	ctx := t.Context()
	mk, _, err := store.LoadMasterKey(filepath.Join(dir, "hooks.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "hooks.db"), store.WithMasterKey(mk))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ds, _, err := db.Deliveries(ctx, store.DeliveryFilter{TenantID: domain.DefaultTenant, Limit: 250})
	if err != nil {
		t.Fatal(err)
	}
	status = map[string]int{}
	for _, d := range ds {
		status[d.Status]++
		attempts += d.AttemptCount
	}
	return status, attempts
}

// TestSIGTERMDrainsInFlightAttempts checks a graceful stop: hooks stops
// accepting at once, lets the attempts in flight finish, records them, and
// exits 0.
func TestSIGTERMDrainsInFlightAttempts(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hooks.db")
	key := createAPIKey(t, db)
	rec := newReceipts()
	url, arrived, release := holdingReceiver(t, rec)
	p := startHooks(t, db, "--drain", "20s")
	createEndpoint(t, p, key, url)
	const n = 5
	postEvents(t, p, key, n)
	waitArrivals(t, arrived, n)

	p.signal(syscall.SIGTERM)
	// New work is refused as soon as the listener closes...
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, err := apiCall(&http.Client{Timeout: time.Second}, "GET", p.base+"/healthz", "", nil, nil)
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("hooks still answers requests 3 s after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// ...while the attempts in flight keep hooks running until they end.
	select {
	case <-p.done:
		t.Fatalf("hooks exited with attempts in flight: %v", p.err)
	case <-time.After(300 * time.Millisecond):
	}
	released := time.Now()
	release()
	if code := p.wait(15 * time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	t.Logf("exited %s after the receiver answered", time.Since(released).Round(time.Millisecond))

	status, attempts := deliveryStates(t, dir)
	if status[domain.StatusSucceeded] != n || attempts != n {
		t.Errorf("after the drain: statuses %v, %d attempts; want %d succeeded with one attempt each", status, attempts, n)
	}
}

// TestSIGTERMCutsOffAttemptsAfterDrainTime checks that a receiver that never
// answers can't hold a shutdown beyond --drain, and that the attempt it held
// is not counted against the delivery: the next run sends it again.
func TestSIGTERMCutsOffAttemptsAfterDrainTime(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hooks.db")
	key := createAPIKey(t, db)
	rec := newReceipts()
	url, arrived, release := holdingReceiver(t, rec)
	p := startHooks(t, db, "--drain", "1s")
	createEndpoint(t, p, key, url)
	ids := postEvents(t, p, key, 1)
	waitArrivals(t, arrived, 1)

	start := time.Now()
	p.signal(syscall.SIGTERM)
	if code := p.wait(8 * time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("exited after %s, before the 1 s drain time was up", d)
	}
	status, attempts := deliveryStates(t, dir)
	if status[domain.StatusPending] != 1 || attempts != 0 {
		t.Errorf("after the cut-off: statuses %v, %d attempts; want the delivery pending with none counted", status, attempts)
	}

	release()
	p2 := startHooks(t, db)
	waitArrivals(t, arrived, 1)
	p2.signal(syscall.SIGTERM)
	if code := p2.wait(10 * time.Second); code != 0 {
		t.Errorf("second run exit code %d", code)
	}
	if rec.count(ids[0]) != 2 {
		t.Errorf("the cut-off event arrived %d times, want 2 (cut off, then resent)", rec.count(ids[0]))
	}
}

// TestSecondSignalExitsAtOnce checks that an operator can skip the drain.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hooks.db")
	key := createAPIKey(t, db)
	rec := newReceipts()
	url, arrived, _ := holdingReceiver(t, rec)
	p := startHooks(t, db, "--drain", "60s")
	createEndpoint(t, p, key, url)
	postEvents(t, p, key, 1)
	waitArrivals(t, arrived, 1)

	p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
		t.Fatalf("hooks exited on the first signal with an attempt in flight: %v", p.err)
	case <-time.After(500 * time.Millisecond):
	}
	start := time.Now()
	p.signal(syscall.SIGTERM)
	code := p.wait(3 * time.Second)
	if code == 0 {
		t.Error("exit code 0 after an interrupted drain; want non-zero")
	}
	t.Logf("exited %s after the second signal, code %d", time.Since(start).Round(time.Millisecond), code)
}

// TestBackupOfALiveDatabase copies the database with "hooks backup" while
// hooks serves and ingests: the copy is a consistent SQLite file holding
// the data, readable with the master key, and an existing file is never
// overwritten.
func TestBackupOfALiveDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hooks.db")
	key := createAPIKey(t, db)
	rec := newReceipts()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.record(body)
	}))
	defer receiver.Close()
	p := startHooks(t, db)
	createEndpoint(t, p, key, receiver.URL)

	stop := make(chan struct{})
	posted := make(chan int)
	go func() {
		n := 0
		defer func() { posted <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			status, err := apiCall(http.DefaultClient, "POST", p.base+"/api/v1/events", key, map[string]any{"topic": "t", "data": map[string]int{"n": n}}, nil)
			if err != nil || status != http.StatusAccepted {
				t.Errorf("post: %d %v", status, err)
				return
			}
			n++
		}
	}()
	time.Sleep(200 * time.Millisecond) // let ingest get going: the copy is taken under load
	out := filepath.Join(dir, "copy.db")
	res, err := exec.Command(hooksBinary(t), "backup", "--db", db, "--out", out).CombinedOutput()
	close(stop)
	n := <-posted
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, res)
	}
	if !strings.Contains(string(res), "backed up") {
		t.Errorf("backup said %q", res)
	}

	mk, _, err := store.LoadMasterKey(filepath.Join(dir, "hooks.key"))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := store.Open(t.Context(), out, store.WithMasterKey(mk))
	if err != nil {
		t.Fatalf("open the copy with the master key: %v", err)
	}
	defer cp.Close()
	if err := cp.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	events, _, err := cp.Events(t.Context(), store.EventFilter{TenantID: domain.DefaultTenant, Limit: 250})
	if err != nil || len(events) == 0 {
		t.Fatalf("the copy holds %d events (%v); %d were posted", len(events), err, n)
	}
	hooks, _, err := cp.Endpoints(t.Context(), domain.DefaultTenant, "", 10)
	if err != nil || len(hooks) != 1 || !strings.HasPrefix(hooks[0].Secret, "whsec_") {
		t.Fatalf("the copy's webhook: %v, %v", hooks, err)
	}
	t.Logf("copied %d+ of %d events posted during the backup", len(events), n)

	if res, err := exec.Command(hooksBinary(t), "backup", "--db", db, "--out", out).CombinedOutput(); err == nil || !strings.Contains(string(res), "exists") {
		t.Errorf("a second backup onto the copy: %v, %s", err, res)
	}
}

// TestOversizedRequestHeadersAre431 checks the server's header limit.
func TestOversizedRequestHeadersAre431(t *testing.T) {
	dir := t.TempDir()
	p := startHooks(t, filepath.Join(dir, "hooks.db"))
	req, _ := http.NewRequest("GET", p.base+"/healthz", nil)
	for i := range 100 {
		req.Header.Set(fmt.Sprintf("X-Pad-%d", i), strings.Repeat("p", 1000))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KB of headers: status %d, want 431", resp.StatusCode)
	}
	resp, err = http.Get(p.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a normal request afterwards: %d", resp.StatusCode)
	}
}

// TestSecretsNeverReachTheLog runs hooks with debug logging through
// endpoint creation, deliveries, failures, a secret rotation and reads of
// the secret, and greps everything it logged for the secrets and the key.
func TestSecretsNeverReachTheLog(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hooks.db")
	key := createAPIKey(t, db)
	var mu sync.Mutex
	calls := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n%2 == 0 {
			w.WriteHeader(http.StatusInternalServerError) // failures get logged too
		}
	}))
	defer receiver.Close()
	p := startHooks(t, db, "--log-level", "debug")

	var secrets []string
	for _, signing := range []map[string]string{
		{"scheme": "standard-webhooks"},
		{"scheme": "shared-secret", "header": "X-Shopery-Secret"},
		{"scheme": "hmac-sha256", "header": "X-Pepperi-Signature", "encoding": "hex", "prefix": "sha256="},
	} {
		var w struct{ ID, Secret string }
		status, err := apiCall(http.DefaultClient, "POST", p.base+"/api/v1/webhooks", key, map[string]any{
			"url": receiver.URL, "events": []string{"*"}, "signing": signing, "retry": map[string]any{"maxAttempts": 2, "schedule": "fixed", "intervalSeconds": 1},
			"headers": map[string]string{"X-Api-Key": "static-header-credential-123"},
		}, &w)
		if err != nil || status != http.StatusCreated || w.Secret == "" {
			t.Fatalf("create %v: %d %v", signing, status, err)
		}
		secrets = append(secrets, w.Secret)
		var rotated struct{ Secret string }
		if status, err := apiCall(http.DefaultClient, "POST", p.base+"/api/v1/webhooks/"+w.ID+"/secret/rotate", key, nil, &rotated); err != nil || status != 200 {
			t.Fatalf("rotate: %d %v", status, err)
		}
		secrets = append(secrets, rotated.Secret)
		apiCall(http.DefaultClient, "GET", p.base+"/api/v1/webhooks/"+w.ID+"/secret", key, nil, nil)
		apiCall(http.DefaultClient, "POST", p.base+"/api/v1/webhooks/"+w.ID+"/test", key, nil, nil)
	}
	postEvents(t, p, key, 6)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := calls
		mu.Unlock()
		if n >= 3*6+3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("receiver got %d requests", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	apiCall(http.DefaultClient, "GET", p.base+"/api/v1/webhooks", "hk_wrong-key-in-the-log?", nil, nil)
	p.signal(syscall.SIGTERM)
	p.wait(20 * time.Second)

	logText := p.log.String()
	if !strings.Contains(logText, "level=DEBUG") {
		t.Fatal("no debug lines logged; the test would prove nothing")
	}
	mk, err := os.ReadFile(filepath.Join(dir, "hooks.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(secrets, key, "static-header-credential-123", strings.TrimSpace(string(mk))) {
		for _, part := range []string{s, strings.TrimPrefix(s, "whsec_")} {
			if strings.Contains(logText, part) {
				t.Errorf("the log contains a secret (%.8s…)", part)
			}
		}
	}
}

// TestFuzzTargetsAreListed checks that .ci/fuzz-targets, which CI loops
// over, names every Fuzz function in the repository and nothing else,
// each with a count of executions to run.
func TestFuzzTargetsAreListed(t *testing.T) {
	listed := map[string]bool{}
	data, err := os.ReadFile(".ci/fuzz-targets")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			t.Errorf(".ci/fuzz-targets: %q is not <package path> <FuzzName> <executions>", line)
			continue
		}
		if n, err := strconv.Atoi(fields[2]); err != nil || n <= 0 {
			t.Errorf(".ci/fuzz-targets: %q gives no positive count of executions", line)
		}
		listed[fields[0]+" "+fields[1]] = true
	}
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz\w*)\(\w+ \*testing\.F\)`)
	found := map[string]bool{}
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range fuzzFunc.FindAllStringSubmatch(string(src), -1) {
			found["./"+filepath.ToSlash(filepath.Dir(path))+" "+m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for target := range found {
		if !listed[target] {
			t.Errorf(".ci/fuzz-targets lacks %q", target)
		}
	}
	for target := range listed {
		if !found[target] {
			t.Errorf(".ci/fuzz-targets lists %q, which does not exist", target)
		}
	}
}

// TestServeRefusesAnUnsafeOrWrongMasterKey checks the master key file
// rules at start-up: created with 0600, refused when others can read it,
// and refused when it is not the key the database's secrets were sealed
// with.
func TestServeRefusesAnUnsafeOrWrongMasterKey(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hooks.db")
	keyFile := filepath.Join(dir, "hooks.key")
	key := createAPIKey(t, db)
	p := startHooks(t, db)
	createEndpoint(t, p, key, "http://127.0.0.1:1/never-called") // a sealed secret to check the key against
	p.signal(syscall.SIGTERM)
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("generated key file has permissions %04o", perm)
	}

	serveOnce := func(extra ...string) (int, string) {
		cmd := exec.Command(hooksBinary(t), append([]string{"serve", "--dev", "--addr", "127.0.0.1:0", "--db", db}, extra...)...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			return 0, string(out)
		}
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		return ee.ExitCode(), string(out)
	}
	os.Chmod(keyFile, 0o644)
	if code, out := serveOnce(); code != 1 || !strings.Contains(out, "chmod 600") {
		t.Errorf("world-readable key: exit %d, %q", code, out)
	}
	os.Chmod(keyFile, 0o600)

	other := filepath.Join(dir, "other.key")
	if _, _, err := store.LoadMasterKey(other); err != nil {
		t.Fatal(err)
	}
	if code, out := serveOnce("--master-key-file", other); code != 1 || !strings.Contains(out, "does not decrypt") {
		t.Errorf("wrong key: exit %d, %q", code, out)
	}
}
