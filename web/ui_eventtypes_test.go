package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"hooks/domain"
	"hooks/store"
)

func TestUIEventTypeFormShowsErrorsInlineAndSaves(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("admin@example.com")
	c.get("/event-types").want(t, http.StatusOK, "")
	c.get("/event-types/new").want(t, http.StatusOK, "")

	form := url.Values{"name": {"orders/placed"}, "description": {"An order was placed."},
		"schema": {`{"type":"object","properties":{"total":{"type":"float"}}}`}, "examples": {`[]`}}
	r := c.post("/event-types", form).want(t, http.StatusUnprocessableEntity, "")
	if msg := r.doc.Find("#f-schema-error").Text(); !strings.Contains(msg, "/properties/total/type") {
		t.Errorf("schema error = %q", msg)
	}
	if d := r.doc.Find(".error-details code").First().Text(); d != "/properties/total/type" {
		t.Errorf("first detail path = %q, want a pointer into the schema field", d)
	}
	if r.doc.Find("#f-schema").Text() != form.Get("schema") {
		t.Errorf("the form lost what was typed")
	}

	form.Set("schema", `{"type":"object","required":["total"],"properties":{"total":{"type":"number","minimum":0}}}`)
	form.Set("examples", `[{"total": 3}, {"total": -1}]`)
	r = c.post("/event-types", form).want(t, http.StatusUnprocessableEntity, "")
	if d := r.doc.Find(".error-details code").First().Text(); d != "/1/total" {
		t.Errorf("example detail path = %q, want /1/total", d)
	}
	form.Set("examples", `{"total": 3}`)
	r = c.post("/event-types", form).want(t, http.StatusUnprocessableEntity, "")
	if !strings.Contains(r.doc.Find("#f-examples-error").Text(), "JSON array") {
		t.Errorf("examples not an array: %q", pageText(r.doc))
	}

	form.Set("examples", `[{"total": 3}, {"total": 12.5}]`)
	c.post("/event-types", form).want(t, http.StatusSeeOther, "/event-types/orders%2Fplaced")
	r = c.get("/event-types/orders%2Fplaced").want(t, http.StatusOK, "")
	if !strings.Contains(r.doc.Find("#schema-json").Text(), "\n  \"required\": [") || r.doc.Find("#example-1").Text() != "{\n  \"total\": 12.5\n}" {
		t.Errorf("type page shows schema %q, example %q; want them indented", r.doc.Find("#schema-json").Text(), r.doc.Find("#example-1").Text())
	}
	c.post("/event-types", form).want(t, http.StatusUnprocessableEntity, "") // exists already

	r = c.get("/event-types/orders%2Fplaced/edit").want(t, http.StatusOK, "")
	if r.doc.Find("#f-name").AttrOr("readonly", "x") == "x" {
		t.Error("the topic can be changed when editing")
	}
	form.Set("description", "Changed.")
	c.post("/event-types/orders%2Fplaced", form).want(t, http.StatusSeeOther, "/event-types/orders%2Fplaced")
	et, err := s.db.EventType(context.Background(), domain.DefaultTenant, "orders/placed")
	if err != nil || et.Description != "Changed." || len(et.Examples) != 2 {
		t.Fatalf("stored type = %+v, %v", et, err)
	}
	if r := c.get("/event-types"); r.doc.Find("#event-types-table a").Text() != "orders/placed" {
		t.Errorf("list: %s", pageText(r.doc))
	}
	c.get("/event-types/orders%2Fplaced/delete").want(t, http.StatusOK, "")
	c.post("/event-types/orders%2Fplaced/delete", nil).want(t, http.StatusSeeOther, "/event-types")
	c.get("/event-types/orders%2Fplaced").want(t, http.StatusNotFound, "")
}

// TestUIWebhookFormPicksTopicsFromTheCatalogue: catalogued topics are
// boxes beside the free field; an edit that changes nothing keeps the
// topics and their order.
func TestUIWebhookFormPicksTopicsFromTheCatalogue(t *testing.T) {
	ctx := context.Background()
	s := newTestServer(t, uiDev)
	for _, n := range []string{"orders/placed", "orders/cancelled"} {
		if _, err := s.db.PutEventType(ctx, &domain.EventType{TenantID: domain.DefaultTenant, Name: n, Description: "About " + n}); err != nil {
			t.Fatal(err)
		}
	}
	recv := newUIReceiver(t, 200, `ok`)
	hook := addUIWebhook(t, s, domain.DefaultTenant, "Shop", recv.srv.URL, "orders/cancelled", "invoices/*")
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("admin@example.com")
	r := c.get("/webhooks/"+hook.ID+"/edit").want(t, http.StatusOK, "")
	boxes := r.doc.Find(`#catalog-events input[name="catalog_events"]`)
	if boxes.Length() != 2 || r.doc.Find(`#catalog-events input[value="orders/cancelled"]`).AttrOr("checked", "no") == "no" ||
		r.doc.Find(`#catalog-events input[value="orders/placed"]`).AttrOr("checked", "no") != "no" {
		t.Fatalf("catalogue boxes: %s", pageText(r.doc))
	}
	if got := strings.TrimSpace(r.doc.Find("#f-events").Text()); got != "invoices/*" {
		t.Errorf("free topics field = %q, want the uncatalogued pattern only", got)
	}
	form := url.Values{"name": {"Shop"}, "url": {recv.srv.URL}, "events": {"invoices/*"}, "catalog_events": {"orders/cancelled", "orders/placed"},
		"enabled": {"on"}, "signing_scheme": {"standard-webhooks"}, "envelope": {"raw"}, "retry_schedule": {"exponential"},
		"max_attempts": {"3"}, "retry_on": {"default"}, "timeout": {"5"}}
	c.post("/webhooks/"+hook.ID, form).want(t, http.StatusSeeOther, "/webhooks/"+hook.ID)
	got, err := s.db.EndpointByID(ctx, domain.DefaultTenant, hook.ID)
	if err != nil || strings.Join(got.Topics, " ") != "orders/cancelled invoices/* orders/placed" {
		t.Fatalf("topics = %q, %v; want the old ones in their order, then the new box", got.Topics, err)
	}
}

func TestUITestURLSendsAChosenExample(t *testing.T) {
	ctx := context.Background()
	s := newTestServer(t, uiDev)
	recv := newUIReceiver(t, 200, `ok`)
	hook := addUIWebhook(t, s, domain.DefaultTenant, "Shop", recv.srv.URL, "orders/*")
	if _, err := s.db.PutEventType(ctx, &domain.EventType{TenantID: domain.DefaultTenant, Name: "orders/placed",
		Examples: []json.RawMessage{json.RawMessage(`{"n":1}`), json.RawMessage(`{"n":2}`)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.PutEventType(ctx, &domain.EventType{TenantID: domain.DefaultTenant, Name: "invoices/sent",
		Examples: []json.RawMessage{json.RawMessage(`{"other":true}`)}}); err != nil {
		t.Fatal(err)
	}
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("admin@example.com")
	r := c.get("/webhooks/"+hook.ID).want(t, http.StatusOK, "")
	var values []string
	r.doc.Find(`#test-form select[name="example"] option`).Each(func(_ int, o *goquery.Selection) { values = append(values, o.AttrOr("value", "")) })
	if strings.Join(values, ",") != ",0:orders/placed,1:orders/placed" {
		t.Fatalf("example options = %q; want ping and the subscribed type's examples", values)
	}
	c.post("/webhooks/"+hook.ID+"/test", url.Values{"example": {"1:orders/placed"}}).want(t, http.StatusSeeOther, "/webhooks/"+hook.ID)
	evs, _, err := s.db.Events(ctx, store.EventFilter{TenantID: domain.DefaultTenant, Topic: "orders/placed", Limit: 5})
	if err != nil || len(evs) != 1 || string(evs[0].Payload) != `{"n":2}` || recv.hits.Load() != 1 {
		t.Fatalf("test events = %+v, %v, %d requests", evs, err, recv.hits.Load())
	}
}

// TestPortalShowsTheCatalogueReadOnly: the portal lists and shows types,
// and offers no way to change them, even to an admin link.
func TestPortalShowsTheCatalogueReadOnly(t *testing.T) {
	s := newTestServer(t, uiDev)
	if _, err := s.db.PutEventType(context.Background(), &domain.EventType{TenantID: domain.DefaultTenant, Name: "orders/placed",
		Description: "An order.", Schema: json.RawMessage(`{"type":"object"}`)}); err != nil {
		t.Fatal(err)
	}
	c := portalClient(t, s, domain.DefaultTenant, domain.PortalAdmin)
	r := c.get("/portal/event-types").want(t, http.StatusOK, "")
	if href := r.doc.Find("#event-types-table a").AttrOr("href", ""); href != "/portal/event-types/orders%2Fplaced" {
		t.Errorf("link = %q", href)
	}
	r = c.get("/portal/event-types/orders%2Fplaced").want(t, http.StatusOK, "")
	if r.doc.Find("#schema-json").Length() != 1 || strings.Contains(r.body, "/edit") || strings.Contains(r.body, "/delete") {
		t.Errorf("portal type page: %s", pageText(r.doc))
	}
	c.get("/portal/event-types/new").want(t, http.StatusNotFound, "")
}
