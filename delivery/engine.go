// Package delivery is hooks' engine: it claims due deliveries from the
// store, renders and signs each request, sends it with an SSRF-guarded
// client, records every attempt in batches and schedules retries.
package delivery

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"hooks/delivery/netguard"
	"hooks/delivery/sign"
	"hooks/domain"
	"hooks/store"
	"hooks/tracing"
)

// Config tunes an Engine. Zero fields take the defaults noted.
type Config struct {
	Owner            string              // lease owner name of this process; "hooks" if empty
	Workers          int                 // concurrent requests in all; 128
	MaxPerEndpoint   int                 // concurrent requests to one endpoint; 16
	ClaimBatch       int                 // deliveries claimed per query; 256
	Lease            time.Duration       // how long a claim lasts; 2 minutes (> MaxTimeout)
	HeaderPrefix     string              // metadata header prefix; "X-Hooks-"
	MaxResponseBytes int                 // response bytes kept per attempt; 64 KiB
	UserAgent        string              // "hooks"
	Policy           *netguard.Policy    // which targets may be called; https + public only if nil
	JWT              sign.Signer         // the signer for the jwt scheme; that scheme fails without it
	Logger           *slog.Logger        // slog.Default() if nil
	Now              func() time.Time    // time.Now if nil
	Rand             func() float64      // jitter source in [0,1); math/rand if nil
	Client           *http.Client        // built from Policy if nil; attempts use its Transport and follow no redirect
	OnOutcome        func(store.Outcome) // optional observer, called after an outcome is stored
	CallbackMaxWait  time.Duration       // how long an AsyncCallback is polled before the delivery fails; 24 h
	// OnBatch, if set, is told the size and write time of each batch of
	// outcomes recorded in one transaction (for metrics).
	OnBatch func(n int, took time.Duration)
	// Tracer makes a client span of every attempt (trace.go); nil is
	// tracing off.
	Tracer *tracing.Tracer
}

func (c *Config) setDefaults() {
	if c.Owner == "" {
		c.Owner = "hooks"
	}
	if c.Workers <= 0 {
		c.Workers = 128
	}
	if c.MaxPerEndpoint <= 0 {
		c.MaxPerEndpoint = 16
	}
	if c.ClaimBatch <= 0 {
		c.ClaimBatch = 256
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.HeaderPrefix == "" {
		c.HeaderPrefix = "X-Hooks-"
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 64 << 10
	}
	if c.UserAgent == "" {
		c.UserAgent = "hooks"
	}
	if c.Policy == nil {
		c.Policy = &netguard.Policy{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = defaultRand
	}
	if c.Client == nil {
		p := *c.Policy
		if p.MaxIdleConnsPerHost == 0 {
			// Many endpoints can share a host (one SaaS receiver; loopback in
			// a benchmark): let every worker keep its connection alive.
			p.MaxIdleConnsPerHost = max(c.Workers, netguard.DefaultMaxIdleConnsPerHost)
		}
		c.Client = netguard.NewClient(&p, 0)
	}
	if c.CallbackMaxWait <= 0 {
		c.CallbackMaxWait = DefaultCallbackMaxWait
	}
}

// Engine delivers webhooks. Create it with New, start it with Run, and call
// Wake after storing new work so it is picked up at once.
type Engine struct {
	db    *store.DB
	cfg   Config
	log   *slog.Logger
	wake  chan struct{}
	preps *prepCache

	brokers   *brokerPool       // connections to broker destinations (brokers.go)
	transport http.RoundTripper // cfg.Client's: what HTTP attempts are sent with (sender.go)

	templateWork chan struct{} // a slot per template compile or render running (send.go)

	running atomic.Bool // Run is between its start and its return

	jobs     chan *job
	outcomes chan store.Outcome

	handedReady chan struct{} // signalled when ingest handed deliveries over (handoff.go)
	// claimAt is when the dispatcher means to claim next, in unix
	// nanoseconds; the writer wakes it sooner for a retry due earlier.
	claimAt atomic.Int64

	mu        sync.Mutex
	closing   bool                      // Run is shutting down: start nothing new
	claimed   int                       // claimed and not yet recorded
	endpoints map[string]*endpointQueue // per-endpoint concurrency
	toPark    map[string][]*job         // by endpoint: to hand back to the database (congestion.go)
	toUnpark  map[string]bool           // endpoints whose parked deliveries to bring back
	toPause   map[string]pause          // by delivery: pauses to record after its outcome (signals.go)
	goneAt    map[string]time.Time      // by endpoint: when it answered 410 Gone, until a read shows it disabled (signals.go)
	space     chan struct{}             // signalled when claimed drops

	// Deliveries handed over by ingest and not yet queued (handoff.go).
	handed       []*domain.Delivery
	handedEvents map[string]*domain.Event
	backlog      bool // deliveries may be stored due: claims go first

	pausing atomic.Int32 // len(toPause), read by the writer without the lock

	waiters *Waiters // told of each outcome batch once it is recorded (waiters.go)
}

// endpointQueue holds an endpoint's claimed jobs beyond its concurrency cap,
// so one slow endpoint occupies at most MaxPerEndpoint workers.
type endpointQueue struct {
	active  int
	waiting []*job
	// Congestion control (congestion.go).
	parked      int             // deliveries parked in the database for it
	inbound     map[string]bool // unparked and not yet claimed back
	unparkN     int             // how many to unpark next
	progress    time.Time       // when an attempt last finished, or it went busy
	finishes    int             // attempts finished since sampled
	sampled     time.Time       // start of the current throughput sample
	rate        float64         // attempts finished per second; < 0 before the first sample
	failing     int             // attempts failed in a row (no answer, 408, 429, 5xx)
	pausedUntil time.Time       // a failing endpoint's next attempt starts no sooner
	resume      *time.Timer     // starts the next attempt when the pause is over
	// Receiver signals (signals.go).
	heldUntil time.Time // the receiver asked for a pause until then: its deliveries are parked
	gone      bool      // the receiver answered 410 Gone: what is left is cancelled
}

// New returns an engine that delivers the deliveries stored in db.
func New(db *store.DB, cfg Config) *Engine {
	cfg.setDefaults()
	transport := cfg.Client.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &Engine{
		transport:    transport,
		brokers:      newBrokerPool(brokerEnv{policy: cfg.Policy, maxBytes: cfg.MaxResponseBytes, log: cfg.Logger}, cfg.Now),
		db:           db,
		cfg:          cfg,
		log:          cfg.Logger,
		wake:         make(chan struct{}, 1),
		handedReady:  make(chan struct{}, 1),
		preps:        newPrepCache(),
		templateWork: make(chan struct{}, runtime.GOMAXPROCS(0)),
		endpoints:    map[string]*endpointQueue{},
		toPark:       map[string][]*job{},
		toUnpark:     map[string]bool{},
		toPause:      map[string]pause{},
		goneAt:       map[string]time.Time{},
		space:        make(chan struct{}, 1),
		backlog:      true,
		waiters:      newWaiters(),
	}
}

// Waiters returns where callers wait for the outcomes this engine records.
func (e *Engine) Waiters() *Waiters { return e.waiters }

// Running reports whether Run is delivering: started and not yet stopped.
// Readiness checks use it.
func (e *Engine) Running() bool { return e.running.Load() }

// Wake tells the engine that new deliveries may be due. It never blocks.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// maxClaimed bounds the deliveries held in memory: a backlog of millions
// costs disk, not memory. A claimed delivery stays counted until its
// outcome is recorded, so the budget must also cover the pipeline from
// claim to group commit; under 2,048 that pipeline, not the workers,
// limits throughput.
func (e *Engine) maxClaimed() int { return max(4*e.cfg.Workers, 2048) }

// Run delivers until ctx is done. It then stops claiming, lets in-flight
// attempts finish for up to drain, records them, and hands back the leases
// of everything claimed but not sent, so nothing waits for a lease to
// expire after a restart.
func (e *Engine) Run(ctx context.Context, drain time.Duration) error {
	e.running.Store(true)
	defer e.running.Store(false)
	e.jobs = make(chan *job, e.maxClaimed())
	e.outcomes = make(chan store.Outcome, e.maxClaimed())
	e.db.SetHandoff(e.handoff())

	// Requests get their own context so a shutdown lets them finish;
	// hardStop cuts them off once the drain time is up.
	sendCtx, hardStop := context.WithCancel(context.WithoutCancel(ctx))
	defer hardStop()

	var workers sync.WaitGroup
	for range e.cfg.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			e.work(ctx, sendCtx)
		}()
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		e.writeOutcomes()
	}()
	// Other processes on a shared database announce the work they store;
	// without this the dispatcher would find it only at its idle poll. It
	// stops with ctx, as dispatch does.
	go e.db.ListenForWork(ctx, e.Wake, func(err error) { e.log.Warn("new-work notifications", "err", err) })
	go e.sweepBrokers(ctx)
	// Broker connections close once every attempt is over and recorded.
	defer e.brokers.closeAll()

	e.dispatch(ctx)

	// What ingest hands over from now on is stored due; what it handed
	// over and the dispatcher did not queue is released with the leases.
	e.db.SetHandoff(nil)
	e.mu.Lock()
	e.closing = true
	close(e.jobs)
	e.mu.Unlock()
	drained := make(chan struct{})
	go func() { workers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(drain):
		e.log.Warn("shutdown: in-flight attempts cut off after the drain time", "drain", drain)
		hardStop()
		<-drained
	}
	close(e.outcomes)
	<-writerDone
	releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	e.unparkAll(releaseCtx)
	if n, err := e.db.ReleaseLeases(releaseCtx, e.cfg.Owner); err != nil {
		return err
	} else if n > 0 {
		e.log.Info("shutdown: released unsent deliveries", "count", n)
	}
	return nil
}

// dispatch queues what ingest hands over and claims due deliveries while
// there is room, until ctx is done. It claims when told work is due, at
// the earliest due delivery's time and at the idle poll, not on every
// handover (handoff.go).
func (e *Engine) dispatch(ctx context.Context) {
	const idlePoll = time.Second // catches work stored by other processes
	claim := true                // at start: work may be due from before
	for ctx.Err() == nil {
		e.parkAndUnpark(ctx)
		e.takeHandedOver(ctx)
		room := e.maxClaimed() - e.claimedCount()
		if room <= 0 {
			// Wake up to trim congested endpoints too: their queues may be
			// what fills the budget.
			timer := time.NewTimer(congestAfter)
			select {
			case <-ctx.Done():
			case <-e.space:
			case <-e.wake:
			case <-e.handedReady:
			case <-timer.C:
			}
			timer.Stop()
			claim = true // whatever came due while there was no room
			continue
		}
		if claim {
			n, err := e.claimBatch(ctx, min(room, e.cfg.ClaimBatch))
			if err != nil {
				if ctx.Err() == nil {
					e.log.Error("claim deliveries", "err", err)
					sleep(ctx, time.Second) // e.g. disk full: back off, then resume
				}
				continue
			}
			if n == min(room, e.cfg.ClaimBatch) {
				continue // more may be due right now
			}
			wait := idlePoll
			if next, err := e.db.NextDueAt(ctx); err == nil && !next.IsZero() {
				wait = min(max(next.Sub(e.cfg.Now()), time.Millisecond), idlePoll)
			}
			if e.busy() {
				wait = min(wait, rateEvery) // to watch the queues (congestion.go)
			}
			e.claimAt.Store(time.Now().Add(wait).UnixNano())
			claim = false
		}
		timer := time.NewTimer(time.Until(time.Unix(0, e.claimAt.Load())))
		select {
		case <-ctx.Done():
		case <-e.wake:
			claim = true
		case <-e.handedReady: // queue them; claim only if its time came
		case <-timer.C:
		}
		timer.Stop()
		if !time.Now().Before(time.Unix(0, e.claimAt.Load())) {
			claim = true
		}
	}
}

// dueAt wakes the dispatcher if t (on the engine's clock), when a
// delivery falls due, comes before the claim it means to make next.
func (e *Engine) dueAt(t time.Time) {
	at := time.Now().Add(t.Sub(e.cfg.Now())).UnixNano()
	if at < e.claimAt.Load() {
		e.claimAt.Store(at)
		e.Wake()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (e *Engine) claimedCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.claimed
}

// claimBatch claims up to limit deliveries and queues them as jobs.
func (e *Engine) claimBatch(ctx context.Context, limit int) (int, error) {
	now := e.cfg.Now()
	deliveries, err := e.db.ClaimDue(ctx, e.cfg.Owner, now, e.cfg.Lease, limit)
	if err == nil && len(deliveries) < limit {
		e.mu.Lock()
		e.backlog = false // nothing more is due: ingest may hand over again
		e.mu.Unlock()
	}
	if err != nil || len(deliveries) == 0 {
		return 0, err
	}
	jobs, err := e.prepareJobs(ctx, deliveries, nil)
	if err != nil {
		// The leases expire and the deliveries fall due again.
		return 0, err
	}
	e.mu.Lock()
	e.claimed += len(jobs)
	for _, j := range jobs {
		e.enqueueLocked(j)
	}
	e.mu.Unlock()
	return len(deliveries), nil
}

func (e *Engine) enqueueLocked(j *job) {
	id, now := j.delivery.EndpointID, e.cfg.Now()
	q := e.endpointLocked(id)
	if j.webhook != nil && j.webhook.PausedUntil.After(q.heldUntil) && now.Before(j.webhook.PausedUntil) {
		// Paused by the receiver, as another process or this one before a
		// restart saw: the pause holds here too.
		q.heldUntil = j.webhook.PausedUntil
	}
	if e.goneLocked(j) {
		j.prep, j.cancel = nil, "the endpoint is disabled"
	}
	if e.holdLocked(q, id, j, now) {
		return
	}
	if q.active == 0 && len(q.waiting) == 0 {
		q.progress = now
	}
	q.waiting = append(q.waiting, j)
	e.startLocked(q, id, now)
}

// startLocked hands q's waiting deliveries to the workers while its
// endpoint has a free slot and is not pausing (congestion.go).
func (e *Engine) startLocked(q *endpointQueue, id string, now time.Time) {
	if e.holdingLocked(q, id, now) {
		return
	}
	for len(q.waiting) > 0 && q.active < e.slotsLocked(q) {
		if now.Before(q.pausedUntil) {
			e.resumeLaterLocked(q, id, now)
			return
		}
		next := q.waiting[0]
		q.waiting[0] = nil
		q.waiting = q.waiting[1:]
		if q.gone {
			next.prep, next.cancel = nil, "the endpoint is disabled"
		}
		q.active++
		e.jobs <- next // never blocks: the channel holds maxClaimed jobs
	}
}

// finished frees j's endpoint slot and starts the endpoint's next job,
// unless the receiver's signal s says otherwise.
func (e *Engine) finished(j *job, h health, s signal) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id, now := j.delivery.EndpointID, e.cfg.Now()
	q := e.endpoints[id]
	q.active--
	q.progress = now
	q.finishes++
	e.healthLocked(q, h, now)
	e.signalLocked(q, j, s)
	if !e.closing {
		e.startLocked(q, id, now)
	}
	e.finishedLocked(q, id, now)
	e.dropIdleLocked(id, q)
}

// work runs jobs until the job channel closes. After ctx is done, jobs that
// have not started are skipped; their leases are released by Run.
func (e *Engine) work(ctx, sendCtx context.Context) {
	for j := range e.jobs {
		if ctx.Err() != nil {
			e.finished(j, unknown, signal{})
			e.release(1)
			continue
		}
		o := e.attempt(sendCtx, j)
		h := healthOf(o)
		if sendCtx.Err() != nil {
			h = unknown // cut off by shutdown, not by the receiver
		}
		s := e.signalOf(o)
		e.finished(j, h, s)
		if s.gone {
			e.disableGone(context.WithoutCancel(sendCtx), j, o.Attempt)
		}
		if sendCtx.Err() != nil && o.Attempt != nil && o.Attempt.StatusCode == 0 {
			// Cut off by shutdown: not the receiver's fault, so leave the
			// lease to be released and the attempt to be made again.
			e.release(1)
			continue
		}
		e.outcomes <- o
	}
}

func (e *Engine) release(n int) {
	e.mu.Lock()
	e.claimed -= n
	e.mu.Unlock()
	select {
	case e.space <- struct{}{}:
	default:
	}
}

// writeOutcomes records outcomes in batches: whatever has arrived while
// the previous batch was being written goes into the next transaction.
func (e *Engine) writeOutcomes() {
	const maxBatch = 256
	// A commit has a fixed cost (the WAL frames of every index page it
	// touched), so a small batch waits a moment for company. Nobody waits
	// for the record but the claim budget: the attempts were made already.
	const gather = 5 * time.Millisecond
	batch := make([]store.Outcome, 0, maxBatch)
	timer := time.NewTimer(gather)
	for o := range e.outcomes {
		batch = append(batch[:0], o)
		timer.Reset(gather)
	more:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-e.outcomes:
				if !ok {
					break more
				}
				batch = append(batch, o)
			case <-timer.C:
				break more
			}
		}
		e.record(batch)
		// A retry due before the dispatcher's next claim brings it forward.
		var next time.Time
		for _, o := range batch {
			if o.Status == domain.StatusRetrying && !o.NextAttemptAt.IsZero() && (next.IsZero() || o.NextAttemptAt.Before(next)) {
				next = o.NextAttemptAt
			}
		}
		if !next.IsZero() {
			e.dueAt(next)
		}
		if e.pausing.Load() > 0 {
			e.recordPauses(batch)
		}
		e.release(len(batch))
	}
}

func (e *Engine) record(batch []store.Outcome) {
	ctx := context.Background()
	for {
		start := time.Now()
		err := e.db.RecordOutcomes(ctx, batch)
		if err == nil {
			if e.cfg.OnBatch != nil {
				e.cfg.OnBatch(len(batch), time.Since(start))
			}
			break
		}
		if domain.ErrorCode(err) != domain.EUNAVAILABLE {
			// Not the disk: an outcome in the batch can't be stored (say its
			// endpoint was deleted while the attempt was in flight). Record
			// the others one by one, so one such row never stalls them all.
			batch = e.recordEach(ctx, batch)
			break
		}
		// The attempts happened; losing their record would resend them after
		// the lease expires, so keep trying (disk full, locked database).
		e.log.Error("record attempts; retrying", "count", len(batch), "err", err)
		time.Sleep(time.Second)
	}
	e.waiters.recorded(batch)
	if e.cfg.OnOutcome != nil {
		for _, o := range batch {
			e.cfg.OnOutcome(o)
		}
	}
}

// recordEach records outcomes one at a time, retrying while the database
// is unavailable and dropping (with a log line) an outcome that can't be
// stored at all. It returns the outcomes it stored.
func (e *Engine) recordEach(ctx context.Context, batch []store.Outcome) []store.Outcome {
	kept := batch[:0]
	for _, o := range batch {
		for {
			err := e.db.RecordOutcomes(ctx, []store.Outcome{o})
			if err == nil {
				kept = append(kept, o)
				break
			}
			if domain.ErrorCode(err) != domain.EUNAVAILABLE {
				e.log.Warn("dropped an attempt record that can't be stored", "delivery", o.DeliveryID, "err", err)
				break
			}
			e.log.Error("record attempt; retrying", "delivery", o.DeliveryID, "err", err)
			time.Sleep(time.Second)
		}
	}
	return kept
}

// errNoJWT is returned for a jwt endpoint when the engine has no JWT signer.
var errNoJWT = errors.New("jwt signing is not configured on this server")
