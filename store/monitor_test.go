package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store/storetest"
)

func TestQueueStatsCountsWaitingDueAndOldest(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	db := openTestDB(t, WithClock(func() time.Time { return now }))
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, Name: "a", URL: "https://example.com", Topics: []string{"*"}, Enabled: true,
		Signing: domain.Signing{Scheme: "standard-webhooks"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Retry: domain.RetryPolicy{MaxAttempts: 1}, Timeout: time.Second}
	if err := db.CreateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	off := &domain.Endpoint{TenantID: domain.DefaultTenant, Name: "b", URL: "https://example.com", Topics: []string{"none"}, Enabled: false,
		Signing: domain.Signing{Scheme: "standard-webhooks"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Retry: domain.RetryPolicy{MaxAttempts: 1}, Timeout: time.Second}
	if err := db.CreateEndpoint(ctx, off); err != nil {
		t.Fatal(err)
	}
	s, err := db.QueueStats(ctx, now)
	if err != nil || s != (QueueStats{}) {
		t.Fatalf("empty queue: %+v, %v", s, err)
	}
	var events []*domain.Event
	for range 3 {
		events = append(events, &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{}`)})
	}
	if _, err := db.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	// One is claimed (in flight), so it is waiting but not due.
	if _, err := db.ClaimDue(ctx, "test", now, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	later := now.Add(90 * time.Second)
	s, err = db.QueueStats(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	// At "later" the lease (now+1m) has expired too, so all three are due.
	if s.Waiting != 3 || s.Due != 3 || !s.OldestDue.Equal(now) {
		t.Errorf("at +90s: %+v, want 3 waiting, 3 due, oldest %v", s, now)
	}
	s, err = db.QueueStats(ctx, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if s.Waiting != 3 || s.Due != 2 || !s.OldestDue.Equal(now) {
		t.Errorf("at +1s: %+v, want 3 waiting, 2 due (one claimed), oldest %v", s, now)
	}

	en, dis, auto, err := db.EndpointCounts(ctx)
	if err != nil || en != 1 || dis != 1 || auto != 0 {
		t.Errorf("EndpointCounts = %d, %d, %d, %v; want 1 enabled, 1 disabled (by a user), 0 auto-disabled", en, dis, auto, err)
	}
	if err := db.DisableEndpoint(ctx, domain.DefaultTenant, w.ID, "No delivery succeeded for 5 days"); err != nil {
		t.Fatal(err)
	}
	if err := db.DisableEndpoint(ctx, domain.DefaultTenant, off.ID, domain.UserDisabledReason); err != nil {
		t.Fatal(err)
	}
	en, dis, auto, err = db.EndpointCounts(ctx)
	if err != nil || en != 0 || dis != 2 || auto != 1 {
		t.Errorf("after an auto-disable: EndpointCounts = %d, %d, %d, %v; want 0, 2, 1", en, dis, auto, err)
	}
}

// TestQueueStatsReadsOnlyTheDueIndex guards the cost of a /metrics scrape:
// each part of the query must be a range read of the partial index.
func TestQueueStatsReadsOnlyTheDueIndex(t *testing.T) {
	storetest.SkipOnPostgres(t, "reads SQLite's query plan")
	db := openTestDB(t)
	rows, err := db.read.QueryContext(context.Background(), `EXPLAIN QUERY PLAN SELECT
		(SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at >= 0),
		(SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?1),
		(SELECT MIN(next_attempt_at) FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?1)`, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := strings.Join(plan, "; ")
	if n := strings.Count(got, "SEARCH deliveries USING INDEX deliveries_due (next_attempt_at"); n != 3 || strings.Contains(got, "SCAN deliveries") {
		t.Errorf("plan %q: want three range reads of the index deliveries_due and no table scan", got)
	}
}
