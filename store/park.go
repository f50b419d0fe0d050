package store

import (
	"context"
	"time"
)

// ParkDeliveries hands claimed deliveries back without an attempt, held by
// owner until until: they keep their status and attempt count but are not
// due, so claims pass over them. The engine parks the deliveries of an
// endpoint that can't keep up (it hangs, say), so that they wait on disk
// rather than in memory and don't hold up other endpoints' deliveries;
// UnparkDeliveries brings them back, oldest first, when the endpoint
// drains. until is a safety net: a parked delivery that nobody unparks
// falls due again then.
func (db *DB) ParkDeliveries(ctx context.Context, owner string, ids []string, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := db.exec(ctx, `UPDATE deliveries SET lease_owner = ?, next_attempt_at = ?
		WHERE id IN (SELECT value FROM json_each(?)) AND status IN ('pending', 'retrying')`, owner, ms(until), jsonText(ids))
	return wrapDBError(err, "park deliveries")
}

// UnparkDeliveries makes up to limit deliveries parked by owner due at
// once, the oldest first, and returns their ids. An unparked delivery is
// due from when it was created, so it goes ahead of deliveries created
// since: a backlog drains in order.
func (db *DB) UnparkDeliveries(ctx context.Context, owner string, limit int) ([]string, error) {
	// deliveries_leased holds (lease_owner, rowid), and rowids grow with
	// each insert: this reads the owner's oldest rows straight off the index.
	rows, err := db.query(ctx, db.write, `UPDATE deliveries SET lease_owner = NULL, next_attempt_at = created_at
		WHERE rowid IN (SELECT rowid FROM deliveries WHERE lease_owner = ? ORDER BY rowid LIMIT ?) RETURNING id`, owner, limit)
	if err != nil {
		return nil, wrapDBError(err, "unpark deliveries")
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrapDBError(err, "unpark deliveries")
		}
		ids = append(ids, id)
	}
	return ids, wrapDBError(rows.Err(), "unpark deliveries")
}
