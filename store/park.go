package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// Parking. The engine parks the deliveries of an endpoint that can't keep
// up (it hangs, say): they keep their status and attempt count but are not
// due, held under a lease owner of their own, so they wait on disk rather
// than in memory and claims pass over them. UnparkDeliveries brings them
// back, oldest first, as the endpoint drains.
//
// While an endpoint has parked deliveries, CreateEvents stores its new
// deliveries parked too (a hold): claiming each only to park it again would
// cost two writes per delivery of an endpoint that is down. The hold ends
// in the transaction that unparks the endpoint's last parked deliveries,
// and ingest reads it in its own transaction; both hold db.parking (on
// SQLite they would run one at a time on the one writer connection anyway,
// but PostgreSQL has several), so no delivery can be parked after its
// endpoint's last unpark.

// hold is how CreateEvents parks an endpoint's new deliveries.
type hold struct {
	owner string
	until time.Time
}

// holds are the endpoints whose new deliveries are stored parked.
type holds struct {
	mu sync.Mutex
	m  map[string]hold // by endpoint id
}

func (h *holds) get(endpointID string) (hold, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.m[endpointID]
	return v, ok
}

func (h *holds) set(endpointID string, v hold) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]hold{}
	}
	h.m[endpointID] = v
}

func (h *holds) clear(endpointID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, endpointID)
}

// ParkDeliveries hands claimed deliveries of endpointID back without an
// attempt, held by owner until until, and holds the endpoint's new
// deliveries the same way until UnparkDeliveries finds none left. until is
// a safety net: a parked delivery that nobody unparks falls due again then
// (and start-up releases every lease on SQLite; on PostgreSQL the leader
// releases the parks of a process that is gone, ReleaseOrphanedParks).
func (db *DB) ParkDeliveries(ctx context.Context, endpointID, owner string, ids []string, until time.Time) error {
	db.parking.Lock()
	defer db.parking.Unlock()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if len(ids) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_owner = ?, next_attempt_at = ?
				WHERE id IN (`+db.sql.idList+`) AND status IN ('pending', 'retrying')`, owner, ms(until), jsonText(ids)); err != nil {
				return wrapDBError(err, "park deliveries")
			}
		}
		db.holds.set(endpointID, hold{owner: owner, until: until})
		return nil
	})
}

// UnparkDeliveries makes up to limit deliveries of endpointID parked by
// owner due at once, the oldest first, and returns their ids. An unparked
// delivery is due from when it was created, so it goes ahead of deliveries
// created since: a backlog drains in order. When fewer than limit are left,
// the endpoint's hold ends (in the same transaction) and last is true: no
// delivery of it is parked any more.
func (db *DB) UnparkDeliveries(ctx context.Context, endpointID, owner string, limit int) (ids []string, last bool, err error) {
	db.parking.Lock()
	defer db.parking.Unlock()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		ids, last = nil, false
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
			db.holds.clear(endpointID)
			last = true
		}
		return nil
	})
	return ids, last, err
}
