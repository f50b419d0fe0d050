package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"hooks/domain"
)

func TestEventTypesArePerTenantAndReplaced(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	db := openTestDB(t, WithClock(func() time.Time { return now }))
	ctx := context.Background()
	if _, err := db.PutTenant(ctx, &domain.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	put := func(tenant, name, schema string) bool {
		t.Helper()
		et := &domain.EventType{TenantID: tenant, Name: name, Description: "about " + name,
			Examples: []json.RawMessage{json.RawMessage(`{"n":1}`)}}
		if schema != "" {
			et.Schema = json.RawMessage(schema)
		}
		created, err := db.PutEventType(ctx, et)
		if err != nil {
			t.Fatal(err)
		}
		return created
	}
	if !put("default", "orders/placed", `{"type":"object"}`) || !put("default", "a-first", "") || !put("acme", "orders/placed", `{"type":"array"}`) {
		t.Fatal("a new type was not reported created")
	}
	first, err := db.EventType(ctx, "default", "orders/placed")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if put("default", "orders/placed", `{"type":"object","required":["id"]}`) {
		t.Fatal("replacing a type reported it created")
	}
	got, err := db.EventType(ctx, "default", "orders/placed")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Schema) != `{"type":"object","required":["id"]}` || len(got.Examples) != 1 || string(got.Examples[0]) != `{"n":1}` ||
		!got.CreatedAt.Equal(first.CreatedAt) || !got.UpdatedAt.After(first.UpdatedAt) {
		t.Errorf("replaced type = %+v (first %+v)", got, first)
	}
	list, err := db.EventTypes(ctx, "default")
	if err != nil || len(list) != 2 || list[0].Name != "a-first" || list[0].Schema != nil {
		t.Fatalf("EventTypes = %+v, %v", list, err)
	}
	schemas, err := db.EventTypeSchemas(ctx, "default")
	if err != nil || len(schemas) != 1 || schemas[0].Name != "orders/placed" {
		t.Fatalf("EventTypeSchemas = %+v, %v; want the one type with a schema", schemas, err)
	}
	if n, err := db.CountEventTypes(ctx, "acme"); err != nil || n != 1 {
		t.Fatalf("CountEventTypes(acme) = %d, %v", n, err)
	}
	if err := db.DeleteEventType(ctx, "acme", "a-first"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("deleting another tenant's type: %v, want not found", err)
	}
	if err := db.DeleteEventType(ctx, "default", "orders/placed"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EventType(ctx, "default", "orders/placed"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("deleted type: %v", err)
	}
	if _, err := db.EventType(ctx, "acme", "orders/placed"); err != nil {
		t.Fatalf("the other tenant's type of the same name went too: %v", err)
	}
}
