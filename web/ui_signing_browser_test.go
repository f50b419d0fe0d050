package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hooks/domain"
	"hooks/store"
)

// TestBrowserWebhookWithTwoSchemes creates, in headless Chromium, a webhook
// that signs with a legacy HMAC header and Standard Webhooks v1a, and
// reveals the HMAC secret in place on its page, where the v1a public key
// shows without a reveal.
func TestBrowserWebhookWithTwoSchemes(t *testing.T) {
	chromiumPath(t)
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	b := newBrowser(t, s.http.URL)
	b.do("log in", chromedp.Navigate(s.http.URL+"/login"), chromedp.WaitVisible("#f-email"),
		chromedp.SendKeys("#f-email", "ada@example.com"), chromedp.SendKeys("#f-password", uiPassword),
		chromedp.Click(`form[action="/login"] button[type=submit]`), chromedp.WaitReady(".account-email"))
	b.do("fill the form", chromedp.Navigate(s.http.URL+"/webhooks/new"), chromedp.WaitVisible("#f-name"),
		chromedp.SendKeys("#f-name", "Pepperi"),
		chromedp.SendKeys("#f-url", "http://127.0.0.1:1/hook"),
		chromedp.SendKeys("#f-events", "orders/*,"),
		chromedp.SetValue("#f-signing-scheme", domain.SchemeHMAC),
		chromedp.SetValue("#f-signing-also", domain.SchemeStandardV1a))
	eval[bool](b, `(document.querySelector("#f-events").value = "", document.querySelector("#f-signing-scheme").dispatchEvent(new Event("change")), true)`)
	b.do("name the header", chromedp.SendKeys("#f-signing-header", "X-Pepperi-Signature"))
	b.shot("webhook-two-schemes-form")
	b.do("create the webhook", chromedp.Click(`.form-footer button[type=submit]`), chromedp.WaitVisible("#secret-value-1"))
	b.checkConsole("create")
	hooks, _, err := s.db.Endpoints(context.Background(), domain.DefaultTenant, "", 10)
	if err != nil || len(hooks) != 1 || len(hooks[0].AlsoSigning) != 1 {
		t.Fatalf("stored webhooks: %+v, %v", hooks, err)
	}
	h := hooks[0]
	_, public := h.AlsoSigning[0].Shown()
	if got := eval[string](b, `document.querySelector("#secret-value-1").value`); got != public {
		t.Errorf("public key shown = %q, want %q", got, public)
	}
	b.do("reveal the HMAC secret", chromedp.Click(`form[data-reveal-form] button`))
	b.waitFor("the secret shows in place", `document.querySelector("input#secret-value") !== null`)
	if got := eval[string](b, `document.querySelector("input#secret-value").value`); got != h.Secret {
		t.Errorf("revealed %q, want the HMAC secret", got)
	}
	if html := eval[string](b, `document.documentElement.outerHTML`); strings.Contains(html, h.AlsoSigning[0].Secret[5:]) {
		t.Error("the page holds the v1a private key")
	}
	b.shot("webhook-two-schemes-detail")
	b.checkConsole("detail")
}
