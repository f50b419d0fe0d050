package templates_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"hooks/templates"
	"hooks/templates/preview/sample"
)

// render renders c and parses the result.
func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

// postRoutes are the only targets a POST form may have (see the URL scheme).
var postRoutes = regexp.MustCompile(`^/(login|logout|setup|tenant|webhooks|events|` +
	`webhooks/wbh_\w+(/(delete|enable|disable|test|secret/reveal|secret/rotate|credentials/reveal|recover))?|` +
	`deliveries/dlv_\w+/redeliver)$`)

func TestEveryPageIsSafeUnderCSPAndAccessible(t *testing.T) {
	for _, p := range sample.Pages() {
		t.Run(p.Name, func(t *testing.T) {
			doc := render(t, p.Component)
			if lang, _ := doc.Find("html").Attr("lang"); lang != "en" {
				t.Errorf("html lang = %q", lang)
			}
			if strings.TrimSpace(doc.Find("title").Text()) == "" {
				t.Error("no <title>")
			}
			if n := doc.Find("h1").Length(); n != 1 {
				t.Errorf("%d <h1> elements, want 1", n)
			}
			doc.Find("script").Each(func(_ int, s *goquery.Selection) {
				src, ok := s.Attr("src")
				if !ok || !strings.HasPrefix(src, "/static/") || strings.TrimSpace(s.Text()) != "" {
					t.Errorf("inline or foreign script: src=%q body=%q", src, s.Text())
				}
			})
			if n := doc.Find("style").Length(); n > 0 {
				t.Errorf("%d <style> elements", n)
			}
			ids := map[string]bool{}
			doc.Find("*").Each(func(_ int, s *goquery.Selection) {
				for _, a := range s.Nodes[0].Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("<%s %s=%q> is blocked by the CSP", goquery.NodeName(s), a.Key, a.Val)
					}
				}
				if id, ok := s.Attr("id"); ok {
					if ids[id] {
						t.Errorf("duplicate id %q", id)
					}
					ids[id] = true
				}
			})
			doc.Find("[aria-describedby], [aria-labelledby]").Each(func(_ int, s *goquery.Selection) {
				for _, attr := range []string{"aria-describedby", "aria-labelledby"} {
					v, _ := s.Attr(attr)
					for _, id := range strings.Fields(v) {
						if !ids[id] {
							t.Errorf("%s references missing id %q", attr, id)
						}
					}
				}
			})
			doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
				typ, _ := s.Attr("type")
				if typ == "hidden" || typ == "submit" {
					return
				}
				name, _ := s.Attr("name")
				if _, ok := s.Attr("aria-label"); ok {
					return
				}
				if s.ParentsFiltered("label").Length() > 0 {
					return
				}
				id, _ := s.Attr("id")
				if id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0 {
					t.Errorf("%s %q (id %q) has no label", goquery.NodeName(s), name, id)
				}
			})
			doc.Find("form").Each(func(_ int, s *goquery.Selection) {
				method, _ := s.Attr("method")
				action, _ := s.Attr("action")
				switch method {
				case "post":
					if !postRoutes.MatchString(action) {
						t.Errorf("POST form to undocumented route %q", action)
					}
				case "get":
				default:
					t.Errorf("form to %q has method %q", action, method)
				}
			})
			doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
				href, _ := s.Attr("href")
				if !strings.HasPrefix(href, "/") && !strings.HasPrefix(href, "#") {
					t.Errorf("link leaves the app: %q", href)
				}
			})
			doc.Find("time").Each(func(_ int, s *goquery.Selection) {
				dt, _ := s.Attr("datetime")
				title, _ := s.Attr("title")
				if !strings.HasSuffix(dt, "Z") || title == "" {
					t.Errorf("<time datetime=%q title=%q>: want UTC and a title", dt, title)
				}
			})
		})
	}
}

func TestWebhookFormPostsToCreateAndUpdate(t *testing.T) {
	doc := render(t, templates.WebhookFormView(sample.WebhookNew()))
	form := doc.Find("form[data-webhook-form]")
	if a, _ := form.Attr("action"); a != "/webhooks" {
		t.Errorf("create form action = %q", a)
	}
	for _, name := range []string{"name", "url", "events", "sub_topics", "enabled", "signing_scheme", "signing_header", "signing_encoding",
		"signing_prefix", "secret", "envelope", "template", "header_prefix", "retry_schedule", "retry_interval", "max_attempts",
		"retry_on", "timeout", "rate_limit", "headers", "metadata"} {
		if form.Find(`[name="`+name+`"]`).Length() == 0 {
			t.Errorf("no field %q", name)
		}
	}
	if v, _ := form.Find(`select[name="signing_scheme"] option[selected]`).Attr("value"); v != templates.SchemeStandard {
		t.Errorf("default scheme = %q", v)
	}
	if form.Find(`[data-scheme="`+templates.SchemeSharedSecret+`"]`).Text() == "" ||
		!strings.Contains(form.Find(`[data-scheme="`+templates.SchemeSharedSecret+`"]`).Text(), "weaker than a signature") {
		t.Error("no shared-secret warning")
	}
	edit := render(t, templates.WebhookFormView(sample.WebhookEditErrors()))
	if a, _ := edit.Find("form[data-webhook-form]").Attr("action"); a != "/webhooks/wbh_01JP8Z3K5Q2W9EXAMPLE0001" {
		t.Errorf("edit form action = %q", a)
	}
}

func TestFieldErrorsAreLinkedAndKeepWhatWasTyped(t *testing.T) {
	v := sample.WebhookEditErrors()
	v.Form.Secret = "typed-secret-value"
	doc := render(t, templates.WebhookFormView(v))
	for name, msg := range v.Errors {
		id := "f-" + strings.ReplaceAll(name, "_", "-")
		field := doc.Find("#" + id)
		if field.Length() != 1 {
			t.Fatalf("no field #%s", id)
		}
		if inv, _ := field.Attr("aria-invalid"); inv != "true" {
			t.Errorf("#%s aria-invalid = %q", id, inv)
		}
		desc, _ := field.Attr("aria-describedby")
		if !strings.Contains(" "+desc+" ", " "+id+"-error ") {
			t.Errorf("#%s aria-describedby = %q, want %s-error", id, desc, id)
		}
		if got := strings.TrimSpace(doc.Find("#" + id + "-error").Text()); got != msg {
			t.Errorf("#%s-error = %q, want %q", id, got, msg)
		}
	}
	if got, _ := doc.Find("#f-url").Attr("value"); got != v.Form.URL {
		t.Errorf("url value = %q, want what was typed", got)
	}
	if got := doc.Find("#f-template").Text(); got != v.Form.Template {
		t.Errorf("template = %q, want what was typed", got)
	}
	if got := doc.Find("#f-timeout").AttrOr("value", ""); got != "45" {
		t.Errorf("timeout = %q, want the invalid 45 kept", got)
	}
	if _, ok := doc.Find("#f-secret").Attr("value"); ok || strings.Contains(doc.Text(), "typed-secret-value") {
		t.Error("the typed secret was rendered back")
	}
	if doc.Find("#error-summary a[href='#f-url']").Length() != 1 {
		t.Error("error summary doesn't link to the URL field")
	}
}

func TestSecretIsMaskedUntilRevealed(t *testing.T) {
	const secret = "9f1c7e0b5a2d48c6b3e1f0a7d2c5b8e4"
	masked := render(t, templates.WebhookDetail(sample.WebhookDetail(false)))
	html, _ := masked.Html()
	if strings.Contains(html, secret) {
		t.Fatal("secret rendered without a reveal")
	}
	if got := masked.Find("[data-secret-value]").Text(); !strings.Contains(got, "••••") {
		t.Errorf("mask = %q", got)
	}
	form := masked.Find("form[data-reveal-form]")
	if a, _ := form.Attr("action"); a != "/webhooks/wbh_01JP8Z3K5Q2W9EXAMPLE0001/secret/reveal" || form.AttrOr("method", "") != "post" {
		t.Errorf("reveal form: action %q method %q", a, form.AttrOr("method", ""))
	}
	if masked.Find(`form[action$="/secret/rotate"][data-confirm]`).Length() != 1 {
		t.Error("no rotate form with a confirmation")
	}
	revealed := render(t, templates.WebhookDetail(sample.WebhookDetail(true)))
	if got, _ := revealed.Find("input[data-secret-value]").Attr("value"); got != secret {
		t.Errorf("revealed secret = %q", got)
	}
	if revealed.Find("form[data-reveal-form]").Length() != 0 {
		t.Error("reveal button still shown after reveal")
	}
}

func TestHTMLResponseIsNeverLiveHTML(t *testing.T) {
	v := sample.Delivery()
	doc := render(t, templates.Delivery(v))
	answer := doc.Find(".answer").First()
	if answer.Length() == 0 {
		t.Fatal("no receiver answer block")
	}
	if answer.Find("script, img, h3, b").Length() != 0 {
		t.Fatal("HTMLResponse rendered as elements")
	}
	want := `<h3>Order 1042 imported</h3><p>2 lines, total <b>€99.50</b></p><script>alert('xss')</script><img src=x onerror=alert(1)>`
	if got := answer.Find("pre.html-response").Text(); got != want {
		t.Errorf("escaped source = %q, want %q", got, want)
	}
	iframe := answer.Find("iframe")
	if sb, ok := iframe.Attr("sandbox"); !ok || sb != "" {
		t.Errorf("iframe sandbox = %q (present %v), want an empty sandbox", sb, ok)
	}
	if got, _ := iframe.Attr("srcdoc"); got != want {
		t.Errorf("srcdoc = %q", got)
	}
	if !strings.Contains(answer.Text(), "Success: yes") {
		t.Error("Success not shown")
	}
	if doc.Find("script").Length() != 1 {
		t.Errorf("%d scripts, want only app.js", doc.Find("script").Length())
	}
}

func TestDeliveryDetailShowsEveryAttempt(t *testing.T) {
	v := sample.Delivery()
	doc := render(t, templates.Delivery(v))
	items := doc.Find(".timeline > li")
	if items.Length() != len(v.Attempts) {
		t.Fatalf("%d attempts shown, want %d", items.Length(), len(v.Attempts))
	}
	if _, open := items.First().Find("details").Attr("open"); !open {
		t.Error("newest attempt is not open")
	}
	if !strings.Contains(items.Eq(1).Text(), "truncated") {
		t.Error("truncated body not flagged")
	}
	if !strings.Contains(items.Eq(2).Text(), "context deadline exceeded") {
		t.Error("attempt error not shown")
	}
	if got := items.First().Find(".kv-table td.redacted").Text(); got != "[redacted]" {
		t.Errorf("redacted header = %q", got)
	}
	if doc.Find(`form[action="/deliveries/`+v.Delivery.ID+`/redeliver"][method="post"]`).Length() != 1 {
		t.Error("no redeliver form")
	}
	if doc.Find(`a[href="/events/`+v.Delivery.EventID+`"]`).Length() != 1 || doc.Find(`a[href="/webhooks/`+v.Delivery.WebhookID+`"]`).Length() != 1 {
		t.Error("no links to the event and the endpoint")
	}
}

func TestFlashIsShown(t *testing.T) {
	doc := render(t, templates.WebhookDetail(sample.WebhookDetail(true)))
	flash := doc.Find(".flash-success[role=status]")
	if !strings.Contains(flash.Text(), "Test ping delivered") {
		t.Errorf("flash = %q", flash.Text())
	}
	v := sample.Webhooks()
	v.Flash = templates.Flash{Kind: templates.FlashError, Message: "Could not disable <b>it</b>."}
	doc = render(t, templates.Webhooks(v))
	if doc.Find(".flash-error[role=alert]").Text() != "Could not disable <b>it</b>." {
		t.Error("error flash missing or not escaped")
	}
}

func TestViewerGetsNoWriteActions(t *testing.T) {
	doc := render(t, templates.WebhookDetail(sample.WebhookDisabled()))
	doc.Find("form[method=post]").Each(func(_ int, s *goquery.Selection) {
		if a, _ := s.Attr("action"); a != "/logout" {
			t.Errorf("viewer sees POST form %q", a)
		}
	})
	if doc.Find(`a[href$="/edit"], a[href$="/delete"]`).Length() != 0 {
		t.Error("viewer sees edit or delete links")
	}
	if !strings.Contains(doc.Find(".banner-danger").Text(), "50 consecutive failures") {
		t.Error("auto-disable reason not shown")
	}
}

func TestDeliveryPagerKeepsFilters(t *testing.T) {
	doc := render(t, templates.Deliveries(sample.DeliveriesFiltered()))
	older, _ := doc.Find(`.pager a[rel=next]`).Attr("href")
	newer, _ := doc.Find(`.pager a[rel=prev]`).Attr("href")
	for _, want := range []string{"/webhooks/wbh_01JP8Z3K5Q2W9EXAMPLE0002/deliveries?", "status=failed", "topic=stock%2Fchanged", "from=2025-03-14T00%3A00", "cursor=c2"} {
		if !strings.Contains(older, want) {
			t.Errorf("older link %q lacks %q", older, want)
		}
	}
	if !strings.Contains(newer, "cursor=c1") {
		t.Errorf("newer link = %q", newer)
	}
	form := doc.Find("form[role=search]")
	if form.AttrOr("method", "") != "get" || form.AttrOr("action", "") != "/webhooks/wbh_01JP8Z3K5Q2W9EXAMPLE0002/deliveries" {
		t.Error("filter form is not a GET to the log")
	}
	if v, _ := form.Find(`select[name=status] option[selected]`).Attr("value"); v != "failed" {
		t.Errorf("status filter = %q", v)
	}
	if v, _ := form.Find(`input[name=from]`).Attr("type"); v != "datetime-local" {
		t.Errorf("from input type = %q", v)
	}
}

func TestEmptyStatesExplain(t *testing.T) {
	for name, c := range map[string]templ.Component{
		"webhooks":   templates.Webhooks(sample.WebhooksEmpty()),
		"deliveries": templates.Deliveries(templates.DeliveriesPage{Page: sample.Admin("Deliveries", templates.NavDeliveries)}),
		"events":     templates.Events(templates.EventsPage{Page: sample.Admin("Events", templates.NavEvents)}),
		"dashboard":  templates.Dashboard(templates.DashboardPage{Page: sample.Admin("Dashboard", templates.NavDashboard)}),
	} {
		doc := render(t, c)
		if doc.Find(".empty h2").Length() != 1 {
			t.Errorf("%s: no empty state", name)
		}
	}
	doc := render(t, templates.Webhooks(sample.WebhooksEmpty()))
	if doc.Find(`.empty a[href="/webhooks/new"]`).Length() != 1 {
		t.Error("empty webhooks list has no create button")
	}
}

func TestTestURLWorksWithoutJS(t *testing.T) {
	doc := render(t, templates.WebhookDetail(sample.WebhookDetail(false)))
	form := doc.Find("form#test-form[data-test-form]")
	if form.AttrOr("action", "") != "/webhooks/wbh_01JP8Z3K5Q2W9EXAMPLE0001/test" || form.AttrOr("method", "") != "post" {
		t.Fatal("no Test URL form")
	}
	if _, hidden := doc.Find("[data-test-result]").Attr("hidden"); !hidden {
		t.Error("empty result panel is visible")
	}
	doc = render(t, templates.WebhookDetail(sample.WebhookDetail(true)))
	panel := doc.Find("[data-test-result]")
	if _, hidden := panel.Attr("hidden"); hidden {
		t.Error("result panel hidden")
	}
	if panel.Find(`[data-field=statusCode]`).Text() != "200" || panel.Find(`[data-field=duration]`).Text() != "143 ms" {
		t.Errorf("result = %q", panel.Text())
	}
}

func TestTenantSwitcherAndAccount(t *testing.T) {
	doc := render(t, templates.Webhooks(sample.Webhooks()))
	sw := doc.Find(`form[action="/tenant"][method=post]`)
	if sw.Find(`select[name=tenant] option`).Length() != 3 || sw.Find(`option[selected]`).AttrOr("value", "") != "OU1243" {
		t.Error("tenant switcher wrong")
	}
	if !strings.Contains(doc.Find(".account").Text(), "maria.jensen@acme.example") || doc.Find(`form[action="/logout"] button`).Length() != 1 {
		t.Error("account block lacks email or logout")
	}
	if doc.Find(`.nav a[aria-current=page]`).AttrOr("href", "") != "/webhooks" {
		t.Error("active nav item wrong")
	}
	viewer := render(t, templates.WebhookDetail(sample.WebhookDisabled()))
	if viewer.Find(`form[action="/tenant"]`).Length() != 0 {
		t.Error("bound user sees the switcher")
	}
}
