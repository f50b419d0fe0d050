package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hooks/domain"
	"hooks/store"
)

// TestBrowserFilterPreview edits a webhook's filter in headless Chromium:
// "Try it against recent events" shows which recent events match without
// leaving the page, a bad filter shows its path-naming error at the field,
// and saving stores the filter.
func TestBrowserFilterPreview(t *testing.T) {
	chromiumPath(t)
	ctx := context.Background()
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	hook := addUIWebhook(t, s, domain.DefaultTenant, "Big orders", "http://127.0.0.1:9/in", "orders/*")
	for _, data := range []string{`{"order":{"total":50,"currency":"EUR"}}`, `{"order":{"total":250,"currency":"SEK"}}`,
		`{"order":{"total":120,"currency":"EUR"}}`} {
		e := &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", SubTopic: "shop:se", Payload: []byte(data)}
		if _, err := s.db.CreateEvents(ctx, []*domain.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, s.http.URL)
	b.do("log in", chromedp.Navigate(s.http.URL+"/login"), chromedp.WaitVisible("#f-email"),
		chromedp.SendKeys("#f-email", "ada@example.com"), chromedp.SendKeys("#f-password", uiPassword),
		chromedp.Click(`form[action="/login"] button[type=submit]`), chromedp.WaitReady(".account-email"))
	b.do("open the edit form", chromedp.Navigate(s.http.URL+"/webhooks/"+hook.ID+"/edit"), chromedp.WaitVisible("#f-filter"),
		chromedp.SendKeys("#f-filter", `{"data": {"order": {"total": {"$gte": 100}, "currency": "EUR"}}}`))
	b.try("try it")
	b.waitFor("the preview shows", `document.querySelectorAll("[data-filter-preview] li").length === 3`)
	if got := eval[string](b, `document.querySelector("[data-preview-summary]").textContent`); got != "1 of 3 recent events match." {
		t.Errorf("summary %q", got)
	}
	if loc := b.location(); !strings.HasSuffix(loc, "/webhooks/"+hook.ID+"/edit") {
		t.Errorf("the preview left the page for %s", loc)
	}
	b.do("scroll to the filter", chromedp.ScrollIntoView("#f-filter"))
	b.shot("webhook-filter-preview")
	b.checkConsole("preview")

	eval[bool](b, `(document.querySelector("#f-filter").value = '{"data": {"order": {"total": {"$gte": true}}}}', true)`)
	b.try("try a bad filter")
	b.waitFor("the error shows", `document.querySelector("#f-filter-error") !== null`)
	if got := strings.TrimSpace(eval[string](b, `document.querySelector("#f-filter-error").textContent`)); got != "filter.data.order.total.$gte: must be a number or string" {
		t.Errorf("inline error %q", got)
	}
	if hidden := eval[bool](b, `document.querySelector("[data-filter-preview]").hidden`); !hidden {
		t.Error("the preview of the previous filter still shows beside the error")
	}
	b.shot("webhook-filter-error")
	b.checkConsole("bad filter")

	eval[bool](b, `(document.querySelector("#f-filter").value = '{"data": {"order": {"total": {"$gte": 100}}}}', true)`)
	b.do("save", chromedp.Click(`.form-footer button[type=submit]`), chromedp.WaitVisible(".flash-success"))
	h, err := s.db.EndpointByID(ctx, domain.DefaultTenant, hook.ID)
	if err != nil || h.Filter != `{"data":{"order":{"total":{"$gte":100}}}}` {
		t.Fatalf("stored filter %q, %v", h.Filter, err)
	}
	b.checkConsole("save")
}

// try clicks "Try it against recent events", centred first: the form's
// sticky footer covers the bottom of the viewport.
func (b *browser) try(step string) {
	b.t.Helper()
	eval[bool](b, `(document.querySelector("button[data-filter-try]").scrollIntoView({block: "center"}), true)`)
	b.do(step, chromedp.Click(`button[data-filter-try]`))
}
