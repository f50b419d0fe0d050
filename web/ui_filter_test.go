package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hooks/domain"
	"hooks/store"
	"hooks/templates"
)

// filterForm is a valid webhook form with a filter.
func filterForm(receiverURL, filter string) url.Values {
	return url.Values{"name": {"Big orders"}, "url": {receiverURL}, "events": {"orders/*"}, "enabled": {"on"},
		"filter": {filter}, "signing_scheme": {"standard-webhooks"}, "envelope": {"raw"}, "retry_schedule": {"exponential"},
		"max_attempts": {"3"}, "retry_on": {"default"}, "timeout": {"5"}}
}

// TestUIWebhookFormFilter saves a webhook with a filter through the form:
// a bad filter comes back 422 with the path-naming error at the Filter
// field and the text as typed; a good one is stored compact, and the edit
// form shows it indented.
func TestUIWebhookFormFilter(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("ada@example.com")

	bad := `{"data": {"order": {"total": {"$gte": "x", "$lt": true}}}}`
	r := c.post("/webhooks", filterForm("http://127.0.0.1:9/in", bad)).want(t, http.StatusUnprocessableEntity, "")
	msg := strings.TrimSpace(r.doc.Find("#f-filter-error").Text())
	if msg != "filter.data.order.total.$lt: must be a number or string" {
		t.Errorf("filter error %q", msg)
	}
	if inv, _ := r.doc.Find("#f-filter").Attr("aria-invalid"); inv != "true" || r.doc.Find("#f-filter").Text() != bad {
		t.Errorf("the filter textarea should keep %q and be marked invalid", bad)
	}
	if r.doc.Find("#error-summary").Length() != 1 {
		t.Errorf("no error summary")
	}

	r = c.post("/webhooks", filterForm("http://127.0.0.1:9/in", `{"data": {"order": {"total": {"$gte": 100}}}}`)).
		want(t, http.StatusSeeOther, "/webhooks/wbh_")
	id := strings.TrimPrefix(r.Header.Get("Location"), "/webhooks/")
	h, err := s.db.EndpointByID(context.Background(), domain.DefaultTenant, id)
	if err != nil || h.Filter != `{"data":{"order":{"total":{"$gte":100}}}}` {
		t.Fatalf("stored filter %q, %v", h.Filter, err)
	}
	edit := c.get("/webhooks/"+id+"/edit").want(t, http.StatusOK, "")
	if got := edit.doc.Find("#f-filter").Text(); !strings.Contains(got, "\n") || !strings.Contains(got, `"$gte": 100`) {
		t.Errorf("edit form filter %q, want it indented", got)
	}
	// Emptying the field removes the filter.
	c.post("/webhooks/"+id, filterForm("http://127.0.0.1:9/in", "")).want(t, http.StatusSeeOther, "/webhooks/"+id)
	if h, _ = s.db.EndpointByID(context.Background(), domain.DefaultTenant, id); h.Filter != "" {
		t.Errorf("filter %q after saving an empty field", h.Filter)
	}
}

// TestUIFilterPreview tries a filter against recent events: only events of
// the form's topics and of the user's tenant are tried, newest first, each
// marked matched or not; the JSON answer (app.js) and the no-JS page agree;
// a bad filter is the field's error; nothing is saved.
func TestUIFilterPreview(t *testing.T) {
	ctx := context.Background()
	s := newTestServer(t, uiDev)
	if _, err := s.db.PutTenant(ctx, &domain.Tenant{ID: "other"}); err != nil {
		t.Fatal(err)
	}
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, domain.DefaultTenant)
	c := newUIClient(t, s)
	c.login("ada@example.com")
	hook := addUIWebhook(t, s, domain.DefaultTenant, "Shop", "http://127.0.0.1:9/in", "orders/*")
	otherHook := addUIWebhook(t, s, "other", "Theirs", "http://127.0.0.1:9/in", "orders/*")
	post := func(tenant, topic, data string) {
		t.Helper()
		if _, err := s.db.CreateEvents(ctx, []*domain.Event{{TenantID: tenant, Topic: topic, Payload: []byte(data)}}); err != nil {
			t.Fatal(err)
		}
	}
	post(domain.DefaultTenant, "orders/placed", `{"order":{"total":50}}`)
	post(domain.DefaultTenant, "users/created", `{"order":{"total":500}}`)
	post("other", "orders/placed", `{"order":{"total":900}}`)
	post(domain.DefaultTenant, "orders/placed", `{"order":{"total":150}}`)

	form := filterForm("http://127.0.0.1:9/in", `{"data":{"order":{"total":{"$gte":100}}}}`)
	for _, path := range []string{"/webhooks/filter-preview", "/webhooks/" + hook.ID + "/filter-preview"} {
		var p templates.FilterPreview
		r := c.post(path, form, "Accept", "application/json").want(t, http.StatusOK, "")
		if err := json.Unmarshal([]byte(r.body), &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Events) != 2 || p.Matched != 1 || !p.Events[0].Matched || p.Events[1].Matched ||
			p.Events[0].Topic != "orders/placed" || !strings.HasPrefix(p.Events[0].URL, "/events/evt_") {
			t.Errorf("%s: preview %+v; want the tenant's two orders events, newest (matching) first", path, p)
		}
		page := c.post(path, form).want(t, http.StatusOK, "")
		if got := strings.Join(strings.Fields(page.doc.Find("[data-filter-preview]").Text()), " "); !strings.Contains(got, "1 of 2 recent events match") ||
			page.doc.Find("[data-filter-preview] .badge-success").Length() != 1 || page.doc.Find("[data-filter-preview] .badge-neutral").Length() != 1 {
			t.Errorf("%s without JS: preview %q", path, got)
		}
		if v := page.doc.Find("#f-filter").Text(); v != form.Get("filter") {
			t.Errorf("%s without JS: the form came back with filter %q", path, v)
		}
	}

	form.Set("filter", `{"data":{"$regex":"x"}}`)
	var p templates.FilterPreview
	json.Unmarshal([]byte(c.post("/webhooks/filter-preview", form, "Accept", "application/json").body), &p)
	if !strings.HasPrefix(p.Error, "filter.data.$regex: unknown operator") || len(p.Events) != 0 {
		t.Errorf("bad filter preview %+v", p)
	}
	page := c.post("/webhooks/filter-preview", form).want(t, http.StatusUnprocessableEntity, "")
	if !strings.Contains(page.doc.Find("#f-filter-error").Text(), "filter.data.$regex: unknown operator") {
		t.Errorf("no inline error without JS: %s", pageText(page.doc))
	}

	// Another tenant's endpoint is not found, and the preview saved nothing.
	c.post("/webhooks/"+otherHook.ID+"/filter-preview", form, "Accept", "application/json").want(t, http.StatusNotFound, "")
	if h, _ := s.db.EndpointByID(ctx, domain.DefaultTenant, hook.ID); h.Filter != "" || h.Name != "Shop" {
		t.Errorf("a preview changed the endpoint: %+v", h)
	}
}
