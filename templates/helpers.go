package templates

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// pageScope renders a page's content with p.Now as the reference time of
// every TimeAgo below it, p.Base as the prefix of its links (see link), and
// with a fresh budget for the stored values it shows (see MaxPageShownBytes).
func pageScope(p Page) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		children := templ.GetChildren(ctx)
		ctx = context.WithValue(withPageBudget(withNow(templ.ClearChildren(ctx), p.Now)), baseKey{}, p.Base)
		name := "hooks"
		if p.Portal != nil {
			name = p.Portal.Name
		}
		return children.Render(context.WithValue(ctx, senderKey{}, name), w)
	})
}

type baseKey struct{}

type senderKey struct{}

// sender names who sends the webhooks in a sentence of a shared page:
// hooks in the backoffice, the product in the customer portal (its
// customers need not know hooks), "this service" when it has no name.
// start capitalises the fallback for the start of a sentence.
func sender(ctx context.Context, start bool) string {
	if name, _ := ctx.Value(senderKey{}).(string); name != "" {
		return name
	}
	if start {
		return "This service"
	}
	return "this service"
}

// link is path, a page of the backoffice such as /webhooks/wbh_1, as a URL
// of the area the page being rendered belongs to: the same page under
// /portal in the customer portal. The pages both share write every link
// through it.
func link(ctx context.Context, path string) templ.SafeURL {
	base, _ := ctx.Value(baseKey{}).(string)
	return templ.URL(base + path)
}

func pageTitle(p Page) string {
	if p.Title == "" {
		return "hooks"
	}
	return p.Title + " · hooks"
}

func initial(email string) string {
	for _, r := range email {
		return strings.ToUpper(string(r))
	}
	return "?"
}

func roleLabel(role string) string {
	switch role {
	case "admin":
		return "Admin"
	case "viewer":
		return "Viewer (read-only)"
	}
	return role
}

func flashKind(k FlashKind) string {
	switch k {
	case FlashSuccess, FlashError:
		return string(k)
	}
	return "info"
}

func flashRole(k FlashKind) string {
	if k == FlashError {
		return "alert"
	}
	return "status"
}

func flashIcon(k FlashKind) string {
	switch k {
	case FlashSuccess:
		return "ok"
	case FlashError:
		return "alert"
	}
	return "info"
}

// statusTone maps a delivery status to a badge colour.
func statusTone(status string) string {
	switch status {
	case "succeeded":
		return "success"
	case "failed":
		return "danger"
	case "retrying":
		return "warning"
	case "awaiting_callback":
		return "info"
	case "pending":
		return "pending"
	}
	return "neutral"
}

func statusLabel(status string) string {
	switch status {
	case "awaiting_callback":
		return "Awaiting callback"
	case "":
		return "Unknown"
	}
	return strings.ToUpper(status[:1]) + status[1:]
}

// codeTone maps an HTTP status code to a colour: 2xx green, 3xx and 4xx
// amber (a 3xx is a failure: redirects are not followed), 5xx red.
func codeTone(code int) string {
	switch {
	case code >= 200 && code < 300:
		return "ok"
	case code >= 500:
		return "err"
	}
	return "warn"
}

func httpStatusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

func rateTone(rate float64) string {
	switch {
	case rate >= 0.98:
		return "ok"
	case rate >= 0.9:
		return "warn"
	}
	return "err"
}

func joinComma(items []string) string { return strings.Join(items, ", ") }

// withCursor adds cursor to a URL that may already carry a query.
func withCursor(base, cursor string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	q.Set("cursor", cursor)
	u.RawQuery = q.Encode()
	return u.String()
}

// withQuery returns path with the encoded query, if any.
func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// isRedacted reports whether the server replaced a header value.
func isRedacted(v string) bool {
	return strings.Contains(strings.ToLower(v), "redacted") || strings.Trim(v, "•*") == ""
}

func fieldID(name string) string { return "f-" + strings.ReplaceAll(name, "_", "-") }
func errorID(name string) string { return fieldID(name) + "-error" }
func hintID(name string) string  { return fieldID(name) + "-hint" }

// fieldAttrs links an input to its hint and error message for assistive
// technology and marks it invalid when it has an error.
func fieldAttrs(errs FieldErrors, name string, hasHint bool) templ.Attributes {
	a := templ.Attributes{"id": fieldID(name), "name": name}
	var ids []string
	if _, bad := errs[name]; bad {
		ids = append(ids, errorID(name))
		a["aria-invalid"] = "true"
	}
	if hasHint {
		ids = append(ids, hintID(name))
	}
	if len(ids) > 0 {
		a["aria-describedby"] = strings.Join(ids, " ")
	}
	return a
}

// SchemeLabel is how pages and messages name a signing scheme.
func SchemeLabel(s string) string { return schemeLabel(s) }

func schemeLabel(s string) string {
	switch s {
	case SchemeStandard, "":
		return "Standard Webhooks"
	case SchemeStandardV1a:
		return "Standard Webhooks v1a (Ed25519)"
	case SchemeHMAC:
		return "HMAC-SHA256"
	case SchemeSharedSecret:
		return "Shared secret"
	case SchemeJWT:
		return "JWT bearer (RS256)"
	}
	return s
}

func envelopeLabel(e string) string {
	switch e {
	case "raw", "":
		return "Raw (the event's data as posted)"
	case "standard":
		return `Standard ({"type","timestamp","data"})`
	case "template":
		return "Custom template"
	}
	return e
}

func triggerLabel(t string) string {
	switch t {
	case "scheduled":
		return "Scheduled"
	case "manual":
		return "Manual redeliver"
	case "test":
		return "Test"
	case "recover":
		return "Recover"
	case "callback":
		return "Callback poll"
	case "":
		return "Attempt"
	}
	return t
}

// secretValueID is the id of the secret card's value for scheme index i:
// "secret-value" for the first, as it always was.
func secretValueID(i int) string {
	if i == 0 {
		return "secret-value"
	}
	return "secret-value-" + strconv.Itoa(i)
}

// revealURL is where the reveal form of scheme index i posts.
func revealURL(id string, i int) string {
	if i == 0 {
		return "/webhooks/" + id + "/secret/reveal"
	}
	return "/webhooks/" + id + "/secret/reveal?scheme=" + strconv.Itoa(i)
}

func rotateConfirm(switchesAtOnce bool) string {
	if switchesAtOnce {
		return "Rotate the signing secrets? HMAC and shared-secret headers switch to the new secret now; Standard Webhooks receivers have 24 hours."
	}
	return "Rotate the signing secret? Receivers must switch to the new secret within 24 hours."
}

// secretMask is what the secret card shows instead of the secret.
func secretMask(scheme string) string {
	if scheme == SchemeStandard || scheme == "" {
		return "whsec_••••••••••••••••••••••••"
	}
	return "••••••••••••••••••••••••"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return FormatCount(n) + " " + many
}

func statusText(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusForbidden:
		return "You don't have access to this"
	case http.StatusUnauthorized:
		return "Please sign in"
	case http.StatusTooManyRequests:
		return "Too many requests"
	case http.StatusBadRequest:
		return "That request didn't look right"
	}
	if status >= 500 {
		return "Something went wrong"
	}
	return http.StatusText(status)
}

func statusHelp(status int) string {
	switch status {
	case http.StatusNotFound:
		return "The page or object you were looking for doesn't exist in this tenant, or it was deleted."
	case http.StatusForbidden:
		return "Your role doesn't allow this action. Ask an admin if you need it."
	case http.StatusUnauthorized:
		return "Your session has ended. Sign in again to continue."
	case http.StatusTooManyRequests:
		return "Slow down a little and try again in a moment."
	}
	if status >= 500 {
		return "hooks hit an unexpected error. It has been logged; try again, and check the server log if it keeps happening."
	}
	return "Go back and try again."
}

func toggleAction(enabled bool) string {
	if enabled {
		return "/disable"
	}
	return "/enable"
}

func toggleTitle(enabled bool) string {
	if enabled {
		return "Enabled — click to disable"
	}
	return "Disabled — click to enable"
}

func codeOrDash(code int) string {
	if code == 0 {
		return "—"
	}
	return strconv.Itoa(code)
}

func prettyOrEmpty(body string) string {
	if body == "" {
		return "(empty)"
	}
	s, _ := PrettyJSON(body)
	return s
}

// requestMethod is the HTTP method of an attempt's request: callback polls
// are GETs (delivery/callback.go), every other attempt POSTs the body.
func requestMethod(trigger string) string {
	if trigger == "callback" {
		return "GET"
	}
	return "POST"
}

func topicsSummary(topics []string) string {
	switch len(topics) {
	case 0:
		return "its topics"
	case 1:
		return topics[0]
	}
	return "one of its " + strconv.Itoa(len(topics)) + " topics"
}

func retrySummary(w WebhookView) string {
	attempts := plural(w.MaxAttempts, "attempt", "attempts")
	if w.RetrySchedule == "fixed" {
		return attempts + ", every " + FormatSeconds(w.RetryInterval)
	}
	return attempts + ", exponential backoff from " + FormatSeconds(w.RetryInterval)
}

func retryOnSummary(w WebhookView) string {
	if len(w.RetryTokens) > 0 {
		return "Retries on " + strings.Join(w.RetryTokens, ", ")
	}
	if w.RetryOnNon2xx {
		return "Retries on any non-2xx answer"
	}
	return "Retries on network errors, timeouts, 408, 429 and 5xx"
}

func sinceLabel(s string) string {
	t, err := ParseDateTimeLocal(s)
	if err != nil {
		return s
	}
	return t.Format("Jan 2, 2006 15:04 UTC")
}

func formAction(id string) string {
	if id == "" {
		return "/webhooks"
	}
	return "/webhooks/" + id
}

// templatePlaceholder is the example template of the form: Pepperi's
// envelope, in the syntax of delivery/envelope (see envelope.PepperiTemplate).
const templatePlaceholder = `{
  "ID": "{{ event.id }}",
  "Delivery": {
    "ID": "{{ delivery.id }}",
    "CreatedAt": "{{ delivery.createdAt }}",
    "UpdatedAt": "{{ delivery.updatedAt }}"
  },
  "CompanyID": "{{ metadata.companyId | number }}",
  "TriggeredBy": {"ID": "{{ event.data.TriggeredBy.ID }}", "URI": "{{ event.data.TriggeredBy.URI }}"},
  "Data": "{{ event.data }}"
}`

func deliveriesPath(w *WebhookRef) string {
	if w == nil {
		return "/deliveries"
	}
	return "/webhooks/" + w.ID + "/deliveries"
}

func nameOr(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

func attemptTone(a AttemptView) string {
	if a.StatusCode >= 200 && a.StatusCode < 300 && a.Error == "" {
		if ans, ok := ParseReceiverAnswer(a.ResponseBody); ok && ans.Success != nil && !*ans.Success {
			return "err"
		}
		return "ok"
	}
	return "err"
}

// settingsNav returns the main navigation entry that is active for nav:
// the webhook pages belong to the Settings area.
func settingsNav(nav NavItem) NavItem {
	if nav == NavWebhooks || nav == NavEventTypes {
		return NavSettings
	}
	return nav
}

// filterPlaceholder is the example in an empty Filter field.
const filterPlaceholder = `{"data": {"order": {"total": {"$gte": 100}}}}`

// MaxPreviewShown is how many recent events a filter preview tries at most
// (service.MaxFilterPreview, which this package can't import).
const MaxPreviewShown = 10
