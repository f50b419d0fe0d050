package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store"
)

// TestBrowserPortalFromLinkToRedeliver walks the customer portal in real
// headless Chromium, as a product's customer would: open a minted link,
// create a webhook, Test URL against a real receiver, find an event's
// delivery in the log, redeliver it; then the same link, opened again, is
// refused. Screenshots at 1440 and 375 px go to $HOOKS_ARTIFACTS/ui-screenshots.
func TestBrowserPortalFromLinkToRedeliver(t *testing.T) {
	chromiumPath(t)
	s := newTestServer(t, uiDev, func(_ *delivery.Config, wc *Config) {
		wc.Portal.Brand = domain.PortalBrand{Name: "Acme Shop", Accent: "#0a7d4f"}
	})
	recv := newUIReceiver(t, 200, `{"received":true}`)
	b := newBrowser(t, s.http.URL)
	ctx := context.Background()

	link := s.http.URL + mintPortal(t, s, domain.DefaultTenant, map[string]any{"role": "admin"})
	b.do("open the portal link", chromedp.Navigate(link), chromedp.WaitVisible(".portal-bar"), chromedp.WaitVisible(".empty"))
	if loc := b.location(); loc != s.http.URL+"/portal/webhooks" {
		t.Fatalf("the link led to %s", loc)
	}
	if got := eval[string](b, `getComputedStyle(document.querySelector(".btn-primary")).backgroundColor`); got != "rgb(10, 125, 79)" {
		t.Errorf("the primary button is %s, want the accent #0a7d4f", got)
	}
	b.shot("portal-empty")
	b.checkConsole("portal empty")

	b.do("start a webhook", chromedp.Click(`.empty a[href="/portal/webhooks/new"]`), chromedp.WaitVisible("#f-name"),
		chromedp.SendKeys("#f-name", "Order sync"),
		chromedp.SendKeys("#f-url", recv.srv.URL+"/hooks"),
		chromedp.SendKeys("#f-events", "orders/*,"))
	b.waitFor("the topic becomes a chip", `document.querySelectorAll(".chips .chip").length === 1`)
	eval[bool](b, `(document.querySelector("#f-events").value = "", true)`)
	b.shot("portal-webhook-new")
	b.do("create the webhook", chromedp.Click(`.form-footer button[type=submit]`), chromedp.WaitVisible("#test-form"))
	hooks, _, err := s.db.Endpoints(ctx, domain.DefaultTenant, "", 10)
	if err != nil || len(hooks) != 1 || hooks[0].URL != recv.srv.URL+"/hooks" {
		t.Fatalf("stored webhooks: %v, %v", hooks, err)
	}
	hook := hooks[0]

	b.do("Test URL", chromedp.Click("#test-form button"))
	b.waitFor("the test result", `document.querySelector("[data-test-result] [data-field=statusCode]").textContent.trim() === "200"`)
	b.do("reveal the secret", chromedp.Click("[data-reveal-form] button"))
	b.waitFor("the secret shows", `(document.querySelector("#secret-value").value || "") === `+jsString(hook.Secret))
	b.shot("portal-webhook-detail")
	b.checkConsole("portal webhook detail")

	// The product posts an event; its customer finds the delivery.
	var accepted eventAccepted
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, map[string]any{"topic": "orders/placed", "data": map[string]int{"id": 1042}}, &accepted), http.StatusAccepted)
	ds, _, err := s.db.Deliveries(ctx, store.DeliveryFilter{TenantID: domain.DefaultTenant, Topic: "orders/placed", Limit: 5})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries of the event: %v, %v", ds, err)
	}
	dlv := ds[0].ID
	waitUIDelivery(t, s, domain.DefaultTenant, dlv, domain.StatusSucceeded)

	b.do("open the delivery log", chromedp.Click(`.portal-nav a[href="/portal/deliveries"]`),
		chromedp.WaitVisible(`a[href="/portal/deliveries/`+dlv+`"]`), chromedp.WaitVisible(".chart-card"))
	// The unfiltered page shows the same link: mark its body, then wait for
	// the link on a page without the mark, or the check races the navigation.
	b.waitFor("mark the unfiltered page", `(document.body.dataset.before = "1") === "1"`)
	b.do("filter by status", chromedp.SetValue("#f-status", "succeeded"), chromedp.Click(".filter-actions button[type=submit]"),
		chromedp.WaitVisible(`body:not([data-before]) a[href="/portal/deliveries/`+dlv+`"]`))
	if !strings.Contains(b.location(), "status=succeeded") {
		t.Fatalf("the filter did not apply: %s", b.location())
	}
	b.shot("portal-deliveries")
	b.do("open the attempt", chromedp.Click(`a[href="/portal/deliveries/`+dlv+`"]`), chromedp.WaitVisible("details.attempt[open]"))
	b.do("redeliver", chromedp.Click(`form[action="/portal/deliveries/`+dlv+`/redeliver"] button`), chromedp.WaitVisible(".flash-success"))
	b.seeSecondAttempt(s, dlv)
	b.shot("portal-delivery")

	b.do("back to the endpoints", chromedp.Click(`.portal-nav a[href="/portal/webhooks"]`), chromedp.WaitVisible("tbody tr"))
	b.shot("portal-webhooks")
	b.checkConsole("portal end")

	// Last, since the browser logs the 410 of the document as a console error.
	fresh := newBrowser(t, s.http.URL)
	fresh.do("open the link a second time", chromedp.Navigate(link), chromedp.WaitVisible(".portal-gone"))
	if got := eval[string](fresh, `document.querySelector(".portal-gone h1").textContent`); got != "This link has been used or has expired" {
		t.Fatalf("second use shows %q", got)
	}
	fresh.do("and no session came of it", chromedp.Navigate(s.http.URL+"/portal/webhooks"), chromedp.WaitVisible(".portal-gone"))
	fresh.do("back to the refusal", chromedp.Navigate(link), chromedp.WaitVisible(".portal-gone"))
	fresh.shot("portal-link-used")
	t.Logf("screenshots in %s", b.shots)
}
