package store

import (
	"context"
	"database/sql"
	"errors"
	"hooks/domain"
	"time"
)

// Callback is the state of a delivery whose receiver accepted it and will
// give its final answer later, at URI (an AsyncCallback answer). While the
// delivery is awaiting_callback, its NextAttemptAt is NextPollAt.
type Callback struct {
	DeliveryID string
	URI        string
	Interval   time.Duration // between polls
	Deadline   time.Time     // the last poll; a pending answer then fails the delivery
	NextPollAt time.Time
	Polls      int // polls made so far
	CreatedAt  time.Time
}

// DueCallback is a delivery whose next callback poll is due, with its
// callback state.
type DueCallback struct {
	Delivery *domain.Delivery
	Callback *Callback
}

// saveCallback stores o's callback state in tx, replacing the delivery's
// previous one: each poll updates it, and a redelivered delivery may be
// answered with a new AsyncCallback. RecordOutcomes calls it for every
// outcome that carries one: the start of a wait and every poll, final or not.
func saveCallback(ctx context.Context, tx *sql.Tx, o *Outcome) error {
	cb := o.Callback
	created := cb.CreatedAt
	if created.IsZero() {
		created = cb.NextPollAt
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO callbacks (delivery_id, uri, interval_ms, deadline, next_poll_at, polls, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO UPDATE SET uri = excluded.uri, interval_ms = excluded.interval_ms,
		deadline = excluded.deadline, next_poll_at = excluded.next_poll_at, polls = excluded.polls, created_at = excluded.created_at`, o.DeliveryID, cb.URI, cb.Interval.Milliseconds(), ms(cb.Deadline), ms(cb.NextPollAt), cb.Polls, ms(created))
	return wrapDBError(err, "save callback")
}

// ClaimDueCallbacks leases up to limit deliveries awaiting a callback whose
// next poll is due at now to owner until now+lease, earliest first, and
// returns them with their callback state. A poller that dies leaves the
// lease to expire, and the poll falls due again.
func (db *DB) ClaimDueCallbacks(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]DueCallback, error) {
	var out []DueCallback
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET next_attempt_at = ?, lease_owner = ?
			WHERE id IN (SELECT id FROM deliveries WHERE status = 'awaiting_callback' AND next_attempt_at <= ?
				ORDER BY next_attempt_at LIMIT ?`+db.sql.skipLocked+`)
			RETURNING `+deliveryColumns, ms(now.Add(lease)), owner, ms(now), limit)
		if err != nil {
			return wrapDBError(err, "claim callbacks")
		}
		deliveries, err := scanDeliveries(rows)
		if err != nil {
			return err
		}
		for _, d := range deliveries {
			cb, err := scanCallback(tx.QueryRowContext(ctx, `SELECT `+callbackColumns+` FROM callbacks WHERE delivery_id = ?`, d.ID))
			if errors.Is(err, sql.ErrNoRows) {
				// Awaiting without a state can't be polled: give up on it
				// visibly rather than leave it waiting for ever.
				if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, lease_owner = NULL,
					updated_at = ? WHERE id = ?`, ms(now), d.ID); err != nil {
					return wrapDBError(err, "fail callback without state")
				}
				continue
			}
			if err != nil {
				return wrapDBError(err, "read callback")
			}
			out = append(out, DueCallback{Delivery: d, Callback: cb})
		}
		return nil
	})
	return out, err
}

// CallbackByDelivery returns the callback state of a delivery that was
// answered with an AsyncCallback, or ENOTFOUND.
func (db *DB) CallbackByDelivery(ctx context.Context, deliveryID string) (*Callback, error) {
	cb, err := scanCallback(db.read.QueryRowContext(ctx, `SELECT `+callbackColumns+` FROM callbacks WHERE delivery_id = ?`, deliveryID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "delivery %s has no callback", deliveryID)
	}
	return cb, wrapDBError(err, "read callback")
}

const callbackColumns = `delivery_id, uri, interval_ms, deadline, next_poll_at, polls, created_at`

func scanCallback(row rowScanner) (*Callback, error) {
	cb := &Callback{}
	var interval, deadline, next, created int64
	if err := row.Scan(&cb.DeliveryID, &cb.URI, &interval, &deadline, &next, &cb.Polls, &created); err != nil {
		return nil, err
	}
	cb.Interval = time.Duration(interval) * time.Millisecond
	cb.Deadline, cb.NextPollAt, cb.CreatedAt = fromMS(deadline), fromMS(next), fromMS(created)
	return cb, nil
}
