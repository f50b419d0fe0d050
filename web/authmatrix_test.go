package web

import (
	"context"
	"fmt"
	"hooks/domain"
	"hooks/store"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// apiRouteCase is one API route's row in the auth matrix: the body to send
// and the status an authorised caller gets.
type apiRouteCase struct {
	body any
	ok   int
	// allTenantsOnly routes refuse tenant-bound keys with 403.
	allTenantsOnly bool
	// scoped routes name one object by id: a key of another tenant gets 404,
	// as if the object did not exist. Unscoped routes (lists, creates) act
	// on the caller's own tenant and succeed.
	scoped bool
	// publish and read say whether a key of that scope may call the
	// route; every other route needs an admin key (403 otherwise).
	publish, read bool
}

// apiMatrix lists every API route. TestAPIAuthMatrix fails for a route
// that web registers but this table lacks, so a new route can't ship
// without its authorisation being checked.
var apiMatrix = map[string]apiRouteCase{
	"GET /api/v1/tenants":                      {ok: 200, allTenantsOnly: true, read: true},
	"PUT /api/v1/tenants/{id}":                 {body: map[string]string{"name": "T"}, ok: 201, allTenantsOnly: true},
	"POST /api/v1/webhooks":                    {body: "webhook", ok: 201},
	"GET /api/v1/webhooks":                     {ok: 200, read: true},
	"GET /api/v1/webhooks/{id}":                {ok: 200, scoped: true, read: true},
	"PATCH /api/v1/webhooks/{id}":              {body: map[string]string{"name": "renamed"}, ok: 200, scoped: true},
	"DELETE /api/v1/webhooks/{id}":             {ok: 204, scoped: true},
	"GET /api/v1/webhooks/{id}/secret":         {ok: 200, scoped: true},
	"POST /api/v1/webhooks/{id}/secret/rotate": {ok: 200, scoped: true},
	"GET /api/v1/webhooks/{id}/credentials":    {ok: 200, scoped: true},
	"POST /api/v1/webhooks/{id}/test":          {ok: 200, scoped: true},
	"POST /api/v1/webhooks/{id}/recover":       {body: map[string]string{"since": "2020-01-01T00:00:00Z"}, ok: 202, scoped: true},
	"GET /api/v1/webhooks/{id}/deliveries":     {ok: 200, scoped: true, read: true},
	"POST /api/v1/events":                      {body: map[string]string{"topic": "t"}, ok: 202, publish: true},
	"POST /api/v1/events/batch":                {body: map[string]any{"events": []map[string]string{{"topic": "t"}}}, ok: 202, publish: true},
	"GET /api/v1/events":                       {ok: 200, read: true},
	"GET /api/v1/events/{id}":                  {ok: 200, scoped: true, read: true},
	"GET /api/v1/deliveries":                   {ok: 200, read: true},
	"GET /api/v1/deliveries/{id}":              {ok: 200, scoped: true, read: true},
	"POST /api/v1/deliveries/{id}/redeliver":   {ok: 202, scoped: true},
	"POST /api/v1/portal/sessions":             {body: map[string]string{"role": "viewer"}, ok: 201},
	"GET /api/v1/api-keys":                     {ok: 200},
	"POST /api/v1/api-keys":                    {body: map[string]string{"name": "producer", "scope": "publish"}, ok: 201},
	"DELETE /api/v1/api-keys/{id}":             {ok: 204, scoped: true},
	"GET /api/v1/audit-log":                    {ok: 200, read: true},
	"GET /api/v1/event-types":                  {ok: 200, read: true},
	"PUT /api/v1/event-types/{name}":           {body: map[string]any{"description": "d", "schema": map[string]string{"type": "object"}}, ok: 201},
	"GET /api/v1/event-types/{name}":           {ok: 200, scoped: true, read: true},
	"DELETE /api/v1/event-types/{name}":        {ok: 204, scoped: true},
	"GET /api/v1/openapi.json":                 {ok: 200, read: true},
	"GET /api/v1/stats":                        {ok: 200, read: true},
}

// authFixture is one webhook of a tenant with one event and its delivery,
// one API key and one event type of the tenant.
type authFixture struct{ webhook, event, delivery, apiKey, eventType string }

func (s *testServer) newAuthFixture(tenant, receiver string, n int) authFixture {
	s.t.Helper()
	topic := fmt.Sprintf("fixture/%d", n)
	var w webhookJSON
	mustStatus(s.t, s.do("POST", "/api/v1/webhooks", s.key, map[string]any{"url": receiver, "events": []string{topic}}, &w, "X-Tenant-ID", tenant), 201)
	var e eventAccepted
	mustStatus(s.t, s.do("POST", "/api/v1/events", s.key, map[string]string{"topic": topic}, &e, "X-Tenant-ID", tenant), 202)
	var ev eventJSON
	mustStatus(s.t, s.do("GET", "/api/v1/events/"+e.ID, s.key, nil, &ev, "X-Tenant-ID", tenant), 200)
	if len(ev.Deliveries) != 1 {
		s.t.Fatalf("fixture event has %d deliveries", len(ev.Deliveries))
	}
	k, _, err := s.db.CreateAPIKey(context.Background(), tenant, fmt.Sprintf("fixture %d", n))
	if err != nil {
		s.t.Fatal(err)
	}
	eventType := fmt.Sprintf("fixture-type/%d", n)
	mustStatus(s.t, s.do("PUT", "/api/v1/event-types/"+url.PathEscape(eventType), s.key, map[string]string{"description": "fixture"}, nil, "X-Tenant-ID", tenant), 201)
	return authFixture{webhook: w.ID, event: e.ID, delivery: ev.Deliveries[0].ID, apiKey: k.ID, eventType: eventType}
}

// TestAPIAuthMatrix sends every registered API route each kind of
// credential and checks the exact status: no credentials and a bad key
// get 401; another tenant's key gets 404 for the tenant's objects (their
// existence is not revealed) and 403 when it names the tenant; the
// tenant's own key and an all-tenant key succeed, except on the routes
// that only all-tenant keys may use; a publish key may only post events
// and a read key only GET what holds no secret (403 otherwise).
func TestAPIAuthMatrix(t *testing.T) {
	s := newTestServer(t, devPolicy)
	ctx := context.Background()
	rcv := newReceiver(t)
	for _, id := range []string{"acme", "rival"} {
		mustStatus(t, s.do("PUT", "/api/v1/tenants/"+id, s.key, nil, nil), 201)
	}
	_, acmeKey, err := s.db.CreateAPIKey(ctx, "acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, rivalKey, err := s.db.CreateAPIKey(ctx, "rival", "rival")
	if err != nil {
		t.Fatal(err)
	}
	scoped := func(scope string) string {
		t.Helper()
		key, err := s.db.InsertAPIKey(ctx, &store.APIKey{TenantID: "acme", Name: scope, Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	publishKey, readKey := scoped(domain.ScopePublish), scoped(domain.ScopeRead)

	routes := s.srv.APIRoutes()
	if len(routes) == 0 {
		t.Fatal("web registered no API routes")
	}
	registered := map[string]bool{}
	for _, r := range routes {
		registered[r] = true
	}
	for r := range apiMatrix {
		if !registered[r] {
			t.Errorf("the auth matrix has a row for %q, which web does not register", r)
		}
	}

	type cred struct {
		name    string
		key     string
		headers []string
		want    func(c apiRouteCase) int
	}
	creds := []cred{
		{"no credentials", "", nil, func(apiRouteCase) int { return 401 }},
		{"bad key", "hk_notARealKeyNotARealKeyNotARealKeyNotARealK", nil, func(apiRouteCase) int { return 401 }},
		{"other tenant's key", rivalKey, nil, func(c apiRouteCase) int {
			switch {
			case c.allTenantsOnly:
				return 403
			case c.scoped:
				return 404
			}
			return c.ok
		}},
		{"other tenant's key naming the tenant", rivalKey, []string{"X-Tenant-ID", "acme"}, func(apiRouteCase) int { return 403 }},
		{"tenant's key", acmeKey, nil, func(c apiRouteCase) int {
			if c.allTenantsOnly {
				return 403
			}
			return c.ok
		}},
		{"all-tenant key", s.key, []string{"X-Tenant-ID", "acme"}, func(c apiRouteCase) int { return c.ok }},
		{"tenant's publish key", publishKey, nil, func(c apiRouteCase) int {
			if c.allTenantsOnly || !c.publish {
				return 403
			}
			return c.ok
		}},
		{"tenant's read key", readKey, nil, func(c apiRouteCase) int {
			if c.allTenantsOnly || !c.read {
				return 403
			}
			return c.ok
		}},
	}

	n := 0
	for _, route := range routes {
		c, ok := apiMatrix[route]
		if !ok {
			t.Errorf("API route %q has no row in apiMatrix: add one with its expected statuses", route)
			continue
		}
		method, pattern, _ := strings.Cut(route, " ")
		for _, cr := range creds {
			// One fresh fixture per request, as some routes delete or
			// change what they name. (No subtests: the helpers fail the
			// parent test.)
			n++
			fx := s.newAuthFixture("acme", rcv.srv.URL, n)
			{
				path := pattern
				switch {
				case strings.HasPrefix(pattern, "/api/v1/tenants/"):
					path = strings.Replace(path, "{id}", fmt.Sprintf("new-tenant-%d", n), 1)
				case strings.HasPrefix(pattern, "/api/v1/webhooks/"):
					path = strings.Replace(path, "{id}", fx.webhook, 1)
				case strings.HasPrefix(pattern, "/api/v1/events/"):
					path = strings.Replace(path, "{id}", fx.event, 1)
				case strings.HasPrefix(pattern, "/api/v1/deliveries/"):
					path = strings.Replace(path, "{id}", fx.delivery, 1)
				case strings.HasPrefix(pattern, "/api/v1/api-keys/"):
					path = strings.Replace(path, "{id}", fx.apiKey, 1)
				case method == "PUT" && strings.HasPrefix(pattern, "/api/v1/event-types/"):
					path = strings.Replace(path, "{name}", url.PathEscape(fmt.Sprintf("new-type/%d", n)), 1)
				case strings.HasPrefix(pattern, "/api/v1/event-types/"):
					path = strings.Replace(path, "{name}", url.PathEscape(fx.eventType), 1)
				}
				if strings.Contains(path, "{") {
					t.Fatalf("don't know how to fill in %s", pattern)
				}
				body := c.body
				if body == "webhook" {
					body = map[string]any{"url": rcv.srv.URL, "events": []string{"created-by-matrix"}}
				}
				resp := s.do(method, path, cr.key, body, nil, cr.headers...)
				if want := cr.want(c); resp.StatusCode != want {
					b := make([]byte, 300)
					k, _ := resp.Body.Read(b)
					t.Errorf("%s with %s: status %d, want %d; body %s", route, cr.name, resp.StatusCode, want, b[:k])
				}
				if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s with %s: 401 without WWW-Authenticate", route, cr.name)
				}
			}
		}
	}
}
