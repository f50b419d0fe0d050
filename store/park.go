package store

import (
	"context"
	"database/sql"
	"time"
)

// Parking. The engine parks the deliveries of an endpoint that can't keep
// up (it hangs, say): they keep their status and attempt count but are not
// due, held under a lease owner of their own, so they wait on disk rather
// than in memory and claims pass over them. UnparkDeliveries brings them
// back, oldest first, as the endpoint drains.
//
// While an endpoint has parked deliveries, CreateEvents stores its new
// deliveries parked too (a hold, a row of endpoint_holds): claiming each
// only to park it again would cost two writes per delivery of an endpoint
// that is down. The hold ends in the transaction that unparks the
// endpoint's last parked deliveries. No delivery may be parked after that:
// on SQLite the one writer runs the two transactions one after the other;
// on PostgreSQL the unpark locks the hold's row first (FOR UPDATE) and
// ingest reads a hold it is about to use under FOR SHARE, so one of them
// waits for the other and sees what it did. Being rows, holds are shared
// by every instance on one database.

// ParkDeliveries hands claimed deliveries of endpointID back without an
// attempt, held by owner until until, and holds the endpoint's new
// deliveries the same way until UnparkDeliveries finds none left. until is
// a safety net: a parked delivery that nobody unparks falls due again then
// (and start-up releases every lease on SQLite; on PostgreSQL the leader
// releases the parks of a process that is gone, ReleaseOrphanedParks).
func (db *DB) ParkDeliveries(ctx context.Context, endpointID, owner string, ids []string, until time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if len(ids) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_owner = ?, next_attempt_at = ?
				WHERE id IN (`+db.sql.idList+`) AND status IN ('pending', 'retrying')`, owner, ms(until), jsonText(ids)); err != nil {
				return wrapDBError(err, "park deliveries")
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO endpoint_holds (endpoint_id, lease_owner, held_until) VALUES (?, ?, ?)
			ON CONFLICT (endpoint_id) DO UPDATE SET lease_owner = excluded.lease_owner, held_until = excluded.held_until`,
			endpointID, owner, ms(until))
		return wrapDBError(err, "hold endpoint")
	})
}

// PauseEndpoint records that endpointID's receiver asked for a pause until
// until (429 or 503 with Retry-After) and parks, under owner and until
// parkUntil, every delivery of it that would fall due before the pause
// ends and that no process is about to send: those not claimed, and those
// owner has parked already (their lease is extended). Deliveries that a
// process has claimed are its engine's to park. New deliveries are held
// the same way, as for parking, and UnparkDeliveries brings them all
// back, oldest first, when the engine sees the pause end. It returns how
// many deliveries it parked.
func (db *DB) PauseEndpoint(ctx context.Context, endpointID, owner string, until, parkUntil time.Time) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE endpoints SET paused_until = ? WHERE id = ?`, ms(until), endpointID); err != nil {
			return wrapDBError(err, "pause endpoint")
		}
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_owner = ?, next_attempt_at = ?
			WHERE endpoint_id = ? AND status IN ('pending', 'retrying') AND `+unsettled+` AND next_attempt_at <= ?
				AND (lease_owner IS NULL OR lease_owner = ?)`,
			owner, ms(parkUntil), endpointID, ms(until), owner)
		if err != nil {
			return wrapDBError(err, "park the deliveries of a paused endpoint")
		}
		m, _ := res.RowsAffected()
		n = int(m)
		_, err = tx.ExecContext(ctx, `INSERT INTO endpoint_holds (endpoint_id, lease_owner, held_until) VALUES (?, ?, ?)
			ON CONFLICT (endpoint_id) DO UPDATE SET lease_owner = excluded.lease_owner, held_until = excluded.held_until`,
			endpointID, owner, ms(parkUntil))
		return wrapDBError(err, "hold endpoint")
	})
	return n, err
}

// UnparkDeliveries makes up to limit deliveries of endpointID parked by
// owner due at once, the oldest first, and returns their ids. An unparked
// delivery is due from when it was created, so it goes ahead of deliveries
// created since: a backlog drains in order. When fewer than limit are left,
// the endpoint's hold ends (in the same transaction) and last is true: no
// delivery of it is parked any more.
func (db *DB) UnparkDeliveries(ctx context.Context, endpointID, owner string, limit int) (ids []string, last bool, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		ids, last = nil, false
		if db.sql.postgres {
			// Ingest waits here from now on, and this waits for an ingest
			// that is using the hold (see the comment at the top).
			if _, err := tx.ExecContext(ctx, `SELECT endpoint_id FROM endpoint_holds WHERE endpoint_id = ? FOR UPDATE`, endpointID); err != nil {
				return wrapDBError(err, "lock hold")
			}
		}
		// deliveries_leased holds (lease_owner, rowid), and rowids grow with
		// each insert: this reads the owner's oldest rows off the index.
		// (PostgreSQL's index holds the id, a ULID, which grows too.)
		key := db.sql.insertOrder
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET lease_owner = NULL, next_attempt_at = created_at
			WHERE `+key+` IN (SELECT `+key+` FROM deliveries WHERE lease_owner = ? ORDER BY `+key+` LIMIT ?) RETURNING id`, owner, limit)
		if err != nil {
			return wrapDBError(err, "unpark deliveries")
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return wrapDBError(err, "unpark deliveries")
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return wrapDBError(err, "unpark deliveries")
		}
		if len(ids) < limit {
			if _, err := tx.ExecContext(ctx, `DELETE FROM endpoint_holds WHERE endpoint_id = ?`, endpointID); err != nil {
				return wrapDBError(err, "end hold")
			}
			last = true
		}
		return nil
	})
	return ids, last, err
}
