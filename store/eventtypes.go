package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"hooks/domain"
)

// eventTypeColumns are the columns scanEventType reads, in its order.
const eventTypeColumns = `tenant_id, name, description, schema, examples, created_at, updated_at`

// PutEventType stores t as its tenant's type t.Name, replacing the type of
// that name if there is one; created reports which. t's times are set.
// The caller checks the type (service.PutEventType).
func (db *DB) PutEventType(ctx context.Context, t *domain.EventType) (created bool, err error) {
	examples, err := json.Marshal(nonNil(t.Examples))
	if err != nil {
		return false, domain.FieldErrorf("examples", "examples are not valid JSON")
	}
	now := db.clock()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var createdAt int64
		err := tx.QueryRowContext(ctx, `SELECT created_at FROM event_types WHERE tenant_id = ? AND name = ?`, t.TenantID, t.Name).Scan(&createdAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			t.CreatedAt, t.UpdatedAt = now, now
			_, err = tx.ExecContext(ctx, `INSERT INTO event_types (`+eventTypeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				t.TenantID, t.Name, t.Description, string(t.Schema), string(examples), ms(now), ms(now))
			return wrapDBError(err, "insert event type")
		case err != nil:
			return wrapDBError(err, "read event type")
		}
		t.CreatedAt, t.UpdatedAt = fromMS(createdAt), now
		_, err = tx.ExecContext(ctx, `UPDATE event_types SET description = ?, schema = ?, examples = ?, updated_at = ?
			WHERE tenant_id = ? AND name = ?`, t.Description, string(t.Schema), string(examples), ms(now), t.TenantID, t.Name)
		return wrapDBError(err, "update event type")
	})
	return created, err
}

func nonNil(v []json.RawMessage) []json.RawMessage {
	if v == nil {
		return []json.RawMessage{}
	}
	return v
}

// scanEventType reads one row of eventTypeColumns.
func scanEventType(row interface{ Scan(...any) error }) (*domain.EventType, error) {
	t := &domain.EventType{}
	var schema, examples string
	var createdAt, updatedAt int64
	if err := row.Scan(&t.TenantID, &t.Name, &t.Description, &schema, &examples, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	if schema != "" {
		t.Schema = json.RawMessage(schema)
	}
	_ = json.Unmarshal([]byte(examples), &t.Examples) // written by PutEventType; a bad row shows no examples
	t.CreatedAt, t.UpdatedAt = fromMS(createdAt), fromMS(updatedAt)
	return t, nil
}

// EventType returns tenant's type name, or ENOTFOUND.
func (db *DB) EventType(ctx context.Context, tenant, name string) (*domain.EventType, error) {
	t, err := scanEventType(db.read.QueryRowContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types
		WHERE tenant_id = ? AND name = ?`, tenant, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "event type %q not found", name)
	}
	return t, wrapDBError(err, "read event type")
}

// EventTypes returns every type of tenant, by name. A tenant has at most
// domain.MaxEventTypesPerTenant.
func (db *DB) EventTypes(ctx context.Context, tenant string) ([]*domain.EventType, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE tenant_id = ? ORDER BY name`, tenant)
	if err != nil {
		return nil, wrapDBError(err, "list event types")
	}
	defer rows.Close()
	var out []*domain.EventType
	for rows.Next() {
		t, err := scanEventType(rows)
		if err != nil {
			return nil, wrapDBError(err, "scan event type")
		}
		out = append(out, t)
	}
	return out, wrapDBError(rows.Err(), "list event types")
}

// CountEventTypes returns how many types tenant has.
func (db *DB) CountEventTypes(ctx context.Context, tenant string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM event_types WHERE tenant_id = ?`, tenant).Scan(&n)
	return n, wrapDBError(err, "count event types")
}

// DeleteEventType removes tenant's type name, or answers ENOTFOUND.
// Events of the topic stay; new ones are no longer checked.
func (db *DB) DeleteEventType(ctx context.Context, tenant, name string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM event_types WHERE tenant_id = ? AND name = ?`, tenant, name)
	if err != nil {
		return wrapDBError(err, "delete event type")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.ENOTFOUND, "event type %q not found", name)
	}
	return nil
}

// EventTypeSchema is the schema of one type, as ingest needs it.
type EventTypeSchema struct {
	Name   string // the topic
	Schema string // JSON, never ""
}

// EventTypeSchemas returns the schemas of tenant's types that have one:
// what ingest checks events against.
func (db *DB) EventTypeSchemas(ctx context.Context, tenant string) ([]EventTypeSchema, error) {
	rows, err := db.query(ctx, db.read, `SELECT name, schema FROM event_types WHERE tenant_id = ? AND schema <> ''`, tenant)
	if err != nil {
		return nil, wrapDBError(err, "list event type schemas")
	}
	defer rows.Close()
	var out []EventTypeSchema
	for rows.Next() {
		var s EventTypeSchema
		if err := rows.Scan(&s.Name, &s.Schema); err != nil {
			return nil, wrapDBError(err, "scan event type schema")
		}
		out = append(out, s)
	}
	return out, wrapDBError(rows.Err(), "list event type schemas")
}
