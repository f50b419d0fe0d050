package store

import (
	"context"
	"database/sql"
	"errors"
	"hooks/domain"
)

const eventColumns = `id, tenant_id, topic, sub_topic, payload, COALESCE(idempotency_key, ''), delivery_count, triggered_at,
	COALESCE(trace_parent, ''), COALESCE(trace_state, '')`

// eventColumnsNoPayload is eventColumns with a NULL payload, for lists.
const eventColumnsNoPayload = `id, tenant_id, topic, sub_topic, NULL, COALESCE(idempotency_key, ''), delivery_count, triggered_at,
	COALESCE(trace_parent, ''), COALESCE(trace_state, '')`

func scanEvent(row rowScanner) (*domain.Event, error) {
	e := &domain.Event{}
	var triggeredAt int64
	if err := row.Scan(&e.ID, &e.TenantID, &e.Topic, &e.SubTopic, &e.Payload, &e.IdempotencyKey, &e.DeliveryCount, &triggeredAt,
		&e.TraceParent, &e.TraceState); err != nil {
		return nil, err
	}
	e.TriggeredAt = fromMS(triggeredAt)
	return e, nil
}

func eventByIdempotencyKey(ctx context.Context, tx *sql.Tx, tenantID, key string) (*domain.Event, error) {
	e, err := scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE tenant_id = ? AND idempotency_key = ?`, tenantID, key))
	return e, wrapDBError(err, "read event by idempotency key")
}

// EventByID returns the tenant's event id, or ENOTFOUND.
func (db *DB) EventByID(ctx context.Context, tenantID, id string) (*domain.Event, error) {
	e, err := scanEvent(db.read.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "event %s not found", id)
	}
	return e, wrapDBError(err, "read event")
}

// EventsByIDs returns the events with the given ids, keyed by id.
func (db *DB) EventsByIDs(ctx context.Context, ids []string) (map[string]*domain.Event, error) {
	out := make(map[string]*domain.Event, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.query(ctx, db.read, `SELECT `+eventColumns+` FROM events WHERE id IN (`+db.sql.idList+`)`, jsonText(ids))
	if err != nil {
		return nil, wrapDBError(err, "read events")
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, wrapDBError(err, "scan event")
		}
		out[e.ID] = e
	}
	return out, wrapDBError(rows.Err(), "read events")
}

// EventFilter selects events for Events.
type EventFilter struct {
	TenantID string
	Topic    string
	Cursor   string // the last id of the previous page
	Limit    int
	// NoPayload leaves Payload nil: a list that shows no data need not
	// read up to 1 MiB per row (50 rows of the UI's list would be 50 MB).
	NoPayload bool
}

// list is the keyset list of the events f selects.
func (f EventFilter) list() keyset {
	k := keyset{from: "events", id: "id"}
	k.filter(true, "tenant_id = ?", f.TenantID)
	k.filter(f.Topic != "", "topic = ?", f.Topic)
	return k
}

// Events returns a page of the tenant's events, newest first, and the next
// page's cursor ("" on the last page).
func (db *DB) Events(ctx context.Context, f EventFilter) ([]*domain.Event, string, error) {
	columns := eventColumns
	if f.NoPayload {
		columns = eventColumnsNoPayload
	}
	if f.Limit <= 0 {
		f.Limit = defaultPageSize
	}
	k := f.list()
	query, args := k.page(columns, f.Cursor, f.Limit)
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", wrapDBError(err, "list events")
	}
	defer rows.Close()
	var out []*domain.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, "", wrapDBError(err, "scan event")
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", wrapDBError(err, "list events")
	}
	out, next := cutPage(out, f.Limit, func(e *domain.Event) string { return e.ID })
	return out, next, nil
}
