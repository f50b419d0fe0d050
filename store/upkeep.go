package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"hooks/domain"
)

// FailingEndpoint is an enabled endpoint whose deliveries have all failed
// since its last success (and since it was last changed).
type FailingEndpoint struct {
	ID       string
	TenantID string
	Name     string
	URL      string
	// FirstFailure is the oldest of those failed deliveries; FailingSince
	// is when it was created.
	FirstFailure string
	FailingSince time.Time
	// Failed counts those failed deliveries, up to the maxFailed asked for.
	Failed int
}

// FailingEndpoints returns the enabled endpoints that have failed long or
// often enough to be disabled: every delivery since their last successful
// one failed, and the first of those was created at or before failingSince
// or there are at least maxFailed of them. A zero failingSince or a
// maxFailed of 0 turns that test off.
//
// A delivery counts once it has failed for good (exhausted its retries),
// and only if it was created after the endpoint was last changed, so
// re-enabling or fixing an endpoint restarts its count.
func (db *DB) FailingEndpoints(ctx context.Context, failingSince time.Time, maxFailed int) ([]FailingEndpoint, error) {
	if failingSince.IsZero() && maxFailed <= 0 {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, tenant_id, name, url, updated_at FROM endpoints WHERE enabled = 1`)
	if err != nil {
		return nil, wrapDBError(err, "list enabled webhooks")
	}
	type candidate struct {
		w     FailingEndpoint
		floor string
	}
	var candidates []candidate
	for rows.Next() {
		var c candidate
		var updatedAt int64
		if err := rows.Scan(&c.w.ID, &c.w.TenantID, &c.w.Name, &c.w.URL, &updatedAt); err != nil {
			rows.Close()
			return nil, wrapDBError(err, "scan webhook")
		}
		c.floor = domain.TimeBoundID(domain.PrefixDelivery, fromMS(updatedAt))
		candidates = append(candidates, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrapDBError(err, "list enabled webhooks")
	}

	// Counting stops at maxFailed (or 1 when only the age matters), so
	// each endpoint costs an index seek and a bounded range scan.
	limit := max(maxFailed, 1)
	var out []FailingEndpoint
	for _, c := range candidates {
		lastOK, err := db.lastSucceeded(ctx, c.w.ID)
		if err != nil {
			return nil, err
		}
		c.floor = max(c.floor, lastOK)
		var first sql.NullString
		err = db.read.QueryRowContext(ctx, failedRunSQL, c.w.ID, c.floor, limit).Scan(&first, &c.w.Failed)
		if err != nil {
			return nil, wrapDBError(err, "count failed deliveries")
		}
		if !first.Valid {
			continue
		}
		c.w.FirstFailure, c.w.FailingSince = first.String, domain.IDTime(first.String)
		tooOld := !failingSince.IsZero() && !c.w.FailingSince.After(failingSince)
		tooMany := maxFailed > 0 && c.w.Failed >= maxFailed
		if tooOld || tooMany {
			out = append(out, c.w)
		}
	}
	return out, nil
}

// The queries of FailingEndpoints: the endpoint's newest succeeded
// delivery created before a bound, and the first of its failed deliveries
// after a floor, counted up to a limit.
const (
	lastSucceededSQL       = `SELECT id FROM deliveries WHERE endpoint_id = ? AND status = 'succeeded' ORDER BY id DESC LIMIT 1`
	lastSucceededBeforeSQL = `SELECT id FROM deliveries WHERE endpoint_id = ? AND id < ? AND status = 'succeeded' ORDER BY id DESC LIMIT 1`
	failedRunSQL           = `SELECT MIN(id), COUNT(*) FROM (SELECT id FROM deliveries
		WHERE endpoint_id = ? AND status = 'failed' AND ` + unsettled + ` AND id > ? ORDER BY id LIMIT ?) AS failed`
)

// lastSucceeded returns the endpoint's newest succeeded delivery, or "".
//
// No index holds deliveries by status once they succeeded (migration
// 0022), so it reads deliveries_by_endpoint back from the newest, and
// the statistics tell it where to start: a delivery created after the
// last minute (past the minutes' 30 days, the last hour) in which an
// attempt of the endpoint succeeded can't have succeeded. So the scan
// passes over a few minutes of deliveries, never the whole run of failures
// of an endpoint that has been failing for days. A minute of slack covers
// the clocks of other instances. Only an endpoint with no success the
// statistics still know of is read back from its newest delivery.
func (db *DB) lastSucceeded(ctx context.Context, endpointID string) (string, error) {
	var end sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(
		(SELECT MAX(start) + 60000 FROM stats_minutes WHERE endpoint_id = ? AND succeeded > 0),
		(SELECT MAX(start) + 3600000 FROM stats_hours WHERE endpoint_id = ? AND succeeded > 0))`,
		endpointID, endpointID).Scan(&end)
	if err != nil {
		return "", wrapDBError(err, "read the endpoint's last success")
	}
	query, args := lastSucceededSQL, []any{endpointID}
	if end.Valid {
		query = lastSucceededBeforeSQL
		args = append(args, domain.TimeBoundID(domain.PrefixDelivery, fromMS(end.Int64).Add(time.Minute)))
	}
	var id string
	err = db.read.QueryRowContext(ctx, query, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, wrapDBError(err, "read the endpoint's last succeeded delivery")
}

// FailedDelivery is a delivery that ended failed, with what its last
// attempt was for (a scheduled retry, or a manual, recover or test send).
type FailedDelivery struct {
	domain.Delivery
	LastTrigger string
}

// FailedSince returns up to limit deliveries that ended failed after the
// cursor (their updated_at, then id), in that order. Upkeep walks it to
// announce exhausted deliveries; the cursor is the last row's UpdatedAt
// and ID.
func (db *DB) FailedSince(ctx context.Context, after time.Time, afterID string, limit int) ([]FailedDelivery, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+deliveryColumns+`,
		COALESCE((SELECT a.trigger FROM attempts a WHERE a.delivery_id = deliveries.id ORDER BY a.id DESC LIMIT 1), '')
		FROM deliveries WHERE status = 'failed' AND (updated_at, id) > (?, ?) ORDER BY updated_at, id LIMIT ?`,
		ms(after), afterID, limit)
	if err != nil {
		return nil, wrapDBError(err, "list failed deliveries")
	}
	defer rows.Close()
	var out []FailedDelivery
	for rows.Next() {
		var f FailedDelivery
		var next sql.NullInt64
		var createdAt, updatedAt int64
		if err := rows.Scan(&f.ID, &f.TenantID, &f.EventID, &f.EndpointID, &f.Topic, &f.SubTopic, &f.Status, &f.AttemptCount, &next,
			&f.NextTrigger, &f.LastStatusCode, &createdAt, &updatedAt, &f.LastTrigger); err != nil {
			return nil, wrapDBError(err, "scan failed delivery")
		}
		f.NextAttemptAt, f.CreatedAt, f.UpdatedAt = fromNullMS(next), fromMS(createdAt), fromMS(updatedAt)
		out = append(out, f)
	}
	return out, wrapDBError(rows.Err(), "list failed deliveries")
}

// PurgeEventsBefore deletes up to limit events created before cutoff, with
// their deliveries and attempts, in one short transaction, and returns how
// many events went. Events with a delivery still under way (pending,
// retrying or awaiting a callback) are kept until it ends. Callers purge
// in a loop, pausing between batches, so the writer is never held long.
func (db *DB) PurgeEventsBefore(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM events WHERE id IN (
		SELECT e.id FROM events e WHERE e.id < ? AND NOT EXISTS (
			SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'retrying', 'awaiting_callback'))
		ORDER BY e.id LIMIT ?)`, domain.TimeBoundID(domain.PrefixEvent, cutoff), limit)
	if err != nil {
		return 0, wrapDBError(err, "purge events")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DisableEndpointAnnounced disables an endpoint, recording why, and stores
// ev, the event that announces it, with its deliveries, in one
// transaction: no reader sees the event while the endpoint still reads
// enabled, and a failure stores neither, so whoever saw the cause sees it
// again and retries. An event whose idempotency key was used before is
// not stored again, but the endpoint is still disabled; created says
// whether ev was stored now.
func (db *DB) DisableEndpointAnnounced(ctx context.Context, tenantID, id, reason string, ev *domain.Event) (created bool, err error) {
	// The fan-out is ingest's (createEvents); like the ingester, hold the
	// handoff for the whole commit.
	db.handoffMu.Lock()
	defer db.handoffMu.Unlock()
	disable := func(tx *sql.Tx) error { return db.disableEndpoint(ctx, tx, tenantID, id, reason) }
	c, err := db.createEvents(ctx, []*domain.Event{ev}, disable)
	if err != nil {
		return false, err
	}
	return c[0], nil
}
