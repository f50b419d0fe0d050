package service

import (
	"context"
	"time"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store"
)

// Waiting for first outcomes (Prefer: wait on POST /api/v1/events). A
// producer that waits holds no worker and no writer: the engine records
// outcomes as always and then hands them to delivery.Waiters, which passes
// those of waited-for deliveries to the waiting request. Another instance
// may make the first attempt (several instances share PostgreSQL), so the
// wait also reads the store every waitPoll and once at the deadline.

// MaxWait is the longest wait a producer may ask for.
const MaxWait = 30 * time.Second

// MaxWaiters bounds the requests waiting at once: each holds a goroutine
// and a connection. Past it a request is answered from one read of the
// store, without waiting.
const MaxWaiters = 10000

// waitPoll is how often a wait reads the store for first attempts made by
// other instances.
const waitPoll = 250 * time.Millisecond

// WithMaxWaiters sets how many requests may wait for first outcomes at
// once; MaxWaiters by default.
func WithMaxWaiters(n int) Option { return func(s *Service) { s.maxWaiters = int64(n) } }

// FirstOutcome is what a delivery's first attempt came to, as a producer
// that waits for it is shown.
type FirstOutcome struct {
	DeliveryID string
	WebhookID  string
	// Status is the delivery's status: pending until its first attempt is
	// recorded, then what that attempt left it in (succeeded, retrying,
	// failed, awaiting_callback, or cancelled when it was not sent).
	Status       string
	StatusCode   int     // the receiver's answer; 0 when none came
	Success      bool    // the receiver accepted the first attempt
	HTMLResponse *string // the receiver's HTMLResponse, if its answer had one
	Done         bool    // the first attempt is recorded, or the delivery was cancelled
}

// Awaited is what a wait for first outcomes found.
type Awaited struct {
	// Outcomes holds the first outcome of each delivery of each event, in
	// the order of the events given.
	Outcomes [][]FirstOutcome
	// Complete is true when every delivery's first attempt is recorded.
	Complete bool
	// Waited is false when MaxWaiters requests were waiting already: the
	// outcomes are then what one read of the store found.
	Waited bool
}

// AwaitFirstOutcomes waits until the first attempt of every delivery of
// events (as PostEvents left them) is recorded, or wait (at most MaxWait)
// has passed, and returns what it found. Delivery goes on as usual after
// it returns. The events are stored already, so a failed read of their
// outcomes ends the wait (logged) rather than failing the request; only a
// caller that goes away (ctx done) gets an error.
func (s *Service) AwaitFirstOutcomes(ctx context.Context, a Actor, events []*domain.Event, wait time.Duration) (*Awaited, error) {
	w := &awaiting{events: events, byID: map[string]*FirstOutcome{}}
	for _, e := range events {
		if e.DeliveryCount > 0 {
			w.eventIDs = append(w.eventIDs, e.ID)
		}
	}
	if len(w.eventIDs) == 0 {
		return w.result(true), nil
	}
	if s.waiting.Add(1) > s.maxWaiters {
		s.waiting.Add(-1)
		err := s.readFirstAttempts(ctx, a, w)
		return w.result(false), err
	}
	defer s.waiting.Add(-1)

	deadline, stopDeadline := s.timer(min(wait, MaxWait))
	defer stopDeadline()
	ws := s.waiters()
	var seq uint64
	if ws != nil {
		seq = ws.Seq()
	}
	if err := s.readFirstAttempts(ctx, a, w); err != nil || w.pending == 0 {
		return w.result(true), err
	}
	var notices <-chan store.Outcome // nil, never ready, without waiters
	if ws != nil {
		waiter, missed := ws.Wait(w.pendingIDs(), seq)
		defer waiter.Stop()
		notices = waiter.C()
		if missed {
			if err := s.readFirstAttempts(ctx, a, w); err != nil || w.pending == 0 {
				return w.result(true), err
			}
		}
	}
	poll, stopPoll := s.ticker(waitPoll)
	defer stopPoll()
	for w.pending > 0 {
		select {
		case o := <-notices:
			w.apply(o.DeliveryID, o.Status, o.Attempt)
		case <-poll:
			if err := s.readFirstAttempts(ctx, a, w); err != nil {
				return w.result(true), err
			}
		case <-deadline:
			// Once more: another instance may have recorded an attempt
			// since the last poll.
			err := s.readFirstAttempts(ctx, a, w)
			return w.result(true), err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return w.result(true), nil
}

// readFirstAttempts reads the first attempts of w's events into w. It
// returns only ctx's error; other errors are logged and leave w as it was
// (after a failed first read, w knows no deliveries and is not Complete).
func (s *Service) readFirstAttempts(ctx context.Context, a Actor, w *awaiting) error {
	rows, err := s.db.FirstAttempts(ctx, a.TenantID, w.eventIDs)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.Warn("read first attempts for a waiting producer", "events", len(w.eventIDs), "err", err)
		return nil
	}
	w.take(rows)
	return nil
}

// waiters returns the engine's waiters, or nil without an engine (a
// command that does not deliver) or from one that has none.
func (s *Service) waiters() *delivery.Waiters {
	if s.engine == nil {
		return nil
	}
	return s.engine.Waiters()
}

// awaiting is the state of one AwaitFirstOutcomes.
type awaiting struct {
	events   []*domain.Event
	eventIDs []string                   // of the events with deliveries
	byEvent  map[string][]*FirstOutcome // in delivery id order, from the first read
	byID     map[string]*FirstOutcome
	pending  int // outcomes not yet Done
}

// take takes the first attempts read from the store that are new to w.
// The first read decides which deliveries there are.
func (w *awaiting) take(rows []store.FirstAttempt) {
	if w.byEvent == nil {
		w.byEvent = map[string][]*FirstOutcome{}
		for _, f := range rows {
			o := &FirstOutcome{DeliveryID: f.DeliveryID, WebhookID: f.EndpointID, Status: domain.StatusPending}
			w.byEvent[f.EventID] = append(w.byEvent[f.EventID], o)
			w.byID[f.DeliveryID] = o
			w.pending++
		}
	}
	for _, f := range rows {
		if f.Attempt != nil || terminal(f.Status) {
			w.apply(f.DeliveryID, f.Status, f.Attempt)
		}
	}
}

// apply takes the first outcome of delivery id: the delivery's status
// after it, and its attempt (nil when the delivery was cancelled unsent).
// Later outcomes of a delivery already done change nothing.
func (w *awaiting) apply(id, status string, a *domain.Attempt) {
	o := w.byID[id]
	if o == nil || o.Done {
		return
	}
	o.Done, o.Status = true, status
	w.pending--
	if a == nil {
		return
	}
	o.StatusCode, o.Success = a.StatusCode, a.Succeeded()
	if html, ok := a.HTMLResponse(); ok {
		o.HTMLResponse = &html
	}
}

func (w *awaiting) pendingIDs() []string {
	var ids []string
	for id, o := range w.byID {
		if !o.Done {
			ids = append(ids, id)
		}
	}
	return ids
}

func (w *awaiting) result(waited bool) *Awaited {
	read := w.byEvent != nil || len(w.eventIDs) == 0
	out := &Awaited{Outcomes: make([][]FirstOutcome, len(w.events)), Complete: read && w.pending == 0, Waited: waited}
	for i, e := range w.events {
		out.Outcomes[i] = []FirstOutcome{}
		for _, o := range w.byEvent[e.ID] {
			out.Outcomes[i] = append(out.Outcomes[i], *o)
		}
	}
	return out
}

// terminal reports whether a delivery in status is attempted no more.
func terminal(status string) bool {
	return status == domain.StatusSucceeded || status == domain.StatusFailed || status == domain.StatusCancelled
}

func realTimer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}
