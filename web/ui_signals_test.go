package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hooks/domain"
	"hooks/store"
)

// TestUIWebhookFormCustomRetryOn: the form's Custom choice takes a token
// list, a bad token is shown at the retry_on input, and the edit form and
// detail page show the list back.
func TestUIWebhookFormCustomRetryOn(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("ada@example.com")
	form := url.Values{"name": {"PPS"}, "url": {"http://127.0.0.1:1/hook"}, "events": {"orders/*"}, "enabled": {"on"},
		"signing_scheme": {"standard-webhooks"}, "envelope": {"raw"}, "retry_schedule": {"exponential"}, "max_attempts": {"5"},
		"retry_on": {"custom"}, "retry_on_tokens": {"403, 5xx, soon"}, "timeout": {"5"}}
	r := c.post("/webhooks", form).want(t, http.StatusUnprocessableEntity, "")
	if e := r.doc.Find("#f-retry-on-error"); e.Length() != 1 || !strings.Contains(e.Text(), `"soon"`) {
		t.Fatalf("no retry_on error naming the bad token: %s", pageText(r.doc))
	}
	if v, _ := r.doc.Find("#f-retry-on-tokens").Attr("value"); v != "403, 5xx, soon" {
		t.Errorf("token input = %q after an error, want the input kept", v)
	}
	if _, ok := r.doc.Find("#f-retry-on-custom").Attr("checked"); !ok {
		t.Error("Custom is not checked after an error")
	}

	form.Set("retry_on_tokens", "403 5xx, timeout,network")
	r = c.post("/webhooks", form).want(t, http.StatusSeeOther, "/webhooks/wbh_")
	id := strings.TrimPrefix(r.Header.Get("Location"), "/webhooks/")
	h, err := s.db.EndpointByID(context.Background(), domain.DefaultTenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Retry.RetryOn.String(); !h.Retry.RetryOn.IsList() || got != "403,5xx,timeout,network" {
		t.Fatalf("stored retryOn %+v", h.Retry.RetryOn)
	}
	edit := c.get("/webhooks/"+id+"/edit").want(t, http.StatusOK, "")
	if v, _ := edit.doc.Find("#f-retry-on-tokens").Attr("value"); v != "403, 5xx, timeout, network" {
		t.Errorf("edit form tokens = %q", v)
	}
	if _, ok := edit.doc.Find("#f-retry-on-custom").Attr("checked"); !ok {
		t.Error("the edit form does not check Custom")
	}
	detail := c.get("/webhooks/"+id).want(t, http.StatusOK, "")
	if !strings.Contains(detail.body, "Retries on 403, 5xx, timeout, network") {
		t.Error("the detail page does not show the retryOn list")
	}
	if detail.doc.Find("#receiver-pause").Length() != 0 {
		t.Error("a pause is shown for an endpoint that is not paused")
	}

	// A receiver's pause shows on the page and in the API.
	until := time.Now().Add(2 * time.Minute).UTC().Truncate(time.Millisecond)
	if _, err := s.db.PauseEndpoint(context.Background(), id, "test", until, until.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	detail = c.get("/webhooks/"+id).want(t, http.StatusOK, "")
	if p := detail.doc.Find("#receiver-pause"); !strings.Contains(p.Text(), "Paused by the receiver until") {
		t.Errorf("no pause banner: %s", pageText(detail.doc))
	}
	var js webhookJSON
	mustStatus(t, s.do("GET", "/api/v1/webhooks/"+id, s.key, nil, &js), http.StatusOK)
	if js.PausedUntil == nil || !js.PausedUntil.Equal(until) {
		t.Errorf("API pausedUntil = %v, want %v", js.PausedUntil, until)
	}
}

// TestBrowserReceiverSignals looks at the retryOn list and a receiver's
// pause in real headless Chromium: the edit form with Custom chosen, and
// the detail page of a paused endpoint, at desktop and phone widths.
func TestBrowserReceiverSignals(t *testing.T) {
	chromiumPath(t)
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	hook := s.createWebhook(s.key, map[string]any{"name": "PPS orders", "url": "http://127.0.0.1:1/pps", "events": []string{"orders/*"},
		"retry": map[string]any{"retryOn": []string{"403", "5xx", "timeout", "network"}}})
	until := time.Now().Add(2 * time.Minute)
	if _, err := s.db.PauseEndpoint(context.Background(), hook.ID, "test", until, until.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s.http.URL)
	b.do("log in", chromedp.Navigate(s.http.URL+"/login"), chromedp.WaitVisible("#f-email"),
		chromedp.SendKeys("#f-email", "ada@example.com"), chromedp.SendKeys("#f-password", uiPassword),
		chromedp.Click(`form[action="/login"] button[type=submit]`), chromedp.WaitReady(".account-email"))
	b.do("open the paused webhook", chromedp.Navigate(s.http.URL+"/webhooks/"+hook.ID), chromedp.WaitVisible("#receiver-pause"))
	b.shot("webhook-paused")
	b.do("open its edit form", chromedp.Navigate(s.http.URL+"/webhooks/"+hook.ID+"/edit"), chromedp.WaitVisible("#f-retry-on-tokens"),
		chromedp.ScrollIntoView("#f-retry-on-tokens"))
	if !eval[bool](b, `document.querySelector("#f-retry-on-custom").checked`) {
		t.Error("the edit form does not check Custom for a retryOn list")
	}
	b.shot("webhook-edit-retry-on")
	b.checkConsole("receiver signals")
}
