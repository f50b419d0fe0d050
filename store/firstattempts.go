package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"

	"hooks/domain"
)

// FirstAttempt is a delivery as a producer waiting for its event's outcome
// sees it (Prefer: wait): its status now and what its first attempt came
// to.
type FirstAttempt struct {
	DeliveryID string
	EventID    string
	EndpointID string
	Status     string // the delivery's status now
	// Attempt is the delivery's first attempt, nil before it is recorded.
	// Only StatusCode, Error and ResponseBody are read.
	Attempt *domain.Attempt
}

// FirstAttempts returns the deliveries of the tenant's events eventIDs,
// ordered by event and delivery id, each with its first attempt. It is
// one query however many events and deliveries there are: waiting
// producers on several instances poll it (service.AwaitFirstOutcomes).
func (db *DB) FirstAttempts(ctx context.Context, tenantID string, eventIDs []string) ([]FirstAttempt, error) {
	if len(eventIDs) == 0 {
		return nil, nil
	}
	rows, err := db.query(ctx, db.read, firstAttemptsSQL(db.sql.idList), jsonText(eventIDs), tenantID)
	if err != nil {
		return nil, wrapDBError(err, "read first attempts")
	}
	defer rows.Close()
	var out []FirstAttempt
	for rows.Next() {
		var f FirstAttempt
		var attemptID, attemptError sql.NullString
		var statusCode sql.NullInt64
		var body []byte
		if err := rows.Scan(&f.DeliveryID, &f.EventID, &f.EndpointID, &f.Status, &attemptID, &statusCode, &attemptError, &body); err != nil {
			return nil, wrapDBError(err, "scan first attempt")
		}
		if attemptID.Valid {
			f.Attempt = &domain.Attempt{ID: attemptID.String, DeliveryID: f.DeliveryID, StatusCode: int(statusCode.Int64),
				Error: attemptError.String, ResponseBody: body}
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapDBError(err, "read first attempts")
	}
	// Sorted here rather than by the query, which would sort in a
	// temporary b-tree.
	slices.SortFunc(out, func(a, b FirstAttempt) int {
		return cmp.Or(strings.Compare(a.EventID, b.EventID), strings.Compare(a.DeliveryID, b.DeliveryID))
	})
	return out, nil
}

// firstAttemptsSQL is FirstAttempts' query with idList for the event ids.
// Events are looked up by id and their deliveries by event (CROSS JOIN
// fixes that order on SQLite, which otherwise may read every delivery of
// the tenant); the first attempt has the smallest id (a ULID) of its
// delivery's, one step into attempts_by_delivery.
func firstAttemptsSQL(idList string) string {
	return `SELECT d.id, d.event_id, d.endpoint_id, d.status, a.id, a.status_code, a.error, a.response_body
		FROM events e CROSS JOIN deliveries d
		LEFT JOIN attempts a ON a.id = (SELECT f.id FROM attempts f WHERE f.delivery_id = d.id ORDER BY f.id LIMIT 1)
		WHERE e.id IN (` + idList + `) AND e.tenant_id = ? AND d.event_id = e.id`
}
