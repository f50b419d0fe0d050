package store

import (
	"context"
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

// list is the keyset list of the records f selects, with the name of
// each actor that still exists.
func (f AuditFilter) list() keyset {
	k := keyset{from: "audit_log a LEFT JOIN users u ON u.id = a.actor_id LEFT JOIN api_keys k ON k.id = a.actor_id", id: "a.id"}
	k.filter(f.TenantID != "", "a.tenant_id = ?", f.TenantID)
	k.filter(f.ActorID != "", "a.actor_id = ?", f.ActorID)
	k.filter(f.ObjectID != "", "a.object_id = ?", f.ObjectID)
	k.filter(f.Action != "", "a.action = ?", f.Action)
	k.filter(!f.From.IsZero(), "a.id >= ?", domain.TimeBoundID(domain.PrefixAudit, f.From))
	k.filter(!f.To.IsZero(), "a.id < ?", domain.TimeBoundID(domain.PrefixAudit, f.To))
	return k
}

// AuditRecords returns a page of audit records, newest first, and the next
// page's cursor (keyset on the id, as Deliveries).
func (db *DB) AuditRecords(ctx context.Context, f AuditFilter) ([]AuditRecord, string, error) {
	if f.Limit <= 0 {
		f.Limit = defaultPageSize
	}
	k := f.list()
	query, args := k.page(`a.id, a.at, a.tenant_id, a.actor_id, a.actor_kind, a.action,
		a.object_type, a.object_id, a.client_addr, a.detail, COALESCE(u.email, k.name, '')`, f.Cursor, f.Limit)
	rows, err := db.read.QueryContext(ctx, query, args...)
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
	out, next := cutPage(out, f.Limit, func(r AuditRecord) string { return r.ID })
	return out, next, nil
}

// AuditNewerCursor returns the cursor of the page of records before the
// one f.Cursor starts (NewestPage when that is the first page), as
// DeliveriesNewerCursor does for deliveries.
func (db *DB) AuditNewerCursor(ctx context.Context, f AuditFilter) (string, error) {
	if f.Limit <= 0 {
		f.Limit = defaultPageSize
	}
	return db.newerCursor(ctx, f.list(), f.Cursor, f.Limit)
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
