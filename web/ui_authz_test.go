package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store"
)

// uiExpect is the status each kind of user gets from one UI route.
type uiExpect struct{ anon, viewer, otherTenant, admin int }

// uiMatrix lists every UI route. anon: 302 to /login unless public.
// viewer: read-only, bound to the default tenant. otherTenant: an admin
// bound to another tenant, acting on the default tenant's ids. admin: an
// unbound admin.
var uiMatrix = map[string]uiExpect{
	"GET /login":                             {200, 302, 302, 302},
	"POST /login":                            {401, 401, 401, 401}, // posted without credentials
	"GET /setup":                             {303, 303, 303, 303}, // a user exists: go sign in
	"POST /setup":                            {303, 303, 303, 303},
	"POST /logout":                           {302, 303, 303, 303},
	"POST /tenant":                           {302, 403, 403, 303},
	"GET /{$}":                               {302, 200, 200, 200},
	"GET /webhooks":                          {302, 200, 200, 200},
	"GET /webhooks/new":                      {302, 403, 200, 200},
	"POST /webhooks":                         {302, 403, 303, 303},
	"GET /webhooks/{id}":                     {302, 200, 404, 200},
	"GET /webhooks/{id}/edit":                {302, 403, 404, 200},
	"POST /webhooks/{id}":                    {302, 403, 404, 303},
	"GET /webhooks/{id}/delete":              {302, 403, 404, 200},
	"POST /webhooks/{id}/delete":             {302, 403, 404, 303},
	"POST /webhooks/{id}/enable":             {302, 403, 404, 303},
	"POST /webhooks/{id}/disable":            {302, 403, 404, 303},
	"POST /webhooks/{id}/test":               {302, 403, 404, 303},
	"POST /webhooks/filter-preview":          {302, 403, 200, 200},
	"POST /webhooks/{id}/filter-preview":     {302, 403, 404, 200},
	"POST /webhooks/{id}/secret/reveal":      {302, 403, 404, 200},
	"POST /webhooks/{id}/secret/rotate":      {302, 403, 404, 303},
	"POST /webhooks/{id}/credentials/reveal": {302, 403, 404, 200},
	"GET /webhooks/{id}/recover":             {302, 200, 404, 200},
	"POST /webhooks/{id}/recover":            {302, 403, 404, 303},
	"GET /webhooks/{id}/deliveries":          {302, 200, 404, 200},
	"GET /deliveries":                        {302, 200, 200, 200},
	"GET /deliveries/{id}":                   {302, 200, 404, 200},
	"POST /deliveries/{id}/redeliver":        {302, 403, 404, 303},
	"GET /events":                            {302, 200, 200, 200},
	"POST /events":                           {302, 403, 303, 303},
	"GET /events/{id}":                       {302, 200, 404, 200},
	// The event catalogue: everyone reads their tenant's, admins change it.
	"GET /event-types":                {302, 200, 200, 200},
	"GET /event-types/{name}":         {302, 200, 404, 200},
	"GET /event-types/new":            {302, 403, 200, 200},
	"POST /event-types":               {302, 403, 303, 303},
	"GET /event-types/{name}/edit":    {302, 403, 404, 200},
	"POST /event-types/{name}":        {302, 403, 404, 303},
	"GET /event-types/{name}/delete":  {302, 403, 404, 200},
	"POST /event-types/{name}/delete": {302, 403, 404, 303},
	// Users and tenants: admins bound to no tenant only.
	"GET /settings/users":                  {302, 403, 403, 200},
	"POST /settings/users":                 {302, 403, 403, 200}, // shows the invite link
	"GET /settings/users/{id}":             {302, 403, 403, 200},
	"POST /settings/users/{id}":            {302, 403, 403, 303},
	"POST /settings/users/{id}/disable":    {302, 403, 403, 303},
	"POST /settings/users/{id}/enable":     {302, 403, 403, 303},
	"POST /settings/users/{id}/delete":     {302, 403, 403, 303},
	"POST /settings/users/{id}/reset-link": {302, 403, 403, 200}, // shows the reset link
	"GET /settings/tenants":                {302, 403, 403, 200},
	"POST /settings/tenants":               {302, 403, 403, 303},
	"POST /settings/tenants/{id}":          {302, 403, 403, 303},
	// API keys: any admin; one bound to a tenant sees that tenant's keys.
	"GET /settings/api-keys":              {302, 403, 200, 200},
	"POST /settings/api-keys":             {302, 403, 200, 200}, // shows the new key
	"POST /settings/api-keys/{id}/revoke": {302, 403, 404, 303},
	// Audit log: any admin; one bound to a tenant sees that tenant's records.
	"GET /settings/audit-log": {302, 403, 200, 200},
	"GET /account":            {302, 200, 200, 200},
	"POST /account/password":  {302, 303, 303, 303},
	"GET /invite":             {403, 403, 403, 403}, // no valid token
	"POST /invite":            {403, 403, 403, 403},
	"GET /reset-password":     {403, 403, 403, 403},
	"POST /reset-password":    {403, 403, 403, 403},
}

func TestUIAuthorizationMatrix(t *testing.T) {
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
	putType := func(name string) {
		t.Helper()
		if _, err := s.db.PutEventType(ctx, &domain.EventType{TenantID: domain.DefaultTenant, Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	putType("orders/placed")
	addUIUser(t, s.db, "viewer@example.com", store.RoleViewer, domain.DefaultTenant)
	addUIUser(t, s.db, "other@example.com", store.RoleAdmin, "other")
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	target := addUIUser(t, s.db, "target@example.com", store.RoleViewer, domain.DefaultTenant)

	routes := s.srv.UIRoutes()
	for _, p := range routes {
		if _, ok := uiMatrix[p]; !ok {
			t.Errorf("route %q has no row in uiMatrix: add what each user should get", p)
		}
	}
	for p := range uiMatrix {
		if !slices.Contains(routes, p) {
			t.Errorf("uiMatrix lists %q, which is not a UI route", p)
		}
	}
	// Log out last: it ends the session the other rows need.
	slices.SortStableFunc(routes, func(a, b string) int {
		return boolInt(a == "POST /logout") - boolInt(b == "POST /logout")
	})

	since := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")
	webhookForm := url.Values{"name": {"Made in the matrix"}, "url": {recv.srv.URL}, "events": {"orders/*"}, "enabled": {"on"},
		"signing_scheme": {"standard-webhooks"}, "envelope": {"raw"}, "retry_schedule": {"exponential"}, "max_attempts": {"3"},
		"retry_on": {"default"}, "timeout": {"5"}}
	forms := map[string]url.Values{
		"POST /webhooks":              webhookForm,
		"POST /webhooks/{id}":         webhookForm,
		"POST /webhooks/{id}/recover": {"since": {since}},
		"POST /events":                {"topic": {"orders/placed"}, "data": {`{"n":1}`}},
		"POST /event-types":           {"name": {"made/in-matrix"}, "description": {"by the matrix"}},
		"POST /event-types/{name}":    {"description": {"edited by the matrix"}, "schema": {`{"type":"object"}`}, "examples": {`[{"n":1}]`}},
		"POST /tenant":                {"tenant": {domain.DefaultTenant}},
		"POST /setup":                 {"token": {"x"}},
		"POST /settings/users":        {"email": {"invitee@example.com"}, "role": {"viewer"}},
		"POST /settings/users/{id}":   {"role": {"viewer"}, "tenant": {"other"}},
		"POST /settings/tenants":      {"id": {"made-in-matrix"}},
		"POST /settings/api-keys":     {"name": {"made in the matrix"}, "scope": {"read"}},
		"POST /settings/tenants/{id}": {"name": {"Other Inc."}},
		"POST /account/password":      {"current_password": {uiPassword}, "password": {uiPassword}, "password_confirm": {uiPassword}},
		"POST /invite":                {"token": {"x"}, "password": {uiPassword}, "password_confirm": {uiPassword}},
		"POST /reset-password":        {"token": {"x"}, "password": {uiPassword}, "password_confirm": {uiPassword}},
	}
	// path fills a pattern's {id}. Deleting gets an endpoint of its own, so
	// the rows after it still find theirs.
	path := func(pattern string) string {
		_, p, _ := strings.Cut(pattern, " ")
		p = strings.TrimSuffix(p, "{$}")
		id := hook.ID
		switch {
		case strings.HasPrefix(p, "/deliveries/"):
			id = ds[0].ID
		case strings.HasPrefix(p, "/events/"):
			id = events[0].ID
		case pattern == "POST /webhooks/{id}/delete":
			id = addUIWebhook(t, s, domain.DefaultTenant, "Doomed", recv.srv.URL, "x").ID
		case pattern == "POST /settings/users/{id}/delete":
			id = addUIUser(t, s.db, "doomed-"+strconv.FormatInt(time.Now().UnixNano(), 36)+"@example.com", store.RoleViewer, "").ID
		case strings.HasPrefix(p, "/settings/users/"):
			id = target.ID
		case strings.HasPrefix(p, "/settings/tenants/"):
			id = "other"
		case strings.HasPrefix(p, "/settings/api-keys/"):
			k, _, err := s.db.CreateAPIKey(context.Background(), domain.DefaultTenant, "doomed")
			if err != nil {
				t.Fatal(err)
			}
			id = k.ID
		}
		if strings.Contains(p, "{name}") {
			name := "orders/placed"
			if pattern == "POST /event-types/{name}/delete" {
				name = "doomed/" + strconv.FormatInt(time.Now().UnixNano(), 36)
				putType(name)
			}
			return strings.Replace(p, "{name}", url.PathEscape(name), 1)
		}
		return strings.Replace(p, "{id}", id, 1)
	}

	users := []struct {
		name, email string
		want        func(uiExpect) int
	}{
		{"anonymous", "", func(e uiExpect) int { return e.anon }},
		{"viewer", "viewer@example.com", func(e uiExpect) int { return e.viewer }},
		{"admin of another tenant", "other@example.com", func(e uiExpect) int { return e.otherTenant }},
		{"admin", "admin@example.com", func(e uiExpect) int { return e.admin }},
	}
	for _, u := range users {
		t.Run(u.name, func(t *testing.T) {
			c := newUIClient(t, s)
			if u.email != "" {
				c.login(u.email)
			}
			for _, pattern := range routes {
				want := u.want(uiMatrix[pattern])
				method, _, _ := strings.Cut(pattern, " ")
				r := c.do(method, path(pattern), forms[pattern])
				if r.StatusCode != want {
					t.Errorf("%s as %s: status %d, want %d (%s)", pattern, u.name, r.StatusCode, want, pageText(r.doc))
					continue
				}
				if r.Header.Get("Content-Security-Policy") != contentSecurityPolicy || r.Header.Get("X-Frame-Options") != "DENY" ||
					r.Header.Get("Referrer-Policy") != "same-origin" {
					t.Errorf("%s as %s: security headers missing: %v", pattern, u.name, r.Header)
				}
				switch {
				case want == http.StatusFound && u.email == "":
					if !strings.HasPrefix(r.Header.Get("Location"), "/login") {
						t.Errorf("%s as %s: redirect to %q, want /login", pattern, u.name, r.Header.Get("Location"))
					}
				case want == http.StatusForbidden || want == http.StatusNotFound:
					if r.doc.Find(".error-code").Text() != strconv.Itoa(want) {
						t.Errorf("%s as %s: no error page", pattern, u.name)
					}
				}
			}
		})
	}
	// Only the admin changed users and tenants.
	if got, err := s.db.UserByID(ctx, target.ID); err != nil || got.TenantID != "other" || got.Disabled() {
		t.Errorf("target user after the matrix: %+v, %v (want the admin's binding to tenant other, enabled)", got, err)
	}
	if ts, err := s.db.Tenants(ctx); err != nil || len(ts) != 3 {
		t.Errorf("tenants after the matrix: %+v, %v (want the admin's one new tenant)", ts, err)
	}
	if et, err := s.db.EventType(ctx, domain.DefaultTenant, "orders/placed"); err != nil || et.Description != "edited by the matrix" {
		t.Errorf("event type after the matrix: %+v, %v (only the admin's edit should have landed)", et, err)
	}
	// The viewer's and the other tenant's tries changed nothing.
	got, err := s.db.EndpointByID(ctx, domain.DefaultTenant, hook.ID)
	if err != nil || got.Name != "Made in the matrix" {
		t.Fatalf("webhook after the matrix: %+v, %v (only the admin's edit should have landed)", got, err)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
