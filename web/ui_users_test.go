package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"hooks/domain"
	"hooks/store"
)

// linkPath returns the path and query of the one-time link a page shows.
func linkPath(t *testing.T, r *uiResponse) string {
	t.Helper()
	raw, ok := r.doc.Find("#link-value").Attr("value")
	if !ok {
		t.Fatalf("no one-time link on the page: %s", pageText(r.doc))
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host != "hooks.test" {
		t.Fatalf("link %q: %v (want one on the public URL)", raw, err)
	}
	return u.RequestURI()
}

func TestInviteLinkSignsInOnceWithTheRoleAndTenant(t *testing.T) {
	ctx := context.Background()
	s := newTestServer(t, uiDev)
	if _, err := s.db.PutTenant(ctx, &domain.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	admin := newUIClient(t, s)
	admin.login("admin@example.com")

	r := admin.post("/settings/users", url.Values{"email": {"bad"}, "role": {"viewer"}}).want(t, http.StatusUnprocessableEntity, "")
	if r.doc.Find("#f-email-error").Length() == 0 {
		t.Fatalf("no error next to the email: %s", pageText(r.doc))
	}
	r = admin.post("/settings/users", url.Values{"email": {"new@example.com"}, "role": {"viewer"}, "tenant": {"acme"}}).want(t, http.StatusOK, "")
	link := linkPath(t, r)
	if !strings.HasPrefix(link, "/invite?token=") {
		t.Fatalf("invite link %q", link)
	}
	if got := r.doc.Find("#users-table").Text(); !strings.Contains(got, "new@example.com") || !strings.Contains(got, "Invited") {
		t.Fatalf("the list doesn't show the invited user: %s", got)
	}
	// Invited, nobody can sign in as them.
	anon := newUIClient(t, s)
	anon.post("/login", url.Values{"email": {"new@example.com"}, "password": {""}}).want(t, http.StatusUnauthorized, "")

	invitee := newUIClient(t, s)
	page := invitee.get(link).want(t, http.StatusOK, "")
	if v, _ := page.doc.Find("#f-email").Attr("value"); v != "new@example.com" {
		t.Fatalf("the invite page shows %q", v)
	}
	token, _ := page.doc.Find(`input[name="token"]`).Attr("value")
	form := url.Values{"token": {token}, "password": {"the invitee's own password"}, "password_confirm": {"the invitee's own password"}}
	bad := url.Values{"token": {token}, "password": {"the invitee's own password"}, "password_confirm": {"something else"}}
	invitee.post("/invite", bad).want(t, http.StatusUnprocessableEntity, "")
	invitee.post("/invite", form).want(t, http.StatusSeeOther, "/")
	home := invitee.get("/").want(t, http.StatusOK, "")
	if got := home.doc.Find(".account-email").Text(); got != "new@example.com" {
		t.Fatalf("signed in as %q", got)
	}
	if home.doc.Find(".tenant-pill").Text() == "" || !strings.Contains(home.doc.Find(".tenant-pill").Text(), "acme") {
		t.Fatalf("the invitee is not bound to acme: %q", home.doc.Find(".tenant-pill").Text())
	}
	invitee.get("/webhooks/new").want(t, http.StatusForbidden, "") // a viewer

	// The link worked once.
	newUIClient(t, s).get(link).want(t, http.StatusForbidden, "")
	newUIClient(t, s).post("/invite", form).want(t, http.StatusForbidden, "")
	newUIClient(t, s).post("/login", url.Values{"email": {"new@example.com"}, "password": {"the invitee's own password"}}).
		want(t, http.StatusSeeOther, "/")
	u, err := s.db.UserByEmail(ctx, "new@example.com")
	if err != nil || u.LastSignInAt.IsZero() {
		t.Fatalf("last sign-in not recorded: %+v, %v", u, err)
	}
}

func TestResetLinkSetsANewPasswordAndEndsOtherSessions(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	u := addUIUser(t, s.db, "forgot@example.com", store.RoleViewer, "")
	admin := newUIClient(t, s)
	admin.login("admin@example.com")
	old := newUIClient(t, s)
	old.login("forgot@example.com")

	link := linkPath(t, admin.post("/settings/users/"+u.ID+"/reset-link", nil).want(t, http.StatusOK, ""))
	if !strings.HasPrefix(link, "/reset-password?token=") {
		t.Fatalf("reset link %q", link)
	}
	token, _ := url.ParseQuery(strings.TrimPrefix(link, "/reset-password?"))
	c := newUIClient(t, s)
	c.get(link).want(t, http.StatusOK, "")
	c.post("/reset-password", url.Values{"token": token["token"], "password": {"a fresh password!"}, "password_confirm": {"a fresh password!"}}).
		want(t, http.StatusSeeOther, "/")
	c.get("/").want(t, http.StatusOK, "")
	old.get("/").want(t, http.StatusFound, "/login")
	newUIClient(t, s).post("/login", url.Values{"email": {"forgot@example.com"}, "password": {uiPassword}}).want(t, http.StatusUnauthorized, "")
	newUIClient(t, s).get(link).want(t, http.StatusForbidden, "")
}

func TestDisablingAUserEndsTheirSessionsAtOnce(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	u := addUIUser(t, s.db, "leaver@example.com", store.RoleAdmin, "")
	admin := newUIClient(t, s)
	admin.login("admin@example.com")
	leaver := newUIClient(t, s)
	leaver.login("leaver@example.com")
	leaver.get("/").want(t, http.StatusOK, "")

	admin.post("/settings/users/"+u.ID+"/disable", nil).want(t, http.StatusSeeOther, "/settings/users/"+u.ID)
	leaver.get("/").want(t, http.StatusFound, "/login")
	leaver.post("/webhooks", url.Values{"name": {"x"}}).want(t, http.StatusFound, "/login")
	r := newUIClient(t, s).post("/login", url.Values{"email": {"leaver@example.com"}, "password": {uiPassword}}).want(t, http.StatusForbidden, "")
	if !strings.Contains(r.doc.Find("#login-error").Text(), "disabled") {
		t.Fatalf("sign-in of a disabled user says %q", r.doc.Find("#login-error").Text())
	}
	if got := admin.get("/settings/users").doc.Find("#users-table").Text(); !strings.Contains(got, "Disabled") {
		t.Fatalf("the list doesn't show the user disabled: %s", got)
	}
	admin.post("/settings/users/"+u.ID+"/enable", nil).want(t, http.StatusSeeOther, "")
	leaver.login("leaver@example.com")
}

func TestTheLastAdminIsRefusedWithAReason(t *testing.T) {
	s := newTestServer(t, uiDev)
	me := addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	admin := newUIClient(t, s)
	admin.login("admin@example.com")
	for _, try := range []struct {
		path string
		form url.Values
	}{
		{"/settings/users/" + me.ID + "/disable", nil},
		{"/settings/users/" + me.ID + "/delete", nil},
		{"/settings/users/" + me.ID, url.Values{"role": {"viewer"}}},
	} {
		admin.post(try.path, try.form).want(t, http.StatusSeeOther, "/settings/users/"+me.ID)
		page := admin.get("/settings/users/"+me.ID).want(t, http.StatusOK, "")
		if msg := page.doc.Find(".flash-error").Text(); !strings.Contains(msg, "without an enabled admin") {
			t.Errorf("POST %s: flash %q, want the last-admin reason", try.path, msg)
		}
	}
	got, err := s.db.UserByID(context.Background(), me.ID)
	if err != nil || got.Role != store.RoleAdmin || got.Disabled() {
		t.Fatalf("the last admin after the refusals: %+v, %v", got, err)
	}
}

func TestChangingOwnPasswordNeedsTheCurrentOneAndKeepsTheSession(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "viewer@example.com", store.RoleViewer, domain.DefaultTenant)
	c := newUIClient(t, s)
	c.login("viewer@example.com")
	other := newUIClient(t, s)
	other.login("viewer@example.com")
	if c.get("/").doc.Find(`a.account-who[href="/account"]`).Length() != 1 {
		t.Fatal("the sidebar has no link to the account page")
	}
	c.get("/account").want(t, http.StatusOK, "")

	r := c.post("/account/password", url.Values{"current_password": {"wrong password!"}, "password": {"my next password"},
		"password_confirm": {"my next password"}}).want(t, http.StatusUnprocessableEntity, "")
	if r.doc.Find("#f-current-password-error").Length() == 0 {
		t.Fatalf("no error next to the current password: %s", pageText(r.doc))
	}
	c.post("/account/password", url.Values{"current_password": {uiPassword}, "password": {"my next password"},
		"password_confirm": {"my next password"}}).want(t, http.StatusSeeOther, "/account")
	c.get("/account").want(t, http.StatusOK, "")
	other.get("/").want(t, http.StatusFound, "/login")
	newUIClient(t, s).post("/login", url.Values{"email": {"viewer@example.com"}, "password": {"my next password"}}).want(t, http.StatusSeeOther, "/")
}

func TestTenantsPageCreatesRenamesAndCounts(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	recv := newUIReceiver(t, 200, "ok")
	addUIWebhook(t, s, domain.DefaultTenant, "Shop", recv.srv.URL, "orders/*")
	c := newUIClient(t, s)
	c.login("admin@example.com")
	c.post("/settings/tenants", url.Values{"id": {"bad id!"}}).want(t, http.StatusUnprocessableEntity, "")
	c.post("/settings/tenants", url.Values{"id": {"acme"}, "name": {"Acme"}}).want(t, http.StatusSeeOther, "/settings/tenants")
	r := c.post("/settings/tenants", url.Values{"id": {"acme"}}).want(t, http.StatusUnprocessableEntity, "")
	if !strings.Contains(r.doc.Find("#f-id-error").Text(), "exists") {
		t.Fatalf("creating acme twice: %s", pageText(r.doc))
	}
	c.post("/settings/tenants/acme", url.Values{"name": {"Acme Inc."}}).want(t, http.StatusSeeOther, "/settings/tenants")
	page := c.get("/settings/tenants").want(t, http.StatusOK, "")
	rows := map[string]string{}
	page.doc.Find("#tenants-table tbody tr").Each(func(_ int, tr *goquery.Selection) {
		name, _ := tr.Find(`input[name="name"]`).Attr("value")
		rows[strings.TrimSpace(tr.Find("td").First().Text())] = name + "|" + strings.TrimSpace(tr.Find("td").Eq(2).Text())
	})
	if rows["acme"] != "Acme Inc.|0" || rows[domain.DefaultTenant] != "Default|1" {
		t.Fatalf("tenants page rows: %v", rows)
	}
}
