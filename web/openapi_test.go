package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi.json is version %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// TestOpenAPIMatchesTheRouter walks every API route the server registers
// and requires an operation for it in openapi.json, and every documented
// operation to be a registered route: the document can't drift from the
// router. Documented paths outside /api/v1 (health, JWKS, this document)
// are requested for real and must not be 404.
func TestOpenAPIMatchesTheRouter(t *testing.T) {
	doc := loadOpenAPI(t)
	s := newTestServer(t)
	routes := s.srv.APIRoutes()
	if len(routes) < 15 {
		t.Fatalf("APIRoutes() = %v: too few to be the real router", routes)
	}
	registered := map[string]bool{}
	for _, r := range routes {
		method, path, ok := strings.Cut(r, " ")
		if !ok {
			t.Errorf("API route %q has no method", r)
			continue
		}
		registered[method+" "+path] = true
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("route %s is not documented in web/openapi.json", r)
		}
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(documented)
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		if strings.HasPrefix(path, "/api/v1/") {
			if !registered[op] {
				t.Errorf("web/openapi.json documents %s, which the router does not have", op)
			}
			continue
		}
		resp := s.do(method, strings.ReplaceAll(path, "{tenant}", "default"), "", nil, nil)
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			t.Errorf("web/openapi.json documents %s, which answers %d", op, resp.StatusCode)
		}
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	s := newTestServer(t)
	resp, err := http.Get(s.http.URL + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || string(body) != string(openAPIDoc) {
		t.Fatalf("GET /api/openapi.json: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
}

// TestOpenAPISchemasDescribeRealAnswers checks real API answers against
// the document's schemas, so a renamed or retyped JSON field is caught too.
func TestOpenAPISchemasDescribeRealAnswers(t *testing.T) {
	doc := loadOpenAPI(t)
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t)
	check := func(schema string, body []byte) {
		t.Helper()
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s: %v", schema, err)
		}
		ref := doc.Components.Schemas[schema]
		if ref == nil {
			t.Fatalf("no schema %s", schema)
		}
		if err := ref.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("answer does not match schema %s: %v\n%s", schema, err, body)
		}
	}
	read := func(resp *http.Response) []byte {
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	resp := s.do("POST", "/api/v1/webhooks", s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"orders/*"},
		"signing": map[string]any{"scheme": "hmac-sha256", "header": "X-Sig", "prefix": "sha256="}, "envelope": "standard"}, nil)
	mustStatus(t, resp, http.StatusCreated)
	created := read(resp)
	check("Webhook", created)
	var hook webhookJSON
	json.Unmarshal(created, &hook)
	check("WebhookList", read(s.do("GET", "/api/v1/webhooks", s.key, nil, nil)))
	check("Secret", read(s.do("GET", "/api/v1/webhooks/"+hook.ID+"/secret", s.key, nil, nil)))
	resp = s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","data":{"id":1}}`, nil)
	mustStatus(t, resp, http.StatusAccepted)
	accepted := read(resp)
	check("EventAccepted", accepted)
	var ev eventAccepted
	json.Unmarshal(accepted, &ev)
	rcv.wait(1, 5*time.Second)
	var list listJSON[deliveryJSON]
	s.do("GET", "/api/v1/deliveries", s.key, nil, &list)
	if len(list.Data) != 1 {
		t.Fatalf("deliveries = %+v", list)
	}
	s.waitDelivery(list.Data[0].ID, "succeeded", 5*time.Second)
	check("DeliveryList", read(s.do("GET", "/api/v1/deliveries", s.key, nil, nil)))
	check("Delivery", read(s.do("GET", "/api/v1/deliveries/"+list.Data[0].ID, s.key, nil, nil)))
	check("Event", read(s.do("GET", "/api/v1/events/"+ev.ID, s.key, nil, nil)))
	check("EventList", read(s.do("GET", "/api/v1/events", s.key, nil, nil)))
	check("TenantList", read(s.do("GET", "/api/v1/tenants", s.key, nil, nil)))
	check("TestResult", read(s.do("POST", "/api/v1/webhooks/"+hook.ID+"/test", s.key, nil, nil)))
	check("Error", read(s.do("GET", "/api/v1/webhooks/wbh_nope", s.key, nil, nil)))
	check("Health", read(s.do("GET", "/healthz", "", nil, nil)))
}
