package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// orderPlacedSchema is a real event schema: nested objects, required
// fields, an enum, formats and a local reference.
const orderPlacedSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["orderId", "status", "customer", "total"],
  "properties": {
    "orderId": {"type": "string", "format": "uuid"},
    "status": {"enum": ["placed", "paid"]},
    "placedAt": {"type": "string", "format": "date-time"},
    "customer": {"type": "object", "required": ["email"], "properties": {
      "email": {"type": "string", "format": "email"},
      "address": {"$ref": "#/$defs/address"}}},
    "total": {"type": "object", "required": ["amount", "currency"], "properties": {
      "amount": {"type": "number", "minimum": 0},
      "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}}
  },
  "$defs": {"address": {"type": "object", "required": ["country"], "properties": {"country": {"type": "string", "minLength": 2, "maxLength": 2}}}}
}`

const (
	goodOrder  = `{"orderId":"9b2f4c1e-6f1a-4c1b-9a53-1d2e3f4a5b6c","status":"placed","placedAt":"2026-12-04T09:00:00Z","customer":{"email":"ana@example.com","address":{"country":"NL"}},"total":{"amount":42.5,"currency":"EUR"}}`
	otherOrder = `{"orderId":"0e4c2a9b-1111-4c1b-9a53-1d2e3f4a5b6c","status":"paid","customer":{"email":"bo@example.com"},"total":{"amount":7,"currency":"USD"}}`
)

// apiError is the API's error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
		Details []struct {
			Field   string `json:"field"`
			Path    string `json:"path"`
			Message string `json:"message"`
		} `json:"details"`
	} `json:"error"`
}

func (e apiError) paths() []string {
	var out []string
	for _, d := range e.Error.Details {
		if d.Message == "" {
			out = append(out, "(no message)")
		}
		if len(out) == 0 || out[len(out)-1] != d.Path {
			out = append(out, d.Path)
		}
	}
	return out
}

func typePath(name string) string { return "/api/v1/event-types/" + url.PathEscape(name) }

func putOrderPlaced(t *testing.T, s *testServer, headers ...string) {
	t.Helper()
	body := fmt.Sprintf(`{"description":"An order was placed. Sent once per order.","schema":%s,"examples":[%s,%s]}`, orderPlacedSchema, goodOrder, otherOrder)
	mustStatus(t, s.do("PUT", typePath("orders/placed"), s.key, body, nil, headers...), 201)
}

func TestEventTypeCRUDThroughTheAPI(t *testing.T) {
	s := newTestServer(t)
	putOrderPlaced(t, s)
	var got eventTypeJSON
	mustStatus(t, s.do("GET", "/api/v1/event-types/orders%2Fplaced", s.key, nil, &got), 200)
	if got.Name != "orders/placed" || got.Description != "An order was placed. Sent once per order." || len(got.Examples) != 2 ||
		!strings.Contains(string(got.Schema), `"format":"uuid"`) || got.CreatedAt.IsZero() {
		t.Fatalf("GET = %+v", got)
	}
	// PUT again replaces (200), and may name itself in the body.
	mustStatus(t, s.do("PUT", typePath("orders/placed"), s.key, `{"name":"orders/placed","description":"Replaced","examples":[]}`, &got), 200)
	if got.Description != "Replaced" || string(got.Schema) != "null" || len(got.Examples) != 0 {
		t.Errorf("replaced = %+v; want no schema and no examples", got)
	}
	var e apiError
	mustStatus(t, s.do("PUT", typePath("orders/placed"), s.key, `{"name":"orders/paid"}`, &e), 422)
	mustStatus(t, s.do("PUT", typePath("has space"), s.key, `{}`, &e), 422)
	if e.Error.Code != "invalid_name" {
		t.Errorf("bad name: %+v", e)
	}
	mustStatus(t, s.do("PUT", typePath("a-first"), s.key, `{"description":"First"}`, nil), 201)
	var list listJSON[eventTypeJSON]
	mustStatus(t, s.do("GET", "/api/v1/event-types", s.key, nil, &list), 200)
	if len(list.Data) != 2 || list.Data[0].Name != "a-first" || list.Data[1].Name != "orders/placed" {
		t.Errorf("list = %+v", list)
	}
	// Types are per tenant.
	mustStatus(t, s.do("PUT", "/api/v1/tenants/acme", s.key, nil, nil), 201)
	mustStatus(t, s.do("GET", typePath("orders/placed"), s.key, nil, nil, "X-Tenant-ID", "acme"), 404)
	mustStatus(t, s.do("GET", "/api/v1/event-types", s.key, nil, &list, "X-Tenant-ID", "acme"), 200)
	if len(list.Data) != 0 {
		t.Errorf("acme sees %d types of the default tenant", len(list.Data))
	}
	mustStatus(t, s.do("DELETE", typePath("orders/placed"), s.key, nil, nil), 204)
	mustStatus(t, s.do("GET", typePath("orders/placed"), s.key, nil, nil), 404)
	mustStatus(t, s.do("DELETE", typePath("orders/placed"), s.key, nil, nil), 404)
}

func TestEventTypePutRefusesBadSchemasAndExamples(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name, body, code string
		paths            []string
		inMessage        string
	}{
		{"schema breaks JSON Schema", `{"schema":{"type":"object","properties":{"total":{"type":"float"}}}}`, "invalid_schema",
			[]string{"/schema/properties/total/type"}, "/properties/total/type"},
		{"unknown draft keyword value", `{"schema":{"required":"id"}}`, "invalid_schema", []string{"/schema/required"}, "/required"},
		{"dangling $ref", `{"schema":{"$ref":"#/$defs/missing"}}`, "invalid_schema", nil, "#/$defs/missing"},
		{"remote $ref", `{"schema":{"$ref":"https://schemas.example.com/order.json"}}`, "invalid_schema", nil, "inside the schema"},
		{"huge", `{"schema":{"description":"` + strings.Repeat("x", 70<<10) + `"}}`, "invalid_schema", nil, "larger than"},
		{"deep", `{"schema":` + strings.Repeat(`{"not":`, 200) + `{}` + strings.Repeat(`}`, 200) + `}`, "invalid_schema", nil, "nests deeper"},
		{"example breaks the schema", fmt.Sprintf(`{"schema":%s,"examples":[%s,{"orderId":"nope","status":"lost","customer":{"email":"x"},"total":{"amount":-1,"currency":"eur"}}]}`, orderPlacedSchema, goodOrder),
			"invalid_examples", []string{"/examples/1/customer/email", "/examples/1/orderId", "/examples/1/status", "/examples/1/total/amount", "/examples/1/total/currency"}, "example 1"},
		{"example misses a required nested field", fmt.Sprintf(`{"schema":%s,"examples":[{"orderId":"9b2f4c1e-6f1a-4c1b-9a53-1d2e3f4a5b6c","status":"paid","customer":{"address":{}},"total":{"amount":1,"currency":"EUR"}}]}`, orderPlacedSchema),
			"invalid_examples", []string{"/examples/0/customer", "/examples/0/customer/address"}, "example 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e apiError
			mustStatus(t, s.do("PUT", typePath("orders/placed"), s.key, tt.body, &e), 422)
			if e.Error.Code != tt.code || !strings.Contains(e.Error.Message, tt.inMessage) {
				t.Errorf("error = %+v, want %s with %q", e.Error, tt.code, tt.inMessage)
			}
			if got := e.paths(); strings.Join(got, " ") != strings.Join(tt.paths, " ") {
				t.Errorf("detail paths = %q, want %q", got, tt.paths)
			}
		})
	}
	mustStatus(t, s.do("GET", typePath("orders/placed"), s.key, nil, nil), 404)
}

func TestEventsAreCheckedAgainstTheirTypesSchema(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t)
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"orders/*"}})
	putOrderPlaced(t, s)

	var acc eventAccepted
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","data":`+goodOrder+`}`, &acc), 202)
	if acc.Deliveries != 1 {
		t.Errorf("valid event: %+v", acc)
	}
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/shipped","data":{"free":"form"}}`, nil), 202)

	var e apiError
	bad := `{"orderId":"9b2f4c1e-6f1a-4c1b-9a53-1d2e3f4a5b6c","status":"placed","customer":{"email":"not-an-email","address":{"country":"NLD"}},"total":{"amount":"12"}}`
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","data":`+bad+`}`, &e), 422)
	want := []string{"/data/customer/address/country", "/data/customer/email", "/data/total", "/data/total/amount"}
	if e.Error.Code != "schema_violation" || e.Error.Field != "data" || !strings.Contains(e.Error.Message, "orders/placed") ||
		strings.Join(e.paths(), " ") != strings.Join(want, " ") {
		t.Errorf("error = %+v\nwant schema_violation at %q", e.Error, want)
	}
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed"}`, &e), 422)
	if e.Error.Code != "schema_violation" || strings.Join(e.paths(), " ") != "/data" {
		t.Errorf("no data: %+v", e.Error)
	}

	// A batch names the event: its paths start at /events/<index>.
	batch := `{"events":[{"topic":"orders/placed","data":` + goodOrder + `},{"topic":"orders/placed","data":{"orderId":"x"}}]}`
	mustStatus(t, s.do("POST", "/api/v1/events/batch", s.key, batch, &e), 422)
	if e.Error.Code != "schema_violation" || !strings.HasPrefix(e.Error.Message, "events[1]: ") || len(e.paths()) == 0 ||
		!strings.HasPrefix(e.paths()[0], "/events/1/data") {
		t.Errorf("batch error = %+v", e.Error)
	}
	var list listJSON[eventJSON]
	mustStatus(t, s.do("GET", "/api/v1/events", s.key, nil, &list), 200)
	if len(list.Data) != 2 {
		t.Errorf("%d events stored, want the 2 accepted: a refused event or batch stores nothing", len(list.Data))
	}

	// After DELETE the topic is free again.
	mustStatus(t, s.do("DELETE", typePath("orders/placed"), s.key, nil, nil), 204)
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","data":`+bad+`}`, nil), 202)
}

func TestTestURLSendsAnExample(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"orders/*"}})
	rcv.setSecret(hook.Secret)
	putOrderPlaced(t, s)
	var res struct {
		Success bool `json:"success"`
	}
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/test", s.key, `{"eventType":"orders/placed","example":1}`, &res), 200)
	got := rcv.wait(1, 5*time.Second)
	if !res.Success || string(got[0].body) != otherOrder || got[0].header.Get("X-Hooks-Topic") != "orders/placed" {
		t.Errorf("test sent %s (topic %q), success %v; want example 1", got[0].body, got[0].header.Get("X-Hooks-Topic"), res.Success)
	}
	var e apiError
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/test", s.key, `{"eventType":"orders/placed","example":5}`, &e), 422)
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/test", s.key, `{"eventType":"orders/nope"}`, &e), 404)
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/test", s.key, nil, &res), 200)
	if got := rcv.wait(2, 5*time.Second); !strings.Contains(string(got[1].body), `"ping"`) {
		t.Errorf("a test without a body sent %s, want a ping", got[1].body)
	}
}

// TestTenantOpenAPIListsEventTypes: GET /api/v1/openapi.json is the API
// document plus the caller's tenant's types as OpenAPI 3.1 webhooks, and
// stays a valid document.
func TestTenantOpenAPIListsEventTypes(t *testing.T) {
	s := newTestServer(t)
	putOrderPlaced(t, s)
	mustStatus(t, s.do("PUT", typePath("orders/cancelled"), s.key, `{"description":"Documented, unchecked."}`, nil), 201)
	mustStatus(t, s.do("PUT", "/api/v1/tenants/acme", s.key, nil, nil), 201)
	mustStatus(t, s.do("PUT", typePath("invoices/sent"), s.key, `{"description":"Acme's own."}`, nil, "X-Tenant-ID", "acme"), 201)

	resp := s.do("GET", "/api/v1/openapi.json", s.key, nil, nil)
	mustStatus(t, resp, 200)
	raw, _ := io.ReadAll(resp.Body)
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the tenant's document is not valid OpenAPI: %v", err)
	}
	if len(doc.Webhooks) != 2 || doc.Webhooks["orders/placed"] == nil || doc.Webhooks["orders/cancelled"] == nil {
		t.Fatalf("webhooks = %v", doc.Webhooks)
	}
	op := doc.Webhooks["orders/placed"].Post
	media := op.RequestBody.Value.Content.Get("application/json")
	if op.Summary != "An order was placed" || media == nil || len(media.Examples) != 2 || media.Schema.Value.Required[0] != "orderId" {
		t.Errorf("orders/placed = %+v", op)
	}
	// The schema still works where the document puts it: its examples
	// validate and a bad value does not.
	var data any
	json.Unmarshal([]byte(goodOrder), &data)
	if err := media.Schema.Value.VisitJSON(data, openapi3.EnableJSONSchema2020()); err != nil {
		t.Errorf("example 0 does not match the published schema: %v", err)
	}
	var acme map[string]any
	mustStatus(t, s.do("GET", "/api/v1/openapi.json", s.key, nil, &acme, "X-Tenant-ID", "acme"), 200)
	if wh, _ := acme["webhooks"].(map[string]any); len(wh) != 1 || wh["invoices/sent"] == nil {
		t.Errorf("acme's webhooks = %v", acme["webhooks"])
	}
}
