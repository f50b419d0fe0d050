package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hooks/domain"
	"hooks/store"
)

// TestBrowserInviteToAccept walks Settings → Users in real headless
// Chromium: an admin invites a viewer of a tenant and copies the link, the
// invitee opens it, chooses a password and lands signed in; then the
// account page, and the link refused on a second use.
func TestBrowserInviteToAccept(t *testing.T) {
	chromiumPath(t)
	s := newTestServer(t, uiDev)
	ctx := context.Background()
	if _, err := s.db.PutTenant(ctx, &domain.Tenant{ID: "acme", Name: "Acme Inc."}); err != nil {
		t.Fatal(err)
	}
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	addUIUser(t, s.db, "grace@example.com", store.RoleViewer, domain.DefaultTenant)
	b := newBrowser(t, s.http.URL)

	b.do("log in", chromedp.EmulateViewport(1440, 900), chromedp.Navigate(s.http.URL+"/login"), chromedp.WaitVisible("#f-email"),
		chromedp.SendKeys("#f-email", "ada@example.com"), chromedp.SendKeys("#f-password", uiPassword),
		chromedp.Click(`form[action="/login"] button[type=submit]`), chromedp.WaitVisible(".account-email"))
	b.do("open Settings → Users", chromedp.Navigate(s.http.URL+"/settings/users"), chromedp.WaitVisible("#users-table"))
	b.shot("users")
	b.do("invite a viewer of acme", chromedp.SendKeys("#f-email", "lin@example.com"),
		chromedp.SetValue("#f-role", "viewer"), chromedp.SetValue("#f-tenant", "acme"),
		chromedp.Click(`form[action="/settings/users"] button[type=submit]`), chromedp.WaitVisible("#link-value"))
	b.shot("users-invited")
	b.checkConsole("invite")
	link := eval[string](b, `document.querySelector("#link-value").value`)
	if !strings.HasPrefix(link, "http://hooks.test/invite?token=") {
		t.Fatalf("invite link %q", link)
	}
	link = strings.Replace(link, "http://hooks.test", s.http.URL, 1)

	grace, err := s.db.UserByEmail(ctx, "grace@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b.do("open a user", chromedp.Navigate(s.http.URL+"/settings/users/"+grace.ID), chromedp.WaitVisible("#role-title"),
		chromedp.Click(`form[action="/settings/users/`+grace.ID+`/reset-link"] button`), chromedp.WaitVisible("#link-value"))
	b.shot("user")
	b.do("open Settings → Tenants", chromedp.Navigate(s.http.URL+"/settings/tenants"), chromedp.WaitVisible("#tenants-table"))
	b.shot("tenants")
	b.checkConsole("admin pages")

	b.do("log out", chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible("#login-title"))
	b.do("open the invite", chromedp.Navigate(link), chromedp.WaitVisible("#f-password"),
		chromedp.SendKeys("#f-password", "lin's own long password"),
		chromedp.SendKeys("#f-password-confirm", "lin's own long password"))
	b.shot("invite-accept")
	b.do("accept it", chromedp.Click(`.auth-card button[type=submit]`), chromedp.WaitVisible(".account-email"))
	if got := eval[string](b, `document.querySelector(".account-email").textContent`); got != "lin@example.com" {
		t.Fatalf("signed in as %q", got)
	}
	if got := eval[string](b, `document.querySelector(".tenant-pill").textContent`); !strings.Contains(got, "acme") {
		t.Fatalf("tenant pill %q, want acme", got)
	}
	b.shot("invite-welcome")
	b.do("open the account page", chromedp.Click("a.account-who"), chromedp.WaitVisible("#password-title"))
	b.shot("account")
	b.checkConsole("invitee")

	// Last, since the browser logs the 403 document as a console error.
	b.do("log out", chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible("#login-title"))
	b.do("open the invite again", chromedp.Navigate(link), chromedp.WaitVisible(".error-code"))
	if got := eval[string](b, `document.querySelector(".error-code").textContent`); got != "403" {
		t.Fatalf("second use of the invite: %s", got)
	}
	b.shot("invite-used")
	t.Logf("screenshots in %s", b.shots)
}
