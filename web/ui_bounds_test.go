package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"hooks/domain"
	"hooks/store"
)

// maxPage is the size every page must stay under, whatever is stored.
const maxPage = 2 << 20

// deepJSON is "[[[…]]]" nested depth deep: 2×depth bytes that json.Indent
// turns into about 2×depth² bytes.
func deepJSON(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// TestUIPagesStaySmallWithDeepJSON stores a receiver's answer and event data
// nested 9,999 deep (20 KB each; once indented, 200 MB) the way a hostile
// receiver and a producer can, and checks that the delivery page with its
// attempts and the event page stay small and show the values as received.
func TestUIPagesStaySmallWithDeepJSON(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "vi@example.com", store.RoleViewer, "")
	deep := deepJSON(9999)
	recv := newUIReceiver(t, 200, deep)
	s.createWebhook(s.key, map[string]any{"url": recv.srv.URL, "events": []string{"*"}, "envelope": map[string]any{"type": "raw"}})
	evt := s.postEvent("default", `{"topic":"orders/placed","data":`+deep+`}`)
	var ev struct {
		Deliveries []struct{ ID string }
	}
	s.do("GET", "/api/v1/events/"+evt, s.key, nil, &ev)
	dlv := ev.Deliveries[0].ID
	s.waitDelivery(dlv, domain.StatusSucceeded, 10*time.Second)
	// A second attempt: the page shows both.
	s.do("POST", "/api/v1/deliveries/"+dlv+"/redeliver", s.key, nil, nil)
	s.waitDelivery(dlv, domain.StatusSucceeded, 10*time.Second)

	c := newUIClient(t, s)
	c.login("vi@example.com")
	for _, path := range []string{"/deliveries/" + dlv, "/events/" + evt, "/events", "/deliveries", "/"} {
		page := c.get(path).want(t, http.StatusOK, "")
		if len(page.body) > maxPage {
			t.Errorf("%s is %d bytes, want under %d", path, len(page.body), maxPage)
		}
	}
	d := c.get("/deliveries/" + dlv)
	if n := d.doc.Find("details.attempt").Length(); n != 2 {
		t.Fatalf("%d attempts shown, want 2", n)
	}
	if got := d.doc.Find("section[aria-label=Response] pre code").First().Text(); got != deep {
		t.Errorf("response body shown as %d bytes, want the %d received", len(got), len(deep))
	}
	if !strings.Contains(d.doc.Find("section[aria-label=Response]").First().Text(), "nested too deep to format") {
		t.Error("no note saying why the response body is not formatted")
	}
	e := c.get("/events/" + evt)
	if got := e.doc.Find("#ev-payload ~ .code-block pre code").First().Text(); got != deep {
		t.Errorf("event data shown as %d bytes, want the %d posted", len(got), len(deep))
	}
}

// TestUIDeliveryPageBoundsManyLargeAttempts stores the largest values an
// attempt can hold (1 MiB request bodies, 64 KiB deep answers, 64 KiB of
// headers) on more attempts than the page shows, and checks the page stays
// small, shows the newest attempts, and says what it left out.
func TestUIDeliveryPageBoundsManyLargeAttempts(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "vi@example.com", store.RoleViewer, "")
	recv := newUIReceiver(t, 500, "no")
	s.createWebhook(s.key, map[string]any{"url": recv.srv.URL, "events": []string{"*"}, "retry": map[string]any{"maxAttempts": 1}})
	evt := s.postEvent("default", `{"topic":"orders/placed","data":{}}`)
	var ev struct {
		Deliveries []struct{ ID string }
	}
	s.do("GET", "/api/v1/events/"+evt, s.key, nil, &ev)
	dlv := ev.Deliveries[0].ID
	s.waitDelivery(dlv, domain.StatusFailed, 10*time.Second)
	const n = maxShownAttempts + 5
	addWorstAttempts(t, s.db, dlv, n)

	c := newUIClient(t, s)
	c.login("vi@example.com")
	page := c.get("/deliveries/"+dlv).want(t, http.StatusOK, "")
	if len(page.body) > maxPage {
		t.Fatalf("delivery page is %d bytes, want under %d", len(page.body), maxPage)
	}
	if got := page.doc.Find("details.attempt").Length(); got != maxShownAttempts {
		t.Errorf("%d attempts shown, want the newest %d", got, maxShownAttempts)
	}
	if got := page.doc.Find("#attempts-title .count").Text(); got != fmt.Sprint(n+1) {
		t.Errorf("attempt count %q, want %d", got, n+1)
	}
	text := page.doc.Find("main").Text()
	for _, want := range []string{"more bytes not shown", "oldest attempts are not shown", "more headers not shown"} {
		if !strings.Contains(text, want) {
			t.Errorf("page does not say %q", want)
		}
	}
}

// addWorstAttempts records n failed attempts of delivery id, each with the
// largest values hooks stores.
func addWorstAttempts(t *testing.T, db *store.DB, id string, n int) {
	t.Helper()
	reqBody := []byte(`{"pad":"` + strings.Repeat("<&>\"", 1<<18-4) + `"}`) // 1 MiB, all of it escaped ×4.5
	respBody := []byte(deepJSON(32 << 10))                                  // 64 KiB
	respHeaders := http.Header{}
	for i := range 4000 {
		respHeaders.Set(fmt.Sprintf("X-H%d", i), "<<<<<<<<")
	}
	for range n {
		a := &domain.Attempt{Trigger: domain.TriggerManual, URL: "https://receiver.example/hook", StatusCode: 500,
			Error: strings.Repeat("<", 4000), RequestHeaders: respHeaders, RequestBody: reqBody,
			ResponseHeaders: respHeaders, ResponseBody: respBody, ResponseTruncated: true, StartedAt: time.Now()}
		o := store.Outcome{DeliveryID: id, Status: domain.StatusFailed, LastStatusCode: 500, Attempt: a}
		if err := db.RecordOutcomes(context.Background(), []store.Outcome{o}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRenderFailsClosedOnAPageTooLarge checks the backstop behind the
// templates' bounds: a page that outgrows maxPageBytes becomes a small
// error page, not a buffer without end.
func TestRenderFailsClosedOnAPageTooLarge(t *testing.T) {
	s := newTestServer(t, uiDev)
	huge := templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for range 2 * maxPageBytes / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	})
	rec := httptest.NewRecorder()
	s.srv.render(rec, httptest.NewRequest("GET", "/deliveries/x", nil), http.StatusOK, huge)
	if rec.Code != http.StatusInternalServerError || rec.Body.Len() > 64<<10 {
		t.Fatalf("status %d, %d bytes; want a small 500 page", rec.Code, rec.Body.Len())
	}
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc.Find("main").Text(), "too large") {
		t.Errorf("error page says %q", pageText(doc))
	}
}

// TestUIAttemptShowsTheMethodSent checks that the attempt view labels a
// callback poll GET, as it is sent (delivery/callback.go), with an empty
// body rather than the event's payload, and the delivery's attempt POST.
func TestUIAttemptShowsTheMethodSent(t *testing.T) {
	clk := &testClock{}
	s := newTestServer(t, uiDev, clk.option(0))
	addUIUser(t, s.db, "vi@example.com", store.RoleViewer, "")
	rcv := scripted(t, `{"Success":true,"AsyncCallback":{"URI":"/status/7","StartAfterSeconds":1}}`,
		[2]any{200, `{"Success":true}`})
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL + "/in", "events": []string{"*"}})
	s.postEvent("default", `{"topic":"orders/placed","data":{"id":7}}`)
	dlv := rcv.next().header.Get("X-Hooks-Webhook-Id")
	s.waitDelivery(dlv, domain.StatusAwaitingCallback, 5*time.Second)
	clk.advance(2 * time.Second)
	s.pollNow()
	if got := rcv.next(); got.header.Get(":method") != http.MethodGet {
		t.Fatalf("poll sent as %s", got.header.Get(":method"))
	}
	s.waitDelivery(dlv, domain.StatusSucceeded, 5*time.Second)

	c := newUIClient(t, s)
	c.login("vi@example.com")
	page := c.get("/deliveries/"+dlv).want(t, http.StatusOK, "")
	var got []string
	page.doc.Find("details.attempt").Each(func(_ int, a *goquery.Selection) {
		req := a.Find("section[aria-label=Request]")
		body := req.Find(".code-block pre code").First().Text()
		if body == "" {
			body = req.Find("p.muted").Last().Text()
		}
		got = append(got, a.Find(".attempt-trigger").Text()+" "+req.Find(".tag").First().Text()+" "+body)
	})
	want := []string{`Callback poll GET Empty body.`, "Scheduled POST {\n  \"id\": 7\n}"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("attempts shown as %q, want %q", got, want)
	}
}

// TestUIHTMLResponsePreviewIsSandboxed checks what the README says of a
// receiver's HTMLResponse: escaped source in the page, and a preview only in
// a frame sandboxed without scripts or same-origin access, which inherits
// the page's Content-Security-Policy (no inline scripts, nothing loaded from
// elsewhere).
func TestUIHTMLResponsePreviewIsSandboxed(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "vi@example.com", store.RoleViewer, "")
	html := `<img src="https://tracker.example/p.gif"><script>parent.document.title="owned"</script><p>Saved</p>`
	recv := newUIReceiver(t, 200, `{"Success":true,"HTMLResponse":`+strconvQuote(html)+`}`)
	s.createWebhook(s.key, map[string]any{"url": recv.srv.URL, "events": []string{"*"}})
	evt := s.postEvent("default", `{"topic":"orders/placed","data":{}}`)
	var ev struct {
		Deliveries []struct{ ID string }
	}
	s.do("GET", "/api/v1/events/"+evt, s.key, nil, &ev)
	dlv := ev.Deliveries[0].ID
	s.waitDelivery(dlv, domain.StatusSucceeded, 10*time.Second)

	c := newUIClient(t, s)
	c.login("vi@example.com")
	page := c.get("/deliveries/"+dlv).want(t, http.StatusOK, "")
	frames := page.doc.Find("iframe")
	if frames.Length() != 1 {
		t.Fatalf("%d frames, want the one preview", frames.Length())
	}
	sandbox, ok := frames.Attr("sandbox")
	if !ok || strings.TrimSpace(sandbox) != "" {
		// Any token loosens the sandbox; allow-scripts together with
		// allow-same-origin would undo it.
		t.Errorf("sandbox = %q (present %v), want an empty sandbox", sandbox, ok)
	}
	if src, _ := frames.Attr("srcdoc"); src != html {
		t.Errorf("srcdoc = %q", src)
	}
	if _, ok := frames.Attr("src"); ok {
		t.Error("the preview loads a URL")
	}
	if got := page.doc.Find("pre.html-response code").Text(); got != html {
		t.Errorf("source shown as %q", got)
	}
	if page.doc.Find("main script, main img").Length() != 0 {
		t.Error("the receiver's HTML reached the page as markup")
	}
	csp := page.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "img-src 'self' data:"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q allows inline code", csp)
	}
}
