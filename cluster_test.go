package main

// The test here is issue 8's "done when": three hooks processes share one
// PostgreSQL database, one of them dies by SIGKILL under load, and still no
// accepted event is lost and no attempt is sent twice at once.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

const (
	clusterInstances = 3
	clusterEvents    = 3000 // events posted in all, spread over the instances
	clusterPosters   = 12   // concurrent API clients
	clusterWorkers   = 32   // --workers of each instance
	// clusterHold is how long the receiver keeps each request: long enough
	// that two requests for one webhook-id would overlap visibly.
	clusterHold = 5 * time.Millisecond
	// clusterLease is delivery.Config.Lease's default: the killed
	// instance's claimed deliveries fall due again only once it passes.
	clusterLease = 2 * time.Minute
)

// clusterReceiver is a loopback receiver for several endpoints (one per
// path). It checks each request's Standard Webhooks signature with the
// endpoint's secret, counts requests by webhook-id, and notes any
// webhook-id that arrives while another request for it is still being
// handled.
type clusterReceiver struct {
	t    *testing.T
	hold time.Duration // how long each request is kept

	mu        sync.Mutex
	verifiers map[string]*standardwebhooks.Webhook // by path
	inFlight  map[string]int                       // webhook-id → requests being handled
	active    int                                  // requests being handled, all ids
	received  map[string]int                       // webhook-id → requests received
	lateFirst map[string]bool                      // webhook-id → first received after the kill
	delivered map[string]bool                      // path + " " + event id → received at least once
	overlaps  []string                             // webhook-ids sent twice at once
	badSigs   int
	afterKill bool
}

func newClusterReceiver(t *testing.T, hold time.Duration) *clusterReceiver {
	return &clusterReceiver{t: t, hold: hold, verifiers: map[string]*standardwebhooks.Webhook{}, inFlight: map[string]int{},
		received: map[string]int{}, lateFirst: map[string]bool{}, delivered: map[string]bool{}}
}

// expect registers the endpoint at path and its secret.
func (rc *clusterReceiver) expect(path, secret string) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		rc.t.Fatalf("secret of %s: %v", path, err)
	}
	rc.mu.Lock()
	rc.verifiers[path] = wh
	rc.mu.Unlock()
}

func (rc *clusterReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the sender went away (the killed instance)
	}
	id := r.Header.Get("Webhook-Id")
	var v struct{ EventID, DeliveryID string }
	if err := json.Unmarshal(body, &v); err != nil || v.EventID == "" || v.DeliveryID != id {
		rc.t.Errorf("request to %s: webhook-id %q, body %q", r.URL.Path, id, body)
	}

	rc.mu.Lock()
	wh := rc.verifiers[r.URL.Path]
	if wh == nil || wh.Verify(body, r.Header) != nil {
		rc.badSigs++
		rc.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	rc.active++
	rc.inFlight[id]++
	if rc.inFlight[id] > 1 {
		rc.overlaps = append(rc.overlaps, id)
	}
	if rc.received[id] == 0 {
		rc.lateFirst[id] = rc.afterKill
	}
	rc.received[id]++
	rc.delivered[r.URL.Path+" "+v.EventID] = true
	rc.mu.Unlock()

	time.Sleep(rc.hold)

	rc.mu.Lock()
	rc.active--
	if rc.inFlight[id]--; rc.inFlight[id] == 0 {
		delete(rc.inFlight, id)
	}
	rc.mu.Unlock()
}

// busy is how many requests are being handled now.
func (rc *clusterReceiver) busy() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.active
}

// missing lists the events of ids not yet received at every one of paths.
func (rc *clusterReceiver) missing(ids, paths []string) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, id := range ids {
		for _, p := range paths {
			if !rc.delivered[p+" "+id] {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// TestClusterOnPostgresLosesNothingAndNeverSendsTwiceAtOnce runs three hooks
// instances on one PostgreSQL database, posts events to all three, kills one
// with SIGKILL mid-load, and checks that every event answered 202 reaches
// both endpoints and ends succeeded, that every request is signed, and that
// no webhook-id is ever being sent by two requests at once. A delivery the
// killed instance had claimed is sent again once its lease expires
// (at-least-once); such sequential repeats are counted, not failed.
func TestClusterOnPostgresLosesNothingAndNeverSendsTwiceAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three hooks binaries under load")
	}
	dsn := storetest.PostgresDSN(t)
	keyFile := filepath.Join(t.TempDir(), "hooks.key")
	masterKey, _, err := store.LoadMasterKey(keyFile) // one key, shared by every instance
	if err != nil {
		t.Fatal(err)
	}
	key := createAPIKey(t, dsn)

	rc := newClusterReceiver(t, clusterHold)
	receiver := httptest.NewServer(rc)
	defer receiver.Close()

	var procs []*hooksProc
	for range clusterInstances {
		procs = append(procs, startHooks(t, dsn, "--master-key-file", keyFile, "--workers", fmt.Sprint(clusterWorkers)))
	}
	paths := []string{"/a", "/b"}
	for i, path := range paths {
		// Each endpoint is created through a different instance.
		var out struct{ ID, Secret string }
		status, err := apiCall(http.DefaultClient, "POST", procs[i%len(procs)].base+"/api/v1/webhooks", key, map[string]any{
			"url": receiver.URL + path, "events": []string{"*"}, "timeoutSeconds": 10,
			"envelope": map[string]string{"type": "template", "template": eventIDTemplate},
		}, &out)
		if err != nil || status != http.StatusCreated || out.Secret == "" {
			t.Fatalf("create webhook: %d %v (secret %q)", status, err, out.Secret)
		}
		rc.expect(path, out.Secret)
	}

	// Posters take event numbers until clusterEvents are handed out; each
	// posts to its own instance, and to the survivors once the victim is
	// dead.
	victim := procs[1]
	var (
		mu       sync.Mutex
		accepted []string
		next     atomic.Int64
		killed   atomic.Bool
		wg       sync.WaitGroup
		postStop = make(chan struct{})
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for g := range clusterPosters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := g % len(procs)
			for n := next.Add(1); n <= clusterEvents; {
				select {
				case <-postStop:
					return
				default:
				}
				p := procs[target]
				var out struct{ ID string }
				status, err := apiCall(client, "POST", p.base+"/api/v1/events", key,
					map[string]any{"topic": "cluster/test", "data": map[string]int64{"n": n}}, &out)
				if err != nil && p == victim && killed.Load() {
					target = (target + 1) % len(procs) // not accepted: post it to another instance
					continue
				}
				if err != nil || status != http.StatusAccepted {
					t.Errorf("post event %d to instance %d: status %d, %v", n, target, status, err)
					return
				}
				mu.Lock()
				accepted = append(accepted, out.ID)
				mu.Unlock()
				n = next.Add(1)
			}
		}()
	}
	acceptedIDs := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), accepted...)
	}
	// Stop the posters if the test ends early, and wait for them.
	defer func() {
		select {
		case <-postStop:
		default:
			close(postStop)
		}
		wg.Wait()
	}()

	// The kill comes once a third of the events are in and while the
	// receiver has requests in flight; posting goes on to the survivors.
	deadline := time.Now().Add(60 * time.Second)
	for len(acceptedIDs()) < clusterEvents/3 || rc.busy() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d events accepted in 60 s", len(acceptedIDs()))
		}
		time.Sleep(time.Millisecond)
	}
	busyAtKill := rc.busy()
	killed.Store(true)
	victim.signal(syscall.SIGKILL)
	victim.wait(10 * time.Second)
	// Requests the victim sent before it died may still be on their way
	// into the handler; what arrives after this is the survivors'.
	time.Sleep(500 * time.Millisecond)
	rc.mu.Lock()
	rc.afterKill = true
	rc.mu.Unlock()
	atKill := len(acceptedIDs())
	t.Logf("killed instance 1 with %d events accepted and %d requests at the receiver", atKill, busyAtKill)

	postDone := make(chan struct{})
	go func() { wg.Wait(); close(postDone) }()
	select {
	case <-postDone:
	case <-time.After(90 * time.Second):
		t.Fatalf("posting did not finish within 90 s: %d events accepted", len(acceptedIDs()))
	}
	if t.Failed() {
		return
	}
	ids := acceptedIDs()
	posted := time.Now()
	t.Logf("%d events accepted by the %d instances", len(ids), clusterInstances)

	// Every accepted event reaches both endpoints. The killed instance's
	// claims come due again after a lease, so the wait covers one.
	deadline = time.Now().Add(clusterLease + 90*time.Second)
	for lastLog := time.Now(); ; {
		missing := rc.missing(ids, paths)
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted events never reached every endpoint, e.g. %v", len(missing), len(ids), missing[:min(5, len(missing))])
		}
		if time.Since(lastLog) > 15*time.Second {
			t.Logf("%s after posting: %d events not yet at every endpoint", time.Since(posted).Round(time.Second), len(missing))
			lastLog = time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("every accepted event reached both endpoints %s after posting ended", time.Since(posted).Round(time.Millisecond))

	// ...and the database agrees: each has two deliveries, both succeeded.
	db, err := store.Open(t.Context(), dsn, store.WithMasterKey(masterKey))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for {
		counts, err := db.DeliveryStatusCounts(t.Context(), ids)
		if err != nil {
			t.Fatal(err)
		}
		var notDone []string
		others := map[string]int{}
		for _, id := range ids {
			if counts[id][domain.StatusSucceeded] != len(paths) {
				notDone = append(notDone, id)
			}
			for status, n := range counts[id] {
				if status != domain.StatusSucceeded {
					others[status] += n
				}
			}
		}
		if len(notDone) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events lack %d succeeded deliveries (e.g. %s: %v); other statuses: %v",
				len(notDone), len(ids), len(paths), notDone[0], counts[notDone[0]], others)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("every delivery succeeded in the database %s after posting ended", time.Since(posted).Round(time.Millisecond))

	for i, p := range procs {
		if p == victim {
			continue
		}
		p.signal(syscall.SIGTERM)
		if code := p.wait(30 * time.Second); code != 0 {
			t.Errorf("instance %d exited %d after SIGTERM", i, code)
		}
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.badSigs > 0 {
		t.Errorf("%d requests failed the Standard Webhooks signature check", rc.badSigs)
	}
	if len(rc.overlaps) > 0 {
		sort.Strings(rc.overlaps)
		t.Errorf("%d times a webhook-id was sent while a request for it was still in flight, e.g. %s",
			len(rc.overlaps), strings.Join(rc.overlaps[:min(5, len(rc.overlaps))], ", "))
	}
	acceptedSet := make(map[string]bool, len(ids))
	for _, id := range ids {
		acceptedSet[id] = true
	}
	unanswered := map[string]bool{}
	for k := range rc.delivered {
		if _, id, _ := strings.Cut(k, " "); !acceptedSet[id] {
			unanswered[id] = true
		}
	}
	if len(unanswered) > 0 {
		t.Logf("%d events were stored and delivered though the killed instance never answered their POST", len(unanswered))
	}
	repeats, repeatedLate := 0, 0
	for id, n := range rc.received {
		if n < 2 {
			continue
		}
		repeats += n - 1
		if rc.lateFirst[id] {
			repeatedLate++
		}
	}
	// Only the killed instance's claims may be sent again, and it held at
	// most 4×workers claimed, unrecorded deliveries (as in
	// TestKill9LosesNoAcceptedEvent).
	if bound := 4 * clusterWorkers; repeats > bound {
		t.Errorf("%d repeated deliveries, more than the %d the killed instance can have had claimed", repeats, bound)
	}
	if repeatedLate > 0 {
		t.Errorf("%d webhook-ids first sent after the kill were sent again; only the killed instance's claims may repeat", repeatedLate)
	}
	t.Logf("%d requests for %d webhook-ids: %d sequential repeats after the kill (at-least-once), 0 at once",
		sumValues(rc.received), len(rc.received), repeats)
	if repeats == 0 {
		t.Log("warning: no delivery was repeated; the killed instance may have held no claims")
	}
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestClusterReceiverSeesOverlapsAndBadSignatures checks the cluster test's
// witness: a webhook-id sent again while its first request is held counts
// as an overlap, a repeat after it does not, and a wrong signature is
// refused.
func TestClusterReceiverSeesOverlapsAndBadSignatures(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	rc := newClusterReceiver(t, 300*time.Millisecond)
	rc.expect("/a", secret)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	send := func(id string, forge bool) int {
		body := []byte(`{"eventId":"evt_1","deliveryId":"` + id + `"}`)
		now := time.Now()
		sig, err := wh.Sign(id, now, body)
		if err != nil {
			t.Error(err)
			return 0
		}
		if forge {
			sig = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		}
		req, _ := http.NewRequest("POST", srv.URL+"/a", bytes.NewReader(body))
		req.Header.Set("Webhook-Id", id)
		req.Header.Set("Webhook-Timestamp", fmt.Sprint(now.Unix()))
		req.Header.Set("Webhook-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { send("dlv_1", false) })
	}
	wg.Wait()
	send("dlv_1", false)
	if code := send("dlv_2", true); code != http.StatusUnauthorized {
		t.Errorf("a forged signature was answered %d", code)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.overlaps) != 1 || rc.received["dlv_1"] != 3 || rc.badSigs != 1 || !rc.delivered["/a evt_1"] {
		t.Errorf("overlaps %v, received %v, bad signatures %d; want one overlap of dlv_1, 3 receipts, 1 bad signature",
			rc.overlaps, rc.received, rc.badSigs)
	}
}
