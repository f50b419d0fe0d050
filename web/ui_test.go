package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store"
)

func TestUISetupLinkCreatesTheFirstAdminOnce(t *testing.T) {
	s := newTestServer(t, uiDev)
	c := newUIClient(t, s)
	link, err := s.srv.SetupURL(context.Background())
	if err != nil || !strings.HasPrefix(link, "http://hooks.test/setup?token=") {
		t.Fatalf("SetupURL = %q, %v", link, err)
	}
	path := strings.TrimPrefix(link, "http://hooks.test")
	token, _ := url.Parse(link)

	c.get("/").want(t, http.StatusFound, "/login")
	c.get("/setup?token=wrong").want(t, http.StatusForbidden, "")
	page := c.get(path).want(t, http.StatusOK, "")
	if v, _ := page.doc.Find(`form[action="/setup"] input[name=token]`).Attr("value"); v != token.Query().Get("token") {
		t.Fatalf("setup form token = %q", v)
	}

	bad := c.post("/setup", url.Values{"token": {token.Query().Get("token")}, "email": {"ada@example.com"},
		"password": {uiPassword}, "password_confirm": {"something else"}}).want(t, http.StatusUnprocessableEntity, "")
	if bad.doc.Find("#f-password-confirm-error").Length() != 1 || bad.doc.Find(`#f-password-confirm[aria-invalid=true]`).Length() != 1 {
		t.Fatalf("no inline error on password_confirm: %s", pageText(bad.doc))
	}
	if v, _ := bad.doc.Find("#f-email").Attr("value"); v != "ada@example.com" {
		t.Fatalf("email not kept after an error: %q", v)
	}

	c.post("/setup", url.Values{"token": {token.Query().Get("token")}, "email": {"ada@example.com"},
		"password": {uiPassword}, "password_confirm": {uiPassword}}).want(t, http.StatusSeeOther, "/")
	home := c.get("/").want(t, http.StatusOK, "")
	if got := home.doc.Find(".account-email").Text(); got != "ada@example.com" {
		t.Fatalf("signed in as %q", got)
	}
	if home.doc.Find(".flash-success").Length() != 1 {
		t.Fatalf("no welcome flash: %s", pageText(home.doc))
	}
	if again := c.get("/").doc.Find(".flash").Length(); again != 0 {
		t.Fatal("the flash message showed twice")
	}
	u, err := s.db.UserByEmail(context.Background(), "ada@example.com")
	if err != nil || u.Role != store.RoleAdmin || u.TenantID != "" {
		t.Fatalf("first user = %+v, %v", u, err)
	}

	// The link is single use, and no new one is offered.
	other := newUIClient(t, s)
	other.get(path).want(t, http.StatusSeeOther, "/login")
	if link, err := s.srv.SetupURL(context.Background()); link != "" || err != nil {
		t.Fatalf("SetupURL with a user = %q, %v", link, err)
	}
}

func TestUILoginIsRateLimitedPerAddressAndEmail(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	r := c.get("/webhooks?x=1").want(t, http.StatusFound, "/login?next=")
	next, _ := url.Parse(r.Header.Get("Location"))
	if next.Query().Get("next") != "/webhooks?x=1" {
		t.Fatalf("login link loses the page: %s", r.Header.Get("Location"))
	}
	for i := range pairLoginLimit.burst {
		r := c.post("/login", url.Values{"email": {"ADA@example.com"}, "password": {"wrong password!"}}).want(t, http.StatusUnauthorized, "")
		if r.doc.Find("#login-error").Length() != 1 {
			t.Fatalf("attempt %d: no error message", i)
		}
		if v, _ := r.doc.Find("#f-email").Attr("value"); v != "ADA@example.com" {
			t.Fatalf("email not kept: %q", v)
		}
	}
	r = c.post("/login", url.Values{"email": {"ada@example.com"}, "password": {uiPassword}}).want(t, http.StatusTooManyRequests, "")
	if !strings.Contains(r.doc.Find("#login-error").Text(), "Too many sign-in attempts") {
		t.Fatalf("rate limit message: %s", pageText(r.doc))
	}
	// Another account from the same address still gets in.
	addUIUser(t, s.db, "bob@example.com", store.RoleViewer, "")
	c.post("/login", url.Values{"email": {"bob@example.com"}, "password": {uiPassword}, "next": {"/events"}}).want(t, http.StatusSeeOther, "/events")
	// next must stay on this site.
	c2 := newUIClient(t, s)
	addUIUser(t, s.db, "cy@example.com", store.RoleViewer, "")
	c2.post("/login", url.Values{"email": {"cy@example.com"}, "password": {uiPassword}, "next": {"//evil.example/"}}).want(t, http.StatusSeeOther, "/")
	if loc := c2.post("/logout", nil).want(t, http.StatusSeeOther, "/login"); loc == nil {
		t.Fatal("logout")
	}
	c2.get("/").want(t, http.StatusFound, "/login")
}

func TestUISessionCookieIsHardened(t *testing.T) {
	s := newTestServer(t, func(dc *delivery.Config, wc *Config) { wc.PublicURL = "https://hooks.example.com" })
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	r := c.post("/login", url.Values{"email": {"ada@example.com"}, "password": {uiPassword}}).want(t, http.StatusSeeOther, "/")
	cookies := r.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies: %v", cookies)
	}
	ck := cookies[0]
	if ck.Name != "__Host-hooks_session" || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" ||
		ck.MaxAge != int(SessionLifetime/time.Second) {
		t.Fatalf("session cookie %+v", ck)
	}
	// A second server on the same database keeps the session: the keys
	// live in the database.
	other := New(s.db, s.engine, Config{PublicURL: "https://hooks.example.com"})
	req := httptest.NewRequest(http.MethodGet, "/webhooks", nil)
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	other.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("restarted server: status %d", rec.Code)
	}
}

func TestUIWebhookFormShowsFieldErrorsAndKeepsInput(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("ada@example.com")
	form := url.Values{"name": {"Order sync"}, "url": {"ftp://example.com/x"}, "events": {"orders/placed\norders/*"},
		"enabled": {"on"}, "signing_scheme": {"hmac-sha256"}, "signing_header": {"X-Pepperi-Signature"}, "signing_encoding": {"hex"},
		"signing_prefix": {"sha256="}, "envelope": {"raw"}, "retry_schedule": {"exponential"}, "max_attempts": {"5"},
		"retry_on": {"default"}, "timeout": {"5"}, "headers": {"X-Api-Version: 2"}, "metadata": {"api_key=k1"}}
	r := c.post("/webhooks", form).want(t, http.StatusUnprocessableEntity, "")
	if r.doc.Find("#f-url-error").Length() != 1 || r.doc.Find("#error-summary").Length() != 1 {
		t.Fatalf("no inline URL error: %s", pageText(r.doc))
	}
	for id, want := range map[string]string{"#f-name": "Order sync", "#f-url": "ftp://example.com/x", "#f-signing-header": "X-Pepperi-Signature",
		"#f-max-attempts": "5"} {
		if v, _ := r.doc.Find(id).Attr("value"); v != want {
			t.Errorf("%s = %q after an error, want %q", id, v, want)
		}
	}
	if got := r.doc.Find("#f-events").Text(); got != "orders/placed\norders/*" {
		t.Errorf("events textarea = %q", got)
	}
	if v, _ := r.doc.Find("#f-signing-scheme option[selected]").Attr("value"); v != "hmac-sha256" {
		t.Errorf("scheme select = %q", v)
	}

	form.Set("timeout", "99")
	form.Set("url", "http://127.0.0.1:1/hook")
	r = c.post("/webhooks", form).want(t, http.StatusUnprocessableEntity, "")
	if r.doc.Find("#f-timeout-error").Length() != 1 {
		t.Fatalf("no timeout error: %s", pageText(r.doc))
	}

	form.Set("timeout", "5")
	r = c.post("/webhooks", form).want(t, http.StatusSeeOther, "/webhooks/wbh_")
	id := strings.TrimPrefix(r.Header.Get("Location"), "/webhooks/")
	h, err := s.db.EndpointByID(context.Background(), domain.DefaultTenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if h.Signing.Header != "X-Pepperi-Signature" || h.Signing.Prefix != "sha256=" || len(h.Topics) != 2 || h.Metadata["api_key"] != "k1" ||
		h.Headers["X-Api-Version"] != "2" || h.Retry.MaxAttempts != 5 {
		t.Fatalf("stored webhook %+v", h)
	}

	detail := c.get("/webhooks/"+id).want(t, http.StatusOK, "")
	if detail.doc.Find("h1").Text() != "Order sync" || detail.doc.Find(".flash-success").Length() != 1 {
		t.Fatalf("detail page: %s", pageText(detail.doc))
	}
	if strings.Contains(detail.body, h.Secret) {
		t.Fatal("the secret is on the page before a reveal")
	}
	revealed := c.post("/webhooks/"+id+"/secret/reveal", nil).want(t, http.StatusOK, "")
	if v, _ := revealed.doc.Find("input#secret-value").Attr("value"); v != h.Secret {
		t.Fatalf("revealed secret %q, want %q", v, h.Secret)
	}
	var js struct{ Secret string }
	if err := json.Unmarshal([]byte(c.post("/webhooks/"+id+"/secret/reveal", nil, "Accept", "application/json").body), &js); err != nil || js.Secret != h.Secret {
		t.Fatalf("JSON reveal = %+v, %v", js, err)
	}

	// Edit keeps the secret when the field is left empty.
	edit := c.get("/webhooks/"+id+"/edit").want(t, http.StatusOK, "")
	if v, _ := edit.doc.Find("#f-secret").Attr("value"); v != "" {
		t.Fatal("the edit form renders the secret")
	}
	form.Set("name", "Order sync v2")
	c.post("/webhooks/"+id, form).want(t, http.StatusSeeOther, "/webhooks/"+id)
	h2, _ := s.db.EndpointByID(context.Background(), domain.DefaultTenant, id)
	if h2.Name != "Order sync v2" || h2.Secret != h.Secret {
		t.Fatalf("after edit: name %q, secret changed %v", h2.Name, h2.Secret != h.Secret)
	}

	list := c.get("/webhooks").want(t, http.StatusOK, "")
	if list.doc.Find("tbody tr").Length() != 1 || list.doc.Find(`form[action="/webhooks/`+id+`/disable"] button[role=switch]`).Length() != 1 {
		t.Fatalf("webhooks list: %s", pageText(list.doc))
	}
	c.post("/webhooks/"+id+"/delete", nil).want(t, http.StatusSeeOther, "/webhooks")
	if c.get("/webhooks").doc.Find(".empty").Length() != 1 {
		t.Fatal("no empty state after deleting the only webhook")
	}
}

func TestUITestURLDeliveryDetailAndRedeliver(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	html := `<h1 onclick="x()">Order saved</h1><script>alert(document.cookie)</script>`
	recv := newUIReceiver(t, 200, `{"Success":true,"HTMLResponse":`+strconvQuote(html)+`}`)
	h := addUIWebhook(t, s, domain.DefaultTenant, "Shop", recv.srv.URL+"/hook", "orders/*")
	c := newUIClient(t, s)
	c.login("ada@example.com")

	c.post("/webhooks/"+h.ID+"/test", nil).want(t, http.StatusSeeOther, "/webhooks/"+h.ID)
	page := c.get("/webhooks/"+h.ID).want(t, http.StatusOK, "")
	res := page.doc.Find("[data-test-result]")
	if _, hidden := res.Attr("hidden"); hidden || res.Find(`[data-field=statusCode]`).Text() != "200" {
		t.Fatalf("test result not shown: %s", pageText(page.doc))
	}
	var tr struct {
		Success    bool
		StatusCode int
	}
	if err := json.Unmarshal([]byte(c.post("/webhooks/"+h.ID+"/test", nil, "Accept", "application/json").body), &tr); err != nil || !tr.Success || tr.StatusCode != 200 {
		t.Fatalf("JSON test = %+v, %v", tr, err)
	}

	r := c.post("/events", url.Values{"topic": {"orders/placed"}, "data": {`{"id": 1042}`}}).want(t, http.StatusSeeOther, "/events/evt_")
	ev := c.get(r.Header.Get("Location")).want(t, http.StatusOK, "")
	link, ok := ev.doc.Find(`a[href^="/deliveries/dlv_"]`).Attr("href")
	if !ok {
		t.Fatalf("event page lists no delivery: %s", pageText(ev.doc))
	}
	dlv := strings.TrimPrefix(link, "/deliveries/")
	waitUIDelivery(t, s, domain.DefaultTenant, dlv, domain.StatusSucceeded)

	log := c.get("/deliveries?status=succeeded&topic=orders/placed").want(t, http.StatusOK, "")
	if log.doc.Find(`a[href="/deliveries/`+dlv+`"]`).Length() != 1 {
		t.Fatalf("delivery not in the filtered log: %s", pageText(log.doc))
	}
	if c.get("/deliveries?status=failed").doc.Find(`a[href="/deliveries/`+dlv+`"]`).Length() != 0 {
		t.Fatal("status filter ignored")
	}

	d := c.get("/deliveries/"+dlv).want(t, http.StatusOK, "")
	att := d.doc.Find("details.attempt")
	if att.Length() != 1 {
		t.Fatalf("%d attempts shown", att.Length())
	}
	if !strings.Contains(att.Find("section[aria-label=Request] pre").First().Text(), `"id": 1042`) {
		t.Fatalf("request body (the event payload) not shown: %s", att.Find("section[aria-label=Request]").Text())
	}
	var sawWebhookID bool
	att.Find("section[aria-label=Request] th").Each(func(_ int, th *goquery.Selection) {
		sawWebhookID = sawWebhookID || th.Text() == "X-Hooks-Webhook-Id"
	})
	if !sawWebhookID {
		t.Fatal("request headers not shown")
	}
	// The receiver's HTML is text in this origin, and live only in a
	// sandboxed frame without scripts or same-origin access.
	if got := att.Find("pre.html-response code").Text(); got != html {
		t.Fatalf("HTMLResponse source = %q", got)
	}
	frame := att.Find("iframe.html-preview")
	if sb, ok := frame.Attr("sandbox"); !ok || sb != "" {
		t.Fatalf("iframe sandbox = %q, %v", sb, ok)
	}
	if d.doc.Find("script").Length() != 1 || d.doc.Find("h1[onclick]").Length() != 0 {
		t.Fatal("the receiver's HTML reached the page as markup")
	}

	c.post("/deliveries/"+dlv+"/redeliver", nil).want(t, http.StatusSeeOther, "/deliveries/"+dlv)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n := c.get("/deliveries/" + dlv).doc.Find("details.attempt").Length(); n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the redelivery's attempt never showed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestUIDeliveryLogPagesWithKeysetCursors(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleViewer, domain.DefaultTenant)
	// A disabled endpoint gets no deliveries, so create them through an
	// enabled one whose receiver answers 200.
	recv := newUIReceiver(t, 200, `ok`)
	h := addUIWebhook(t, s, domain.DefaultTenant, "Bulk", recv.srv.URL, "bulk")
	var events []*domain.Event
	for range uiPageSize + 7 {
		events = append(events, &domain.Event{TenantID: domain.DefaultTenant, Topic: "bulk", Payload: []byte(`{}`)})
	}
	if _, err := s.db.CreateEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	c := newUIClient(t, s)
	c.login("ada@example.com")
	first := c.get("/webhooks/"+h.ID+"/deliveries?topic=bulk").want(t, http.StatusOK, "")
	if n := first.doc.Find("tbody tr").Length(); n != uiPageSize {
		t.Fatalf("first page has %d rows", n)
	}
	if first.doc.Find(`a[rel=prev]`).Length() != 0 {
		t.Fatal("the first page links to a newer one")
	}
	older, ok := first.doc.Find(`a[rel=next]`).Attr("href")
	if !ok || !strings.Contains(older, "topic=bulk") || !strings.Contains(older, "cursor=dlv_") {
		t.Fatalf("older link %q", older)
	}
	second := c.get(older).want(t, http.StatusOK, "")
	if n := second.doc.Find("tbody tr").Length(); n != 7 {
		t.Fatalf("second page has %d rows", n)
	}
	newer, _ := second.doc.Find(`a[rel=prev]`).Attr("href")
	back := c.get(newer).want(t, http.StatusOK, "")
	if a, b := back.doc.Find("tbody tr td.mono").First().Text(), first.doc.Find("tbody tr td.mono").First().Text(); a != b {
		t.Fatalf("newer page starts at %s, want %s", a, b)
	}

	bad := c.get("/deliveries?from=yesterday&status=nope").want(t, http.StatusUnprocessableEntity, "")
	if bad.doc.Find("#f-from-error").Length() != 1 || bad.doc.Find(`#f-from[aria-invalid=true]`).Length() != 1 {
		t.Fatalf("no inline filter error: %s", pageText(bad.doc))
	}
	future := time.Now().Add(48 * time.Hour).UTC().Format("2006-01-02T15:04")
	empty := c.get("/deliveries?from="+future).want(t, http.StatusOK, "")
	if empty.doc.Find(".empty h2").Text() != "No deliveries match these filters" {
		t.Fatalf("empty state: %s", pageText(empty.doc))
	}
}

func TestUIDashboardChartsAndAttention(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("ada@example.com")
	if c.get("/").doc.Find(`.empty a[href="/webhooks/new"]`).Length() != 1 {
		t.Fatal("no first-run empty state")
	}
	ok := newUIReceiver(t, 200, `ok`)
	failing := newUIReceiver(t, 500, `down`)
	addUIWebhook(t, s, domain.DefaultTenant, "Healthy", ok.srv.URL, "orders/*")
	bad := addUIWebhook(t, s, domain.DefaultTenant, "Broken", failing.srv.URL, "orders/*")
	off := addUIWebhook(t, s, domain.DefaultTenant, "Dead", failing.srv.URL, "never")
	if err := s.db.DisableEndpoint(context.Background(), domain.DefaultTenant, off.ID, "20 consecutive failures: HTTP 500"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.engine.SendTest(context.Background(), bad, delivery.TestEvent{}); err != nil {
			t.Fatal(err)
		}
	}
	page := c.get("/?range=24h").want(t, http.StatusOK, "")
	if page.doc.Find(".charts svg").Length() < 2 {
		t.Fatalf("charts missing: %s", pageText(page.doc))
	}
	items := page.doc.Find("ul.attention > li")
	if items.Length() != 2 {
		t.Fatalf("%d endpoints need attention, want 2: %s", items.Length(), pageText(page.doc))
	}
	if !items.First().HasClass("is-disabled") || !strings.Contains(items.First().Find(".attention-reason").Text(), "20 consecutive failures") {
		t.Fatalf("auto-disabled endpoint not first with its reason: %s", items.First().Text())
	}
	if !strings.Contains(items.Eq(1).Find(".attention-reason").Text(), "The last 2 attempts failed; the latest got HTTP 500") {
		t.Fatalf("failing reason: %s", items.Eq(1).Text())
	}
	if got := page.doc.Find(".segmented a[aria-current]").Text(); got != "Last 24 hours" {
		t.Fatalf("range selector shows %q", got)
	}
}

func TestUICrossOriginPostIsRefused(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	h := addUIWebhook(t, s, domain.DefaultTenant, "Shop", "http://127.0.0.1:9/hook", "orders/*")
	c := newUIClient(t, s)
	c.login("ada@example.com")
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "http://evil.example"},
	} {
		r := c.post("/webhooks/"+h.ID+"/disable", nil, hdr...).want(t, http.StatusForbidden, "")
		if !strings.Contains(pageText(r.doc), "came from another site") {
			t.Fatalf("%v: %s", hdr, pageText(r.doc))
		}
	}
	// A cross-site login form can't sign a victim in to the attacker's account either.
	newUIClient(t, s).post("/login", url.Values{"email": {"ada@example.com"}, "password": {uiPassword}},
		"Sec-Fetch-Site", "cross-site").want(t, http.StatusForbidden, "")
	if got, _ := s.db.EndpointByID(context.Background(), domain.DefaultTenant, h.ID); !got.Enabled {
		t.Fatal("a cross-origin POST disabled the webhook")
	}
	c.post("/webhooks/"+h.ID+"/disable", nil, "Sec-Fetch-Site", "same-origin", "Origin", c.base).want(t, http.StatusSeeOther, "/webhooks/"+h.ID)
	if got, _ := s.db.EndpointByID(context.Background(), domain.DefaultTenant, h.ID); got.Enabled {
		t.Fatal("a same-origin POST did not disable the webhook")
	}
}

func TestUITenantSwitchAndViewerSeesNoActions(t *testing.T) {
	ctx := context.Background()
	s := newTestServer(t, uiDev)
	if _, err := s.db.PutTenant(ctx, &domain.Tenant{ID: "OU1243"}); err != nil {
		t.Fatal(err)
	}
	mine := addUIWebhook(t, s, domain.DefaultTenant, "Default shop", "http://127.0.0.1:9/a", "orders/*")
	theirs := addUIWebhook(t, s, "OU1243", "OU shop", "http://127.0.0.1:9/b", "orders/*")
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	addUIUser(t, s.db, "viewer@example.com", store.RoleViewer, "OU1243")

	admin := newUIClient(t, s)
	admin.login("admin@example.com")
	list := admin.get("/webhooks").want(t, http.StatusOK, "")
	if list.doc.Find(`form[action="/tenant"] select[name=tenant] option`).Length() != 2 {
		t.Fatalf("no tenant switcher for an unbound admin: %s", pageText(list.doc))
	}
	if list.doc.Find(`a[href="/webhooks/`+mine.ID+`"]`).Length() != 1 || list.doc.Find(`a[href="/webhooks/`+theirs.ID+`"]`).Length() != 0 {
		t.Fatal("the default tenant's list is wrong")
	}
	admin.post("/tenant", url.Values{"tenant": {"OU1243"}}).want(t, http.StatusSeeOther, "/")
	list = admin.get("/webhooks").want(t, http.StatusOK, "")
	if list.doc.Find(`a[href="/webhooks/`+theirs.ID+`"]`).Length() != 1 || list.doc.Find(`a[href="/webhooks/`+mine.ID+`"]`).Length() != 0 {
		t.Fatal("switching tenant did not change the list")
	}
	if v, _ := list.doc.Find(`select[name=tenant] option[selected]`).Attr("value"); v != "OU1243" {
		t.Fatalf("switcher shows %q", v)
	}
	admin.post("/tenant", url.Values{"tenant": {"nope"}}).want(t, http.StatusNotFound, "")

	viewer := newUIClient(t, s)
	viewer.login("viewer@example.com")
	page := viewer.get("/webhooks/"+theirs.ID).want(t, http.StatusOK, "")
	if page.doc.Find(`form[method=post]`).Not(`[action="/logout"]`).Length() != 0 || page.doc.Find(`a[href$="/edit"]`).Length() != 0 {
		t.Fatal("a viewer sees forms that change things")
	}
	if page.doc.Find(".tenant-pill").Text() != "OU1243" || page.doc.Find(`form[action="/tenant"]`).Length() != 0 {
		t.Fatal("a bound user should see their tenant, not a switcher")
	}
	viewer.get("/webhooks/"+mine.ID).want(t, http.StatusNotFound, "")
}

func TestUISessionEndsAfterItsLifetime(t *testing.T) {
	s := newTestServer(t, uiDev)
	u := addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	// Forge what a sign-in 13 hours ago would have left, with the
	// server's own keys: the cookie is valid, the sign-in too old.
	cookie := func(signedIn time.Time) *http.Cookie {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		sess, err := s.srv.session(req)
		if err != nil {
			t.Fatal(err)
		}
		sess.Values[sessUserID] = u.ID
		sess.Values[sessSignedIn] = signedIn.UnixMilli()
		rec := httptest.NewRecorder()
		if err := sess.Save(req, rec); err != nil {
			t.Fatal(err)
		}
		return rec.Result().Cookies()[0]
	}
	for _, tc := range []struct {
		age  time.Duration
		want int
	}{{time.Hour, http.StatusOK}, {SessionLifetime + time.Hour, http.StatusFound}} {
		req, _ := http.NewRequest(http.MethodGet, s.http.URL+"/webhooks", nil)
		req.AddCookie(cookie(time.Now().Add(-tc.age)))
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("signed in %v ago: status %d, want %d", tc.age, resp.StatusCode, tc.want)
		}
	}
}

func TestUITestURLWithABigAnswerStillRedirects(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	recv := newUIReceiver(t, 503, strings.Repeat("é", 20000))
	h := addUIWebhook(t, s, domain.DefaultTenant, "Big", recv.srv.URL, "x")
	c := newUIClient(t, s)
	c.login("ada@example.com")
	c.post("/webhooks/"+h.ID+"/test", nil).want(t, http.StatusSeeOther, "/webhooks/"+h.ID)
	page := c.get("/webhooks/"+h.ID).want(t, http.StatusOK, "")
	res := page.doc.Find("[data-test-result]")
	if res.Find("[data-field=statusCode]").Text() != "503" || !strings.Contains(res.Find("[data-field=responseBody]").Text(), "(truncated") {
		t.Fatalf("test result: %s", pageText(page.doc))
	}
}

func TestUIEventsPageBothWays(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleViewer, "")
	var events []*domain.Event
	for range 2*uiPageSize + 3 {
		events = append(events, &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{}`)})
	}
	if _, err := s.db.CreateEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	c := newUIClient(t, s)
	c.login("ada@example.com")
	firstRow := func(r *uiResponse) string { return r.doc.Find("tbody tr td.mono").First().Text() }
	var pages []*uiResponse
	r := c.get("/events").want(t, http.StatusOK, "")
	for {
		pages = append(pages, r)
		older, ok := r.doc.Find("a[rel=next]").Attr("href")
		if !ok {
			break
		}
		r = c.get(older).want(t, http.StatusOK, "")
	}
	if len(pages) != 3 || pages[2].doc.Find("tbody tr").Length() != 3 {
		t.Fatalf("%d pages", len(pages))
	}
	for i := 2; i > 0; i-- {
		newer, _ := pages[i].doc.Find("a[rel=prev]").Attr("href")
		if got, want := firstRow(c.get(newer)), firstRow(pages[i-1]); got != want {
			t.Fatalf("newer from page %d starts at %s, want %s", i+1, got, want)
		}
	}
}

func TestUILogoutEndsCopiesOfTheSession(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	login := c.post("/login", url.Values{"email": {"ada@example.com"}, "password": {uiPassword}}).want(t, http.StatusSeeOther, "/")
	stolen := login.Cookies()[0]
	replay := func() int {
		req, _ := http.NewRequest(http.MethodGet, s.http.URL+"/webhooks", nil)
		req.AddCookie(stolen)
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := replay(); got != http.StatusOK {
		t.Fatalf("copied cookie before logout: %d", got)
	}
	c.post("/logout", nil).want(t, http.StatusSeeOther, "/login")
	if got := replay(); got != http.StatusFound {
		t.Fatalf("copied cookie after logout: %d, want 302 to /login", got)
	}
	c.login("ada@example.com")
	c.get("/webhooks").want(t, http.StatusOK, "")
}
