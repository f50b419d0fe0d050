package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// portalLink is the answer of POST /api/v1/portal/sessions.
type portalLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
	Role      string    `json:"role"`
}

// mintPortal mints a portal link for tenant with the all-tenant key and
// returns its path (/portal/<token>).
func mintPortal(t *testing.T, s *testServer, tenant string, body map[string]any) string {
	t.Helper()
	var out portalLink
	mustStatus(t, s.do("POST", "/api/v1/portal/sessions", s.key, body, &out, "X-Tenant-ID", tenant), http.StatusCreated)
	path, ok := strings.CutPrefix(out.URL, "http://hooks.test")
	if !ok || !strings.HasPrefix(path, "/portal/") {
		t.Fatalf("portal link %q is not <public-url>/portal/<token>", out.URL)
	}
	return path
}

// portalClient is a browser that opened a portal link of tenant with role.
func portalClient(t *testing.T, s *testServer, tenant, role string) *uiClient {
	t.Helper()
	c := newUIClient(t, s)
	c.get(mintPortal(t, s, tenant, map[string]any{"role": role})).want(t, http.StatusSeeOther, "/portal/webhooks")
	return c
}

func TestPortalLinkLimitsAndRole(t *testing.T) {
	s := newTestServer(t, uiDev)
	before := time.Now()
	var out portalLink
	mustStatus(t, s.do("POST", "/api/v1/portal/sessions", s.key, nil, &out), http.StatusCreated)
	if out.Role != domain.PortalViewer {
		t.Errorf("default role %q, want viewer", out.Role)
	}
	if d := out.ExpiresAt.Sub(before); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("default link lifetime %v, want an hour", d)
	}
	mustStatus(t, s.do("POST", "/api/v1/portal/sessions", s.key, map[string]any{"expiresInSeconds": 7 * 24 * 3600, "role": "admin"}, &out), http.StatusCreated)
	if out.Role != domain.PortalAdmin || out.ExpiresAt.Sub(before) < 7*24*time.Hour-time.Minute {
		t.Errorf("7-day admin link: %+v", out)
	}
	for name, body := range map[string]map[string]any{
		"a second past 7 days": {"expiresInSeconds": 7*24*3600 + 1},
		"zero":                 {"expiresInSeconds": 0},
		"negative":             {"expiresInSeconds": -5},
		"huge":                 {"expiresInSeconds": int64(1) << 62},
		"an unknown role":      {"role": "owner"},
	} {
		if resp := s.do("POST", "/api/v1/portal/sessions", s.key, body, nil); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", name, resp.StatusCode)
		}
	}
	// A tenant-bound key mints for its own tenant only.
	if _, err := s.db.PutTenant(context.Background(), &domain.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	_, acmeKey, err := s.db.CreateAPIKey(context.Background(), "acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, s.do("POST", "/api/v1/portal/sessions", acmeKey, nil, nil, "X-Tenant-ID", domain.DefaultTenant), http.StatusForbidden)
}

func TestPortalLinkWorksOnce(t *testing.T) {
	s := newTestServer(t, uiDev)
	link := mintPortal(t, s, domain.DefaultTenant, nil)
	c := newUIClient(t, s)
	r := c.get(link).want(t, http.StatusSeeOther, "/portal/webhooks")
	cookies := r.Cookies()
	if len(cookies) != 1 || cookies[0].Path != "/portal" || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("portal cookie %+v: want one, Path=/portal, HttpOnly, SameSite=Lax", cookies)
	}
	c.get("/portal/webhooks").want(t, http.StatusOK, "")

	again := newUIClient(t, s)
	r = again.get(link)
	if r.StatusCode != http.StatusGone || len(r.Cookies()) != 0 || !strings.Contains(pageText(r.doc), "This link has been used or has expired") {
		t.Fatalf("second use: %d, cookies %v, page %q", r.StatusCode, r.Cookies(), pageText(r.doc))
	}
	again.get("/portal/webhooks").want(t, http.StatusUnauthorized, "")

	expired := &store.PortalSession{TenantID: domain.DefaultTenant, Role: domain.PortalAdmin, ExpiresAt: time.Now().Add(-time.Second)}
	token, err := s.db.CreatePortalSession(context.Background(), expired)
	if err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"expired": "/portal/" + token, "forged": "/portal/" + strings.Repeat("A", 43)} {
		b := newUIClient(t, s)
		if r := b.get(path); r.StatusCode != http.StatusGone || len(r.Cookies()) != 0 {
			t.Errorf("%s link: %d, cookies %v", name, r.StatusCode, r.Cookies())
		}
		b.get("/portal/webhooks").want(t, http.StatusUnauthorized, "")
	}
}

// TestPortalConcurrentRedemptionYieldsOneSession opens one link from many
// browsers at once, through two servers on one database (as instances
// share one PostgreSQL): exactly one gets a session.
func TestPortalConcurrentRedemptionYieldsOneSession(t *testing.T) {
	dsn := storetest.DSN(t)
	a, b := newTestServerOn(t, dsn, uiDev), newTestServerOn(t, dsn, uiDev)
	link := mintPortal(t, a, domain.DefaultTenant, nil)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range 16 {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		c := newUIClient(t, srv)
		wg.Go(func() {
			r := c.get(link)
			mu.Lock()
			statuses[r.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[http.StatusSeeOther] != 1 || statuses[http.StatusGone] != 15 {
		t.Fatalf("statuses %v: want one 303 and fifteen 410", statuses)
	}
}

func TestPortalCookieIsAStrangerToTheBackofficeAndTheAPI(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	c := portalClient(t, s, domain.DefaultTenant, domain.PortalAdmin)
	u, _ := url.Parse(s.http.URL + "/portal/webhooks")
	portal := c.hc.Jar.Cookies(u)
	if len(portal) != 1 {
		t.Fatalf("portal cookies %v", portal)
	}
	// The browser sends it under /portal only; a client that sends it
	// everywhere, even under the backoffice cookie's name, is a stranger.
	for _, name := range []string{portal[0].Name, "hooks_session"} {
		cookie := name + "=" + portal[0].Value
		for _, p := range []string{"/", "/webhooks", "/deliveries", "/events"} {
			if r := c.do("GET", p, nil, "Cookie", cookie); r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
				t.Errorf("GET %s with the portal cookie as %s: %d %s, want 302 to /login", p, name, r.StatusCode, r.Header.Get("Location"))
			}
		}
		req, _ := http.NewRequest("GET", s.http.URL+"/api/v1/webhooks", nil)
		req.Header.Set("Cookie", cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("API with the portal cookie: %d, want 401", resp.StatusCode)
		}
	}
	// And the backoffice's cookie opens no portal.
	admin := newUIClient(t, s)
	admin.login("admin@example.com")
	admin.get("/portal/webhooks").want(t, http.StatusUnauthorized, "")
}

func TestPortalViewerCannotWrite(t *testing.T) {
	s := newTestServer(t, uiDev)
	recv := newUIReceiver(t, 200, "ok")
	hook := addUIWebhook(t, s, domain.DefaultTenant, "Shop", recv.srv.URL, "orders/*")
	c := portalClient(t, s, domain.DefaultTenant, domain.PortalViewer)
	r := c.get("/portal/webhooks/"+hook.ID).want(t, http.StatusOK, "")
	if r.doc.Find("#test-form, [data-reveal-form], a[href$='/edit']").Length() != 0 {
		t.Errorf("a viewer's page offers changes")
	}
	for _, p := range []string{"/portal/webhooks/" + hook.ID + "/disable", "/portal/webhooks/" + hook.ID + "/secret/reveal",
		"/portal/webhooks/" + hook.ID + "/secret/rotate", "/portal/webhooks/" + hook.ID + "/test"} {
		c.post(p, url.Values{}).want(t, http.StatusForbidden, "")
	}
	if got, _ := s.db.EndpointByID(context.Background(), domain.DefaultTenant, hook.ID); !got.Enabled || got.Secret != hook.Secret {
		t.Fatalf("the viewer changed the endpoint: %+v", got)
	}
}

func TestPortalFrameAncestors(t *testing.T) {
	s := newTestServer(t, uiDev)
	c := portalClient(t, s, domain.DefaultTenant, domain.PortalAdmin)
	r := c.get("/portal/webhooks")
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || r.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("default: CSP %q, X-Frame-Options %q", csp, r.Header.Get("X-Frame-Options"))
	}

	framed := newTestServer(t, uiDev, func(_ *delivery.Config, wc *Config) {
		wc.Portal.FrameAncestors = "https://app.example.com 'self'"
	})
	fc := newUIClient(t, framed)
	r = fc.get(mintPortal(t, framed, domain.DefaultTenant, nil)).want(t, http.StatusSeeOther, "/portal/webhooks")
	cookies := r.Cookies()
	if len(cookies) != 1 || cookies[0].SameSite != http.SameSiteNoneMode || !cookies[0].Secure || !cookies[0].Partitioned {
		t.Errorf("framed portal cookie %+v: want SameSite=None; Secure; Partitioned", cookies)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://app.example.com 'self';") || r.Header.Get("X-Frame-Options") != "" {
		t.Errorf("framed: CSP %q, X-Frame-Options %q", csp, r.Header.Get("X-Frame-Options"))
	}
	// The backoffice stays unframeable.
	if r := fc.get("/login"); !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || r.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("backoffice when the portal may be framed: %v", r.Header)
	}
}

func TestPortalBranding(t *testing.T) {
	s := newTestServer(t, uiDev, func(_ *delivery.Config, wc *Config) {
		wc.Portal.Brand = domain.PortalBrand{Name: "Everyone's", Accent: "#123456"}
	})
	mustStatus(t, s.do("PUT", "/api/v1/tenants/acme", s.key, map[string]any{"portal": map[string]string{"accent": "red"}}, nil), http.StatusUnprocessableEntity)
	mustStatus(t, s.do("PUT", "/api/v1/tenants/acme", s.key, map[string]any{"portal": map[string]string{"logoUrl": "http://x.example/l.png"}}, nil), http.StatusUnprocessableEntity)
	var tenant domain.Tenant
	mustStatus(t, s.do("PUT", "/api/v1/tenants/acme", s.key, map[string]any{"name": "Acme",
		"portal": map[string]string{"name": "Acme Shop", "accent": "#0a7d4f", "logoUrl": "https://acme.example/logo.svg"}}, &tenant), http.StatusCreated)
	if tenant.Portal.Accent != "#0a7d4f" {
		t.Fatalf("tenant %+v", tenant)
	}
	// A rename without "portal" keeps the branding.
	mustStatus(t, s.do("PUT", "/api/v1/tenants/acme", s.key, map[string]any{"name": "Acme Inc"}, &tenant), http.StatusOK)
	if tenant.Portal.Name != "Acme Shop" {
		t.Fatalf("rename lost the branding: %+v", tenant)
	}

	c := portalClient(t, s, "acme", domain.PortalAdmin)
	r := c.get("/portal/webhooks").want(t, http.StatusOK, "")
	if r.doc.Find(".portal-name").Text() != "Acme Shop" || r.doc.Find("img.portal-logo").AttrOr("src", "") != "https://acme.example/logo.svg" {
		t.Errorf("portal header: %q", pageText(r.doc))
	}
	if css := c.get("/portal/theme.css").body; !strings.Contains(css, "--accent: #0a7d4f;") {
		t.Errorf("tenant theme: %q", css)
	}
	// Another tenant, without its own, gets the server-wide look.
	d := portalClient(t, s, domain.DefaultTenant, domain.PortalAdmin)
	if r := d.get("/portal/webhooks"); r.doc.Find(".portal-name").Text() != "Everyone's" || !strings.Contains(d.get("/portal/theme.css").body, "#123456") {
		t.Errorf("server-wide branding missing: %q", pageText(r.doc))
	}
}

// TestPortalSignOutEndsTheSessionEverywhere signs out from the portal bar
// and replays the old cookie, as a copy of it kept elsewhere would be.
func TestPortalSignOutEndsTheSessionEverywhere(t *testing.T) {
	s := newTestServer(t, uiDev)
	c := portalClient(t, s, domain.DefaultTenant, domain.PortalAdmin)
	page := c.get("/portal/webhooks")
	page.want(t, http.StatusOK, "")
	if page.doc.Find(`form[action="/portal/sign-out"] button`).Length() != 1 {
		t.Fatal("the portal bar has no sign-out button")
	}
	base, _ := url.Parse(s.http.URL + "/portal/")
	kept := c.hc.Jar.Cookies(base)
	if len(kept) == 0 {
		t.Fatal("no portal cookie after the link")
	}

	out := c.do("POST", "/portal/sign-out", url.Values{})
	out.want(t, http.StatusOK, "")
	if !strings.Contains(pageText(out.doc), "You are signed out") {
		t.Errorf("sign-out page: %q", pageText(out.doc))
	}
	c.get("/portal/webhooks").want(t, http.StatusUnauthorized, "")

	replay := newUIClient(t, s)
	replay.hc.Jar.SetCookies(base, kept)
	replay.get("/portal/webhooks").want(t, http.StatusUnauthorized, "")
}
