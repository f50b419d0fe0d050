package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// newInstances starts n test servers on one fresh PostgreSQL database, each
// with its own store.DB, delivery engine and listener, as n `hooks serve`
// processes behind a load balancer. It skips without PostgreSQL.
func newInstances(t *testing.T, n int, opts ...serverOption) []*testServer {
	t.Helper()
	dsn := storetest.PostgresDSN(t)
	var out []*testServer
	for range n {
		out = append(out, newTestServerOn(t, dsn, opts...))
	}
	return out
}

// sessionCookie returns the session cookie that r sets.
func sessionCookie(t *testing.T, r *uiResponse) *http.Cookie {
	t.Helper()
	for _, ck := range r.Cookies() {
		if ck.Name == "hooks_session" {
			return ck
		}
	}
	t.Fatalf("%s %s: no session cookie in %v", r.Request.Method, r.Request.URL.Path, r.Cookies())
	return nil
}

// newUIClientWith is a client of s that holds ck, as a browser does whose
// next request the load balancer sends to another instance.
func newUIClientWith(t *testing.T, s *testServer, ck *http.Cookie) *uiClient {
	t.Helper()
	c := newUIClient(t, s)
	u, err := url.Parse(s.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	c.hc.Jar.SetCookies(u, []*http.Cookie{ck})
	return c
}

func TestUISessionWorksOnEveryInstance(t *testing.T) {
	inst := newInstances(t, 2, uiDev)
	a, b := inst[0], inst[1]
	addUIUser(t, a.db, "ada@example.com", store.RoleAdmin, "")

	onA := newUIClient(t, a)
	login := onA.post("/login", url.Values{"email": {"ada@example.com"}, "password": {uiPassword}}).want(t, http.StatusSeeOther, "/")
	ck := sessionCookie(t, login)
	onB := newUIClientWith(t, b, ck)
	page := onB.get("/webhooks").want(t, http.StatusOK, "")
	if got := page.doc.Find(".account-email").Text(); got != "ada@example.com" {
		t.Fatalf("instance B: signed in as %q; page: %s", got, pageText(page.doc))
	}

	// A webhook created on A is on B's list.
	form := url.Values{"name": {"Order sync"}, "url": {"http://127.0.0.1:1/hook"}, "events": {"orders/placed"},
		"enabled": {"on"}, "signing_scheme": {"standard-webhooks"}, "envelope": {"standard"}, "retry_schedule": {"exponential"},
		"max_attempts": {"5"}, "retry_on": {"default"}, "timeout": {"5"}}
	created := onA.post("/webhooks", form).want(t, http.StatusSeeOther, "/webhooks/wbh_")
	id := strings.TrimPrefix(created.Header.Get("Location"), "/webhooks/")
	list := onB.get("/webhooks").want(t, http.StatusOK, "")
	if got := list.doc.Find(`tbody a[href="/webhooks/` + id + `"]`).Text(); got != "Order sync" {
		t.Fatalf("instance B's list: link to %s says %q; page: %s", id, got, pageText(list.doc))
	}
	onB.get("/webhooks/"+id).want(t, http.StatusOK, "")

	// Signing out on B ends the session on A too, copies included.
	onB.post("/logout", nil).want(t, http.StatusSeeOther, "/login")
	onB.get("/webhooks").want(t, http.StatusFound, "/login")
	onA.get("/webhooks").want(t, http.StatusFound, "/login")
	newUIClientWith(t, a, ck).get("/webhooks").want(t, http.StatusFound, "/login")
}

func TestUISetupLinkOfOneInstanceWorksOnAnotherOnce(t *testing.T) {
	inst := newInstances(t, 2, uiDev)
	a, b := inst[0], inst[1]
	link, err := a.srv.SetupURL(context.Background())
	if err != nil || link == "" {
		t.Fatalf("SetupURL = %q, %v", link, err)
	}
	path := strings.TrimPrefix(link, "http://hooks.test")
	u, _ := url.Parse(link)
	form := url.Values{"token": {u.Query().Get("token")}, "email": {"ada@example.com"},
		"password": {uiPassword}, "password_confirm": {uiPassword}}

	onB := newUIClient(t, b)
	onB.get(path).want(t, http.StatusOK, "")
	setup := onB.post("/setup", form).want(t, http.StatusSeeOther, "/")
	home := newUIClientWith(t, a, sessionCookie(t, setup)).get("/").want(t, http.StatusOK, "")
	if got := home.doc.Find(".account-email").Text(); got != "ada@example.com" {
		t.Fatalf("instance A: signed in as %q after setup on B; page: %s", got, pageText(home.doc))
	}

	// Used once, the link works on neither instance.
	for name, s := range map[string]*testServer{"A": a, "B": b} {
		c := newUIClient(t, s)
		c.get(path).want(t, http.StatusSeeOther, "/login")
		form.Set("email", "eve@example.com")
		c.post("/setup", form).want(t, http.StatusSeeOther, "/login")
		if _, err := s.db.UserByEmail(context.Background(), "eve@example.com"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("instance %s: a second setup made a user (err %v)", name, err)
		}
	}
	if n, err := b.db.CountUsers(context.Background()); n != 1 || err != nil {
		t.Fatalf("CountUsers = %d, %v; want 1", n, err)
	}
}
