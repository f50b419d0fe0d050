package delivery

import (
	"context"
	"net/http"
	"time"

	"hooks/store"
)

// Congestion control. An endpoint runs at most MaxPerEndpoint attempts at
// once; claimed deliveries beyond that wait in its queue in memory. An
// endpoint that hangs until its timeout, or is simply slower than the
// events meant for it, would fill the engine's whole claim budget with its
// waiting deliveries and starve every other endpoint, and its last waiting
// deliveries could outlive their lease and be claimed twice. So each queue
// holds about a second of the endpoint's recent throughput (queueFor), and
// an endpoint whose queue stops moving is congested. Deliveries beyond that
// are parked — handed back to the database, not due, without an attempt —
// and unparked oldest first as the endpoint drains. A backlog of a million
// deliveries for a dead receiver thus costs disk, not memory, and when the
// receiver comes back it drains at full speed, in order.
//
// An endpoint whose attempts keep failing (no answer, 408, 429 or 5xx,
// paceAfter times in a row) is paced: one attempt at a time, with a pause
// after each failure that doubles up to paceMax. Its deliveries wait their
// turn (parked, mostly) instead of spending the engine's workers and
// writes on a receiver that is down; each is still attempted on its own
// retry schedule or later, never sooner. The first answer that is not a
// failure ends the pacing.
const (
	// congestAfter is how long an endpoint with a queue may go without
	// finishing an attempt before it counts as congested.
	congestAfter = 250 * time.Millisecond
	// parkLease is when a parked delivery falls due again if nothing
	// unparks it first (a safety net; start-up releases every lease).
	parkLease = time.Hour
	// maxUnpark bounds the deliveries unparked at once; the batch doubles
	// from the endpoint's queue size up to this while the endpoint keeps up.
	maxUnpark = 1024
	// queueFor is how much of an endpoint's recent throughput its queue
	// holds in memory, and rateEvery how often that throughput is sampled.
	queueFor  = time.Second
	rateEvery = 250 * time.Millisecond
	// paceAfter failed attempts in a row start pacing an endpoint, with a
	// pause after each further failure from paceMin doubling to paceMax.
	paceAfter = 10
	paceMin   = 10 * time.Millisecond
	paceMax   = time.Second
)

// health is what an attempt says about its endpoint.
type health int

const (
	unknown health = iota // no attempt, or cut off by shutdown
	healthy               // the receiver answered
	failing               // no answer, or 408, 429, 5xx
)

func healthOf(o store.Outcome) health {
	if o.Attempt == nil {
		return unknown
	}
	switch c := o.Attempt.StatusCode; {
	case c == 0 || c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return failing
	}
	return healthy
}

// slotsLocked is how many attempts q's endpoint may have running at once.
func (e *Engine) slotsLocked(q *endpointQueue) int {
	if q.failing >= paceAfter {
		return 1
	}
	return e.cfg.MaxPerEndpoint
}

// healthLocked updates q's run of failures and its pause with what an
// attempt that just finished says about the endpoint.
func (e *Engine) healthLocked(q *endpointQueue, h health, now time.Time) {
	switch h {
	case healthy:
		q.failing, q.pausedUntil = 0, time.Time{}
	case failing:
		q.failing++
		if n := q.failing - paceAfter; n >= 0 {
			q.pausedUntil = now.Add(min(paceMin<<min(n, 16), paceMax))
		}
	}
}

// resumeLaterLocked starts q's next attempt when its pause is over.
func (e *Engine) resumeLaterLocked(q *endpointQueue, id string, now time.Time) {
	if q.resume != nil {
		return
	}
	q.resume = time.AfterFunc(q.pausedUntil.Sub(now), func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		q.resume = nil
		if !e.closing && e.endpoints[id] == q {
			e.startLocked(q, id, e.cfg.Now())
		}
	})
}

// keepWaiting is how many deliveries a congested endpoint keeps queued in
// memory: enough to start the next attempts at once when some finish.
func (e *Engine) keepWaiting() int { return e.cfg.MaxPerEndpoint }

// maxWaiting bounds one endpoint's queue, so that no single endpoint can
// take the whole claim budget.
func (e *Engine) maxWaiting() int { return max(e.maxClaimed()/2, e.keepWaiting()) }

// queueTargetLocked is how many deliveries q's queue may hold: queueFor of
// its throughput, within [keepWaiting, maxWaiting]; maxWaiting until its
// throughput is known.
func (e *Engine) queueTargetLocked(q *endpointQueue) int {
	if q.sampled.IsZero() || q.rate < 0 {
		return e.maxWaiting()
	}
	return min(max(int(q.rate*queueFor.Seconds()), e.keepWaiting()), e.maxWaiting())
}

// sampleRatesLocked updates each endpoint's throughput, an average of
// attempts finished per second over the intervals in which it had work.
func (e *Engine) sampleRatesLocked(now time.Time) {
	for _, q := range e.endpoints {
		if q.sampled.IsZero() {
			q.sampled, q.rate = now, -1 // first interval starts now
			continue
		}
		dt := now.Sub(q.sampled)
		if dt < rateEvery {
			continue
		}
		if q.finishes > 0 || q.active > 0 {
			r := float64(q.finishes) / dt.Seconds()
			if q.rate < 0 {
				q.rate = r
			} else {
				q.rate = (q.rate + r) / 2
			}
		}
		q.finishes, q.sampled = 0, now
	}
}

// parkOwner is the lease owner of the deliveries parked for an endpoint.
func (e *Engine) parkOwner(webhookID string) string { return store.ParkOwner(e.cfg.Owner, webhookID) }

// congestedLocked reports whether q's queue has stopped moving: deliveries
// wait, and no attempt has finished for congestAfter. An endpoint that is
// merely busy, or slowed down with everything else by a starved CPU, keeps
// finishing attempts and is not congested.
func (q *endpointQueue) congestedLocked(now time.Time) bool {
	return len(q.waiting) > 0 && now.Sub(q.progress) > congestAfter
}

// holdLocked reports whether claimed job j must be set aside to be parked
// rather than run or queued: its endpoint is congested or its queue full,
// or older deliveries of the endpoint are parked (j would overtake them).
func (e *Engine) holdLocked(q *endpointQueue, id string, j *job, now time.Time) bool {
	switch {
	case now.Before(q.heldUntil):
		delete(q.inbound, j.delivery.ID) // the receiver asked for a pause: wait it out parked
	case q.inbound[j.delivery.ID]:
		delete(q.inbound, j.delivery.ID) // unparked, in order: its turn
		return false
	case q.parked > 0 || len(e.toPark[id]) > 0:
	case q.active < e.slotsLocked(q):
		return false
	case len(q.waiting) < e.keepWaiting():
		return false
	case len(q.waiting) < e.queueTargetLocked(q) && !q.congestedLocked(now):
		return false
	}
	e.toPark[id] = append(e.toPark[id], j)
	return true
}

// trimLocked sets aside for parking the newest waiting deliveries of every
// congested endpoint beyond the few it keeps, and of every endpoint whose
// queue holds more than twice its target (its throughput fell).
func (e *Engine) trimLocked(now time.Time) {
	for id, q := range e.endpoints {
		keep := e.queueTargetLocked(q)
		if q.congestedLocked(now) {
			keep = e.keepWaiting()
		} else if len(q.waiting) <= 2*keep {
			continue
		}
		if len(q.waiting) > keep {
			e.toPark[id] = append(e.toPark[id], q.waiting[keep:]...)
			clear(q.waiting[keep:])
			q.waiting = q.waiting[:keep]
			q.unparkN = 0
		}
	}
}

// wantsUnparkLocked reports whether q has parked deliveries and room for
// them: its queue has run short and moves.
func (e *Engine) wantsUnparkLocked(q *endpointQueue, now time.Time) bool {
	return q.parked > 0 && len(q.waiting)+len(q.inbound) <= e.queueTargetLocked(q)/2 && !q.congestedLocked(now) &&
		!now.Before(q.heldUntil)
}

// finishedLocked notes that an attempt to q's endpoint ended, and asks for
// its parked deliveries back at once if it has room for them.
func (e *Engine) finishedLocked(q *endpointQueue, id string, now time.Time) {
	if e.wantsUnparkLocked(q, now) {
		e.toUnpark[id] = true
		e.Wake()
	}
}

// parkAndUnpark writes the parking decisions made since the last call:
// it parks the deliveries set aside, releasing their claims, and unparks
// the next deliveries of endpoints that asked, as many as their queues
// have room for (doubling from a few while they keep up). The dispatcher
// calls it between claims, so the writes happen on its goroutine.
func (e *Engine) parkAndUnpark(ctx context.Context) {
	now := e.cfg.Now()
	e.mu.Lock()
	e.sampleRatesLocked(now)
	e.trimLocked(now)
	// Also catch endpoints that went idle before their deliveries were
	// parked, or whose receiver's pause is over: no attempt will finish to
	// ask for them.
	for id, q := range e.endpoints {
		if !q.heldUntil.IsZero() && !now.Before(q.heldUntil) {
			q.heldUntil = time.Time{}
		}
		if e.wantsUnparkLocked(q, now) {
			e.toUnpark[id] = true
		}
	}
	toPark, toUnpark := e.toPark, e.toUnpark
	e.toPark, e.toUnpark = map[string][]*job{}, map[string]bool{}
	// A paused endpoint's deliveries stay parked past its pause; it is the
	// unpark at the pause's end that brings them back, in order.
	parkUntil := make(map[string]time.Time, len(toPark))
	for id := range toPark {
		until := now
		if h := e.endpointLocked(id).heldUntil; h.After(now) {
			until = h
		}
		parkUntil[id] = until.Add(parkLease)
	}
	e.mu.Unlock()

	for id, jobs := range toPark {
		ids := make([]string, len(jobs))
		for i, j := range jobs {
			ids[i] = j.delivery.ID
		}
		// On failure the claims simply expire and the deliveries fall due
		// again: parking saves memory, it never decides an outcome.
		err := e.db.ParkDeliveries(ctx, id, e.parkOwner(id), ids, parkUntil[id])
		if err != nil {
			e.log.Error("park deliveries of a congested endpoint", "webhook", id, "count", len(ids), "err", err)
		}
		e.mu.Lock()
		if err == nil {
			e.endpointLocked(id).parked += len(ids)
		}
		e.mu.Unlock()
		e.release(len(jobs))
		e.log.Debug("parked deliveries of a congested endpoint", "webhook", id, "count", len(ids))
	}
	for id := range toUnpark {
		e.mu.Lock()
		q := e.endpointLocked(id)
		room := e.queueTargetLocked(q) - len(q.waiting) - len(q.inbound)
		q.unparkN = min(max(2*q.unparkN, e.keepWaiting()), maxUnpark)
		limit := min(room, q.unparkN)
		e.mu.Unlock()
		if limit <= 0 || q.parked == 0 {
			continue
		}
		ids, last, err := e.db.UnparkDeliveries(ctx, id, e.parkOwner(id), limit)
		if err != nil {
			e.log.Error("unpark deliveries", "webhook", id, "err", err)
			continue
		}
		e.mu.Lock()
		q = e.endpointLocked(id)
		if q.inbound == nil {
			q.inbound = make(map[string]bool, len(ids))
		}
		for _, d := range ids {
			q.inbound[d] = true
		}
		// Ingest parks the endpoint's new deliveries too until the last
		// are unparked, so the count is a lower bound until then.
		q.parked = max(q.parked-len(ids), 1)
		if last {
			q.parked = 0
		}
		e.mu.Unlock()
	}
}

// unparkAll hands every parked delivery back, due, when the engine stops.
func (e *Engine) unparkAll(ctx context.Context) {
	e.mu.Lock()
	var ids []string
	for id, q := range e.endpoints {
		if q.parked > 0 || len(e.toPark[id]) > 0 {
			ids = append(ids, id)
		}
	}
	e.mu.Unlock()
	for _, id := range ids {
		for {
			_, last, err := e.db.UnparkDeliveries(ctx, id, e.parkOwner(id), maxUnpark)
			if err != nil {
				e.log.Error("shutdown: unpark deliveries", "webhook", id, "err", err)
				break
			}
			if last {
				break
			}
		}
	}
}

// busy reports whether any endpoint has deliveries in memory or parked.
func (e *Engine) busy() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, q := range e.endpoints {
		if q.active > 0 || len(q.waiting) > 0 || q.parked > 0 {
			return true
		}
	}
	return false
}

// endpointLocked returns id's queue, creating it.
func (e *Engine) endpointLocked(id string) *endpointQueue {
	q := e.endpoints[id]
	if q == nil {
		q = &endpointQueue{}
		e.endpoints[id] = q
	}
	return q
}

// dropIdleLocked forgets q when nothing of its endpoint is in memory or
// parked, and it is not failing (its pacing must outlast a quiet moment).
func (e *Engine) dropIdleLocked(id string, q *endpointQueue) {
	if q.active == 0 && len(q.waiting) == 0 && q.parked == 0 && len(q.inbound) == 0 && q.failing == 0 &&
		!e.toUnpark[id] && len(e.toPark[id]) == 0 {
		delete(e.endpoints, id)
	}
}
