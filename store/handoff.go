package store

import (
	"database/sql"
	"time"

	"hooks/domain"
)

// Handoff lets this process's engine take the deliveries that ingest
// creates straight from the transaction that stores them, instead of
// claiming them back from the database: a delivery handed off is stored
// already leased to Owner until its lease ends, as a claim would leave it,
// and then given to Deliver with its event. That saves the claim's UPDATE
// and the reads of what was just written. Crash safety is a claim's: if
// the process dies, the lease expires and the delivery falls due (and a
// SQLite process releases every lease at start-up).
type Handoff struct {
	Owner string        // lease owner, as in ClaimDue
	Lease time.Duration // as in ClaimDue
	// Reserve takes room for up to n deliveries and returns for how many.
	// It must not block: it is called inside the ingest transaction.
	Reserve func(n int) int
	// Unreserve gives back room for n deliveries reserved and not handed
	// over (fewer were due, or the transaction failed).
	Unreserve func(n int)
	// Deliver takes deliveries leased to Owner, once they are committed,
	// and their events by id. It must not block: the ingester calls it.
	Deliver func(deliveries []*domain.Delivery, events map[string]*domain.Event)
	// Due, if set, is called after a commit that stored deliveries due
	// at once instead of handing them over (there was no room): they are
	// for a claim to take. It must not block.
	Due func()
}

// SetHandoff makes ingest hand fresh deliveries to h from now on; nil
// stops that. When it returns, no transaction uses the previous handoff
// any more: an engine that shuts down calls SetHandoff(nil) and then
// releases its leases, those of handed deliveries included.
func (db *DB) SetHandoff(h *Handoff) {
	db.handoffMu.Lock()
	db.handoff = h
	db.handoffMu.Unlock()
}

// handoffBatch is how much room a transaction reserves at a time.
const handoffBatch = 64

// handing is one ingest transaction's use of the handoff. The
// transaction's goroutine holds db.handoffMu (commitIngest).
type handing struct {
	h          *Handoff
	now        time.Time
	reserved   int // room reserved so far
	full       bool
	due        bool // a delivery was stored due at once
	deliveries []*domain.Delivery
	events     map[string]*domain.Event
}

// take decides whether a delivery due now is handed off, and returns its
// next_attempt_at and lease_owner columns: the lease if it is, due now
// and no owner if not.
func (hd *handing) take(id string, e *domain.Event, endpointID string) (int64, sql.NullString) {
	now := ms(hd.now)
	if hd.h == nil || hd.full {
		hd.due = true
		return now, sql.NullString{}
	}
	if len(hd.deliveries) == hd.reserved {
		n := hd.h.Reserve(handoffBatch)
		hd.reserved += n
		if n == 0 {
			hd.full, hd.due = true, true
			return now, sql.NullString{}
		}
	}
	until := ms(hd.now.Add(hd.h.Lease))
	// What a claim would read back: times to the millisecond.
	hd.deliveries = append(hd.deliveries, &domain.Delivery{ID: id, TenantID: e.TenantID, EventID: e.ID, EndpointID: endpointID,
		Topic: e.Topic, SubTopic: e.SubTopic, Status: domain.StatusPending, NextAttemptAt: fromMS(until),
		NextTrigger: domain.TriggerScheduled, CreatedAt: fromMS(now), UpdatedAt: fromMS(now)})
	if hd.events == nil {
		hd.events = map[string]*domain.Event{}
	}
	if _, ok := hd.events[e.ID]; !ok {
		cp := *e
		cp.TriggeredAt = fromMS(ms(e.TriggeredAt))
		hd.events[e.ID] = &cp
	}
	return until, sql.NullString{String: hd.h.Owner, Valid: true}
}

// finish hands the deliveries over if the transaction committed (err is
// nil), gives back the room not used, and tells of deliveries stored due.
func (hd *handing) finish(err error) {
	if hd.h == nil {
		return
	}
	if err != nil {
		hd.deliveries = nil
	}
	if unused := hd.reserved - len(hd.deliveries); unused > 0 {
		hd.h.Unreserve(unused)
	}
	if len(hd.deliveries) > 0 {
		hd.h.Deliver(hd.deliveries, hd.events)
	}
	if err == nil && hd.due && hd.h.Due != nil {
		hd.h.Due()
	}
}
