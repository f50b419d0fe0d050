package store

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"hooks/domain"
)

// testHandoff is an engine's side of a Handoff with room for a number of
// deliveries.
type testHandoff struct {
	mu       sync.Mutex
	room     int
	handed   []*domain.Delivery
	events   map[string]*domain.Event
	delivers int
	dues     int // calls of Due: commits that stored deliveries due
}

func (h *testHandoff) handoff(lease time.Duration) *Handoff {
	return &Handoff{Owner: "me", Lease: lease,
		Reserve: func(n int) int {
			h.mu.Lock()
			defer h.mu.Unlock()
			k := min(n, h.room)
			h.room -= k
			return k
		},
		Unreserve: func(n int) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.room += n
		},
		Deliver: func(ds []*domain.Delivery, events map[string]*domain.Event) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.delivers++
			h.handed = append(h.handed, ds...)
			if h.events == nil {
				h.events = map[string]*domain.Event{}
			}
			for id, e := range events {
				h.events[id] = e
			}
		},
		Due: func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.dues++
		},
	}
}

func TestIngestHandsOverFreshDeliveriesLeasedWhileThereIsRoom(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	db := openTestDB(t, WithClock(func() time.Time { return now }))
	for range 3 {
		createTestWebhook(t, db, "orders/*")
	}
	h := &testHandoff{room: 4}
	db.SetHandoff(h.handoff(time.Minute))

	// A posted time with more precision than the database keeps: the
	// handed event must read as a claimed one would.
	triggered := now.Add(-time.Second - 123456*time.Nanosecond)
	events := []*domain.Event{
		{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{"n":1}`), TriggeredAt: triggered},
		{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{"n":2}`), IdempotencyKey: "k2"},
	}
	if _, err := db.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	if h.delivers != 1 || len(h.handed) != 4 || h.room != 0 {
		t.Fatalf("%d hand-overs of %d deliveries, room left %d; want 1 of 4, 0", h.delivers, len(h.handed), h.room)
	}
	if h.dues != 1 {
		t.Errorf("told of deliveries stored due %d times, want once: two had no room", h.dues)
	}
	// Each handed delivery and event is what reading it back gives.
	for _, d := range h.handed {
		stored, err := db.DeliveryByID(ctx, d.TenantID, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d, stored) {
			t.Errorf("handed delivery\n%+v\nstored\n%+v", d, stored)
		}
		if !d.NextAttemptAt.Equal(now.Add(time.Minute)) {
			t.Errorf("handed delivery due at %v, want the lease's end %v", d.NextAttemptAt, now.Add(time.Minute))
		}
	}
	if len(h.events) != 2 {
		t.Errorf("%d events handed over, want 2", len(h.events))
	}
	for id, e := range h.events {
		stored, err := db.EventByID(ctx, e.TenantID, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(e, stored) {
			t.Errorf("handed event\n%+v\nstored\n%+v", e, stored)
		}
	}

	// The two without room are stored due; claims don't see the handed ones
	// until their lease ends.
	claimed, err := db.ClaimDue(ctx, "other", now, time.Hour, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 2 {
		t.Fatalf("claimed %d deliveries, want the 2 stored due", len(claimed))
	}
	if claimed, _ := db.ClaimDue(ctx, "other", now.Add(time.Minute), time.Minute, 100); len(claimed) != 4 {
		t.Errorf("claimed %d deliveries when the lease ended, want the 4 handed over (their owner died)", len(claimed))
	}
}

func TestReleaseLeasesAtStartUpMakesHandedDeliveriesDue(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	createTestWebhook(t, db, "orders/*")
	h := &testHandoff{room: 100}
	db.SetHandoff(h.handoff(time.Hour))
	if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	if len(h.handed) != 1 || h.room != 99 {
		t.Fatalf("%d deliveries handed over, room left %d; want 1 and the unused room given back (99)", len(h.handed), h.room)
	}
	if h.dues != 0 {
		t.Errorf("told of deliveries stored due %d times; every one was handed over", h.dues)
	}
	// The process dies with the delivery in memory; the next one starts.
	db.SetHandoff(nil)
	if n, err := db.ReleaseLeases(ctx, ""); err != nil || n != 1 {
		t.Fatalf("released %d leases (%v), want 1", n, err)
	}
	claimed, err := db.ClaimDue(ctx, "next", time.Now(), time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].ID != h.handed[0].ID {
		t.Fatalf("claimed %d (%v), want the handed delivery", len(claimed), err)
	}
}

func TestIngestHandsNothingOverWhenItsTransactionFails(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	createTestWebhook(t, db, "orders/*")
	h := &testHandoff{room: 10}
	db.SetHandoff(h.handoff(time.Minute))
	events := []*domain.Event{
		{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{}`)},
		{TenantID: "no-such-tenant", Topic: "orders/placed", Payload: []byte(`{}`)}, // fails the transaction
	}
	if _, err := db.CreateEvents(ctx, events); err == nil {
		t.Fatal("CreateEvents of an event of an unknown tenant succeeded")
	}
	if h.delivers != 0 || h.room != 10 || h.dues != 0 {
		t.Errorf("%d hand-overs, %d due notices, room %d after a failed ingest; want none and all room given back", h.delivers, h.dues, h.room)
	}
}
