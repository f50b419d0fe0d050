package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store"
)

// TestTenViewersOfTheWorstPageKeepMemoryBounded stores the worst values a
// producer and a receiver can leave behind (event data of the largest
// allowed size with JSON nested 9,999 deep, and more attempts than a page
// shows, each with a 1 MiB request body, a 64 KiB answer nested 32,768 deep
// and 64 KiB of headers), has ten signed-in viewers open that delivery's
// page and the event's page at once, and checks every page stays under
// 2 MB and the process's peak RSS under 300 MB.
func TestTenViewersOfTheWorstPageKeepMemoryBounded(t *testing.T) {
	const (
		viewers = 10
		maxPage = 2 << 20
		maxRSS  = 300 << 20
	)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hooks.db")
	dlv, evt := storeWorstValues(t, dir)
	p := startHooks(t, dbPath)

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: time.Minute}
	resp, err := client.PostForm(p.base+"/login", url.Values{"email": {"viewer@example.com"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/" {
		t.Fatalf("sign-in ended at %s", resp.Request.URL)
	}

	for _, path := range []string{"/deliveries/" + dlv, "/events/" + evt} {
		var wg sync.WaitGroup
		sizes := make([]int, viewers)
		errs := make([]error, viewers)
		for i := range viewers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := client.Get(p.base + path)
				if err != nil {
					errs[i] = err
					return
				}
				defer resp.Body.Close()
				n, err := io.Copy(io.Discard, resp.Body)
				sizes[i], errs[i] = int(n), err
				if err == nil && resp.StatusCode != http.StatusOK {
					errs[i] = fmt.Errorf("status %d", resp.StatusCode)
				}
			}()
		}
		wg.Wait()
		for i := range viewers {
			if errs[i] != nil {
				t.Fatalf("GET %s: %v", path, errs[i])
			}
			if sizes[i] > maxPage {
				t.Errorf("GET %s: %d bytes, want under %d", path, sizes[i], maxPage)
			}
		}
		t.Logf("GET %s by %d viewers at once: %d bytes each", path, viewers, sizes[0])
	}
	peak := peakRSS(t, p.cmd.Process.Pid)
	t.Logf("peak RSS (VmHWM) of hooks serve: %.1f MB", float64(peak)/(1<<20))
	if peak > maxRSS {
		t.Errorf("peak RSS %d MB, want under %d MB", peak>>20, maxRSS>>20)
	}
}

// storeWorstValues writes the worst stored values into a new database in
// dir, with a viewer to look at them, and returns the delivery and event.
func storeWorstValues(t *testing.T, dir string) (deliveryID, eventID string) {
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
	hash, err := store.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, &store.User{Email: "viewer@example.com", PasswordHash: hash, Role: store.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, Name: "hostile", URL: "https://receiver.example/hook", Topics: []string{"orders/placed"},
		Enabled: true, Signing: domain.Signing{Scheme: "standard-webhooks"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		Envelope: domain.Envelope{Type: "raw"}, Retry: domain.RetryPolicy{Schedule: "exponential", MaxAttempts: 1, RetryOn: domain.RetryOnPreset("5xx")},
		Timeout: 5 * time.Second}
	if err := db.CreateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	deep := strings.Repeat("[", 9999) + strings.Repeat("]", 9999)
	pad := strings.Repeat("<&>", (1<<20-len(deep)-64)/3) // characters that cost the most once escaped
	e := &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{"deep":` + deep + `,"pad":"` + pad + `"}`)}
	if _, err := db.CreateEvents(ctx, []*domain.Event{e}); err != nil {
		t.Fatal(err)
	}
	ds, _, err := db.Deliveries(ctx, store.DeliveryFilter{TenantID: domain.DefaultTenant, EventID: e.ID, Limit: 1})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries: %v, %v", ds, err)
	}
	answer := []byte(strings.Repeat("[", 32<<10) + strings.Repeat("]", 32<<10))
	headers := http.Header{}
	for i := range 3000 {
		headers.Set("X-H"+strconv.Itoa(i), "<&>\"'<&>\"'")
	}
	var outcomes []store.Outcome
	for range 40 {
		a := &domain.Attempt{Trigger: domain.TriggerManual, URL: w.URL, StatusCode: 500, Error: strings.Repeat("<", 1000),
			RequestHeaders: headers, RequestBody: e.Payload, ResponseHeaders: headers, ResponseBody: answer,
			ResponseTruncated: true, StartedAt: time.Now()}
		outcomes = append(outcomes, store.Outcome{DeliveryID: ds[0].ID, Status: domain.StatusFailed, LastStatusCode: 500, Attempt: a})
	}
	if err := db.RecordOutcomes(ctx, outcomes); err != nil {
		t.Fatal(err)
	}
	return ds[0].ID, e.ID
}

// peakRSS reads a process's peak resident set size (VmHWM) from /proc.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
