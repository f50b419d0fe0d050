package web

import (
	"context"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"hooks/domain"
	"hooks/store"
)

// TestBrowserWebhookWithABrokerDestination picks Redis in the webhook form
// in headless Chromium, where only Redis's fields show, creates the
// webhook and, with a Redis server, tests the destination from its page.
func TestBrowserWebhookWithABrokerDestination(t *testing.T) {
	chromiumPath(t)
	redisURL := os.Getenv("HOOKS_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://:secretpw@127.0.0.1:1/0" // nothing listens there: the Test click below is left out
	}
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	b := newBrowser(t, s.http.URL)
	b.do("log in", chromedp.Navigate(s.http.URL+"/login"), chromedp.WaitVisible("#f-email"),
		chromedp.SendKeys("#f-email", "ada@example.com"), chromedp.SendKeys("#f-password", uiPassword),
		chromedp.Click(`form[action="/login"] button[type=submit]`), chromedp.WaitReady(".account-email"))
	b.do("open the form", chromedp.Navigate(s.http.URL+"/webhooks/new"), chromedp.WaitVisible("#f-name"))
	if visible := eval[bool](b, `!document.querySelector("#f-dest-url").closest("[data-dest]").hidden`); visible {
		t.Error("the broker URL shows for an HTTPS endpoint")
	}
	b.do("choose Redis", chromedp.SendKeys("#f-name", "Orders stream"), chromedp.SetValue("#f-destination-type", domain.DestinationRedis))
	eval[bool](b, `(document.querySelector("#f-destination-type").dispatchEvent(new Event("change")), true)`)
	for sel, want := range map[string]bool{"#f-url": false, "#f-dest-url": true, "#f-dest-stream": true, "#f-dest-brokers": false, "#f-dest-exchange": false} {
		if got := eval[bool](b, `!document.querySelector("`+sel+`").closest("[data-dest]").hidden`); got != want {
			t.Errorf("%s visible = %v with Redis chosen, want %v", sel, got, want)
		}
	}
	b.do("fill Redis", chromedp.SendKeys("#f-dest-url", redisURL), chromedp.SendKeys("#f-dest-stream", "hooks-browser-orders"),
		chromedp.SendKeys("#f-dest-max-len", "10000"), chromedp.SendKeys("#f-events", "orders/*,"))
	eval[bool](b, `(document.querySelector("#f-events").value = "", true)`)
	b.shot("webhook-destination-form")
	b.do("create the webhook", chromedp.Click(`.form-footer button[type=submit]`), chromedp.WaitVisible("#test-form"))
	b.checkConsole("create")
	hooks, _, err := s.db.Endpoints(context.Background(), domain.DefaultTenant, "", 10)
	if err != nil || len(hooks) != 1 || hooks[0].Destination.Type != domain.DestinationRedis || hooks[0].Destination.MaxLen != 10000 {
		t.Fatalf("stored webhooks: %+v, %v", hooks, err)
	}
	if os.Getenv("HOOKS_TEST_REDIS_URL") != "" {
		b.do("Test destination", chromedp.Click("#test-form button"))
		b.waitFor("the test result", `document.querySelector("[data-test-result] [data-field=statusCode]").textContent.trim() === "202"`)
	}
	b.shot("webhook-destination-detail")
	b.checkConsole("detail")
}
