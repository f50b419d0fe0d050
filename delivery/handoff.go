package delivery

import (
	"context"

	"hooks/domain"
	"hooks/store"
)

// Freshly ingested deliveries reach the engine in memory (store.Handoff):
// while the engine has room, ingest stores them leased to it, as a claim
// would, and hands them over, so the dispatcher neither claims them back
// with an UPDATE nor reads their events again. In hooks bench at fan-out
// 10 the dispatcher's share of the process's CPU fell from 9 % to 2 %
// (store's BenchmarkIngestToOutcome: 70 to 55 µs of CPU per delivery).
//
// Deliveries that were stored due (no room) are claimed in turn, oldest
// first. To keep that order, handoff stops once a delivery was stored due
// and resumes when a claim finds no more due than it asked for.
//
// A handover wakes the dispatcher to queue the deliveries, not to claim:
// nothing it handed over is due in the database. Claims run when told
// work is due (Wake: ingest stored some due, a redelivery, a recovery,
// another process's notice), when the earliest due delivery's time comes,
// and at the idle poll. Claiming on every handover ran an empty UPDATE on
// the database's one writer for each ingest commit.

// handoff is what the engine gives the store while it runs.
func (e *Engine) handoff() *store.Handoff {
	return &store.Handoff{Owner: e.cfg.Owner, Lease: e.cfg.Lease, Reserve: e.reserve, Unreserve: e.release, Deliver: e.handOver,
		Due: e.Wake}
}

// reserve takes room for up to n handed-over deliveries: it counts them
// claimed now, so the dispatcher's claims leave room for them.
func (e *Engine) reserve(n int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closing || e.backlog {
		return 0
	}
	k := min(n, e.maxClaimed()-e.claimed)
	if k < n {
		// The rest of this ingest is stored due: claims take over.
		e.backlog = true
	}
	if k <= 0 {
		return 0
	}
	e.claimed += k
	return k
}

// handOver takes committed deliveries leased to this engine, and their
// events, for the dispatcher to queue (takeHandedOver).
func (e *Engine) handOver(deliveries []*domain.Delivery, events map[string]*domain.Event) {
	e.mu.Lock()
	e.handed = append(e.handed, deliveries...)
	if e.handedEvents == nil {
		e.handedEvents = events
	} else {
		for id, ev := range events {
			e.handedEvents[id] = ev
		}
	}
	e.mu.Unlock()
	select {
	case e.handedReady <- struct{}{}:
	default:
	}
}

// takeHandedOver queues the deliveries handed over since the last call.
// Their room was reserved when they were stored.
func (e *Engine) takeHandedOver(ctx context.Context) {
	e.mu.Lock()
	deliveries, events := e.handed, e.handedEvents
	e.handed, e.handedEvents = nil, nil
	e.mu.Unlock()
	if len(deliveries) == 0 {
		return
	}
	jobs, err := e.prepareJobs(ctx, deliveries, events)
	if err != nil {
		// As after a claim: the leases expire and the deliveries fall due
		// again.
		if ctx.Err() == nil {
			e.log.Error("queue ingested deliveries", "err", err)
		}
		e.release(len(deliveries))
		return
	}
	e.mu.Lock()
	for _, j := range jobs {
		e.enqueueLocked(j)
	}
	e.mu.Unlock()
}
