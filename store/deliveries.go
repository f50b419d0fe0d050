package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"hooks/domain"
)

// AttemptBounds is how much of a delivery's attempts LatestAttempts reads.
type AttemptBounds struct {
	Attempts  int // the newest this many
	BodyBytes int // the first this many bytes of each body
	Headers   int // the first this many header names of each header set
}

const deliveryColumns = `id, tenant_id, event_id, endpoint_id, topic, sub_topic, status, attempt_count, next_attempt_at,
	next_trigger, last_status_code, created_at, updated_at`

func scanDelivery(row rowScanner) (*domain.Delivery, error) {
	d := &domain.Delivery{}
	var next sql.NullInt64
	var createdAt, updatedAt int64
	err := row.Scan(&d.ID, &d.TenantID, &d.EventID, &d.EndpointID, &d.Topic, &d.SubTopic, &d.Status, &d.AttemptCount, &next,
		&d.NextTrigger, &d.LastStatusCode, &createdAt, &updatedAt)
	if err != nil {
		return nil, err
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNullMS(next), fromMS(createdAt), fromMS(updatedAt)
	return d, nil
}

func scanDeliveries(rows *sql.Rows) ([]*domain.Delivery, error) {
	defer rows.Close()
	var out []*domain.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, wrapDBError(err, "scan delivery")
		}
		out = append(out, d)
	}
	return out, wrapDBError(rows.Err(), "read deliveries")
}

// DeliveryByID returns the tenant's delivery id, or ENOTFOUND.
func (db *DB) DeliveryByID(ctx context.Context, tenantID, id string) (*domain.Delivery, error) {
	d, err := scanDelivery(db.read.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "delivery %s not found", id)
	}
	return d, wrapDBError(err, "read delivery")
}

// unsettled is the condition of the deliveries_unsettled_by_endpoint and
// deliveries_unsettled_by_tenant indexes (migration 0022), which hold the deliveries
// not succeeded. SQLite uses a partial index only for a query that repeats
// its condition, so every query that looks for other statuses adds it.
const unsettled = "status <> 'succeeded'"

// DeliveryFilter selects deliveries for Deliveries. Empty fields don't filter.
type DeliveryFilter struct {
	TenantID   string
	EndpointID string
	EventID    string
	Status     string
	Topic      string
	From, To   time.Time // created at, From inclusive, To exclusive
	Cursor     string    // the last id of the previous page
	Limit      int
}

// list is the keyset list of the deliveries f selects, shared by the page
// and the newer-page queries.
func (f DeliveryFilter) list() keyset {
	k := keyset{from: "deliveries", id: "id"}
	k.filter(true, "tenant_id = ?", f.TenantID)
	k.filter(f.EndpointID != "", "endpoint_id = ?", f.EndpointID)
	k.filter(f.EventID != "", "event_id = ?", f.EventID)
	switch f.Status {
	case "":
	case domain.StatusSucceeded:
		// Nearly every row: deliveries_by_tenant or _by_endpoint, in id
		// order, finds a page quickly.
		k.filter(true, "status = ?", f.Status)
	default:
		k.filter(true, "status = ? AND "+unsettled, f.Status)
	}
	k.filter(f.Topic != "", "topic = ?", f.Topic)
	k.filter(!f.From.IsZero(), "id >= ?", domain.TimeBoundID(domain.PrefixDelivery, f.From))
	k.filter(!f.To.IsZero(), "id < ?", domain.TimeBoundID(domain.PrefixDelivery, f.To))
	return k
}

// Deliveries returns a page of deliveries, newest first, and the next
// page's cursor (keyset on the id: see keyset).
func (db *DB) Deliveries(ctx context.Context, f DeliveryFilter) ([]*domain.Delivery, string, error) {
	if f.Limit <= 0 {
		f.Limit = defaultPageSize
	}
	k := f.list()
	query, args := k.page(deliveryColumns, f.Cursor, f.Limit)
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", wrapDBError(err, "list deliveries")
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, "", err
	}
	out, next := cutPage(out, f.Limit, func(d *domain.Delivery) string { return d.ID })
	return out, next, nil
}

// ClaimDue leases up to limit deliveries that are due at now, oldest due
// first, to owner until now+lease. A claimer that dies leaves its leases to
// expire, and the deliveries fall due again: delivery is at-least-once.
func (db *DB) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*domain.Delivery, error) {
	rows, err := db.query(ctx, db.write, `UPDATE deliveries SET next_attempt_at = ?, lease_owner = ?
		WHERE id IN (SELECT id FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?
			ORDER BY next_attempt_at LIMIT ?`+db.sql.skipLocked+`)
		RETURNING `+deliveryColumns, ms(now.Add(lease)), owner, ms(now), limit)
	if err != nil {
		return nil, wrapDBError(err, "claim deliveries")
	}
	return scanDeliveries(rows)
}

// NextDueAt returns when the earliest scheduled delivery falls due, or the
// zero time when none is scheduled.
func (db *DB) NextDueAt(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	rows, err := db.query(ctx, db.read, `SELECT MIN(next_attempt_at) FROM deliveries WHERE status IN ('pending', 'retrying')`)
	if err == nil {
		defer rows.Close()
		if rows.Next() {
			err = rows.Scan(&next)
		}
		err = errors.Join(err, rows.Err())
	}
	return fromNullMS(next), wrapDBError(err, "read next due time")
}

// ReleaseLeases makes deliveries leased by owner ("" = by anyone) due now.
// A single SQLite process calls it at start-up, since a lease left in its
// file can only belong to a process that is gone; with owner "" it also
// ends every parking hold (park.go), whose parked deliveries it has just
// made due.
func (db *DB) ReleaseLeases(ctx context.Context, owner string) (int, error) {
	now := ms(db.clock())
	var res sql.Result
	var err error
	if owner == "" {
		if _, err := db.write.ExecContext(ctx, `DELETE FROM endpoint_holds`); err != nil {
			return 0, wrapDBError(err, "end holds")
		}
		res, err = db.write.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ?, lease_owner = NULL
			WHERE lease_owner IS NOT NULL AND status IN ('pending', 'retrying')`, now)
	} else {
		res, err = db.write.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ?, lease_owner = NULL
			WHERE lease_owner = ? AND status IN ('pending', 'retrying')`, now, owner)
	}
	if err != nil {
		return 0, wrapDBError(err, "release leases")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Outcome is what became of one claimed delivery: its new state and the
// attempt that led to it (nil when nothing was sent, e.g. a cancellation).
type Outcome struct {
	DeliveryID     string
	EndpointID     string // the delivery's endpoint, for the statistics and observers; not written
	TenantID       string // the delivery's tenant, likewise; with EndpointID set, no read is needed
	Status         string
	NextAttemptAt  time.Time
	LastStatusCode int
	Attempt        *domain.Attempt
	Callback       *Callback // callback state to save: at the start of a wait and after each poll
}

// RecordOutcomes writes a batch of outcomes in one transaction (group
// commit): each attempt row and its delivery's new state, and the
// attempts summed into the statistics (stats.go). On PostgreSQL
// that takes a few statements per batch rather than two per outcome
// (rows.go).
func (db *DB) RecordOutcomes(ctx context.Context, outcomes []Outcome) error {
	// On SQLite each delivery gets a plain prepared UPDATE by primary key,
	// run with Exec (see updateDeliverySQL); PostgreSQL takes many rows to
	// a statement.
	var updater *rowWriter
	var updateOne *sql.Stmt
	var err error
	if db.sql.rowsPerStatement == 1 {
		updateOne, err = db.prepared(ctx, db.write, updateDeliverySQL)
	} else {
		updater, err = db.rowWriter(ctx, updateDeliveries)
	}
	if err != nil {
		return err
	}
	inserter, err := db.rowWriter(ctx, insertAttempts)
	if err != nil {
		return err
	}
	stats, err := db.statsWriters(ctx)
	if err != nil {
		return err
	}
	// Read and encode outside the transaction, which holds a writer.
	now := ms(db.clock())
	updates := make([]any, 0, updateDeliveries.width*len(outcomes))
	headers := make([][2]string, len(outcomes))
	seen := make(map[string]bool, len(outcomes))
	for i, o := range outcomes {
		if seen[o.DeliveryID] {
			// Two outcomes of one delivery: in one UPDATE … FROM only one
			// would count, so record them in turn.
			for i := range outcomes {
				if err := db.RecordOutcomes(ctx, outcomes[i:i+1]); err != nil {
					return err
				}
			}
			return nil
		}
		seen[o.DeliveryID] = true
		attempted := 0
		if a := o.Attempt; a != nil {
			attempted = 1
			headers[i] = [2]string{headerJSON(a.RequestHeaders), headerJSON(a.ResponseHeaders)}
		}
		updates = append(updates, o.DeliveryID, o.Status, attempted, nullMS(o.NextAttemptAt), o.LastStatusCode, now)
	}
	owners, err := db.deliveryOwners(ctx, outcomes)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		// A delivery deleted with its endpoint while its attempt was in
		// flight is not updated and not returned: there is nothing left to
		// record its attempt against.
		recorded := make(map[string]bool, len(outcomes))
		if db.sql.postgres {
			if err := lockOwners(ctx, tx, owners); err != nil {
				return err
			}
		}
		var err error
		if updateOne != nil {
			err = updateEach(ctx, tx.StmtContext(ctx, updateOne), updates, recorded)
		} else {
			err = updater.exec(ctx, tx, updates, func(rows *sql.Rows) error {
				var id string
				err := rows.Scan(&id)
				recorded[id] = true
				return err
			})
		}
		if err != nil {
			return wrapDBError(err, "update deliveries")
		}
		attempts := make([]any, 0, insertAttempts.width*len(outcomes))
		sums := newStatsBatch()
		for i := range outcomes {
			o := &outcomes[i]
			a := o.Attempt
			if a == nil || !recorded[o.DeliveryID] {
				continue
			}
			sums.add(owners[o.DeliveryID], a)
			if a.ID == "" {
				a.ID = domain.NewID(domain.PrefixAttempt)
			}
			attempts = append(attempts, a.ID, o.DeliveryID, a.Trigger, a.URL, a.StatusCode, a.Duration.Milliseconds(),
				a.Error, headers[i][0], a.RequestBody, headers[i][1], a.ResponseBody, a.ResponseTruncated, ms(a.StartedAt))
		}
		if err := inserter.exec(ctx, tx, attempts, nil); err != nil {
			return wrapDBError(err, "insert attempts")
		}
		if err := stats.write(ctx, tx, sums); err != nil {
			return err
		}
		for i := range outcomes {
			if o := &outcomes[i]; o.Callback != nil && recorded[o.DeliveryID] {
				if err := saveCallback(ctx, tx, o); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// owner is the endpoint and tenant of a delivery: what the statistics
// are kept by.
type owner struct{ endpointID, tenantID string }

// lockOwnersSQL takes a key-share lock on endpoints in id order.
var lockOwnersSQL = `SELECT id FROM endpoints WHERE id IN (` + postgresDialect.idList + `) ORDER BY id FOR KEY SHARE`

// lockOwners locks, on PostgreSQL, the endpoints whose statistics a batch
// of outcomes adds to, before any of their deliveries. A statistics row
// refers to its endpoint, so writing it takes this lock anyway, but only
// after the delivery's row lock; deleting an endpoint takes them in the
// other order (the endpoint, then its deliveries by ON DELETE CASCADE),
// and the two transactions would deadlock. An endpoint deleted meanwhile
// is simply not returned: its deliveries are gone too, and their outcomes
// are not recorded.
func lockOwners(ctx context.Context, tx *sql.Tx, owners map[string]owner) error {
	ids := make([]string, 0, len(owners))
	for _, o := range owners {
		ids = append(ids, o.endpointID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, lockOwnersSQL, jsonText(ids))
	return wrapDBError(err, "lock webhooks")
}

// deliveryOwners returns the owners of the outcomes' deliveries: those the
// outcomes carry, and the rest read with one query on a reader: they never change, so they need not be read in the
// writer's transaction, and the updates keep their fast form (a plain
// prepared UPDATE on SQLite, see updateDeliverySQL).
func (db *DB) deliveryOwners(ctx context.Context, outcomes []Outcome) (map[string]owner, error) {
	out := make(map[string]owner, len(outcomes))
	var ids []string
	for _, o := range outcomes {
		switch {
		case o.Attempt == nil:
		case o.EndpointID != "" && o.TenantID != "":
			// The engine knows them: the hot path reads nothing.
			out[o.DeliveryID] = owner{o.EndpointID, o.TenantID}
		default:
			ids = append(ids, o.DeliveryID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, endpoint_id, tenant_id FROM deliveries WHERE id IN (`+db.sql.idList+`)`, jsonText(ids))
	if err != nil {
		return nil, wrapDBError(err, "read the deliveries' endpoints")
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var o owner
		if err := rows.Scan(&id, &o.endpointID, &o.tenantID); err != nil {
			return nil, wrapDBError(err, "read the deliveries' endpoints")
		}
		out[id] = o
	}
	return out, wrapDBError(rows.Err(), "read the deliveries' endpoints")
}

// updateEach runs updateDeliverySQL for each row of updates (rows of
// updateDeliveries.width values) and marks in recorded the deliveries it
// found.
func updateEach(ctx context.Context, stmt *sql.Stmt, updates []any, recorded map[string]bool) error {
	for w := updateDeliveries.width; len(updates) > 0; updates = updates[w:] {
		res, err := stmt.ExecContext(ctx, updates[:w]...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			recorded[updates[0].(string)] = true
		}
	}
	return nil
}

// updateDeliverySQL is updateDeliveries for one delivery on SQLite, taking
// the same values in the same order (?3, whether an attempt was made, is
// used twice). Run one row at a time through QueryContext, the UPDATE …
// FROM (VALUES …) RETURNING form made RecordOutcomes cost 50 µs of CPU per
// delivery in hooks bench at fan-out 10; with this it costs 34 µs.
const updateDeliverySQL = `UPDATE deliveries SET status = ?2, attempt_count = attempt_count + ?3, next_attempt_at = ?4,
	next_trigger = 'scheduled', lease_owner = NULL, last_status_code = CASE WHEN ?3 = 1 THEN ?5 ELSE last_status_code END,
	updated_at = ?6 WHERE id = ?1`

// The statements of RecordOutcomes. The casts type the VALUES columns for
// PostgreSQL, which can't infer a bare parameter's type there; SQLite
// takes the same CAST syntax. VALUES names its columns column1, column2, …
// in both.
var (
	updateDeliveries = rowStatement{
		head: `UPDATE deliveries SET status = v.column2, attempt_count = attempt_count + v.column3, next_attempt_at = v.column4,
			next_trigger = 'scheduled', lease_owner = NULL,
			last_status_code = CASE WHEN v.column3 = 1 THEN v.column5 ELSE last_status_code END, updated_at = v.column6
			FROM (VALUES `,
		row:   `(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS BIGINT), CAST(? AS INTEGER), CAST(? AS BIGINT))`,
		tail:  `) AS v WHERE deliveries.id = v.column1 RETURNING deliveries.id`,
		width: 6,
	}
	insertAttempts = rowStatement{
		head: `INSERT INTO attempts (id, delivery_id, trigger, url, status_code, duration_ms, error,
			request_headers, request_body, response_headers, response_body, response_truncated, started_at) VALUES `,
		row:   `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		width: 13,
	}
)

// Redeliver schedules one more attempt of a delivery now, with the same
// webhook id, whatever its status.
func (db *DB) Redeliver(ctx context.Context, tenantID, id string) (*domain.Delivery, error) {
	now := ms(db.clock())
	d, err := scanDelivery(db.write.QueryRowContext(ctx, `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, next_trigger = 'manual',
		updated_at = ? WHERE id = ? AND tenant_id = ? RETURNING `+deliveryColumns, now, now, id, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "delivery %s not found", id)
	}
	if err != nil {
		return nil, wrapDBError(err, "redeliver")
	}
	// The redelivery is stored; a lost notification only delays it to
	// another process's next idle poll.
	_ = db.notifyWork(ctx, db.write)
	return d, nil
}

// CountRecoverable counts the endpoint's failed deliveries created at or
// after since: what Recover would redeliver.
func (db *DB) CountRecoverable(ctx context.Context, tenantID, webhookID string, since time.Time) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE endpoint_id = ? AND tenant_id = ? AND status = 'failed' AND `+unsettled+` AND id >= ?`,
		webhookID, tenantID, domain.TimeBoundID(domain.PrefixDelivery, since)).Scan(&n)
	return n, wrapDBError(err, "count failed deliveries")
}

// Recover schedules every failed delivery of the endpoint created at or
// after since for one more attempt now, and returns how many.
func (db *DB) Recover(ctx context.Context, tenantID, webhookID string, since time.Time) (int, error) {
	now := ms(db.clock())
	res, err := db.write.ExecContext(ctx, `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, next_trigger = 'recover', updated_at = ?
		WHERE endpoint_id = ? AND tenant_id = ? AND status = 'failed' AND `+unsettled+` AND id >= ?`,
		now, now, webhookID, tenantID, domain.TimeBoundID(domain.PrefixDelivery, since))
	if err != nil {
		return 0, wrapDBError(err, "recover deliveries")
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		_ = db.notifyWork(ctx, db.write) // as in Redeliver
	}
	return int(n), nil
}

// CreateTestDelivery stores a test event (a ping, or an event type's
// example) of topic and one delivery of it to w that
// the dispatcher will not pick up: the caller sends it now and records the
// outcome with RecordOutcomes.
func (db *DB) CreateTestDelivery(ctx context.Context, w *domain.Endpoint, topic string, payload []byte) (*domain.Event, *domain.Delivery, error) {
	now := db.clock()
	e := &domain.Event{ID: domain.NewID(domain.PrefixEvent), TenantID: w.TenantID, Topic: topic, Payload: payload, DeliveryCount: 1, TriggeredAt: now}
	d := &domain.Delivery{ID: domain.NewID(domain.PrefixDelivery), TenantID: w.TenantID, EventID: e.ID, EndpointID: w.ID, Topic: e.Topic,
		Status: domain.StatusPending, NextTrigger: domain.TriggerTest, CreatedAt: now, UpdatedAt: now}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, tenant_id, topic, sub_topic, payload, delivery_count, triggered_at)
			VALUES (?, ?, ?, '', ?, 1, ?)`, e.ID, e.TenantID, e.Topic, e.Payload, ms(now)); err != nil {
			return wrapDBError(err, "insert test event")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, topic, sub_topic, status, next_trigger, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, '', 'pending', 'test', ?, ?)`, d.ID, d.TenantID, d.EventID, d.EndpointID, d.Topic, ms(now), ms(now))
		return wrapDBError(err, "insert test delivery")
	})
	if err != nil {
		return nil, nil, err
	}
	return e, d, nil
}

// LatestAttempts returns the newest attempts of a delivery, newest first,
// and of each only as much as b says (the Attempt's Size and Omitted fields
// say what is left out). A page reads this, never every attempt: a callback
// polled every second for a day makes 86,400 of them, a templated request
// body can be 1 MiB, and a receiver's headers 64 KiB.
func (db *DB) LatestAttempts(ctx context.Context, deliveryID string, b AttemptBounds) ([]*domain.Attempt, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, delivery_id, trigger, url, status_code, duration_ms, error, request_headers,
		request_body IS NULL, substr(request_body, 1, ?), COALESCE(length(request_body), 0), response_headers, substr(response_body, 1, ?),
		COALESCE(length(response_body), 0), response_truncated, started_at
		FROM attempts WHERE delivery_id = ? ORDER BY id DESC LIMIT ?`, b.BodyBytes, b.BodyBytes, deliveryID, b.Attempts)
	if err != nil {
		return nil, wrapDBError(err, "list latest attempts")
	}
	defer rows.Close()
	var out []*domain.Attempt
	for rows.Next() {
		a := &domain.Attempt{}
		var durationMS, startedAt int64
		var reqHeaders, respHeaders string
		var payloadSent bool
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.Trigger, &a.URL, &a.StatusCode, &durationMS, &a.Error, &reqHeaders,
			&payloadSent, &a.RequestBody, &a.RequestBodySize, &respHeaders, &a.ResponseBody, &a.ResponseBodySize, &a.ResponseTruncated, &startedAt); err != nil {
			return nil, wrapDBError(err, "scan attempt")
		}
		if !payloadSent && a.RequestBody == nil {
			// An empty body (a callback poll) reads back as NULL; it is
			// not the event's payload.
			a.RequestBody = []byte{}
		}
		a.Duration = time.Duration(durationMS) * time.Millisecond
		a.StartedAt = fromMS(startedAt)
		a.RequestHeaders, a.RequestHeadersOmitted = decodeHeaderLines(reqHeaders, b.Headers)
		a.ResponseHeaders, a.ResponseHeadersOmitted = decodeHeaderLines(respHeaders, b.Headers)
		out = append(out, a)
	}
	return out, wrapDBError(rows.Err(), "list latest attempts")
}

// CountAttempts counts a delivery's attempts (an index range count).
func (db *DB) CountAttempts(ctx context.Context, deliveryID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM attempts WHERE delivery_id = ?`, deliveryID).Scan(&n)
	return n, wrapDBError(err, "count attempts")
}

// AttemptsByDelivery returns every attempt of a delivery, oldest first.
func (db *DB) AttemptsByDelivery(ctx context.Context, deliveryID string) ([]*domain.Attempt, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, delivery_id, trigger, url, status_code, duration_ms, error, request_headers,
		request_body, response_headers, response_body, response_truncated, started_at FROM attempts WHERE delivery_id = ? ORDER BY id`, deliveryID)
	if err != nil {
		return nil, wrapDBError(err, "list attempts")
	}
	defer rows.Close()
	var out []*domain.Attempt
	for rows.Next() {
		a := &domain.Attempt{}
		var durationMS, startedAt int64
		var reqHeaders, respHeaders string
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.Trigger, &a.URL, &a.StatusCode, &durationMS, &a.Error, &reqHeaders,
			&a.RequestBody, &respHeaders, &a.ResponseBody, &a.ResponseTruncated, &startedAt); err != nil {
			return nil, wrapDBError(err, "scan attempt")
		}
		a.Duration = time.Duration(durationMS) * time.Millisecond
		a.StartedAt = fromMS(startedAt)
		a.RequestHeaders, a.ResponseHeaders = decodeHeader(reqHeaders), decodeHeader(respHeaders)
		out = append(out, a)
	}
	return out, wrapDBError(rows.Err(), "list attempts")
}
