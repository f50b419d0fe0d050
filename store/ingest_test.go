package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store/storetest"
)

func createTestWebhook(t testing.TB, db *DB, topics ...string) *domain.Endpoint {
	t.Helper()
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, Name: "w", URL: "https://example.com/hook", Topics: topics, Enabled: true,
		Signing: domain.Signing{Scheme: "standard-webhooks"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		Envelope: domain.Envelope{Type: "raw"}, Retry: domain.RetryPolicy{Schedule: "exponential", MaxAttempts: 3, RetryOn: domain.RetryOnPreset("5xx")},
		Timeout: 5 * time.Second}
	if err := db.CreateEndpoint(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestCreateEventsFromManyCallersAllCommitWithTheirDeliveries(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	createTestWebhook(t, db, "orders/*")
	createTestWebhook(t, db, "orders/placed")
	createTestWebhook(t, db, "users/*")

	const callers, each = 40, 5
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	ids := make(chan string, callers*each)
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			events := make([]*domain.Event, each)
			for i := range events {
				events[i] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{}`),
					IdempotencyKey: fmt.Sprintf("k-%d-%d", c, i)}
			}
			created, err := db.CreateEvents(ctx, events)
			if err != nil {
				errs <- err
				return
			}
			for i, e := range events {
				if !created[i] || e.ID == "" || e.DeliveryCount != 2 {
					errs <- fmt.Errorf("event %d of caller %d: created %v, id %q, %d deliveries", i, c, created[i], e.ID, e.DeliveryCount)
				}
				ids <- e.ID
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("event id %s given twice", id)
		}
		seen[id] = true
	}
	var nEvents, nDeliveries int
	db.read.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&nEvents)
	db.read.QueryRow(`SELECT COUNT(*) FROM deliveries`).Scan(&nDeliveries)
	if nEvents != callers*each || nDeliveries != 2*callers*each {
		t.Errorf("stored %d events and %d deliveries, want %d and %d", nEvents, nDeliveries, callers*each, 2*callers*each)
	}
}

func TestCreateEventsInOneBatchReplaysAnIdempotencyKeyUsedEarlierInIt(t *testing.T) {
	db := openTestDB(t)
	createTestWebhook(t, db, "*")
	first := &ingestCall{events: []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "a", Payload: []byte(`1`), IdempotencyKey: "same"}}, done: make(chan struct{})}
	second := &ingestCall{events: []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "a", Payload: []byte(`2`), IdempotencyKey: "same"}}, done: make(chan struct{})}
	db.commitIngest([]*ingestCall{first, second})
	if first.err != nil || second.err != nil {
		t.Fatal(first.err, second.err)
	}
	if !first.created[0] || second.created[0] {
		t.Errorf("created = %v, %v; want true, false", first.created, second.created)
	}
	if second.events[0].ID != first.events[0].ID || string(second.events[0].Payload) != "1" {
		t.Errorf("replayed event = %s %s, want the first (%s, payload 1)", second.events[0].ID, second.events[0].Payload, first.events[0].ID)
	}
}

func TestCreateEventsBadCallInABatchFailsAlone(t *testing.T) {
	db := openTestDB(t)
	createTestWebhook(t, db, "*")
	good := &ingestCall{events: []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "a", Payload: []byte(`{}`)}}, done: make(chan struct{})}
	bad := &ingestCall{events: []*domain.Event{{TenantID: "no-such-tenant", Topic: "a", Payload: []byte(`{}`)}}, done: make(chan struct{})}
	alsoGood := &ingestCall{events: []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "b", Payload: []byte(`{}`)}}, done: make(chan struct{})}
	db.commitIngest([]*ingestCall{good, bad, alsoGood})
	if good.err != nil || alsoGood.err != nil {
		t.Fatalf("good calls failed: %v, %v", good.err, alsoGood.err)
	}
	if bad.err == nil {
		t.Fatal("an event of a tenant that does not exist was stored")
	}
	for _, c := range []*ingestCall{good, alsoGood} {
		if _, err := db.EventByID(context.Background(), domain.DefaultTenant, c.events[0].ID); err != nil {
			t.Errorf("event %s: %v", c.events[0].ID, err)
		}
	}
}

func TestCreateEventsReturnsWhenTheCallerGivesUp(t *testing.T) {
	db := openTestDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "a", Payload: []byte(`{}`)}}); err == nil {
		t.Error("CreateEvents with a cancelled context succeeded")
	}
}

func TestCreateEventsAfterCloseIsUnavailable(t *testing.T) {
	db, err := Open(context.Background(), storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = db.CreateEvents(context.Background(), []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "a", Payload: []byte(`{}`)}})
	if domain.ErrorCode(err) != domain.EUNAVAILABLE {
		t.Errorf("CreateEvents after Close = %v, want %s", err, domain.EUNAVAILABLE)
	}
}

func TestLookupsAreCachedBriefly(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	db := openTestDB(t, WithClock(func() time.Time { return now }))
	ctx := context.Background()
	_, secret, err := db.CreateAPIKey(ctx, "", "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.APIKeyBySecret(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.Exec(`DELETE FROM api_keys`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.APIKeyBySecret(ctx, secret); err != nil {
		t.Errorf("within the TTL: %v", err)
	}
	now = now.Add(lookupCacheTTL + time.Millisecond)
	if _, err := db.APIKeyBySecret(ctx, secret); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		t.Errorf("after the TTL: %v, want %s", err, domain.EUNAUTHORIZED)
	}
	if _, err := db.APIKeyBySecret(ctx, "hk_wrong"); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		t.Errorf("wrong key: %v", err)
	}

	if _, err := db.PutTenant(ctx, &domain.Tenant{ID: "OU1", Name: "one"}); err != nil {
		t.Fatal(err)
	}
	if tn, err := db.TenantByID(ctx, "OU1"); err != nil || tn.Name != "one" {
		t.Fatal(tn, err)
	}
	if _, err := db.PutTenant(ctx, &domain.Tenant{ID: "OU1", Name: "renamed"}); err != nil {
		t.Fatal(err)
	}
	if tn, err := db.TenantByID(ctx, "OU1"); err != nil || tn.Name != "renamed" {
		t.Errorf("after a rename: %v, %v", tn, err)
	}
}

func TestRecordOutcomesSkipsADeliveryDeletedInFlight(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	gone := createTestWebhook(t, db, "*")
	kept := createTestWebhook(t, db, "*")
	if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "a", Payload: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	claimed, err := db.ClaimDue(ctx, "test", time.Now(), time.Minute, 10)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	if err := db.DeleteEndpoint(ctx, domain.DefaultTenant, gone.ID); err != nil {
		t.Fatal(err)
	}
	var outcomes []Outcome
	for _, d := range claimed {
		outcomes = append(outcomes, Outcome{DeliveryID: d.ID, Status: domain.StatusSucceeded, LastStatusCode: 204,
			Attempt: &domain.Attempt{Trigger: domain.TriggerScheduled, URL: "https://example.com/hook", StatusCode: 204, StartedAt: time.Now()}})
	}
	if err := db.RecordOutcomes(ctx, outcomes); err != nil {
		t.Fatalf("recording an outcome of a deleted delivery: %v", err)
	}
	for _, d := range claimed {
		if d.EndpointID != kept.ID {
			continue
		}
		got, err := db.DeliveryByID(ctx, domain.DefaultTenant, d.ID)
		if err != nil || got.Status != domain.StatusSucceeded || got.AttemptCount != 1 {
			t.Errorf("kept delivery: %+v, %v", got, err)
		}
	}
}

func TestNewDeliveriesOfAParkedEndpointAreParkedUntilItsLastUnpark(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	held := createTestWebhook(t, db, "*")
	free := createTestWebhook(t, db, "*")
	post := func() {
		t.Helper()
		if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "a", Payload: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	due := func() map[string]int {
		t.Helper()
		claimed, err := db.ClaimDue(ctx, "test", time.Now().Add(time.Second), time.Minute, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, d := range claimed {
			n[d.EndpointID]++
		}
		return n
	}
	const owner = "test/parked/x"
	if err := db.ParkDeliveries(ctx, held.ID, owner, nil, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	post()
	post()
	if n := due(); n[held.ID] != 0 || n[free.ID] != 2 {
		t.Fatalf("due while held: %v; want only the other endpoint's 2", n)
	}
	ids, last, err := db.UnparkDeliveries(ctx, held.ID, owner, 1)
	if err != nil || len(ids) != 1 || last {
		t.Fatalf("first unpark: %v, last %v, %v", ids, last, err)
	}
	post() // still held: one parked delivery is left
	ids, last, err = db.UnparkDeliveries(ctx, held.ID, owner, 10)
	if err != nil || len(ids) != 2 || !last {
		t.Fatalf("second unpark: %v, last %v, %v", ids, last, err)
	}
	post() // the hold has ended
	if n := due(); n[held.ID] != 4 || n[free.ID] != 2 {
		t.Errorf("due after the last unpark: %v; want 4 and 2", n)
	}
}

// TestAHoldIsSharedByEveryInstance parks on one handle and ingests on
// another, as two instances on one database do: the hold is a row, not a
// process's memory, so the second honours it and sees it end.
func TestAHoldIsSharedByEveryInstance(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	open := func() *DB {
		t.Helper()
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	parker, ingester := open(), open()
	held := createTestWebhook(t, parker, "*")
	post := func() *domain.Event {
		t.Helper()
		e := &domain.Event{TenantID: domain.DefaultTenant, Topic: "a", Payload: []byte(`{}`)}
		if _, err := ingester.CreateEvents(ctx, []*domain.Event{e}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	leaseOf := func(e *domain.Event) string {
		t.Helper()
		var owner sql.NullString
		if err := ingester.read.QueryRowContext(ctx, `SELECT lease_owner FROM deliveries WHERE event_id = ?`, e.ID).Scan(&owner); err != nil {
			t.Fatal(err)
		}
		return owner.String
	}
	const owner = "process-1/parked/x"
	if err := parker.ParkDeliveries(ctx, held.ID, owner, nil, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := leaseOf(post()); got != owner {
		t.Fatalf("a delivery stored by the other instance while held has lease %q, want %q", got, owner)
	}
	if _, last, err := parker.UnparkDeliveries(ctx, held.ID, owner, 10); err != nil || !last {
		t.Fatalf("unpark: last %v, %v", last, err)
	}
	if got := leaseOf(post()); got != "" {
		t.Fatalf("a delivery stored after the hold ended has lease %q, want none", got)
	}
	// A hold past its time is no hold: its owner is gone without ending it.
	if err := parker.ParkDeliveries(ctx, held.ID, owner, nil, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := leaseOf(post()); got != "" {
		t.Fatalf("a delivery stored under an expired hold has lease %q, want none", got)
	}
}

// On PostgreSQL, deleting an endpoint locks it and then its deliveries
// (ON DELETE CASCADE), while recording an attempt locks a delivery and then
// the endpoint its statistics refer to: unless one of them takes the locks
// in the other's order, the two can deadlock, and the victim fails with
// EUNAVAILABLE. Neither may fail.
func TestDeletingAnEndpointWhileItsAttemptsAreRecordedNeverDeadlocks(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	for round := range 40 {
		w := createTestWebhook(t, db, "*")
		events := make([]*domain.Event, 20)
		for i := range events {
			events[i] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "a", Payload: []byte(`{}`)}
		}
		if _, err := db.CreateEvents(ctx, events); err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimDue(ctx, "test", time.Now(), time.Minute, 100)
		if err != nil || len(claimed) != len(events) {
			t.Fatalf("claimed %d, %v", len(claimed), err)
		}
		outcomes := make([]Outcome, len(claimed))
		for i, d := range claimed {
			outcomes[i] = Outcome{DeliveryID: d.ID, EndpointID: d.EndpointID, TenantID: d.TenantID, Status: domain.StatusSucceeded, LastStatusCode: 204,
				Attempt: &domain.Attempt{Trigger: domain.TriggerScheduled, URL: w.URL, StatusCode: 204, StartedAt: time.Now()}}
		}
		var wg sync.WaitGroup
		var recordErr, deleteErr error
		wg.Go(func() { recordErr = db.RecordOutcomes(ctx, outcomes) })
		wg.Go(func() { deleteErr = db.DeleteEndpoint(ctx, domain.DefaultTenant, w.ID) })
		wg.Wait()
		if recordErr != nil || deleteErr != nil {
			t.Fatalf("round %d: recording: %v; deleting: %v", round, recordErr, deleteErr)
		}
	}
}
