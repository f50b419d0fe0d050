package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store"
)

const paymentSchema = `{
  "type": "object",
  "required": ["id", "amount", "payer"],
  "properties": {
    "id": {"type": "string"},
    "amount": {"type": "object", "required": ["value", "currency"], "properties": {
      "value": {"type": "number", "exclusiveMinimum": 0},
      "currency": {"enum": ["EUR", "USD"]}}},
    "payer": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}
  }
}`

func paymentType(examples ...string) *domain.EventType {
	t := &domain.EventType{Name: "payments/succeeded", Description: " A payment went through. ", Schema: json.RawMessage(paymentSchema)}
	for _, e := range examples {
		t.Examples = append(t.Examples, json.RawMessage(e))
	}
	return t
}

func details(err error) []string {
	var e *domain.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for _, d := range e.Details {
		out = append(out, d.Path)
	}
	return slices.Compact(out) // a place can break two rules
}

func TestPutEventTypeChecksSchemaAndExamples(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	good := `{"id": "pay_1", "amount": {"value": 12.5, "currency": "EUR"}, "payer": {"email": "a@example.com"}}`
	created, err := f.svc.PutEventType(ctx, f.a, paymentType(good))
	if err != nil || !created {
		t.Fatalf("PutEventType = %v, %v", created, err)
	}
	got, err := f.svc.EventType(ctx, f.a, "payments/succeeded")
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "A payment went through." || strings.Contains(string(got.Schema), "\n") ||
		string(got.Examples[0]) != `{"id":"pay_1","amount":{"value":12.5,"currency":"EUR"},"payer":{"email":"a@example.com"}}` {
		t.Errorf("stored type = %+v; want a trimmed description and compacted JSON", got)
	}
	if _, err := f.svc.EventType(ctx, f.b, "payments/succeeded"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("another tenant sees the type: %v", err)
	}

	tests := []struct {
		name      string
		t         *domain.EventType
		field     string
		paths     []string
		inMessage string
	}{
		{"bad name", &domain.EventType{Name: "has space"}, "name", nil, "topic"},
		{"schema not JSON", &domain.EventType{Name: "x", Schema: json.RawMessage(`{"type":`)}, "schema", nil, "not valid JSON"},
		{"schema breaks the metaschema", &domain.EventType{Name: "x", Schema: json.RawMessage(`{"properties":{"total":{"type":"float"}}}`)},
			"schema", []string{"/schema/properties/total/type"}, "/properties/total/type"},
		{"remote ref", &domain.EventType{Name: "x", Schema: json.RawMessage(`{"$ref":"https://example.com/s.json"}`)}, "schema", nil, "inside the schema"},
		{"example breaks the schema", paymentType(good, `{"id":"pay_2","amount":{"value":0,"currency":"GBP"},"payer":{"email":"nobody"}}`),
			"examples", []string{"/examples/1/amount/currency", "/examples/1/amount/value", "/examples/1/payer/email"}, "example 1"},
		{"example not JSON", paymentType(`{`), "examples", nil, "example 0 is not valid JSON"},
		{"too many examples", paymentType(good, good, good, good, good, good, good, good, good, good, good), "examples", nil, "at most 10"},
		{"long description", &domain.EventType{Name: "x", Description: strings.Repeat("é", domain.MaxEventTypeDescription+1)}, "description", nil, "longer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.PutEventType(ctx, f.a, tt.t)
			var e *domain.Error
			if !errors.As(err, &e) || e.Code != domain.EINVALID || e.Field != tt.field || !strings.Contains(e.Message, tt.inMessage) {
				t.Fatalf("PutEventType = %#v, want invalid %s with %q", err, tt.field, tt.inMessage)
			}
			if got := details(err); strings.Join(got, " ") != strings.Join(tt.paths, " ") {
				t.Errorf("detail paths = %q, want %q", got, tt.paths)
			}
		})
	}
}

func TestPostEventsChecksDataAgainstTheSchema(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, f.a)
	if _, err := f.svc.PutEventType(ctx, f.a, paymentType()); err != nil {
		t.Fatal(err)
	}
	post := func(a Actor, events ...*domain.Event) error {
		_, err := f.svc.PostEvents(ctx, a, events)
		return err
	}
	ev := func(topic, data string) *domain.Event { return &domain.Event{Topic: topic, Payload: []byte(data)} }
	valid := `{"id":"p","amount":{"value":1,"currency":"USD"}, "payer":{}}`
	if err := post(f.a, ev("payments/succeeded", valid)); err != nil {
		t.Fatalf("a valid event was refused: %v", err)
	}
	if err := post(f.a, ev("orders/placed", `{"anything":true}`)); err != nil {
		t.Fatalf("an event of a topic without a type was refused: %v", err)
	}
	if err := post(f.b, ev("payments/succeeded", `{"not":"checked"}`)); err != nil {
		t.Fatalf("another tenant's event was checked against this tenant's type: %v", err)
	}

	err := post(f.a, ev("orders/placed", `{}`), ev("payments/succeeded", `{"id":7,"amount":{"value":-1,"currency":"EUR"}}`))
	var ee *EventError
	if !errors.As(err, &ee) || ee.Index != 1 || domain.ErrorCode(err) != domain.ESCHEMA {
		t.Fatalf("PostEvents = %v, want a schema violation of event 1", err)
	}
	if got, want := strings.Join(details(err), " "), "/data /data/amount/value /data/id"; got != want {
		t.Errorf("violations at %q, want %q", got, want)
	}
	if !strings.Contains(domain.ErrorMessage(err), "payments/succeeded") {
		t.Errorf("message %q does not name the type", domain.ErrorMessage(err))
	}
	if err := post(f.a, ev("payments/succeeded", "")); domain.ErrorCode(err) != domain.ESCHEMA {
		t.Errorf("an event without data passed a schema with required fields: %v", err)
	}
	events, _, err := f.db.Events(ctx, store.EventFilter{TenantID: f.a.TenantID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Errorf("%d events stored, want the 2 accepted ones: a refused batch stores nothing", len(events))
	}
}

// TestSchemaCacheFollowsChanges: a change on this instance applies to the
// next event; one made on another instance (another Service on the same
// database) within SchemaCacheTTL, read from the injected clock.
func TestSchemaCacheFollowsChanges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	here := New(f.db, f.engine, slog.New(slog.DiscardHandler), WithClock(clock))
	there := New(f.db, f.engine, slog.New(slog.DiscardHandler), WithClock(clock))
	post := func(s *Service, data string) error {
		_, err := s.PostEvents(ctx, f.a, []*domain.Event{{Topic: "payments/succeeded", Payload: []byte(data)}})
		return err
	}
	bad := `{"id":"p"}`
	if err := post(here, bad); err != nil {
		t.Fatalf("no type yet: %v", err)
	}
	if _, err := here.PutEventType(ctx, f.a, paymentType()); err != nil {
		t.Fatal(err)
	}
	if err := post(here, bad); domain.ErrorCode(err) != domain.ESCHEMA {
		t.Fatalf("after PUT on this instance: %v, want a schema violation at once", err)
	}
	if err := post(there, bad); domain.ErrorCode(err) != domain.ESCHEMA {
		t.Fatalf("another instance that had not read the tenant: %v", err)
	}
	first := here.schemas.m[f.a.TenantID].byTopic["payments/succeeded"]

	// Another instance loosens the schema: this one follows within the TTL.
	loose := &domain.EventType{Name: "payments/succeeded", Schema: json.RawMessage(`{"type":"object"}`)}
	if _, err := there.PutEventType(ctx, f.a, loose); err != nil {
		t.Fatal(err)
	}
	if err := post(there, bad); err != nil {
		t.Fatalf("the instance that changed it: %v", err)
	}
	if err := post(here, bad); domain.ErrorCode(err) != domain.ESCHEMA {
		t.Fatalf("within the TTL the old schema still applies here, got %v", err)
	}
	now = now.Add(SchemaCacheTTL)
	if err := post(here, bad); err != nil {
		t.Fatalf("after the TTL: %v", err)
	}

	// An unchanged schema is not compiled again when the cache is read again.
	now = now.Add(SchemaCacheTTL)
	if err := post(here, bad); err != nil {
		t.Fatal(err)
	}
	second := here.schemas.m[f.a.TenantID].byTopic["payments/succeeded"]
	now = now.Add(SchemaCacheTTL)
	post(here, bad)
	if third := here.schemas.m[f.a.TenantID].byTopic["payments/succeeded"]; third != second || first == second {
		t.Errorf("compiled schemas: %p, %p, %p; want a new one after the change and the same one after a reload", first, second, third)
	}

	// DELETE on this instance: events are no longer checked.
	if _, err := here.PutEventType(ctx, f.a, paymentType()); err != nil {
		t.Fatal(err)
	}
	if err := here.DeleteEventType(ctx, f.a, "payments/succeeded"); err != nil {
		t.Fatal(err)
	}
	if err := post(here, bad); err != nil {
		t.Fatalf("after DELETE: %v", err)
	}
}

func TestTestEndpointSendsTheChosenExample(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e := f.create(t, f.a)
	ex := `{"id":"pay_9","amount":{"value":3,"currency":"EUR"},"payer":{}}`
	if _, err := f.svc.PutEventType(ctx, f.a, paymentType(`{"id":"pay_1","amount":{"value":1,"currency":"EUR"},"payer":{}}`, ex)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.TestEndpoint(ctx, f.a, e.ID, &TestExample{Type: "payments/succeeded", Index: 1}); err != nil {
		t.Fatal(err)
	}
	if f.engine.lastTest.Topic != "payments/succeeded" || string(f.engine.lastTest.Data) != ex {
		t.Errorf("SendTest got %q %s", f.engine.lastTest.Topic, f.engine.lastTest.Data)
	}
	if _, _, err := f.svc.TestEndpoint(ctx, f.a, e.ID, &TestExample{Type: "payments/succeeded", Index: 2}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("a missing example: %v", err)
	}
	if _, _, err := f.svc.TestEndpoint(ctx, f.b, e.ID, &TestExample{Type: "payments/succeeded", Index: 0}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("another tenant: %v", err)
	}
	if _, _, err := f.svc.TestEndpoint(ctx, f.a, e.ID, nil); err != nil || f.engine.lastTest.Topic != "" {
		t.Errorf("a ping: %v, %+v", err, f.engine.lastTest)
	}
}
