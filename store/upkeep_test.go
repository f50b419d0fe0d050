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
