package store

import (
	"context"
	"testing"
	"time"

	"hooks/domain"
)

func TestFirstAttemptsReadsEachDeliverysFirstAttemptOnly(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	createTestWebhook(t, db, "orders/*")
	createTestWebhook(t, db, "orders/*")
	events := []*domain.Event{
		{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{}`)},
		{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{}`)},
	}
	if _, err := db.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	before, err := db.FirstAttempts(ctx, domain.DefaultTenant, []string{events[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 2 || before[0].Attempt != nil || before[0].Status != domain.StatusPending || before[0].EventID != events[0].ID {
		t.Fatalf("before any attempt: %+v", before)
	}

	// The first delivery fails, then succeeds; the second is not attempted.
	id := before[0].DeliveryID
	now := time.Now()
	record := func(status string, code int, errText, body string, at time.Time) {
		t.Helper()
		a := &domain.Attempt{DeliveryID: id, Trigger: domain.TriggerScheduled, URL: "https://example.com/hook", StatusCode: code,
			Error: errText, ResponseBody: []byte(body), StartedAt: at}
		if err := db.RecordOutcomes(ctx, []Outcome{{DeliveryID: id, Status: status, LastStatusCode: code, Attempt: a}}); err != nil {
			t.Fatal(err)
		}
	}
	record(domain.StatusRetrying, 500, "receiver answered 500 Internal Server Error", `{"HTMLResponse":"<p>first</p>"}`, now)
	record(domain.StatusSucceeded, 200, "", `{"HTMLResponse":"<p>second</p>"}`, now.Add(time.Second))

	got, err := db.FirstAttempts(ctx, domain.DefaultTenant, []string{events[0].ID, events[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d rows, want 4 (two events, two endpoints)", len(got))
	}
	first := got[0]
	if first.DeliveryID != id || first.Status != domain.StatusSucceeded || first.Attempt == nil {
		t.Fatalf("first delivery: %+v", first)
	}
	if a := first.Attempt; a.StatusCode != 500 || a.Error == "" || string(a.ResponseBody) != `{"HTMLResponse":"<p>first</p>"}` {
		t.Errorf("first attempt = %d %q %q, want the 500", a.StatusCode, a.Error, a.ResponseBody)
	}
	for _, f := range got[1:] {
		if f.Attempt != nil || f.Status != domain.StatusPending {
			t.Errorf("delivery %s: %+v, want pending without attempt", f.DeliveryID, f)
		}
	}
	if got[2].EventID != events[1].ID || got[3].EventID != events[1].ID {
		t.Errorf("rows not ordered by event: %+v", got)
	}

	// Another tenant sees none of them.
	if other, err := db.FirstAttempts(ctx, "other-tenant", []string{events[0].ID}); err != nil || len(other) != 0 {
		t.Errorf("another tenant: %d rows, %v", len(other), err)
	}
}
