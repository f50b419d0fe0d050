package store

import (
	"context"
	"fmt"
	"hooks/domain"
	"testing"
	"time"
)

// postAndFinish stores one event per status for w and records each of its
// deliveries as ending in that status, in order. It returns the delivery ids.
func postAndFinish(t *testing.T, db *DB, w *domain.Endpoint, statuses ...string) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for _, st := range statuses {
		e := &domain.Event{TenantID: w.TenantID, Topic: w.Topics[0], Payload: []byte(`{}`)}
		if _, err := db.CreateEvents(ctx, []*domain.Event{e}); err != nil {
			t.Fatal(err)
		}
		ds, _, err := db.Deliveries(ctx, DeliveryFilter{TenantID: w.TenantID, EndpointID: w.ID, EventID: e.ID})
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries of %s: %v, %v", e.ID, ds, err)
		}
		if st != domain.StatusPending {
			code := 500
			if st == domain.StatusSucceeded {
				code = 200
			}
			o := Outcome{DeliveryID: ds[0].ID, Status: st, LastStatusCode: code,
				Attempt: &domain.Attempt{Trigger: domain.TriggerScheduled, URL: w.URL, StatusCode: code, StartedAt: time.Now()}}
			if err := db.RecordOutcomes(ctx, []Outcome{o}); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, ds[0].ID)
	}
	return ids
}

func failingIDs(t *testing.T, db *DB, since time.Time, maxFailed int) map[string]FailingEndpoint {
	t.Helper()
	got, err := db.FailingEndpoints(context.Background(), since, maxFailed)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]FailingEndpoint{}
	for _, f := range got {
		out[f.ID] = f
	}
	return out
}

func TestFailingWebhooksByAgeAndCount(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	allFailed := createTestWebhook(t, db, "a")
	recovered := createTestWebhook(t, db, "b")
	stillTrying := createTestWebhook(t, db, "c")
	disabled := createTestWebhook(t, db, "d")
	fixed := createTestWebhook(t, db, "e")

	failedIDs := postAndFinish(t, db, allFailed, domain.StatusFailed, domain.StatusFailed, domain.StatusFailed)
	recoveredIDs := postAndFinish(t, db, recovered, domain.StatusFailed, domain.StatusFailed, domain.StatusSucceeded, domain.StatusFailed)
	postAndFinish(t, db, stillTrying, domain.StatusRetrying, domain.StatusPending)
	postAndFinish(t, db, disabled, domain.StatusFailed, domain.StatusFailed, domain.StatusFailed)
	if err := db.DisableEndpoint(ctx, disabled.TenantID, disabled.ID, "test"); err != nil {
		t.Fatal(err)
	}
	postAndFinish(t, db, fixed, domain.StatusFailed, domain.StatusFailed, domain.StatusFailed)
	time.Sleep(2 * time.Millisecond) // the change below must be later than those deliveries
	fixed.URL = "https://example.com/fixed"
	if err := db.UpdateEndpoint(ctx, fixed); err != nil {
		t.Fatal(err)
	}

	// By age: every failure so far is "old enough" at now+1s, none at -1h.
	got := failingIDs(t, db, time.Now().Add(time.Second), 0)
	if len(got) != 2 {
		t.Fatalf("failing by age: %v, want the all-failed and the recovered-then-failed endpoints", got)
	}
	if f := got[allFailed.ID]; f.FirstFailure != failedIDs[0] || f.FailingSince != domain.IDTime(failedIDs[0]) {
		t.Errorf("all-failed: %+v, want first failure %s", f, failedIDs[0])
	}
	if f := got[recovered.ID]; f.FirstFailure != recoveredIDs[3] {
		t.Errorf("recovered: first failure %s, want the one after the success (%s)", f.FirstFailure, recoveredIDs[3])
	}
	if got := failingIDs(t, db, time.Now().Add(-time.Hour), 0); len(got) != 0 {
		t.Errorf("nothing failed an hour ago, yet %v", got)
	}

	// By count: three in a row, not four; the recovered one has one.
	for _, tt := range []struct {
		max  int
		want []string
	}{{3, []string{allFailed.ID}}, {4, nil}, {1, []string{allFailed.ID, recovered.ID}}} {
		got := failingIDs(t, db, time.Time{}, tt.max)
		if len(got) != len(tt.want) {
			t.Errorf("maxFailed %d: %v, want %v", tt.max, got, tt.want)
		}
		for _, id := range tt.want {
			if _, ok := got[id]; !ok {
				t.Errorf("maxFailed %d: %s missing", tt.max, id)
			}
		}
		if f, ok := got[allFailed.ID]; ok && f.Failed != min(tt.max, 3) {
			t.Errorf("maxFailed %d: counted %d", tt.max, f.Failed)
		}
	}
	if got, err := db.FailingEndpoints(ctx, time.Time{}, 0); err != nil || got != nil {
		t.Errorf("both tests off: %v, %v", got, err)
	}

	// The last success is found through the statistics' last minute with
	// one; past their retention, by reading the endpoint's deliveries back.
	for _, purge := range []string{"", "DELETE FROM stats_minutes", "DELETE FROM stats_hours"} {
		if purge != "" {
			if _, err := db.write.ExecContext(ctx, purge); err != nil {
				t.Fatal(err)
			}
		}
		if f := failingIDs(t, db, time.Time{}, 1)[recovered.ID]; f.FirstFailure != recoveredIDs[3] || f.Failed != 1 {
			t.Errorf("after %q: recovered endpoint %+v, want one failure, %s", purge, f, recoveredIDs[3])
		}
	}
}

func TestFailedSinceWalksFailuresInOrder(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	w := createTestWebhook(t, db, "t")
	ids := postAndFinish(t, db, w, domain.StatusFailed, domain.StatusSucceeded, domain.StatusFailed, domain.StatusFailed, domain.StatusPending)
	var seen []string
	var after time.Time
	afterID := ""
	for {
		page, err := db.FailedSince(ctx, after, afterID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, f := range page {
			if f.LastTrigger != domain.TriggerScheduled || f.Status != domain.StatusFailed {
				t.Errorf("%s: trigger %q, status %q", f.ID, f.LastTrigger, f.Status)
			}
			seen = append(seen, f.ID)
		}
		last := page[len(page)-1]
		after, afterID = last.UpdatedAt, last.ID
	}
	want := []string{ids[0], ids[2], ids[3]}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("walked %v, want %v", seen, want)
	}
}

func TestPurgeEventsBeforeKeepsWorkUnderWay(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	w := createTestWebhook(t, db, "t")
	ids := postAndFinish(t, db, w, domain.StatusSucceeded, domain.StatusFailed, domain.StatusRetrying, domain.StatusSucceeded, domain.StatusPending)
	// Ids carry millisecond times: step over a millisecond either side of
	// the cutoff, so the event after it is newer than it.
	time.Sleep(2 * time.Millisecond)
	cutoff := time.Now()
	time.Sleep(2 * time.Millisecond)
	newer := postAndFinish(t, db, w, domain.StatusSucceeded)

	total := 0
	for {
		n, err := db.PurgeEventsBefore(ctx, cutoff, 2)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if n > 2 {
			t.Fatalf("a batch of 2 purged %d", n)
		}
		total += n
	}
	if total != 3 {
		t.Errorf("purged %d events, want the 3 finished ones", total)
	}
	for i, id := range append(ids, newer...) {
		_, err := db.DeliveryByID(ctx, w.TenantID, id)
		gone := domain.ErrorCode(err) == domain.ENOTFOUND
		if wantGone := i == 0 || i == 1 || i == 3; gone != wantGone {
			t.Errorf("delivery %d: gone %v, want %v (%v)", i, gone, wantGone, err)
		}
		attempts, err := db.AttemptsByDelivery(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if gone && len(attempts) != 0 {
			t.Errorf("delivery %d purged but %d attempts left", i, len(attempts))
		}
	}
}

// TestDisabledEndpointReadsDisabledOnceItsEventExists checks that the
// endpoint.disabled event and the disabling commit together: the engine,
// handed the event's deliveries as soon as they are committed, already
// reads the endpoint disabled.
func TestDisabledEndpointReadsDisabledOnceItsEventExists(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	gone := createTestWebhook(t, db, "orders/placed", "endpoint.disabled")
	createTestWebhook(t, db, "endpoint.disabled") // the operator's, told of it
	var handed []*domain.Delivery
	var readEnabled []bool
	db.SetHandoff(&Handoff{Owner: "test", Lease: time.Minute, Reserve: func(n int) int { return n }, Unreserve: func(int) {},
		Deliver: func(ds []*domain.Delivery, _ map[string]*domain.Event) {
			handed = append(handed, ds...)
			w, err := db.EndpointByID(ctx, gone.TenantID, gone.ID)
			if err != nil {
				t.Error(err)
				return
			}
			readEnabled = append(readEnabled, w.Enabled)
		}})
	ev := &domain.Event{TenantID: gone.TenantID, Topic: "endpoint.disabled", SubTopic: gone.ID, Payload: []byte(`{}`), IdempotencyKey: "endpoint.disabled:" + gone.ID}
	created, err := db.DisableEndpointAnnounced(ctx, gone.TenantID, gone.ID, "gone", ev)
	if err != nil || !created {
		t.Fatalf("DisableEndpointAnnounced = %v, %v", created, err)
	}
	if len(handed) != 2 || len(readEnabled) != 1 || readEnabled[0] {
		t.Fatalf("handed %d deliveries; the endpoint read enabled when they were handed: %v", len(handed), readEnabled)
	}
	w, err := db.EndpointByID(ctx, gone.TenantID, gone.ID)
	if err != nil || w.Enabled || w.DisabledReason != "gone" || w.DisabledAt.IsZero() {
		t.Fatalf("endpoint after: %+v, %v", w, err)
	}
	if stored, err := db.EventByID(ctx, ev.TenantID, ev.ID); err != nil || stored.DeliveryCount != 2 {
		t.Fatalf("event after: %+v, %v", stored, err)
	}
}

// TestDisableEndpointAnnouncedStoresNeitherOrBoth checks the two ways
// upkeep's at-least-once announcement relies on: a failed disabling
// stores no event (the cause is seen again and retried), and an event
// stored before under the same key is not stored twice while the
// endpoint is still disabled.
func TestDisableEndpointAnnouncedStoresNeitherOrBoth(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	w := createTestWebhook(t, db, "endpoint.disabled")
	announce := func(id, key string) (*domain.Event, bool, error) {
		ev := &domain.Event{TenantID: w.TenantID, Topic: "endpoint.disabled", SubTopic: id, Payload: []byte(`{}`), IdempotencyKey: key}
		created, err := db.DisableEndpointAnnounced(ctx, w.TenantID, id, "failing", ev)
		return ev, created, err
	}

	ev, _, err := announce("wbh_missing", "endpoint.disabled:wbh_missing")
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("disabling a missing endpoint: %v, want ENOTFOUND", err)
	}
	if _, err := db.EventByID(ctx, w.TenantID, ev.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("the event of a failed disabling was stored: %v", err)
	}

	// As if an earlier run stored the event and stopped before disabling.
	key := "endpoint.disabled:" + w.ID
	first := &domain.Event{TenantID: w.TenantID, Topic: "endpoint.disabled", SubTopic: w.ID, Payload: []byte(`{}`), IdempotencyKey: key}
	if _, err := db.CreateEvents(ctx, []*domain.Event{first}); err != nil {
		t.Fatal(err)
	}
	ev, created, err := announce(w.ID, key)
	if err != nil || created || ev.ID != first.ID {
		t.Fatalf("announcing again = %s, created %v, %v; want the first event %s, not created", ev.ID, created, err, first.ID)
	}
	got, err := db.EndpointByID(ctx, w.TenantID, w.ID)
	if err != nil || got.Enabled || got.DisabledReason != "failing" {
		t.Fatalf("endpoint after: enabled %v, reason %q, %v", got.Enabled, got.DisabledReason, err)
	}
}
