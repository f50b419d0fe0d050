// Package bench is "hooks bench": it measures a hooks server end to end,
// the way a producer and its customers' receivers see it. It starts a
// webhook receiver on loopback and, unless told to target a running server,
// a real hooks server (web.New and delivery.New on a SQLite file in a
// temporary directory, or on a database it is given) on loopback too;
// registers endpoints that point at
// the receiver; posts events over the HTTP API at a chosen rate; and
// reports events/s accepted, deliveries/s completed, the latency from
// posting an event to its first attempt arriving, errors and peak RSS.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"hooks/cputime"
)

// Config is one benchmark run. Zero fields take the defaults noted.
type Config struct {
	URL string // a running server to target (several: comma-separated); "" starts one in this process
	Key string // API key for URL

	DB      string // in-process: SQLite file or postgres:// URL; "" = a temporary SQLite file, removed afterwards
	Workers int    // in-process: engine workers; 128

	Events        int           // events to post; 0 = as many as Duration allows
	Duration      time.Duration // how long to post; 10 s when Events is 0 too
	Rate          float64       // events per second; 0 = as fast as the server accepts
	Fanout        int           // healthy endpoints subscribed to every event; 1
	FailEndpoints int           // extra endpoints that answer 500 to everything
	HangEndpoints int           // extra endpoints that never answer (until Timeout)
	Timeout       time.Duration // the endpoints' request timeout; 5 s (the default)
	PayloadBytes  int           // size of each event's data; 1024
	Signing       []string      // the signing schemes of every endpoint; nil = the server's default (standard-webhooks)
	Filter        string        // a payload filter (JSON) every endpoint gets; "" = none
	Batch         int           // events per API request: 1 = POST /api/v1/events, more = /events/batch
	Concurrency   int           // API requests in flight; 32

	Backlog int // backlog mode: queue this many deliveries with the receiver down, then bring it back

	// Baseline posts signed payloads straight to the receiver from Workers
	// goroutines, with no server: what the HTTP exchange alone costs
	// (baseline.go).
	Baseline bool

	// Destination, "rabbitmq" or "nats", makes every endpoint publish to
	// the broker at BrokerURL, consumed in this process (broker.go).
	Destination string
	BrokerURL   string

	Drain        time.Duration // how long to wait for deliveries after posting stops; 2 minutes
	VerifyEvery  int           // the receiver checks one signature in this many requests; 100
	ReceiverAddr string        // where the receiver listens; 127.0.0.1:0

	Out      io.Writer // the report
	Progress io.Writer // the progress line; nil = none
	TTY      bool      // Progress is a terminal: rewrite the line in place
}

func (c *Config) setDefaults() error {
	if c.Workers <= 0 {
		c.Workers = 128
	}
	if c.Fanout < 0 || c.FailEndpoints < 0 || c.HangEndpoints < 0 {
		return errors.New("endpoint counts can't be negative")
	}
	if c.Fanout == 0 && c.FailEndpoints == 0 && c.HangEndpoints == 0 {
		c.Fanout = 1
	}
	if c.Backlog > 0 {
		if c.Fanout == 0 {
			return errors.New("--backlog needs at least one healthy endpoint (--fanout)")
		}
		if c.URL != "" {
			return errors.New("--backlog runs against the in-process server only (it reads the database to see the drain)")
		}
		if c.Batch <= 1 {
			c.Batch = 500
		}
		c.Rate, c.Duration = 0, 0
		per := c.Fanout + c.FailEndpoints + c.HangEndpoints
		c.Events = (c.Backlog + per - 1) / per
	}
	if err := checkBrokerConfig(c); err != nil {
		return err
	}
	if err := checkBaselineConfig(c); err != nil {
		return err
	}
	if len(c.Signing) > 0 && !slices.Contains(c.Signing, "standard-webhooks") {
		return errors.New("--signing must include standard-webhooks: the receiver checks that signature")
	}
	if c.Filter != "" && !json.Valid([]byte(c.Filter)) {
		return errors.New("--filter must be a JSON object, e.g. '{\"data\":{\"seq\":{\"$gte\":0}}}'")
	}
	if c.Events < 0 || c.Rate < 0 || c.Duration < 0 {
		return errors.New("--events, --rate and --duration can't be negative")
	}
	if c.Events == 0 && c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Timeout < time.Second || c.Timeout > 30*time.Second || c.Timeout%time.Second != 0 {
		return errors.New("--timeout must be whole seconds from 1s to 30s")
	}
	if c.PayloadBytes <= 0 {
		c.PayloadBytes = 1024
	}
	if c.PayloadBytes < 64 {
		c.PayloadBytes = 64 // room for the send time and sequence number
	}
	if c.Batch <= 0 {
		c.Batch = 1
	}
	if c.Batch > 1000 {
		return errors.New("--batch can be at most 1000 (the API's limit)")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 32
		if c.Backlog > 0 {
			c.Concurrency = 4 // batches of 500: more only costs memory
		}
	}
	if c.Drain <= 0 {
		c.Drain = 2 * time.Minute
	}
	if c.VerifyEvery == 0 {
		c.VerifyEvery = 100
	}
	if c.ReceiverAddr == "" {
		c.ReceiverAddr = "127.0.0.1:0"
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	return nil
}

// Result is what a run measured.
type Result struct {
	Config  Config
	Target  string // "in-process" or the URL
	Tracing string // in-process: the OTLP endpoint spans were exported to; "" = tracing off
	CPUs    int

	Endpoints      int           // endpoints registered (healthy + failing + hanging)
	Posting        time.Duration // from the first event posted to the last one accepted
	EventsSent     uint64
	EventsAccepted uint64
	Completed      uint64        // deliveries to healthy endpoints answered 2xx (and, in-process, recorded)
	Expected       uint64        // deliveries to healthy endpoints that should complete
	Elapsed        time.Duration // from the first event posted to the last delivery completed

	Latency *Histogram    // event posted → first attempt received, µs
	Ingest  *Histogram    // API event request round trip, µs
	Probes  []*ProbePhase // API list deliveries and create one event, while the load runs
	Behind  *Histogram    // how much older (by creation) each first attempt was than the newest already delivered

	APIErrors   uint64
	ProbeErrors uint64
	FirstError  string
	Missing     uint64 // expected deliveries that never arrived
	Duplicates  uint64
	BadSigs     uint64
	Verified    uint64
	Answered500 uint64        // attempts the failing endpoints answered with 500
	Hung        uint64        // attempts the hanging endpoints (or a receiver that was down) never answered
	PeakRSS     uint64        // bytes; 0 when unknown
	CPU         time.Duration // CPU time of the whole process while it posted and delivered (the drain, in backlog mode)

	// Backlog mode.
	BacklogDeliveries uint64
	Fill              time.Duration
	DrainTime         time.Duration
	RSSFull           uint64 // RSS with the backlog pending
	Retrying          uint64 // attempted while the receiver was down, now waiting for a retry
}

// Run runs the benchmark that cfg describes and returns its figures. It
// stops early, with what it measured so far, when ctx is done.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	res := &Result{Config: cfg, CPUs: runtime.GOMAXPROCS(0), Target: cfg.URL}

	behave := make([]int, 0, cfg.Fanout+cfg.FailEndpoints+cfg.HangEndpoints)
	for range cfg.Fanout {
		behave = append(behave, behaveOK)
	}
	for range cfg.FailEndpoints {
		behave = append(behave, behaveFail)
	}
	for range cfg.HangEndpoints {
		behave = append(behave, behaveHang)
	}
	res.Endpoints = len(behave)
	rcv, err := newReceiver(cfg.ReceiverAddr, behave, cfg.VerifyEvery)
	if err != nil {
		return nil, fmt.Errorf("start receiver: %w", err)
	}
	defer rcv.close()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var sink brokerSink
	if cfg.Destination != "" {
		rcv.broker = true
		if sink, err = startBrokerSink(ctx, cfg, run, rcv); err != nil {
			return nil, err
		}
		defer sink.close()
	}

	if cfg.Baseline {
		res.Target = "baseline"
		ld := &loader{cfg: cfg}
		ld.cfg.Concurrency = cfg.Workers // the engine's requests in flight
		mon := &monitor{res: res, rcv: rcv, ld: ld, cfg: cfg}
		err = runBaseline(ctx, res, rcv, ld, mon)
		mon.finish()
		res.fill(rcv, nil, ld)
		res.PeakRSS = peakRSS()
		return res, err
	}

	var srv *inProcess
	if cfg.URL == "" {
		res.Target = "in-process"
		if srv, err = startInProcess(ctx, cfg, rcv.isHealthy); err != nil {
			return nil, err
		}
		if srv.tracer != nil {
			res.Tracing = srv.tracer.Endpoint()
		}
		defer srv.close()
		cfg.URL, cfg.Key = srv.url, srv.key
	}
	api := newAPIClient(cfg.URL, cfg.Key, cfg.Concurrency+4)
	topic := "bench/run-" + run
	hooks, err := api.createWebhooks(ctx, rcv, topic, &cfg, sink)
	if srv == nil {
		// A server of the user's: leave it as it was. (A temporary
		// in-process database is simply removed.)
		defer api.deleteWebhooks(hooks)
	}
	if err != nil {
		return nil, err
	}

	ld := &loader{api: api, topic: topic, cfg: cfg}
	ld.send = ld.post
	mon := &monitor{res: res, rcv: rcv, srv: srv, ld: ld, cfg: cfg}
	if cfg.Backlog > 0 {
		err = runBacklog(ctx, res, rcv, srv, ld, mon)
	} else {
		err = runLoad(ctx, res, rcv, srv, ld, mon)
	}
	mon.finish()
	res.fill(rcv, srv, ld)
	return res, err
}

// runLoad posts the configured load, then waits for its deliveries.
func runLoad(ctx context.Context, res *Result, rcv *receiver, srv *inProcess, ld *loader, mon *monitor) error {
	probe := newProber(ld)
	stopProbe := probe.start(ctx)
	defer func() {
		stopProbe()
		res.Probes, res.ProbeErrors = probe.phases, probe.errors.Load()
	}()

	start, cpu := time.Now(), cputime.Process()
	mon.start(start)
	ld.run(ctx, start, ld.cfg.Events, ld.cfg.Duration, ld.cfg.Rate)
	res.Posting = ld.lastAccepted().Sub(start)
	stopProbe()
	res.Elapsed = mon.waitDrained(ctx, start, ld.cfg.Drain)
	res.CPU = cputime.Process() - cpu
	return ctx.Err()
}

// runBacklog fills the queue with the receiver down, measures memory and
// API latency with the backlog pending, then brings the receiver back and
// times the drain.
func runBacklog(ctx context.Context, res *Result, rcv *receiver, srv *inProcess, ld *loader, mon *monitor) error {
	cfg := ld.cfg
	rcv.setDown(true)
	probe := newProber(ld)
	stopProbe := probe.start(ctx)
	defer func() {
		stopProbe()
		res.Probes, res.ProbeErrors = probe.phases, probe.errors.Load()
	}()

	start := time.Now()
	mon.start(start)
	mon.phase.Store("filling (receiver down)")
	probe.setPhase("filling")
	ld.run(ctx, start, cfg.Events, 0, 0)
	res.Fill = ld.lastAccepted().Sub(start)
	res.Posting = res.Fill
	if ctx.Err() != nil {
		return ctx.Err()
	}
	mon.phase.Store("backlog pending (receiver down)")
	probe.setPhase("backlog pending")
	sleepCtx(ctx, 5*time.Second) // API probes and memory with the backlog sitting there
	res.RSSFull = currentRSS()
	res.BacklogDeliveries = ld.accepted.Load() * uint64(res.Endpoints)

	mon.phase.Store("draining (receiver up)")
	probe.setPhase("draining")
	upAt, cpu := time.Now(), cputime.Process()
	rcv.setDown(false)
	mon.waitDrained(ctx, upAt, cfg.Drain)
	res.CPU = cputime.Process() - cpu
	res.DrainTime = mon.doneAt.Sub(upAt)
	res.Elapsed = res.DrainTime
	stopProbe()
	// A probe's event accepted as the drain ended is delivered after it:
	// wait for it too, or it would count as missing.
	mon.waitDrained(ctx, time.Now(), 10*time.Second)
	return ctx.Err()
}

// fill copies the counters into the result.
func (res *Result) fill(rcv *receiver, srv *inProcess, ld *loader) {
	res.EventsSent = ld.sent.Load()
	res.EventsAccepted = ld.accepted.Load()
	res.Expected = res.EventsAccepted * uint64(rcv.nHealthy)
	res.Completed = rcv.received.Load()
	if srv != nil {
		res.Completed = min(res.Completed, srv.succeeded.Load())
		res.Retrying = srv.waitingCount()
	}
	if res.Expected > res.Completed+res.Retrying {
		res.Missing = res.Expected - res.Completed - res.Retrying
	}
	res.Latency, res.Ingest, res.Behind = &rcv.latency, &ld.ingest, &rcv.behind
	res.Duplicates, res.BadSigs, res.Verified = rcv.duplicates.Load(), rcv.badSigs.Load(), rcv.verified.Load()
	res.Answered500, res.Hung = rcv.failed.Load(), rcv.hung.Load()
	res.APIErrors = ld.errors.Load()
	if v, ok := ld.firstErr.Load().(string); ok {
		res.FirstError = v
	}
	if srv != nil {
		res.PeakRSS = peakRSS()
	}
}

// monitor prints the progress line and notices when the load has drained.
type monitor struct {
	res   *Result
	rcv   *receiver
	srv   *inProcess
	ld    *loader
	cfg   Config
	phase atomic.Value // string

	stop   chan struct{}
	done   sync.WaitGroup
	doneAt time.Time
	once   sync.Once
}

func (m *monitor) start(start time.Time) {
	m.stop = make(chan struct{})
	if m.cfg.Progress == nil {
		return
	}
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var lastEvents, lastDone uint64
		last := start
		for {
			select {
			case <-m.stop:
				return
			case now := <-t.C:
				events, done := m.ld.accepted.Load(), m.completed()
				rate := func(n, before uint64) string { return perSec(n-before, now.Sub(last)) }
				var counts string
				if m.cfg.Baseline {
					counts = fmt.Sprintf("requests %s (%s/s)", count(done), rate(done, lastDone))
				} else {
					counts = fmt.Sprintf("events %s (%s/s)  deliveries %s (%s/s)  pending %s", count(events), rate(events, lastEvents),
						count(done), rate(done, lastDone), count(sub(events*uint64(m.rcv.nHealthy), done)))
				}
				line := fmt.Sprintf("%5.0fs  %s  p99 %s  rss %s", now.Sub(start).Seconds(), counts,
					ms(m.rcv.latency.Quantile(0.99)), mib(currentRSS()))
				if p, _ := m.phase.Load().(string); p != "" {
					line += "  " + p
				}
				if m.cfg.TTY {
					fmt.Fprintf(m.cfg.Progress, "\r%s\x1b[K", line)
				} else {
					fmt.Fprintln(m.cfg.Progress, line)
				}
				lastEvents, lastDone, last = events, done, now
			}
		}
	}()
}

func (m *monitor) finish() {
	m.once.Do(func() {
		if m.stop != nil {
			close(m.stop)
		}
		m.done.Wait()
		if m.cfg.Progress != nil && m.cfg.TTY {
			fmt.Fprint(m.cfg.Progress, "\r\x1b[K")
		}
	})
}

// completed is the deliveries to healthy endpoints done so far: received,
// and in-process also recorded.
func (m *monitor) completed() uint64 {
	n := m.rcv.received.Load()
	if m.srv != nil {
		n = min(n, m.srv.succeeded.Load())
	}
	return n
}

// waitDrained waits until every expected delivery completed (or waits
// for a retry it was scheduled while the receiver was down), up to limit,
// and returns the time from start to the last completion.
func (m *monitor) waitDrained(ctx context.Context, start time.Time, limit time.Duration) time.Duration {
	deadline := time.Now().Add(limit)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	var last uint64
	m.doneAt = time.Now()
	for {
		done := m.completed()
		if done != last {
			last, m.doneAt = done, time.Now()
		}
		var waiting uint64
		if m.srv != nil {
			waiting = m.srv.waitingCount()
		}
		if done+waiting >= m.ld.accepted.Load()*uint64(m.rcv.nHealthy) {
			break
		}
		select {
		case <-ctx.Done():
			return m.doneAt.Sub(start)
		case now := <-t.C:
			if now.After(deadline) {
				return m.doneAt.Sub(start)
			}
		}
	}
	return m.doneAt.Sub(start)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}
