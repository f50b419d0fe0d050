package store

import (
	"context"
	"testing"

	"hooks/domain"
)

// TestFilteredOutEventsCreateNoDelivery posts events to three subscribers
// of one topic, two of them with filters: each event gets deliveries only
// for the endpoints it matches, and delivery_count counts only those.
func TestFilteredOutEventsCreateNoDelivery(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	all := createTestWebhook(t, db, "orders/*")
	big := createTestWebhook(t, db, "orders/*")
	big.Filter = `{"data":{"order":{"total":{"$gte":100}}}}`
	se := createTestWebhook(t, db, "orders/*")
	se.Filter = `{"subTopic":"shop:se","data":{"order":{"items":{"sku":{"$startsWith":"SHOE-"}}}}}`
	for _, w := range []*domain.Endpoint{big, se} {
		if err := db.UpdateEndpoint(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.EndpointByID(ctx, domain.DefaultTenant, big.ID)
	if err != nil || got.Filter != big.Filter {
		t.Fatalf("stored filter %q, %v; want %q", got.Filter, err, big.Filter)
	}

	events := []*domain.Event{
		{Topic: "orders/placed", Payload: []byte(`{"order":{"total":50}}`)},
		{Topic: "orders/placed", Payload: []byte(`{"order":{"total":150,"items":[{"sku":"SHOE-1"}]}}`)},
		{Topic: "orders/placed", SubTopic: "shop:se", Payload: []byte(`{"order":{"total":150,"items":[{"sku":"CAP"},{"sku":"SHOE-2"}]}}`)},
		{Topic: "orders/placed", SubTopic: "shop:se", Payload: []byte(`not json`)},
	}
	want := []map[string]bool{
		{all.ID: true},
		{all.ID: true, big.ID: true},
		{all.ID: true, big.ID: true, se.ID: true},
		{all.ID: true},
	}
	for _, e := range events {
		e.TenantID = domain.DefaultTenant
	}
	if _, err := db.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	for i, e := range events {
		rows, err := db.read.QueryContext(ctx, `SELECT endpoint_id FROM deliveries WHERE event_id = ?`, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		gotIDs := map[string]bool{}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			gotIDs[id] = true
		}
		rows.Close()
		if len(gotIDs) != len(want[i]) || e.DeliveryCount != len(want[i]) {
			t.Errorf("event %d: deliveries to %v (count %d), want %v", i, gotIDs, e.DeliveryCount, want[i])
			continue
		}
		for id := range want[i] {
			if !gotIDs[id] {
				t.Errorf("event %d: no delivery to %s", i, id)
			}
		}
		stored, err := db.EventByID(ctx, domain.DefaultTenant, e.ID)
		if err != nil || stored.DeliveryCount != len(want[i]) {
			t.Errorf("event %d: stored delivery_count %d, %v; want %d", i, stored.DeliveryCount, err, len(want[i]))
		}
	}
}

// TestFilterEditTakesEffectAtOnce changes a filter between two events: the
// cache of compiled filters is keyed by text, so the second event meets
// the new filter.
func TestFilterEditTakesEffectAtOnce(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	w := createTestWebhook(t, db, "*")
	post := func() int {
		t.Helper()
		e := &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{"n":1}`)}
		if _, err := db.CreateEvents(ctx, []*domain.Event{e}); err != nil {
			t.Fatal(err)
		}
		return e.DeliveryCount
	}
	for _, tc := range []struct {
		filter string
		want   int
	}{{`{"data":{"n":2}}`, 0}, {`{"data":{"n":1}}`, 1}, {"", 1}, {`{"data":{"n":{"$neq":1}}}`, 0}} {
		w.Filter = tc.filter
		if err := db.UpdateEndpoint(ctx, w); err != nil {
			t.Fatal(err)
		}
		if got := post(); got != tc.want {
			t.Errorf("filter %q: %d deliveries, want %d", tc.filter, got, tc.want)
		}
	}
}

// TestStoredFilterThatNoLongerCompilesDeliversNothing covers a filter that
// validation let in but this version refuses: its endpoint gets no events,
// and the tenant's other endpoints are not affected.
func TestStoredFilterThatNoLongerCompilesDeliversNothing(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	bad := createTestWebhook(t, db, "*")
	createTestWebhook(t, db, "*")
	if _, err := db.write.ExecContext(ctx, `UPDATE endpoints SET payload_filter = ? WHERE id = ?`, `{"data":{"$regex":"x"}}`, bad.ID); err != nil {
		t.Fatal(err)
	}
	e := &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{}`)}
	if _, err := db.CreateEvents(ctx, []*domain.Event{e}); err != nil {
		t.Fatal(err)
	}
	if e.DeliveryCount != 1 {
		t.Errorf("%d deliveries, want 1 (the endpoint without a filter)", e.DeliveryCount)
	}
}
