package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hooks/domain"
	"slices"
	"strings"
)

// copyTable is one table as Copy copies it: its columns as the migrations
// define them, which of those hold bytes (BLOB, BYTEA), and what an insert
// does with a row that Open already created in the destination.
type copyTable struct {
	name       string
	cols       []string
	blobs      []string
	onConflict string
}

// copyTables are every table of the schema but schema_migrations, which
// each database keeps for itself, in an order where a row's foreign keys
// point at rows copied before it.
var copyTables = []copyTable{
	{name: "tenants", cols: []string{"id", "name", "created_at", "portal_name", "portal_accent", "portal_logo_url"},
		// Open's first migration creates the default tenant in every database.
		onConflict: "ON CONFLICT (id) DO UPDATE SET name = excluded.name, created_at = excluded.created_at, " +
			"portal_name = excluded.portal_name, portal_accent = excluded.portal_accent, portal_logo_url = excluded.portal_logo_url"},
	{name: "settings", cols: []string{"name", "value"}, blobs: []string{"value"}},
	{name: "endpoints", cols: []string{"id", "tenant_id", "name", "url", "topics", "sub_topics", "enabled",
		"disabled_reason", "disabled_at", "signing", "secret", "previous_secret", "previous_secret_until", "headers",
		"envelope", "retry", "timeout_ms", "rate_limit", "metadata", "created_at", "updated_at", "paused_until", "destination", "payload_filter"}},
	{name: "events", cols: []string{"id", "tenant_id", "topic", "sub_topic", "payload", "idempotency_key",
		"delivery_count", "triggered_at", "trace_parent", "trace_state"}, blobs: []string{"payload"}},
	{name: "deliveries", cols: []string{"id", "tenant_id", "event_id", "endpoint_id", "topic", "sub_topic", "status",
		"attempt_count", "next_attempt_at", "next_trigger", "lease_owner", "last_status_code", "created_at", "updated_at"}},
	{name: "attempts", cols: []string{"id", "delivery_id", "trigger", "url", "status_code", "duration_ms", "error",
		"request_headers", "request_body", "response_headers", "response_body", "response_truncated", "started_at"},
		blobs: []string{"request_body", "response_body"}},
	{name: "callbacks", cols: []string{"delivery_id", "uri", "interval_ms", "deadline", "next_poll_at", "polls", "created_at"}},
	{name: "api_keys", cols: []string{"id", "tenant_id", "name", "hash", "scope", "prefix", "created_by", "created_at", "last_used_at"}, blobs: []string{"hash"}},
	{name: "users", cols: []string{"id", "email", "password_hash", "role", "tenant_id", "created_at", "disabled_at", "last_sign_in_at"}},
	{name: "user_tokens", cols: []string{"hash", "user_id", "purpose", "created_at", "expires_at"}},
	{name: "signing_keys", cols: []string{"id", "tenant_id", "private_key", "created_at", "retired_at"}, blobs: []string{"private_key"}},
	{name: "endpoint_holds", cols: []string{"endpoint_id", "lease_owner", "held_until"}},
	{name: "portal_sessions", cols: []string{"id", "tenant_id", "role", "token_hash", "created_at", "expires_at", "used_at"},
		blobs: []string{"token_hash"}},
	{name: "stats_minutes", cols: statsColumns},
	{name: "stats_hours", cols: statsColumns},
	{name: "audit_log", cols: []string{"id", "at", "tenant_id", "actor_id", "actor_kind", "action", "object_type",
		"object_id", "client_addr", "detail"}},
	{name: "event_types", cols: []string{"tenant_id", "name", "description", "schema", "examples", "created_at", "updated_at"}},
}

// A batch is copyBatchRows rows in one INSERT, or fewer once their values
// pass copyBatchBytes. 500 rows of the widest table (endpoints, 21
// columns) stay well below SQLite's 32,766 and PostgreSQL's 65,535
// parameters per statement, and the byte bound keeps tables of large
// payloads and bodies from holding hundreds of megabytes at once.
const (
	copyBatchRows  = 500
	copyBatchBytes = 8 << 20
)

// CopyProgress reports how far Copy got with one table.
type CopyProgress struct {
	Table string
	Rows  int64 // rows copied so far
	Done  bool  // the table is complete, and Rows is its row count
}

// ErrCopyDestinationNotEmpty is returned by Copy when the destination
// already holds data of its own.
var ErrCopyDestinationNotEmpty = errors.New("the destination database already holds data")

// Copy copies every row of src into dst, on either backend: a SQLite
// installation onto PostgreSQL, say. Values are copied as stored, so
// secrets stay sealed under src's master key; dst must be opened with the
// same key, or without one, and Copy refuses a dst opened with another.
// The master key check value is copied too, so dst then opens with that
// key and refuses any other, as src does.
//
// Copy reads src in one read-only transaction, a consistent snapshot even
// while a server writes to it, and writes dst in one transaction, so a
// copy that fails leaves dst as it was. dst must be empty but for what
// Open creates (the default tenant and settings); its settings are replaced
// by src's. progress, if not nil, is called after each batch and once as
// each table completes.
//
// Nothing else may use dst during the copy, and a process should open dst
// afresh before serving from it: Copy does not update dst's in-memory
// state beyond its lookup caches.
func Copy(ctx context.Context, dst, src *DB, progress func(CopyProgress)) error {
	if progress == nil {
		progress = func(CopyProgress) {}
	}
	srcVersion, err := src.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	dstVersion, err := dst.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if srcVersion != dstVersion {
		return domain.Errorf(domain.EINVALID, "the source database is at schema version %d and the destination at %d; open both with the same hooks", srcVersion, dstVersion)
	}

	// Repeatable read gives PostgreSQL a snapshot for the whole
	// transaction; SQLite ignores the level, and a read transaction there
	// sees one snapshot anyway.
	in, err := src.read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return wrapDBError(err, "copy: begin reading the source")
	}
	defer in.Rollback()
	if err := dst.checkCopyKey(ctx, in); err != nil {
		return err
	}
	defer dst.apiKeys.clear()
	defer dst.tenants.clear()
	return dst.tx(ctx, func(out *sql.Tx) error {
		for _, t := range copyTables {
			if err := t.checkColumns(ctx, in, "source"); err != nil {
				return err
			}
			if err := t.checkColumns(ctx, out, "destination"); err != nil {
				return err
			}
		}
		if err := refuseNonEmpty(ctx, out); err != nil {
			return err
		}
		// The destination's settings (its own key check, cookie keys) are
		// replaced by the source's, which its data goes with.
		if _, err := out.ExecContext(ctx, `DELETE FROM settings`); err != nil {
			return wrapDBError(err, "copy: clear the destination's settings")
		}
		for _, t := range copyTables {
			if err := t.copy(ctx, out, in, progress); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkCopyKey refuses to copy into db a source whose secrets db's master
// key can't open: the source's key check value must open under db's key.
func (db *DB) checkCopyKey(ctx context.Context, in *sql.Tx) error {
	if db.aead == nil {
		return nil
	}
	var check []byte
	err := in.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = 'master_key_check'`).Scan(&check)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// The source never had a key: its secrets are in the clear, and
		// the next Open of db with its key seals them.
		return nil
	case err != nil:
		return wrapDBError(err, "copy: read the source's master key check")
	}
	if _, err := db.open(check, labelKeyCheck); err != nil {
		return fmt.Errorf("copy: %w: the destination was opened with another master key than the source's", ErrWrongMasterKey)
	}
	return nil
}

// refuseNonEmpty fails unless the destination holds only what Open
// creates: the default tenant, and settings.
func refuseNonEmpty(ctx context.Context, out *sql.Tx) error {
	for _, t := range copyTables {
		query := `SELECT COUNT(*) FROM ` + t.name
		switch t.name {
		case "settings":
			continue
		case "tenants":
			query += ` WHERE id <> '` + domain.DefaultTenant + `'`
		}
		var n int64
		if err := out.QueryRowContext(ctx, query).Scan(&n); err != nil {
			return wrapDBError(err, "copy: count the destination's "+t.name)
		}
		if n > 0 {
			return fmt.Errorf("%w (its table %s is not empty); copy into a new, empty database", ErrCopyDestinationNotEmpty, t.name)
		}
	}
	return nil
}

// checkColumns fails if t in the database of q has columns other than
// t.cols: a migration that Copy does not know yet, whose data it would
// otherwise leave behind without a word.
func (t copyTable) checkColumns(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, which string) error {
	rows, err := q.QueryContext(ctx, `SELECT * FROM `+t.name+` WHERE 1 = 0`)
	if err != nil {
		return wrapDBError(err, "copy: read the "+which+"'s "+t.name+" columns")
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		return wrapDBError(err, "copy: read the "+which+"'s "+t.name+" columns")
	}
	got, want := slices.Sorted(slices.Values(cols)), slices.Sorted(slices.Values(t.cols))
	if !slices.Equal(got, want) {
		return domain.Errorf(domain.EINTERNAL, "copy: the %s's table %s has columns %s, and hooks copies %s",
			which, t.name, strings.Join(got, ", "), strings.Join(want, ", "))
	}
	return nil
}

// copy copies every row of t from in to out in batches.
func (t copyTable) copy(ctx context.Context, out, in *sql.Tx, progress func(CopyProgress)) error {
	rows, err := in.QueryContext(ctx, `SELECT `+strings.Join(t.cols, ", ")+` FROM `+t.name)
	if err != nil {
		return wrapDBError(err, "copy: read "+t.name)
	}
	defer rows.Close()
	blob := make([]bool, len(t.cols))
	for i, c := range t.cols {
		blob[i] = slices.Contains(t.blobs, c)
	}
	row := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range row {
		ptrs[i] = &row[i]
	}
	batch := make([]any, 0, copyBatchRows*len(t.cols))
	var copied, size int64
	fullInsert := t.insertSQL(copyBatchRows)
	flush := func() error {
		n := len(batch) / len(t.cols)
		if n == 0 {
			return nil
		}
		query := fullInsert
		if n != copyBatchRows {
			query = t.insertSQL(n)
		}
		if _, err := out.ExecContext(ctx, query, batch...); err != nil {
			return wrapDBError(err, "copy: write "+t.name)
		}
		copied += int64(n)
		batch, size = batch[:0], 0
		progress(CopyProgress{Table: t.name, Rows: copied})
		return nil
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return wrapDBError(err, "copy: read "+t.name)
		}
		for i, v := range row {
			v = copyValue(v, blob[i])
			switch v := v.(type) {
			case []byte:
				size += int64(len(v))
			case string:
				size += int64(len(v))
			}
			batch = append(batch, v)
		}
		if len(batch) == cap(batch) || size >= copyBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return wrapDBError(err, "copy: read "+t.name)
	}
	if err := flush(); err != nil {
		return err
	}
	progress(CopyProgress{Table: t.name, Rows: copied, Done: true})
	return nil
}

// insertSQL is the statement that inserts n rows of t.
func (t copyTable) insertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES ")
	tuple := "(" + strings.Repeat("?, ", len(t.cols)-1) + "?)"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	if t.onConflict != "" {
		b.WriteString(" " + t.onConflict)
	}
	return b.String()
}

// copyValue is v, as scanned from one backend, in the form that writes the
// same value on either: bytes for a byte column and text for the others
// (SQLite keeps whatever type a value was written with), and an empty
// byte string rather than a nil one, which drivers write as NULL (SQLite's
// driver reads an empty BLOB as a nil []byte).
func copyValue(v any, blob bool) any {
	switch x := v.(type) {
	case []byte:
		if !blob {
			return string(x)
		}
		if x == nil {
			return []byte{}
		}
	case string:
		if blob {
			return []byte(x)
		}
	}
	return v
}
