package delivery

import (
	"slices"
	"sync"
	"sync/atomic"

	"hooks/store"
)

// Waiters tells callers about outcomes as the engine records them, so a
// producer can wait for its deliveries' first attempts (Prefer: wait on
// POST /api/v1/events) without holding a worker or the writer: the
// writer only hands each recorded outcome to the channels that want it,
// never blocking, and does nothing at all when nobody waits.
//
// It is told of outcomes only after they are durable. It knows only what
// this process's engine records: a caller that can't miss an outcome
// recorded by another process (or before it started to wait) also reads
// the store.
type Waiters struct {
	mu    sync.Mutex
	seq   atomic.Uint64        // batches recorded
	byID  map[string][]*Waiter // delivery id → who waits for it
	count atomic.Int64         // len(byID), read by the writer without mu
}

// Waiter receives the first outcome recorded for each of its deliveries.
type Waiter struct {
	ws  *Waiters
	ids []string
	c   chan store.Outcome
}

func newWaiters() *Waiters { return &Waiters{byID: map[string][]*Waiter{}} }

// Seq returns how many outcome batches have been recorded. Take it before
// reading the store, and pass it to Wait.
func (ws *Waiters) Seq() uint64 { return ws.seq.Load() }

// Wait starts waiting for the outcomes of ids. missed reports that a batch
// was recorded since seq, before the wait started: it may hold outcomes of
// ids that w will not receive, so the caller reads them from the store
// again. Every Wait must be followed by Stop.
func (ws *Waiters) Wait(ids []string, seq uint64) (w *Waiter, missed bool) {
	w = &Waiter{ws: ws, ids: ids, c: make(chan store.Outcome, len(ids))}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, id := range ids {
		ws.byID[id] = append(ws.byID[id], w)
	}
	ws.count.Store(int64(len(ws.byID)))
	return w, ws.seq.Load() != seq
}

// Watched returns how many deliveries someone waits for.
func (ws *Waiters) Watched() int { return int(ws.count.Load()) }

// C delivers the first outcome recorded for each of w's deliveries after
// Wait, at most one per delivery, so it never fills up.
func (w *Waiter) C() <-chan store.Outcome { return w.c }

// Stop ends the wait and frees what it holds.
func (w *Waiter) Stop() {
	ws := w.ws
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, id := range w.ids {
		list := slices.DeleteFunc(ws.byID[id], func(o *Waiter) bool { return o == w })
		if len(list) == 0 {
			delete(ws.byID, id)
		} else {
			ws.byID[id] = list
		}
	}
	ws.count.Store(int64(len(ws.byID)))
}

// recorded tells the waiters of batch's deliveries that batch is durable.
func (ws *Waiters) recorded(batch []store.Outcome) {
	// seq moves first: a Wait that registers after count is read as 0
	// below then sees it moved, and reads the store again.
	ws.seq.Add(1)
	if ws.count.Load() == 0 {
		return // nobody waits: what almost every batch finds
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, o := range batch {
		list, ok := ws.byID[o.DeliveryID]
		if !ok {
			continue
		}
		for _, w := range list {
			w.c <- o // never blocks: one outcome per id, room for every id
		}
		delete(ws.byID, o.DeliveryID)
	}
	ws.count.Store(int64(len(ws.byID)))
}
