package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hooks/domain"
	"hooks/domain/filter"
	"sync"
	"time"
)

// ingester group-commits CreateEvents: one goroutine takes every call that
// arrived while the previous transaction was committing and stores them all
// in one transaction. With many producers posting at once this turns N
// commits (each a WAL append) into one, and each caller still returns only
// after its own events are committed.
type ingester struct {
	calls chan *ingestCall
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

type ingestCall struct {
	events  []*domain.Event
	created []bool
	err     error
	done    chan struct{}
}

// maxIngestBatch bounds the events merged into one transaction, so a
// transaction never holds the single writer for long. One call is never
// split, however large.
const maxIngestBatch = 1000

// ingestGather is how long a transaction waits for more calls when the
// one before it took several: producers are posting at once, so more are
// on their way, and a commit costs mostly the pages it writes, whatever
// it holds. Single events from 32 connections (hooks bench --fanout 1)
// then commit 10–15 to a transaction instead of about 4, for 13–27 %
// more events a second and 4–14 % less CPU each; 2 ms saved more CPU
// but lost throughput to the wait, 4 ms lost more. A lone call does not
// wait; but at a steady 1,000 events a second gathering stays on too:
// gathering only when calls were already waiting lowered the median
// there by 0.1–0.4 ms. That rule, and another tried for the same, lost
// throughput or p99 (README, "Not done, measured").
const ingestGather = time.Millisecond

func (db *DB) startIngester() {
	in := &ingester{calls: make(chan *ingestCall), stop: make(chan struct{}), done: make(chan struct{})}
	db.ingest = in
	go func() {
		defer close(in.done)
		var calls []*ingestCall
		timer := time.NewTimer(ingestGather)
		timer.Stop()
		concurrent := false // the last transaction took several calls
		for {
			var c *ingestCall
			select {
			case c = <-in.calls:
			case <-in.stop:
				return
			}
			calls, n := append(calls[:0], c), len(c.events)
			var wait <-chan time.Time // nil: take only the calls already waiting
			if concurrent {
				timer.Reset(ingestGather)
				wait = timer.C
			}
			for n < maxIngestBatch {
				var more *ingestCall
				if wait == nil {
					select {
					case more = <-in.calls:
					default:
					}
				} else {
					select {
					case more = <-in.calls:
					case <-wait:
					case <-in.stop:
					}
				}
				if more == nil {
					break
				}
				calls = append(calls, more)
				n += len(more.events)
			}
			timer.Stop()
			concurrent = len(calls) > 1
			db.commitIngest(calls)
			clear(calls)
		}
	}()
}

// stopIngester waits for the transaction in progress, if any; later calls
// fail with EUNAVAILABLE.
func (db *DB) stopIngester() {
	if db.ingest == nil {
		return
	}
	db.ingest.once.Do(func() { close(db.ingest.stop) })
	<-db.ingest.done
}

// CreateEvents stores events, each with one pending delivery per enabled
// endpoint of its tenant that subscribes to its topic, in one transaction,
// so an event is never durable without its deliveries. An event whose
// idempotency key its tenant used before is not stored again: its slot in
// events is replaced by the first event, and created[i] is false.
//
// Concurrent calls are committed together (see ingester); when it returns
// without error, the events are committed.
func (db *DB) CreateEvents(ctx context.Context, events []*domain.Event) (created []bool, err error) {
	if len(events) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &ingestCall{events: events, done: make(chan struct{})}
	select {
	case db.ingest.calls <- c:
	case <-db.ingest.stop:
		return nil, domain.Errorf(domain.EUNAVAILABLE, "the database is closing")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-c.done:
		return c.created, c.err
	case <-ctx.Done():
		// The events may still be committed: a client that retries with
		// the same idempotency key gets the stored event back.
		return nil, ctx.Err()
	}
}

// commitIngest stores the events of calls in one transaction. If that
// fails, each call is retried in its own transaction, so one call's bad
// input can't fail the others.
func (db *DB) commitIngest(calls []*ingestCall) {
	defer func() {
		for _, c := range calls {
			close(c.done)
		}
	}()
	// Held for the whole commit, so SetHandoff waits for a transaction
	// that uses the handoff it replaces.
	db.handoffMu.Lock()
	defer db.handoffMu.Unlock()
	ctx := context.Background()
	if len(calls) == 1 {
		c := calls[0]
		c.created, c.err = db.createEvents(ctx, c.events, nil)
		return
	}
	// Work on copies: a failed attempt must leave the callers' events as
	// they were for the retries one by one.
	var all []*domain.Event
	for _, c := range calls {
		for _, e := range c.events {
			cp := *e
			all = append(all, &cp)
		}
	}
	created, err := db.createEvents(ctx, all, nil)
	if err == nil {
		i := 0
		for _, c := range calls {
			c.created = created[i : i+len(c.events)]
			for _, e := range c.events {
				*e = *all[i]
				i++
			}
		}
		return
	}
	for _, c := range calls {
		c.created, c.err = db.createEvents(ctx, c.events, nil)
	}
}

// Hot statements of createEvents, prepared once on the writer.
const (
	insertEventSQL = `INSERT INTO events (id, tenant_id, topic, sub_topic, payload, idempotency_key, delivery_count, triggered_at,
		trace_parent, trace_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	subscribersSQL = `SELECT e.id, e.topics, e.sub_topics, e.payload_filter, COALESCE(h.lease_owner, ''), COALESCE(h.held_until, 0)
		FROM endpoints e LEFT JOIN endpoint_holds h ON h.endpoint_id = e.id WHERE e.tenant_id = ? AND e.enabled = 1`
	// holdSQL re-reads a hold under a share lock on PostgreSQL (park.go).
	holdSQL = `SELECT lease_owner, held_until FROM endpoint_holds WHERE endpoint_id = ? FOR SHARE`
)

// insertDeliveries stores an ingest batch's deliveries, many rows to a
// statement on PostgreSQL (rows.go). A delivery of an endpoint on hold
// (park.go) is stored parked: not due until its hold ends, under the
// hold's lease owner.
var insertDeliveries = rowStatement{
	head: `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, topic, sub_topic, status, next_attempt_at,
		lease_owner, created_at, updated_at) VALUES `,
	row:   `(?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
	width: 10,
}

// createEvents is CreateEvents in one transaction of its own. also, if
// not nil, writes in that transaction too, after the events: what it
// writes commits with them or not at all (DisableEndpointAnnounced).
func (db *DB) createEvents(ctx context.Context, events []*domain.Event, also func(*sql.Tx) error) (created []bool, err error) {
	stmts, err := db.preparedAll(ctx, db.write, insertEventSQL, subscribersSQL)
	if err != nil {
		return nil, err
	}
	deliveryWriter, err := db.rowWriter(ctx, insertDeliveries)
	if err != nil {
		return nil, err
	}
	created = make([]bool, len(events))
	hd := &handing{h: db.handoff}
	defer func() { hd.finish(err) }()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		// Taken inside the transaction, which on SQLite holds the only
		// writer, so a delivery is never stored as due earlier than a claim
		// that ran before it. (On PostgreSQL claims run beside it; a
		// delivery due a moment before a claim's time is simply taken by
		// the next one.)
		now := db.clock()
		hd.now = now
		insertEvent, subscribersQuery := tx.StmtContext(ctx, stmts[0]), tx.StmtContext(ctx, stmts[1])
		var deliveries []any // rows of insertDeliveries.width values
		subsByTenant := map[string][]subscriber{}
		var matched []*subscriber
		var doc filter.Doc // the event as filters see it, reused event after event
		for i, e := range events {
			subs, ok := subsByTenant[e.TenantID]
			if !ok {
				if subs, err = db.subscribers(ctx, subscribersQuery, e.TenantID); err != nil {
					return err
				}
				subsByTenant[e.TenantID] = subs
			}
			matched = matched[:0]
			parsed := false
			for i := range subs {
				s := &subs[i]
				if !s.Subscribed(e.Topic, e.SubTopic) {
					continue
				}
				if s.filter != nil {
					// Parsed once for all of the event's filters, and only
					// when one of its subscribers has a filter. Data that
					// is not JSON (ingest checks it is) is matched as an
					// event without data.
					if !parsed {
						_ = doc.Reset(e.Topic, e.SubTopic, e.Payload)
						parsed = true
					}
					if !s.filter.Match(&doc) {
						continue
					}
				}
				matched = append(matched, s)
			}
			e.ID = domain.NewID(domain.PrefixEvent)
			if e.TriggeredAt.IsZero() {
				e.TriggeredAt = now
			}
			e.DeliveryCount = len(matched)
			res, err := insertEvent.ExecContext(ctx, e.ID, e.TenantID, e.Topic, e.SubTopic, e.Payload,
				sql.NullString{String: e.IdempotencyKey, Valid: e.IdempotencyKey != ""}, e.DeliveryCount, ms(e.TriggeredAt),
				sql.NullString{String: e.TraceParent, Valid: e.TraceParent != ""}, sql.NullString{String: e.TraceState, Valid: e.TraceState != ""})
			if err != nil {
				return wrapDBError(err, "insert event")
			}
			if n, _ := res.RowsAffected(); n == 0 {
				first, err := eventByIdempotencyKey(ctx, tx, e.TenantID, e.IdempotencyKey)
				if err != nil {
					return err
				}
				*e = *first
				continue
			}
			created[i] = true
			for _, s := range matched {
				if s.holdOwner != "" && db.sql.postgres && !s.holdLocked {
					if err := s.lockHold(ctx, tx); err != nil {
						return err
					}
				}
				id := domain.NewID(domain.PrefixDelivery)
				var next int64
				var owner sql.NullString
				if s.holdOwner != "" && s.holdUntil > ms(now) {
					next, owner = s.holdUntil, sql.NullString{String: s.holdOwner, Valid: true}
				} else {
					next, owner = hd.take(id, e, s.ID)
				}
				deliveries = append(deliveries, id, e.TenantID, e.ID, s.ID, e.Topic, e.SubTopic, next, owner, ms(now), ms(now))
			}
		}
		if err := deliveryWriter.exec(ctx, tx, deliveries, nil); err != nil {
			return wrapDBError(err, "insert deliveries")
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		if hd.due {
			return db.notifyWork(ctx, tx)
		}
		return nil
	})
	return created, err
}

// subscriber is an enabled endpoint as fan-out sees it: only ID, Topics and
// SubTopics set (no secrets decrypted, no options decoded), its compiled
// filter if it has one, and its hold if it has one (park.go).
type subscriber struct {
	*domain.Endpoint
	filter     *filter.Filter // nil: every event it subscribes to
	holdOwner  string         // "" when new deliveries are stored due
	holdUntil  int64          // unix ms
	holdLocked bool           // read again under FOR SHARE in this transaction
}

// lockHold reads s's hold again under a share lock, so that an unpark that
// would end it waits for this transaction, or has ended it already.
func (s *subscriber) lockHold(ctx context.Context, tx *sql.Tx) error {
	err := tx.QueryRowContext(ctx, holdSQL, s.ID).Scan(&s.holdOwner, &s.holdUntil)
	if errors.Is(err, sql.ErrNoRows) {
		s.holdOwner, s.holdUntil, err = "", 0, nil
	}
	s.holdLocked = true
	return wrapDBError(err, "read hold")
}

// subscribers returns the tenant's enabled endpoints, their filters and
// their holds. query is subscribersSQL.
func (db *DB) subscribers(ctx context.Context, query *sql.Stmt, tenantID string) ([]subscriber, error) {
	rows, err := query.QueryContext(ctx, tenantID)
	if err != nil {
		return nil, wrapDBError(err, "read subscribers")
	}
	defer rows.Close()
	var out []subscriber
	for rows.Next() {
		s := subscriber{Endpoint: &domain.Endpoint{}}
		var topics, subTopics []byte
		if err := rows.Scan(&s.ID, &topics, &subTopics, &s.Filter, &s.holdOwner, &s.holdUntil); err != nil {
			return nil, wrapDBError(err, "read subscribers")
		}
		if err := json.Unmarshal(topics, &s.Topics); err != nil {
			return nil, fmt.Errorf("webhook %s: decode topics: %w", s.ID, err)
		}
		if err := json.Unmarshal(subTopics, &s.SubTopics); err != nil {
			return nil, fmt.Errorf("webhook %s: decode sub-topics: %w", s.ID, err)
		}
		if s.Filter != "" {
			s.filter = db.filters.compiled(s.Filter)
		}
		out = append(out, s)
	}
	return out, wrapDBError(rows.Err(), "read subscribers")
}

// filterCache holds compiled filters by their text, so that fan-out
// compiles each filter once rather than once per batch of events. Keyed by
// text, an entry can't go stale: an edited filter is another key.
type filterCache struct {
	mu sync.Mutex
	m  map[string]*filter.Filter
}

// maxCachedFilters bounds filterCache; when full it is emptied.
const maxCachedFilters = 4096

// never matches any event: the compiled form of a stored filter that no
// longer compiles.
var never = func() *filter.Filter {
	f, err := filter.Compile([]byte(`{"topic": {"$exists": false}}`))
	if err != nil {
		panic(err)
	}
	return f
}()

// compiled returns the compiled form of text. Validation let text in, so
// it compiles; should a later version refuse it, the endpoint gets no
// events rather than events its filter was written to keep away from it.
func (c *filterCache) compiled(text string) *filter.Filter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.m[text]; ok {
		return f
	}
	f, err := filter.Compile([]byte(text))
	if err != nil {
		f = never
	}
	if c.m == nil || len(c.m) >= maxCachedFilters {
		c.m = map[string]*filter.Filter{}
	}
	c.m[text] = f
	return f
}
