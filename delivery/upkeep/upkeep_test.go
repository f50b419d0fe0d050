package upkeep_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hooks/delivery/upkeep"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newWebhook(t *testing.T, db *store.DB, topics ...string) *domain.Endpoint {
	t.Helper()
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, Name: topics[0], URL: "https://example.com/" + topics[0], Topics: topics,
		Enabled: true, Signing: domain.Signing{Scheme: "standard-webhooks"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		Retry: domain.RetryPolicy{Schedule: "exponential", MaxAttempts: 1, RetryOn: domain.RetryOnPreset("5xx")}, Timeout: 5 * time.Second}
	if err := db.CreateEndpoint(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

// finish stores an event on topic and records its deliveries as ended
// with status after an attempt with trigger. It returns the deliveries.
func finish(t *testing.T, db *store.DB, topic, status, trigger string) []*domain.Delivery {
	t.Helper()
	ctx := context.Background()
	e := &domain.Event{TenantID: domain.DefaultTenant, Topic: topic, Payload: []byte(`{}`)}
	if _, err := db.CreateEvents(ctx, []*domain.Event{e}); err != nil {
		t.Fatal(err)
	}
	ds, _, err := db.Deliveries(ctx, store.DeliveryFilter{TenantID: domain.DefaultTenant, EventID: e.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		o := store.Outcome{DeliveryID: d.ID, Status: status, LastStatusCode: 503,
			Attempt: &domain.Attempt{Trigger: trigger, URL: "https://example.com", StatusCode: 503, StartedAt: time.Now()}}
		if err := db.RecordOutcomes(ctx, []store.Outcome{o}); err != nil {
			t.Fatal(err)
		}
	}
	return ds
}

// eventsOn returns the stored events with topic, newest first.
func eventsOn(t *testing.T, db *store.DB, topic string) []*domain.Event {
	t.Helper()
	evs, _, err := db.Events(context.Background(), store.EventFilter{TenantID: domain.DefaultTenant, Topic: topic, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDisableAfterFailingForThePeriod(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	failing := newWebhook(t, db, "orders/placed")
	healthy := newWebhook(t, db, "orders/updated")
	ops := newWebhook(t, db, upkeep.TopicEndpointDisabled)
	finish(t, db, "orders/placed", domain.StatusFailed, domain.TriggerScheduled)
	finish(t, db, "orders/placed", domain.StatusFailed, domain.TriggerScheduled)
	finish(t, db, "orders/updated", domain.StatusSucceeded, domain.TriggerScheduled)

	// Four days in: not yet.
	clock := time.Now().Add(4 * 24 * time.Hour)
	u := upkeep.New(db, upkeep.Config{Now: func() time.Time { return clock }, Logger: quiet()})
	if err := u.DisableFailing(ctx); err != nil {
		t.Fatal(err)
	}
	if w, _ := db.EndpointByID(ctx, domain.DefaultTenant, failing.ID); !w.Enabled {
		t.Fatalf("disabled after 4 days: %s", w.DisabledReason)
	}

	// Five days and a minute: disabled, with reason and time, announced once.
	clock = time.Now().Add(5*24*time.Hour + time.Minute)
	for range 2 {
		if err := u.DisableFailing(ctx); err != nil {
			t.Fatal(err)
		}
	}
	w, err := db.EndpointByID(ctx, domain.DefaultTenant, failing.ID)
	if err != nil {
		t.Fatal(err)
	}
	if w.Enabled || !strings.Contains(w.DisabledReason, "every delivery since") || w.DisabledAt.IsZero() {
		t.Errorf("after 5 days: enabled %v, reason %q, at %v", w.Enabled, w.DisabledReason, w.DisabledAt)
	}
	for _, other := range []*domain.Endpoint{healthy, ops} {
		if w, _ := db.EndpointByID(ctx, domain.DefaultTenant, other.ID); !w.Enabled {
			t.Errorf("%s was disabled too: %s", other.Name, w.DisabledReason)
		}
	}
	evs := eventsOn(t, db, upkeep.TopicEndpointDisabled)
	if len(evs) != 1 {
		t.Fatalf("%d endpoint.disabled events, want 1", len(evs))
	}
	var payload struct{ WebhookID, Reason string }
	if err := json.Unmarshal(evs[0].Payload, &payload); err != nil || payload.WebhookID != failing.ID || payload.Reason != w.DisabledReason {
		t.Errorf("event payload %s: %v", evs[0].Payload, err)
	}
	if evs[0].SubTopic != failing.ID || evs[0].DeliveryCount != 1 {
		t.Errorf("event sub-topic %q, %d deliveries; want the endpoint id and the ops endpoint", evs[0].SubTopic, evs[0].DeliveryCount)
	}
}

func TestDisableAfterConsecutiveExhaustedDeliveries(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	w := newWebhook(t, db, "t")
	u := upkeep.New(db, upkeep.Config{MaxExhausted: 3, FailingPeriod: -1, Logger: quiet()})
	finish(t, db, "t", domain.StatusFailed, domain.TriggerScheduled)
	finish(t, db, "t", domain.StatusFailed, domain.TriggerScheduled)
	finish(t, db, "t", domain.StatusSucceeded, domain.TriggerScheduled) // breaks the run
	finish(t, db, "t", domain.StatusFailed, domain.TriggerScheduled)
	finish(t, db, "t", domain.StatusFailed, domain.TriggerScheduled)
	u.DisableFailing(ctx)
	if got, _ := db.EndpointByID(ctx, domain.DefaultTenant, w.ID); !got.Enabled {
		t.Fatal("disabled after two failures in a row")
	}
	finish(t, db, "t", domain.StatusFailed, domain.TriggerScheduled)
	if err := u.DisableFailing(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if got.Enabled || !strings.Contains(got.DisabledReason, "3 deliveries in a row") {
		t.Errorf("enabled %v, reason %q", got.Enabled, got.DisabledReason)
	}
}

func TestReenabledEndpointStartsAfreshAndResendsNothing(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	w := newWebhook(t, db, "t")
	u := upkeep.New(db, upkeep.Config{MaxExhausted: 2, FailingPeriod: -1, Logger: quiet()})
	finish(t, db, "t", domain.StatusFailed, domain.TriggerScheduled)
	finish(t, db, "t", domain.StatusFailed, domain.TriggerScheduled)
	u.DisableFailing(ctx)
	w, _ = db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if w.Enabled {
		t.Fatal("not disabled")
	}
	time.Sleep(2 * time.Millisecond) // ids and times are in milliseconds
	w.Enabled, w.DisabledReason, w.DisabledAt = true, "", time.Time{}
	if err := db.UpdateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	u.DisableFailing(ctx)
	if got, _ := db.EndpointByID(ctx, domain.DefaultTenant, w.ID); !got.Enabled {
		t.Fatal("re-enabled endpoint disabled again for failures from before")
	}
	ds, _, err := db.Deliveries(ctx, store.DeliveryFilter{TenantID: domain.DefaultTenant, EndpointID: w.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Status != domain.StatusFailed {
			t.Errorf("delivery %s is %s after re-enabling; failed deliveries stay failed", d.ID, d.Status)
		}
	}
}

func TestAnnounceExhaustedDeliveries(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	newWebhook(t, db, "orders/placed")
	newWebhook(t, db, upkeep.TopicDeliveryExhausted) // the operator's endpoint
	woken := 0
	u := upkeep.New(db, upkeep.Config{Logger: quiet(), Wake: func() { woken++ }})

	finish(t, db, "orders/placed", domain.StatusFailed, domain.TriggerScheduled) // before upkeep's first run
	time.Sleep(2 * time.Millisecond)
	if err := u.AnnounceExhausted(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(eventsOn(t, db, upkeep.TopicDeliveryExhausted)); n != 0 {
		t.Fatalf("announced %d failures from before the first run", n)
	}

	time.Sleep(2 * time.Millisecond)
	exhausted := finish(t, db, "orders/placed", domain.StatusFailed, domain.TriggerScheduled)
	finish(t, db, "orders/placed", domain.StatusFailed, domain.TriggerManual) // a redelivery the user watches
	finish(t, db, "orders/placed", domain.StatusSucceeded, domain.TriggerScheduled)
	finish(t, db, upkeep.TopicDeliveryExhausted, domain.StatusFailed, domain.TriggerScheduled) // never about itself
	for range 2 {
		if err := u.AnnounceExhausted(ctx); err != nil {
			t.Fatal(err)
		}
	}
	evs := eventsOn(t, db, upkeep.TopicDeliveryExhausted)
	// The operator endpoint's own failed delivery was of an ops event; the
	// only other ops event is the one announcing the exhausted delivery.
	var announced []*domain.Event
	for _, e := range evs {
		if strings.HasPrefix(e.IdempotencyKey, "delivery.exhausted:") {
			announced = append(announced, e)
		}
	}
	if len(announced) != 1 {
		t.Fatalf("%d announcements, want 1 (for %s)", len(announced), exhausted[0].ID)
	}
	var payload struct {
		DeliveryID, WebhookID, Topic string
		LastStatusCode               int
	}
	if err := json.Unmarshal(announced[0].Payload, &payload); err != nil || payload.DeliveryID != exhausted[0].ID ||
		payload.Topic != "orders/placed" || payload.LastStatusCode != 503 {
		t.Errorf("payload %s: %v", announced[0].Payload, err)
	}
	if announced[0].SubTopic != exhausted[0].EndpointID || announced[0].DeliveryCount != 1 {
		t.Errorf("sub-topic %q and %d deliveries; want the endpoint id, delivered to the operator's endpoint", announced[0].SubTopic, announced[0].DeliveryCount)
	}
	if woken != 1 {
		t.Errorf("engine woken %d times, want once", woken)
	}
}

func TestPurgeRemovesOldEventsInBatches(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	newWebhook(t, db, "t")
	for range 5 {
		finish(t, db, "t", domain.StatusSucceeded, domain.TriggerScheduled)
	}
	finish(t, db, "t", domain.StatusRetrying, domain.TriggerScheduled)

	clock := time.Now().Add(29 * 24 * time.Hour)
	u := upkeep.New(db, upkeep.Config{PurgeBatch: 2, PurgePause: time.Millisecond, Logger: quiet(), Now: func() time.Time { return clock }})
	if err := u.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(eventsOn(t, db, "t")); n != 6 {
		t.Fatalf("%d events left after purging at 29 days, want 6", n)
	}
	clock = time.Now().Add(31 * 24 * time.Hour)
	if err := u.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(eventsOn(t, db, "t")); n != 1 {
		t.Fatalf("%d events left after purging at 31 days, want 1 (still retrying)", n)
	}
	off := upkeep.New(db, upkeep.Config{Retention: -1, Logger: quiet(), Now: func() time.Time { return clock.Add(365 * 24 * time.Hour) }})
	finish(t, db, "t", domain.StatusSucceeded, domain.TriggerScheduled)
	off.Purge(ctx)
	if n := len(eventsOn(t, db, "t")); n != 2 {
		t.Errorf("retention off still purged: %d events left", n)
	}
}

func TestPurgeRemovesOldAuditRecordsInBatches(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		r := &store.AuditRecord{At: start.Add(time.Duration(i) * 24 * time.Hour), TenantID: domain.DefaultTenant,
			ActorID: "usr_x", ActorKind: "user", Action: "webhook.updated", ObjectType: "webhook", ObjectID: "wbh_x"}
		if err := db.InsertAuditRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	left := func() int {
		t.Helper()
		recs, _, err := db.AuditRecords(ctx, store.AuditFilter{Limit: 250})
		if err != nil {
			t.Fatal(err)
		}
		return len(recs)
	}
	// At day 31 with 30 days' retention, the records of days 0 and 1 go.
	clock := start.Add(31*24*time.Hour + time.Minute)
	u := upkeep.New(db, upkeep.Config{PurgeBatch: 1, PurgePause: time.Millisecond, Logger: quiet(), Now: func() time.Time { return clock }})
	if err := u.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if n := left(); n != 3 {
		t.Fatalf("%d audit records left, want 3", n)
	}
	off := upkeep.New(db, upkeep.Config{Retention: -1, Logger: quiet(), Now: func() time.Time { return clock.Add(365 * 24 * time.Hour) }})
	if err := off.Purge(ctx); err != nil || left() != 3 {
		t.Errorf("retention off still purged: %v, %d left", err, left())
	}
}

func TestPurgeStatsKeepsMinutesAMonthAndHoursAYear(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	newWebhook(t, db, "t")
	start := time.Now()
	finish(t, db, "t", domain.StatusFailed, domain.TriggerScheduled)
	kept := func() (minutes, hours int64) {
		t.Helper()
		m, err := db.Stats(ctx, domain.DefaultTenant, "", start.Add(-time.Minute), start.Add(time.Minute), store.StatsMinute)
		if err != nil {
			t.Fatal(err)
		}
		h, err := db.Stats(ctx, domain.DefaultTenant, "", start.Add(-time.Hour), start.Add(time.Hour), store.StatsHour)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range m {
			minutes += b.Attempts
		}
		for _, b := range h {
			hours += b.Attempts
		}
		return minutes, hours
	}
	for _, step := range []struct {
		name          string
		retention     time.Duration
		after         time.Duration
		minutes, hour int64
	}{
		{"a day later", 0, 24 * time.Hour, 1, 1},
		{"31 days later", 0, 31 * 24 * time.Hour, 0, 1},
		{"a year later, retention off", -1, 370 * 24 * time.Hour, 0, 1},
		{"a year later, retention two years", 2 * 365 * 24 * time.Hour, 370 * 24 * time.Hour, 0, 1},
		{"a year later", 0, 370 * 24 * time.Hour, 0, 0},
	} {
		u := upkeep.New(db, upkeep.Config{Retention: step.retention, PurgeBatch: 1, PurgePause: time.Millisecond, Logger: quiet(),
			Now: func() time.Time { return start.Add(step.after) }})
		if err := u.PurgeStats(ctx); err != nil {
			t.Fatal(err)
		}
		if m, h := kept(); m != step.minutes || h != step.hour {
			t.Errorf("%s: kept %d in minutes and %d in hours, want %d and %d", step.name, m, h, step.minutes, step.hour)
		}
	}
}
