package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// Broker tests run against the servers that .ci/brokers.sh starts (CI
// sets their URLs); without them they skip, unless
// HOOKS_REQUIRE_BROKERS=1 says they must run. They run on SQLite only:
// what they test is the broker side, the same on either backend.
const requireBrokersEnv = "HOOKS_REQUIRE_BROKERS"

// brokerEnv returns the broker URL in env, or skips t.
func brokerEnv(t *testing.T, env string) string {
	t.Helper()
	storetest.SkipOnPostgres(t, "the broker senders do not depend on the database")
	v := os.Getenv(env)
	if v == "" {
		if os.Getenv(requireBrokersEnv) != "" {
			t.Fatalf("%s is not set but %s is: run `eval \"$(bash .ci/brokers.sh)\"`", env, requireBrokersEnv)
		}
		t.Skipf("%s is not set: run `eval \"$(bash .ci/brokers.sh)\"` from the repository root to test against a real broker", env)
	}
	return v
}

// brokerRig is an engine running on a fresh database with one endpoint
// whose destination is a broker, and what became of its deliveries.
type brokerRig struct {
	t      *testing.T
	db     *store.DB
	engine *delivery.Engine
	hook   *domain.Endpoint

	mu        sync.Mutex
	succeeded map[string]bool // delivery ids
	failed    int             // failed attempts
	errors    []string        // their errors, for the failure message
}

func newBrokerRig(t *testing.T, dest domain.Destination) *brokerRig {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	r := &brokerRig{t: t, db: db, succeeded: map[string]bool{}}
	r.engine = delivery.New(db, delivery.Config{
		Workers: 16,
		Policy:  &netguard.Policy{AllowHTTP: true, AllowPrivate: true}, // the brokers are on loopback
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnOutcome: func(o store.Outcome) {
			r.mu.Lock()
			defer r.mu.Unlock()
			switch {
			case o.Status == domain.StatusSucceeded:
				r.succeeded[o.DeliveryID] = true
			case o.Attempt != nil:
				r.failed++
				if len(r.errors) < 5 {
					r.errors = append(r.errors, o.Attempt.Error)
				}
			}
		},
	})
	r.hook = &domain.Endpoint{TenantID: domain.DefaultTenant, Topics: []string{"*"}, Enabled: true, Destination: dest,
		Timeout: 2 * time.Second, Retry: domain.RetryPolicy{Schedule: domain.ScheduleFixed, IntervalSeconds: 1, MaxAttempts: 50}}
	if err := r.engine.ValidateWebhook(r.hook); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEndpoint(ctx, r.hook); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.engine.Run(runCtx, 5*time.Second); err != nil {
			t.Errorf("engine: %v", err)
		}
	}()
	t.Cleanup(func() {
		stop()
		<-done
		db.Close()
	})
	return r
}

// post stores n events for the endpoint, in batches, and wakes the engine.
func (r *brokerRig) post(n int) { r.postPaced(n, 50, 0) }

// postPaced posts n events, batch at a time, a pause apart: a steady load.
func (r *brokerRig) postPaced(n, batch int, pause time.Duration) {
	r.t.Helper()
	for start := 0; start < n; start += batch {
		if start > 0 {
			time.Sleep(pause)
		}
		var events []*domain.Event
		for i := start; i < min(start+batch, n); i++ {
			payload, _ := json.Marshal(map[string]any{"n": i, "pad": fmt.Sprintf("%0200d", i)})
			events = append(events, &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: payload})
		}
		if _, err := r.db.CreateEvents(context.Background(), events); err != nil {
			r.t.Fatal(err)
		}
		r.engine.Wake()
	}
}

// counts returns how many deliveries succeeded and attempts failed so far.
func (r *brokerRig) counts() (succeeded, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.succeeded), r.failed
}

// waitSucceeded waits until n deliveries succeeded.
func (r *brokerRig) waitSucceeded(n int, within time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, failed := r.counts()
		if ok >= n {
			return
		}
		if time.Now().After(deadline) {
			r.mu.Lock()
			errs := r.errors
			r.mu.Unlock()
			r.t.Fatalf("%d of %d deliveries succeeded within %s (%d failed attempts; first errors %q)", ok, n, within, failed, errs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deliveryIDs returns the ids of the deliveries that succeeded.
func (r *brokerRig) deliveryIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.succeeded))
	for id := range r.succeeded {
		ids = append(ids, id)
	}
	return ids
}

// deliverThroughOutage keeps posting events, 10 every 50 ms, stops the
// broker once n/3 are delivered, starts it again once attempts have failed
// against it, and stops posting after n events and the outage. It checks
// that every delivery succeeded in the end, and that the broker holds a
// message for every one (received returns the webhook ids it holds, with
// their counts).
func deliverThroughOutage(t *testing.T, r *brokerRig, n int, stop, start func(), received func() map[string]int) {
	t.Helper()
	var posted atomic.Int64
	restarted := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-restarted:
				if int(posted.Load()) >= n {
					return
				}
			default:
			}
			r.postPaced(10, 10, 0)
			posted.Add(10)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	r.waitSucceeded(n/3, 30*time.Second)
	stop()
	deadline := time.Now().Add(15 * time.Second)
	for _, failed := r.counts(); failed == 0 && time.Now().Before(deadline); _, failed = r.counts() {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // some more, retries included
	start()
	close(restarted)
	<-done
	total := int(posted.Load())
	r.waitSucceeded(total, 60*time.Second)
	if _, failed := r.counts(); failed == 0 {
		t.Error("no attempt failed while the broker was down: the test did not test an outage")
	}
	got := received()
	missing := 0
	for _, id := range r.deliveryIDs() {
		if got[id] == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d deliveries recorded as succeeded are not on the broker", missing, total)
	}
	dups := 0
	for _, c := range got {
		dups += c - 1
	}
	_, failed := r.counts()
	t.Logf("%d deliveries through an outage: %d failed attempts retried, %d duplicates on the broker", total, failed, dups)
}

// freePort returns a loopback TCP port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serverProcess is a broker server this test starts, kills and restarts.
type serverProcess struct {
	t    *testing.T
	port int
	args []string
	cmd  *exec.Cmd
}

// startServer starts name with args on port and waits until it listens.
func startServer(t *testing.T, port int, name string, args ...string) *serverProcess {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed (bash .ci/brokers.sh installs it)", name)
	}
	p := &serverProcess{t: t, port: port, args: append([]string{name}, args...)}
	p.start()
	t.Cleanup(p.kill)
	return p
}

func (p *serverProcess) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.args[0], p.args[1:]...)
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(p.port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not listen on %s: %v", p.args[0], addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill kills the server with SIGKILL: no goodbye to its clients.
func (p *serverProcess) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		p.cmd = nil
	}
}
