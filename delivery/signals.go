package delivery

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"hooks/delivery/upkeep"
	"hooks/domain"
	"hooks/store"
)

// Receiver signals. A receiver can tell hooks more than "this delivery
// failed":
//
//   - 410 Gone: "send me nothing more". The endpoint is disabled at once
//     with a reason that says so, announced with an endpoint.disabled
//     event (as auto-disable does, upkeep.Disable), the delivery fails
//     for good, and the endpoint's deliveries in memory are cancelled
//     without an attempt, as a disabled endpoint's are when claimed.
//   - 429 or 503 with Retry-After: "not before then", about the receiver
//     rather than one delivery. The whole endpoint pauses: its deliveries
//     are parked (congestion.go, store/park.go) until the pause ends, and
//     its new deliveries with them through the endpoint's hold, so none is
//     attempted or counted as a failure meanwhile; then they are unparked
//     oldest first. The pause is kept on the endpoint's row
//     (endpoints.paused_until) so that every process, and this one after a
//     restart, honours it when it claims a delivery of the endpoint, and
//     the UI and API show it. Other endpoints don't notice.
//
// Attempts already under way when the signal arrives finish as they are.

// signal is what an attempt's answer asks of its whole endpoint.
type signal struct {
	gone      bool      // 410 Gone
	holdUntil time.Time // 429/503 with Retry-After: pause until then; zero for none
}

// signalOf reads o's answer for a signal. The common 2xx answer costs a
// comparison.
func (e *Engine) signalOf(o store.Outcome) signal {
	a := o.Attempt
	if a == nil {
		return signal{}
	}
	switch a.StatusCode {
	case http.StatusGone:
		return signal{gone: true}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		now := e.cfg.Now()
		if d, ok := parseRetryAfter(a.ResponseHeaders.Get("Retry-After"), a.StartedAt); ok && d > 0 {
			return signal{holdUntil: now.Add(d)}
		}
	}
	return signal{}
}

// signalLocked applies s, the signal of j's answer, to j's endpoint q: it
// marks a gone endpoint, or starts or extends its pause and asks the
// writer to record it after j's outcome (recordPauses), so that the
// delivery that was answered is parked with the others and keeps its
// place.
func (e *Engine) signalLocked(q *endpointQueue, j *job, s signal) {
	switch {
	case s.gone:
		q.gone = true
		e.goneAt[j.delivery.EndpointID] = e.cfg.Now()
	case s.holdUntil.After(q.heldUntil):
		q.heldUntil = s.holdUntil
		e.toPause[j.delivery.ID] = pause{endpointID: j.delivery.EndpointID, until: s.holdUntil}
		e.pausing.Store(int32(len(e.toPause)))
	}
}

// goneLocked reports whether j's endpoint answered 410 Gone to this
// engine since j's copy of it was read. q.gone covers the deliveries queued
// when the answer came, but the queue goes when it is idle, and the
// endpoint is disabled in the database only when the endpoint.disabled
// event is stored (in one transaction, upkeep.Disable): any delivery
// claimed before that commit read it still enabled.
func (e *Engine) goneLocked(j *job) bool {
	at, ok := e.goneAt[j.delivery.EndpointID]
	if !ok || j.webhook == nil {
		return false
	}
	if j.webhook.Enabled && !j.webhook.UpdatedAt.After(at) {
		return true
	}
	// Disabled in the database now, or changed (enabled again) since.
	delete(e.goneAt, j.delivery.EndpointID)
	return false
}

// holdingLocked reports whether q's receiver asked for a pause that is not
// over; its waiting deliveries are then set aside to be parked.
func (e *Engine) holdingLocked(q *endpointQueue, id string, now time.Time) bool {
	if !now.Before(q.heldUntil) {
		return false
	}
	if len(q.waiting) > 0 {
		e.toPark[id] = append(e.toPark[id], q.waiting...)
		clear(q.waiting)
		q.waiting = q.waiting[:0]
		e.Wake() // the dispatcher parks them
	}
	return true
}

// pause is a receiver's pause of an endpoint, to record in the database.
type pause struct {
	endpointID string
	until      time.Time
}

// recordPauses records the pauses asked for by the answers of a batch of
// outcomes just recorded, and parks the endpoints' deliveries, the
// answered ones included. The writer calls it, after the batch, so that
// each answered delivery is stored as retrying first.
func (e *Engine) recordPauses(batch []store.Outcome) {
	var pauses []pause
	e.mu.Lock()
	for _, o := range batch {
		if p, ok := e.toPause[o.DeliveryID]; ok {
			pauses = append(pauses, p)
			delete(e.toPause, o.DeliveryID)
		}
	}
	e.pausing.Store(int32(len(e.toPause)))
	e.mu.Unlock()
	ctx := context.Background()
	for _, p := range pauses {
		n, err := e.db.PauseEndpoint(ctx, p.endpointID, e.parkOwner(p.endpointID), p.until, p.until.Add(parkLease))
		if err != nil {
			// The deliveries then fall due as they would have, and the
			// receiver will ask again.
			e.log.Error("record a receiver's pause", "webhook", p.endpointID, "until", p.until, "err", err)
			continue
		}
		e.mu.Lock()
		// At least one, so that the pause's end unparks the endpoint and
		// ends its hold even if nothing was parked yet.
		q := e.endpointLocked(p.endpointID)
		q.parked = max(q.parked+n, 1)
		if p.until.After(q.heldUntil) {
			q.heldUntil = p.until
		}
		e.mu.Unlock()
		e.log.Info("the receiver paused its endpoint", "webhook", p.endpointID, "until", p.until, "parked", n)
	}
}

// disableGone disables j's endpoint, whose receiver answered a 410 Gone
// in attempt a, through upkeep.Disable as auto-disable does.
func (e *Engine) disableGone(ctx context.Context, j *job, a *domain.Attempt) {
	w, at := j.webhook, a.StartedAt.UTC()
	reason := fmt.Sprintf("The receiver answered 410 Gone at %s: it asked not to be sent more", at.Format(time.RFC3339))
	err := upkeep.Disable(ctx, e.db, upkeep.Disabling{
		TenantID: w.TenantID, WebhookID: w.ID, Name: w.Name, URL: w.URL, Reason: reason, At: at,
		Key:   "endpoint.disabled:" + w.ID + ":gone:" + j.delivery.ID,
		Extra: map[string]any{"deliveryId": j.delivery.ID, "statusCode": a.StatusCode},
	})
	if err != nil {
		e.log.Error("disable an endpoint whose receiver answered 410 Gone", "webhook", w.ID, "err", err)
		return
	}
	e.log.Warn("endpoint disabled", "webhook", w.ID, "tenant", w.TenantID, "reason", reason)
	e.Wake() // the endpoint.disabled event's deliveries
}
