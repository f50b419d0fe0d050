package store

import (
	"context"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store/storetest"
)

func openTestDB(t *testing.T, opts ...Option) *DB {
	t.Helper()
	db, err := Open(context.Background(), storetest.DSN(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenMigratesOnceAndCreatesDefaultTenant(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	for range 2 {
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil || v < 1 {
			t.Fatalf("schema version %d, %v", v, err)
		}
		tenants, err := db.Tenants(ctx)
		if err != nil || len(tenants) != 1 || tenants[0].ID != domain.DefaultTenant {
			t.Fatalf("tenants = %v, %v", tenants, err)
		}
		db.Close()
	}
}

func TestMatchTopic(t *testing.T) {
	cases := []struct {
		pattern, topic string
		want           bool
	}{
		{"orders/placed", "orders/placed", true},
		{"orders/placed", "orders/updated", false},
		{"orders/*", "orders/placed", true},
		{"orders/*", "orders/a/b", true},
		{"orders/*", "orders", false},
		{"orders/*", "ordersx/placed", false},
		{"*", "anything", true},
		{"order-created", "order-created", true},
		{"product:adv/*", "product:adv/adv-120", true},
	}
	for _, c := range cases {
		if got := domain.MatchTopic(c.pattern, c.topic); got != c.want {
			t.Errorf("MatchTopic(%q, %q) = %v, want %v", c.pattern, c.topic, got, c.want)
		}
	}
}

func TestClaimDueOldestFirstAndLeased(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	db := openTestDB(t, WithClock(func() time.Time { return now }))
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: "https://example.com", Topics: []string{"*"}, Enabled: true, Secret: "s"}
	if err := db.CreateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		now = now.Add(time.Second)
		if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte{'0' + byte(i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := db.ClaimDue(ctx, "a", now, time.Minute, 2)
	if err != nil || len(first) != 2 {
		t.Fatalf("claim = %d, %v", len(first), err)
	}
	if !first[0].CreatedAt.Before(first[1].CreatedAt) && !first[1].CreatedAt.Before(first[0].CreatedAt) {
		t.Errorf("claimed two deliveries with the same time")
	}
	again, _ := db.ClaimDue(ctx, "b", now, time.Minute, 10)
	if len(again) != 1 {
		t.Fatalf("second claim got %d, want only the unleased one", len(again))
	}
	if n, _ := db.ClaimDue(ctx, "b", now.Add(59*time.Second), time.Minute, 10); len(n) != 0 {
		t.Fatalf("leases broken early: %d claimed", len(n))
	}
	expired, _ := db.ClaimDue(ctx, "c", now.Add(2*time.Minute), time.Minute, 10)
	if len(expired) != 3 {
		t.Fatalf("after lease expiry claimed %d, want 3", len(expired))
	}
}

func TestDeliveriesKeysetAndTimeRange(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db := openTestDB(t, WithClock(func() time.Time { return now }))
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: "https://example.com", Topics: []string{"*"}, Enabled: true, Secret: "s"}
	if err := db.CreateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	_ = w
	// Ids embed real creation time (ULID), so space the events out in real time.
	start := time.Now()
	for range 5 {
		if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	var all []*domain.Delivery
	cursor := ""
	for {
		page, next, err := db.Deliveries(ctx, DeliveryFilter{TenantID: domain.DefaultTenant, Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if cursor = next; cursor == "" {
			break
		}
	}
	if len(all) != 5 {
		t.Fatalf("paged %d deliveries, want 5", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Fatalf("not newest first: %s then %s", all[i-1].ID, all[i].ID)
		}
	}
	inRange, _, err := db.Deliveries(ctx, DeliveryFilter{TenantID: domain.DefaultTenant, From: start.Add(-time.Second), To: time.Now().Add(time.Second), Limit: 50})
	if err != nil || len(inRange) != 5 {
		t.Fatalf("time range found %d, %v", len(inRange), err)
	}
	none, _, _ := db.Deliveries(ctx, DeliveryFilter{TenantID: domain.DefaultTenant, To: start.Add(-time.Second), Limit: 50})
	if len(none) != 0 {
		t.Fatalf("range before the first delivery found %d", len(none))
	}
	other, _, _ := db.Deliveries(ctx, DeliveryFilter{TenantID: "other", Limit: 50})
	if len(other) != 0 {
		t.Fatalf("another tenant sees %d deliveries", len(other))
	}
}
