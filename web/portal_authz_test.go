package web

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"hooks/domain"
	"hooks/store"
)

// portalExpect is the status each kind of portal visitor gets from one
// portal route: no session, a viewer link, an admin link of another tenant
// (acting on this tenant's ids), and an admin link.
type portalExpect struct{ anon, viewer, otherTenant, admin int }

// portalMatrix lists every customer-portal route; TestPortalAuthorizationMatrix
// fails for a route that is registered but missing here.
var portalMatrix = map[string]portalExpect{
	"GET /portal/{$}":                               {401, 302, 302, 302},
	"GET /portal/{token}":                           {410, 410, 410, 410}, // a forged token
	"GET /portal/theme.css":                         {200, 200, 200, 200},
	"GET /portal/webhooks":                          {401, 200, 200, 200},
	"GET /portal/webhooks/new":                      {401, 403, 200, 200},
	"POST /portal/webhooks":                         {401, 403, 303, 303},
	"GET /portal/webhooks/{id}":                     {401, 200, 404, 200},
	"GET /portal/webhooks/{id}/edit":                {401, 403, 404, 200},
	"POST /portal/webhooks/{id}":                    {401, 403, 404, 303},
	"GET /portal/webhooks/{id}/delete":              {401, 403, 404, 200},
	"POST /portal/webhooks/{id}/delete":             {401, 403, 404, 303},
	"POST /portal/webhooks/{id}/enable":             {401, 403, 404, 303},
	"POST /portal/webhooks/{id}/disable":            {401, 403, 404, 303},
	"POST /portal/webhooks/{id}/test":               {401, 403, 404, 303},
	"POST /portal/webhooks/filter-preview":          {401, 403, 200, 200},
	"POST /portal/webhooks/{id}/filter-preview":     {401, 403, 404, 200},
	"POST /portal/webhooks/{id}/secret/reveal":      {401, 403, 404, 200},
	"POST /portal/webhooks/{id}/secret/rotate":      {401, 403, 404, 303},
	"POST /portal/webhooks/{id}/credentials/reveal": {401, 403, 404, 200},
	"GET /portal/webhooks/{id}/recover":             {401, 200, 404, 200},
	"POST /portal/webhooks/{id}/recover":            {401, 403, 404, 303},
	"GET /portal/webhooks/{id}/deliveries":          {401, 200, 404, 200},
	"GET /portal/deliveries":                        {401, 200, 200, 200},
	"GET /portal/deliveries/{id}":                   {401, 200, 404, 200},
	"POST /portal/deliveries/{id}/redeliver":        {401, 403, 404, 303},
	"GET /portal/event-types":                       {401, 200, 200, 200}, // the catalogue is read-only in the portal
	"GET /portal/event-types/{name}":                {401, 200, 404, 200},
	"POST /portal/sign-out":                         {401, 200, 200, 200}, // last: it ends the session
}

// TestPortalAuthorizationMatrix sends every portal route from each kind of
// visitor and checks the status, the portal's security headers, and that
// no page links into the backoffice.
func TestPortalAuthorizationMatrix(t *testing.T) {
	ctx := context.Background()
	s := newTestServer(t, uiDev)
	if _, err := s.db.PutTenant(ctx, &domain.Tenant{ID: "other"}); err != nil {
		t.Fatal(err)
	}
	recv := newUIReceiver(t, 200, `ok`)
	hook := addUIWebhook(t, s, domain.DefaultTenant, "Shop", recv.srv.URL, "orders/*")
	events := []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{}`)}}
	if _, err := s.db.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	ds, _, err := s.db.Deliveries(ctx, store.DeliveryFilter{TenantID: domain.DefaultTenant, Limit: 1})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries: %v, %v", ds, err)
	}

	if _, err := s.db.PutEventType(ctx, &domain.EventType{TenantID: domain.DefaultTenant, Name: "orders/placed",
		Schema: json.RawMessage(`{"type":"object"}`), Examples: []json.RawMessage{json.RawMessage(`{"id":1}`)}}); err != nil {
		t.Fatal(err)
	}
	routes := s.srv.PortalRoutes()
	for _, p := range routes {
		if _, ok := portalMatrix[p]; !ok {
			t.Errorf("portal route %q has no row in portalMatrix: add what each visitor should get", p)
		}
	}
	for p := range portalMatrix {
		if !slices.Contains(routes, p) {
			t.Errorf("portalMatrix lists %q, which is not a portal route", p)
		}
	}

	since := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")
	webhookForm := url.Values{"name": {"Made in the portal"}, "url": {recv.srv.URL}, "events": {"orders/*"}, "enabled": {"on"},
		"signing_scheme": {"standard-webhooks"}, "envelope": {"raw"}, "retry_schedule": {"exponential"}, "max_attempts": {"3"},
		"retry_on": {"default"}, "timeout": {"5"}}
	forms := map[string]url.Values{
		"POST /portal/webhooks":              webhookForm,
		"POST /portal/webhooks/{id}":         webhookForm,
		"POST /portal/webhooks/{id}/recover": {"since": {since}},
	}
	path := func(pattern string) string {
		_, p, _ := strings.Cut(pattern, " ")
		p = strings.TrimSuffix(p, "{$}")
		id := hook.ID
		switch {
		case strings.HasPrefix(p, "/portal/deliveries/"):
			id = ds[0].ID
		case pattern == "POST /portal/webhooks/{id}/delete":
			id = addUIWebhook(t, s, domain.DefaultTenant, "Doomed", recv.srv.URL, "x").ID
		}
		p = strings.Replace(p, "{token}", strings.Repeat("x", 43), 1)
		p = strings.Replace(p, "{name}", url.PathEscape("orders/placed"), 1)
		return strings.Replace(p, "{id}", id, 1)
	}

	visitors := []struct {
		name, tenant, role string
		want               func(portalExpect) int
	}{
		{"no session", "", "", func(e portalExpect) int { return e.anon }},
		{"viewer", domain.DefaultTenant, domain.PortalViewer, func(e portalExpect) int { return e.viewer }},
		{"admin of another tenant", "other", domain.PortalAdmin, func(e portalExpect) int { return e.otherTenant }},
		{"admin", domain.DefaultTenant, domain.PortalAdmin, func(e portalExpect) int { return e.admin }},
	}
	for _, v := range visitors {
		t.Run(v.name, func(t *testing.T) {
			c := newUIClient(t, s)
			if v.tenant != "" {
				c = portalClient(t, s, v.tenant, v.role)
			}
			for _, pattern := range routes {
				want := v.want(portalMatrix[pattern])
				method, _, _ := strings.Cut(pattern, " ")
				r := c.do(method, path(pattern), forms[pattern])
				if r.StatusCode != want {
					t.Errorf("%s as %s: status %d, want %d (%s)", pattern, v.name, r.StatusCode, want, pageText(r.doc))
					continue
				}
				if r.Header.Get("Content-Security-Policy") != s.srv.cfg.Portal.csp() || r.Header.Get("X-Frame-Options") != "DENY" {
					t.Errorf("%s as %s: portal security headers missing: %v", pattern, v.name, r.Header)
				}
				if loc := r.Header.Get("Location"); loc != "" && !strings.HasPrefix(loc, "/portal/") {
					t.Errorf("%s as %s: redirect out of the portal to %q", pattern, v.name, loc)
				}
				r.doc.Find("a[href], form[action]").Each(func(_ int, el *goquery.Selection) {
					target := el.AttrOr("href", el.AttrOr("action", ""))
					if strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "/portal/") && !strings.HasPrefix(target, "/static/") {
						t.Errorf("%s as %s: the page links out of the portal to %q", pattern, v.name, target)
					}
				})
			}
		})
	}
	got, err := s.db.EndpointByID(ctx, domain.DefaultTenant, hook.ID)
	if err != nil || got.Name != "Made in the portal" {
		t.Fatalf("webhook after the matrix: %+v, %v (only the admin's edit should have landed)", got, err)
	}
}
