package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hooks/domain"
	"hooks/store"
)

// TestEventTypesInTheBrowser walks the catalogue in Chromium: an admin
// creates a type (first with a schema that does not compile, then with an
// example that breaks it, then right), sees it, picks its topic in the
// webhook form and chooses its example for Test URL; a portal visitor
// reads it. Screenshots at 1440 and 375 px go to
// $HOOKS_ARTIFACTS/ui-screenshots; the console must stay clean (CSP).
func TestEventTypesInTheBrowser(t *testing.T) {
	s := newTestServer(t, uiDev)
	recv := newUIReceiver(t, 200, `{"ok":true}`)
	hook := addUIWebhook(t, s, domain.DefaultTenant, "Order sync", recv.srv.URL, "orders/*")
	if _, err := s.db.PutEventType(context.Background(), &domain.EventType{TenantID: domain.DefaultTenant, Name: "orders/cancelled",
		Description: "An order was cancelled before it shipped; the refund follows as payments/refunded."}); err != nil {
		t.Fatal(err)
	}
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	b := newBrowser(t, s.http.URL)
	b.do("log in", chromedp.Navigate(s.http.URL+"/login"), chromedp.WaitVisible("#f-email"), chromedp.SendKeys("#f-email", "ada@example.com"),
		chromedp.SendKeys("#f-password", uiPassword), chromedp.Click(`form[action="/login"] button[type=submit]`), chromedp.WaitReady(".account-email"))

	b.do("open the catalogue", chromedp.Navigate(s.http.URL+"/event-types"), chromedp.WaitVisible("#event-types-table"))
	b.do("new type", chromedp.Click(`a[href="/event-types/new"]`), chromedp.WaitVisible("#f-schema"))
	schema := `{"type": "object", "required": ["orderId", "customer", "total"], "properties": {"orderId": {"type": "string", "format": "uuid"}, "customer": {"type": "object", "required": ["email"], "properties": {"email": {"type": "string", "format": "email"}}}, "total": {"type": "number", "minimum": "0"}}}`
	b.do("fill in", chromedp.SendKeys("#f-name", "orders/placed"), chromedp.SendKeys("#f-description", "An order was placed and paid."),
		chromedp.SetValue("#f-schema", schema), chromedp.SetValue("#f-examples", `[{"orderId": "9b2f4c1e-6f1a-4c1b-9a53-1d2e3f4a5b6c", "customer": {"email": "ana@example.com"}, "total": 42.5}, {"orderId": "nope", "customer": {"email": "bo"}, "total": -1}]`),
		chromedp.Click(`.form-footer button[type=submit]`), chromedp.WaitVisible("#f-schema-error"))
	b.shot("event-type-schema-error")
	b.do("fix the schema", chromedp.SetValue("#f-schema", strings.Replace(schema, `"minimum": "0"`, `"minimum": 0`, 1)),
		chromedp.Click(`.form-footer button[type=submit]`), chromedp.WaitVisible("#f-examples-error"))
	b.shot("event-type-example-error")
	b.do("fix the example", chromedp.SetValue("#f-examples", `[{"orderId": "9b2f4c1e-6f1a-4c1b-9a53-1d2e3f4a5b6c", "customer": {"email": "ana@example.com"}, "total": 42.5}, {"orderId": "0e4c2a9b-1111-4c1b-9a53-1d2e3f4a5b6c", "customer": {"email": "bo@example.com"}, "total": 7}]`),
		chromedp.Click(`.form-footer button[type=submit]`), chromedp.WaitVisible("#schema-json"))
	b.shot("event-type")
	// The two refused saves answered 422 on purpose; the console notes
	// such answers as errors. Nothing else may be there.
	b.mu.Lock()
	for _, p := range b.problems {
		if !strings.Contains(p, "status of 422") {
			t.Errorf("console: %s", p)
		}
	}
	b.problems = nil
	b.mu.Unlock()
	b.do("the list", chromedp.Navigate(s.http.URL+"/event-types"), chromedp.WaitVisible("#event-types-table"))
	b.shot("event-types")
	b.do("the webhook form", chromedp.Navigate(s.http.URL+"/webhooks/"+hook.ID+"/edit"), chromedp.WaitVisible("#catalog-events"))
	b.shot("webhook-form-catalogue")
	b.do("the webhook page", chromedp.Navigate(s.http.URL+"/webhooks/"+hook.ID), chromedp.WaitVisible("#f-test-example"),
		chromedp.SetValue("#f-test-example", "1:orders/placed"), chromedp.Click("#test-form button"))
	b.waitFor("test answer", `document.querySelector('[data-field="statusCode"]').textContent === "200"`)
	b.shot("webhook-test-example")
	b.checkConsole("backoffice")

	link := mintPortal(t, s, domain.DefaultTenant, map[string]any{"role": "viewer"})
	b.do("open the portal", chromedp.Navigate(s.http.URL+link), chromedp.WaitVisible(".portal-bar"))
	b.do("portal catalogue", chromedp.Navigate(s.http.URL+"/portal/event-types"), chromedp.WaitVisible("#event-types-table"))
	b.shot("portal-event-types")
	b.do("portal type", chromedp.Navigate(s.http.URL+"/portal/event-types/orders%2Fplaced"), chromedp.WaitVisible("#schema-json"))
	b.shot("portal-event-type")
	b.checkConsole("portal")
}
