package store

import (
	"context"
	"hooks/domain"
	"testing"
	"time"
)

// awaitingDeliveries stores n events for one endpoint, claims their
// deliveries and records each as answered with an AsyncCallback whose first
// poll is at poll (a delivery with an even index) or, for odd ones, with
// no callback state at all.
func awaitingDeliveries(t *testing.T, db *DB, n int, now, poll time.Time) []*domain.Delivery {
	t.Helper()
	ctx := context.Background()
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: "https://example.com", Topics: []string{"*"}, Enabled: true, Secret: "s"}
	if err := db.CreateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	for range n {
		if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := db.ClaimDue(ctx, "engine", now, time.Minute, n)
	if err != nil || len(claimed) != n {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	var outcomes []Outcome
	for i, d := range claimed {
		o := Outcome{DeliveryID: d.ID, Status: domain.StatusAwaitingCallback, NextAttemptAt: poll, LastStatusCode: 200,
			Attempt: &domain.Attempt{Trigger: domain.TriggerScheduled, URL: w.URL, StatusCode: 200, StartedAt: now}}
		if i%2 == 0 {
			o.Callback = &Callback{URI: "https://example.com/status", Interval: 30 * time.Second, Deadline: now.Add(time.Hour),
				NextPollAt: poll, CreatedAt: now}
		}
		outcomes = append(outcomes, o)
	}
	if err := db.RecordOutcomes(ctx, outcomes); err != nil {
		t.Fatal(err)
	}
	return claimed
}

func TestClaimDueCallbacksLeasesAndSkipsTheDispatcher(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	db := openTestDB(t, WithClock(func() time.Time { return now }))
	poll := now.Add(time.Minute)
	claimed := awaitingDeliveries(t, db, 2, now, poll)

	// Awaiting deliveries are not the dispatcher's, even when due.
	if ds, err := db.ClaimDue(ctx, "engine", poll.Add(time.Hour), time.Minute, 10); err != nil || len(ds) != 0 {
		t.Fatalf("ClaimDue took %d awaiting deliveries, %v", len(ds), err)
	}
	if due, err := db.ClaimDueCallbacks(ctx, "poller", poll.Add(-time.Millisecond), time.Minute, 10); err != nil || len(due) != 0 {
		t.Fatalf("claimed %d callbacks before their poll time, %v", len(due), err)
	}

	due, err := db.ClaimDueCallbacks(ctx, "poller", poll, time.Minute, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("ClaimDueCallbacks = %d, %v; want the one with state", len(due), err)
	}
	cb := due[0].Callback
	if due[0].Delivery.ID != claimed[0].ID || cb.URI != "https://example.com/status" || cb.Interval != 30*time.Second ||
		!cb.NextPollAt.Equal(poll) || !cb.Deadline.Equal(now.Add(time.Hour)) {
		t.Fatalf("due = %+v, callback %+v", due[0].Delivery, cb)
	}
	// The one without state can't be polled, so it has failed rather than
	// waiting for ever.
	orphan, err := db.DeliveryByID(ctx, domain.DefaultTenant, claimed[1].ID)
	if err != nil || orphan.Status != domain.StatusFailed {
		t.Fatalf("delivery without callback state = %+v, %v", orphan, err)
	}

	// Leased: not claimed again until the lease runs out.
	if again, _ := db.ClaimDueCallbacks(ctx, "other", poll.Add(59*time.Second), time.Minute, 10); len(again) != 0 {
		t.Fatalf("lease broken early: %d claimed", len(again))
	}
	if again, _ := db.ClaimDueCallbacks(ctx, "other", poll.Add(61*time.Second), time.Minute, 10); len(again) != 1 {
		t.Fatalf("after the lease expired claimed %d, want 1", len(again))
	}

	// Recording a poll replaces the state; a final one leaves it as a record.
	next := *cb
	next.Polls, next.NextPollAt = 1, poll.Add(90*time.Second)
	if err := db.RecordOutcomes(ctx, []Outcome{{DeliveryID: cb.DeliveryID, Status: domain.StatusAwaitingCallback, NextAttemptAt: next.NextPollAt,
		Attempt: &domain.Attempt{Trigger: domain.TriggerCallback, URL: cb.URI, StatusCode: 200, StartedAt: poll}, Callback: &next}}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.CallbackByDelivery(ctx, cb.DeliveryID); err != nil || got.Polls != 1 || !got.NextPollAt.Equal(next.NextPollAt) {
		t.Fatalf("after a pending poll: %+v, %v", got, err)
	}
	if err := db.RecordOutcomes(ctx, []Outcome{{DeliveryID: cb.DeliveryID, Status: domain.StatusSucceeded,
		Attempt: &domain.Attempt{Trigger: domain.TriggerCallback, URL: cb.URI, StatusCode: 200, StartedAt: poll}}}); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.ClaimDueCallbacks(ctx, "poller", poll.Add(24*time.Hour), time.Minute, 10); len(due) != 0 {
		t.Fatalf("a finished delivery is still polled")
	}
	if _, err := db.CallbackByDelivery(ctx, cb.DeliveryID); err != nil {
		t.Fatalf("the callback record is gone: %v", err)
	}
	if _, err := db.CallbackByDelivery(ctx, "dlv_missing"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("missing callback: %v", err)
	}
}
