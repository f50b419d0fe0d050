package store

import (
	"context"
	"time"

	"hooks/domain"
)

// AttemptSample is one attempt as the dashboard and the health columns see it.
type AttemptSample struct {
	EndpointID string
	StartedAt  time.Time
	StatusCode int // 0 = no response (network error or timeout)
	Duration   time.Duration
}

// OK reports whether the attempt got a 2xx answer.
func (a AttemptSample) OK() bool { return a.StatusCode >= 200 && a.StatusCode < 300 }

// RecentAttempts returns the tenant's attempts started in [from, to), the
// last recorded first, at most limit of them. It reads the range of the
// attempts' primary key that the window can hold (an attempt's id is made
// when it is recorded, after it started, and ids sort by that time) and
// joins each row to its delivery for the tenant, so its cost follows the
// window's traffic, never the table's size; limit bounds it on a very busy
// server.
func (db *DB) RecentAttempts(ctx context.Context, tenantID string, from, to time.Time, limit int) ([]AttemptSample, error) {
	rows, err := db.read.QueryContext(ctx, recentAttemptsSQL, domain.TimeBoundID(domain.PrefixAttempt, from), ms(from), ms(to), tenantID, limit)
	if err != nil {
		return nil, wrapDBError(err, "read recent attempts")
	}
	defer rows.Close()
	var out []AttemptSample
	for rows.Next() {
		var s AttemptSample
		var started, durationMS int64
		if err := rows.Scan(&s.EndpointID, &started, &s.StatusCode, &durationMS); err != nil {
			return nil, wrapDBError(err, "scan attempt")
		}
		s.StartedAt, s.Duration = fromMS(started), time.Duration(durationMS)*time.Millisecond
		out = append(out, s)
	}
	return out, wrapDBError(rows.Err(), "read recent attempts")
}

// recentAttemptsSQL is RecentAttempts' query. CROSS JOIN keeps SQLite on
// the attempts first; left to itself it would read every delivery of the
// tenant and sort.
const recentAttemptsSQL = `SELECT d.endpoint_id, a.started_at, a.status_code, a.duration_ms
	FROM attempts a CROSS JOIN deliveries d
	WHERE d.id = a.delivery_id AND a.id >= ? AND a.started_at >= ? AND a.started_at < ? AND d.tenant_id = ?
	ORDER BY a.id DESC LIMIT ?`

// The counts of CountUnfinished.
const (
	countUnfinishedSQL         = `SELECT COUNT(*) FROM deliveries WHERE tenant_id = ? AND status IN ('pending', 'retrying') AND ` + unsettled
	countEndpointUnfinishedSQL = `SELECT COUNT(*) FROM deliveries WHERE endpoint_id = ? AND tenant_id = ? AND status IN ('pending', 'retrying') AND ` + unsettled
)

// CountUnfinished counts the tenant's deliveries waiting for an attempt
// (pending or retrying), of one endpoint when webhookID is not "". Both
// forms are index range counts.
func (db *DB) CountUnfinished(ctx context.Context, tenantID, webhookID string) (int, error) {
	var n int
	var err error
	if webhookID == "" {
		err = db.read.QueryRowContext(ctx, countUnfinishedSQL, tenantID).Scan(&n)
	} else {
		err = db.read.QueryRowContext(ctx, countEndpointUnfinishedSQL, webhookID, tenantID).Scan(&n)
	}
	return n, wrapDBError(err, "count unfinished deliveries")
}

// RecentTopics returns the distinct topics among the tenant's last 1,000
// events, for suggesting topics in forms; the scan is bounded whatever the
// table's size.
func (db *DB) RecentTopics(ctx context.Context, tenantID string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT topic FROM (SELECT topic FROM events WHERE tenant_id = ? AND topic != 'ping'
		ORDER BY id DESC LIMIT 1000) AS recent ORDER BY topic LIMIT 200`, tenantID)
	if err != nil {
		return nil, wrapDBError(err, "read recent topics")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, wrapDBError(err, "scan topic")
		}
		out = append(out, t)
	}
	return out, wrapDBError(rows.Err(), "read recent topics")
}

// DeliveryStatusCounts returns, for each event id given, how many of its
// deliveries are in each status.
func (db *DB) DeliveryStatusCounts(ctx context.Context, eventIDs []string) (map[string]map[string]int, error) {
	out := make(map[string]map[string]int, len(eventIDs))
	if len(eventIDs) == 0 {
		return out, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT event_id, status, COUNT(*) FROM deliveries
		WHERE event_id IN (`+db.sql.idList+`) GROUP BY event_id, status`, jsonText(eventIDs))
	if err != nil {
		return nil, wrapDBError(err, "count deliveries by event")
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var n int
		if err := rows.Scan(&id, &status, &n); err != nil {
			return nil, wrapDBError(err, "scan delivery count")
		}
		if out[id] == nil {
			out[id] = map[string]int{}
		}
		out[id][status] = n
	}
	return out, wrapDBError(rows.Err(), "count deliveries by event")
}

// DeliveriesNewerCursor returns the cursor of the page before the one that
// f.Cursor starts (NewestPage when that is the first page): see newerCursor.
func (db *DB) DeliveriesNewerCursor(ctx context.Context, f DeliveryFilter) (string, error) {
	if f.Limit <= 0 {
		f.Limit = defaultPageSize
	}
	return db.newerCursor(ctx, f.list(), f.Cursor, f.Limit)
}

// EventsNewerCursor returns the cursor of the page of the tenant's events
// before the one that cursor starts (NewestPage when that is the first
// page): see newerCursor.
func (db *DB) EventsNewerCursor(ctx context.Context, tenantID, cursor string, limit int) (string, error) {
	return db.newerCursor(ctx, EventFilter{TenantID: tenantID}.list(), cursor, limit)
}
