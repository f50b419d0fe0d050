package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"hooks/domain"
)

// AuditRecord is one entry of the audit log: who did what to which
// object, when and from where.
type AuditRecord struct {
	ID         string // aud_…, a ULID made at At
	At         time.Time
	TenantID   string // the tenant the actor worked in
	ActorID    string // usr_…, key_… or prt_…
	ActorKind  string // user, api_key or portal
	Action     string // e.g. webhook.updated
	ObjectType string // e.g. webhook
	ObjectID   string
	ClientAddr string
	Detail     string // what changed, in words or field names; never a secret

	// ActorName is the user's e-mail or the API key's name when they still
	// exist (read, not stored).
	ActorName string
}

// AuditFilter selects records for AuditRecords. Empty fields don't filter.
type AuditFilter struct {
	TenantID string // "" = every tenant
	ActorID  string
	ObjectID string
	Action   string
	From, To time.Time // From inclusive, To exclusive
	Cursor   string    // the last id of the previous page
	Limit    int
}

// InsertAuditRecord stores r, giving it an id made at r.At.
func (db *DB) InsertAuditRecord(ctx context.Context, r *AuditRecord) error {
	r.ID = domain.NewIDAt(domain.PrefixAudit, r.At)
	_, err := db.write.ExecContext(ctx, `INSERT INTO audit_log (id, at, tenant_id, actor_id, actor_kind, action,
		object_type, object_id, client_addr, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, ms(r.At), r.TenantID, r.ActorID, r.ActorKind, r.Action, r.ObjectType, r.ObjectID, r.ClientAddr, r.Detail)
	return wrapDBError(err, "store audit record")
}

// conditions returns the WHERE conditions and their arguments for f's
// filters (not its cursor), shared by the page and the newer-page queries.
func (f AuditFilter) conditions() (where []string, args []any) {
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.TenantID != "" {
		add("a.tenant_id = ?", f.TenantID)
	}
	if f.ActorID != "" {
		add("a.actor_id = ?", f.ActorID)
	}
	if f.ObjectID != "" {
		add("a.object_id = ?", f.ObjectID)
	}
	if f.Action != "" {
		add("a.action = ?", f.Action)
	}
	if !f.From.IsZero() {
		add("a.id >= ?", domain.TimeBoundID(domain.PrefixAudit, f.From))
	}
	if !f.To.IsZero() {
		add("a.id < ?", domain.TimeBoundID(domain.PrefixAudit, f.To))
	}
	return where, args
}

func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(where, " AND ")
}

// AuditRecords returns a page of audit records, newest first, and the next
// page's cursor (keyset on the id, as Deliveries).
func (db *DB) AuditRecords(ctx context.Context, f AuditFilter) ([]AuditRecord, string, error) {
	where, args := f.conditions()
	if f.Cursor != "" {
		where, args = append(where, "a.id < ?"), append(args, f.Cursor)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	args = append(args, f.Limit+1)
	q := `SELECT a.id, a.at, a.tenant_id, a.actor_id, a.actor_kind, a.action,
		a.object_type, a.object_id, a.client_addr, a.detail, COALESCE(u.email, k.name, '')
		FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id LEFT JOIN api_keys k ON k.id = a.actor_id`
	rows, err := db.read.QueryContext(ctx, q+whereClause(where)+` ORDER BY a.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, "", wrapDBError(err, "list audit records")
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		var r AuditRecord
		var at int64
		if err := rows.Scan(&r.ID, &at, &r.TenantID, &r.ActorID, &r.ActorKind, &r.Action, &r.ObjectType, &r.ObjectID,
			&r.ClientAddr, &r.Detail, &r.ActorName); err != nil {
			return nil, "", wrapDBError(err, "scan audit record")
		}
		r.At = fromMS(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", wrapDBError(err, "list audit records")
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[f.Limit-1].ID
	}
	return out, next, nil
}

// AuditNewerCursor returns the cursor of the page of records before the
// one f.Cursor starts (NewestPage when that is the first page), as
// DeliveriesNewerCursor does for deliveries.
func (db *DB) AuditNewerCursor(ctx context.Context, f AuditFilter) (string, error) {
	if f.Cursor == "" || f.Cursor == NewestPage {
		return "", nil
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	where, args := f.conditions()
	where, args = append(where, "a.id >= ?"), append(args, f.Cursor, f.Limit)
	var id string
	err := db.read.QueryRowContext(ctx, `SELECT a.id FROM audit_log a`+whereClause(where)+
		` ORDER BY a.id LIMIT 1 OFFSET ?`, args...).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return NewestPage, nil
	case err != nil:
		return "", wrapDBError(err, "read newer audit page")
	}
	return id, nil
}

// PurgeAuditBefore deletes up to limit audit records made before cutoff,
// oldest first, and returns how many went. Callers purge in a loop, as
// for events.
func (db *DB) PurgeAuditBefore(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM audit_log WHERE id IN (
		SELECT id FROM audit_log WHERE id < ? ORDER BY id LIMIT ?)`, domain.TimeBoundID(domain.PrefixAudit, cutoff), limit)
	if err != nil {
		return 0, wrapDBError(err, "purge audit records")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
