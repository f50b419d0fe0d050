package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hooks/domain"
	"hooks/service"
	"hooks/store"
	"hooks/templates"
)

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	hooks, next, err := s.db.Endpoints(r.Context(), c.tenant, pageCursor(r), uiPageSize)
	if err != nil {
		return err
	}
	health, err := s.endpointHealth(r.Context(), c.tenant)
	if err != nil {
		return err
	}
	v := templates.WebhooksPage{Page: s.page(r, c, "Webhooks", templates.NavWebhooks), OlderCursor: next}
	if pageCursor(r) != "" {
		v.NewerCursor = store.NewestPage
	}
	for _, h := range hooks {
		row := templates.WebhookRow{ID: h.ID, Name: h.Name, URL: h.URL, Topics: h.Topics, Enabled: h.Enabled,
			DisabledReason: autoDisabledReason(h)}
		if hl := health[h.ID]; hl != nil {
			row.SuccessRate, row.Attempts, row.LastAttemptAt, row.LastStatusCode = hl.rate(), int(hl.attempts), hl.lastAt, hl.lastCode
		}
		v.Webhooks = append(v.Webhooks, row)
	}
	s.render(w, r, http.StatusOK, templates.Webhooks(v))
	return nil
}

// autoDisabledReason is the reason to show for a disabled endpoint: only
// hooks' own reasons (auto-disable), not a person's click.
func autoDisabledReason(h *domain.Endpoint) string {
	if h.Enabled || h.DisabledReason == service.UserDisabledReason {
		return ""
	}
	return h.DisabledReason
}

func (s *Server) newWebhookPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	f := templates.NewWebhookForm()
	f.HeaderPrefix = s.headerPrefix()
	f.MaxAttempts = strconv.Itoa(domain.DefaultRetryPolicy().MaxAttempts)
	return s.renderWebhookForm(w, r, c, http.StatusOK, "", f, nil)
}

func (s *Server) createWebhookForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	h := &domain.Endpoint{TenantID: c.tenant}
	saved, err := s.saveWebhookForm(w, r, c, h)
	if err != nil || !saved {
		return err
	}
	s.redirectFlash(w, r, c, c.path("/webhooks/"+h.ID), templates.FlashSuccess, "Webhook “"+h.Name+"” created. Send a test ping to check the receiver.")
	return nil
}

func (s *Server) editWebhookPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	h, err := s.db.EndpointByID(r.Context(), c.tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.renderWebhookForm(w, r, c, http.StatusOK, h.ID, s.webhookToForm(h), nil)
}

func (s *Server) updateWebhookForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	h, err := s.db.EndpointByID(r.Context(), c.tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	saved, err := s.saveWebhookForm(w, r, c, h)
	if err != nil || !saved {
		return err
	}
	s.redirectFlash(w, r, c, c.path("/webhooks/"+h.ID), templates.FlashSuccess, "Changes saved.")
	return nil
}

func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	return s.renderWebhookDetail(w, r, c, nil, webhookReveal{})
}

// webhookReveal is what an admin's Reveal asked the webhook page to show
// in clear.
type webhookReveal struct {
	secret      string // the signing secret of scheme index
	index       int
	credentials bool // the extra header and metadata values
}

// renderWebhookDetail shows the endpoint page, with a test result or what
// a Reveal asked for.
func (s *Server) renderWebhookDetail(w http.ResponseWriter, r *http.Request, c *uiRequest, test *templates.TestResult, reveal webhookReveal) error {
	h, err := s.db.EndpointByID(r.Context(), c.tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	if test == nil {
		test = s.popTestResult(w, r, c, h.ID)
	}
	health, err := s.endpointHealth(r.Context(), c.tenant)
	if err != nil {
		return err
	}
	ds, _, err := s.db.Deliveries(r.Context(), store.DeliveryFilter{TenantID: c.tenant, EndpointID: h.ID, Limit: 10})
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	hours, err := s.db.Stats(r.Context(), c.tenant, h.ID, dayStart(now), now, store.StatsHour)
	if err != nil {
		return err
	}
	v := templates.WebhookDetailPage{Page: s.page(r, c, h.Name, templates.NavWebhooks), Webhook: s.webhookView(h, health[h.ID], reveal.credentials),
		Secret: secretView(h, reveal), Test: test, Deliveries: deliveryRows(ds, map[string]*domain.Endpoint{h.ID: h})}
	v.Throughput, v.Latency = chartBuckets(hours)
	if c.canWrite() {
		if v.TestExamples, err = s.testExamples(r, c, h); err != nil {
			return err
		}
	}
	s.render(w, r, http.StatusOK, templates.WebhookDetail(v))
	return nil
}

// secretView is the secret card of h: one entry per scheme, the v1a ones
// showing their public key, and the secret that reveal asked for in clear.
func secretView(h *domain.Endpoint, reveal webhookReveal) templates.SecretView {
	var out templates.SecretView
	now := time.Now()
	for i, sc := range h.Schemes() {
		v := templates.SecretView{Index: i, Scheme: sc.Scheme, Header: sc.Header}
		if name, value := sc.Shown(); name == "publicKey" {
			v.PublicKey = value
		}
		if i == reveal.index && reveal.secret != "" {
			v.Revealed = reveal.secret
		}
		if len(sc.Secrets(now)) > 1 {
			v.PreviousExpiresAt = sc.PreviousSecretUntil
		}
		if !domain.KeepsPreviousSecret(sc.Scheme) && sc.Scheme != domain.SchemeJWT {
			out.SwitchesAtOnce = true
		}
		if i == 0 {
			switches := out.SwitchesAtOnce
			out = v
			out.SwitchesAtOnce = switches
		} else {
			out.Also = append(out.Also, v)
		}
	}
	return out
}

// webhookView is h for display, its extra header and metadata values
// masked unless revealed.
func (s *Server) webhookView(h *domain.Endpoint, hl *healthStats, revealed bool) templates.WebhookView {
	headers, metadata := h.Headers, h.Metadata
	if !revealed {
		headers, metadata = maskValues(headers), maskValues(metadata)
	}
	v := templates.WebhookView{ID: h.ID, Name: h.Name, URL: h.URL, Destination: destinationView(h), Topics: h.Topics, SubTopics: h.SubTopics, Enabled: h.Enabled,
		DisabledReason: autoDisabledReason(h), DisabledAt: h.DisabledAt, Scheme: h.Signing.Scheme, SignatureHeader: h.Signing.Header,
		Encoding: h.Signing.Encoding, Prefix: h.Signing.Prefix, HeaderPrefix: s.headerPrefix(), Envelope: h.Envelope.Type,
		Template: h.Envelope.Template, RetrySchedule: h.Retry.Schedule, RetryInterval: h.Retry.IntervalSeconds,
		MaxAttempts: h.Retry.MaxAttempts, RetryOnNon2xx: h.Retry.RetryOn.Preset == domain.RetryOnNon2xx, RetryTokens: h.Retry.RetryOn.Tokens,
		Timeout: int(h.Timeout / time.Second), RateLimit: h.RateLimit, Headers: sortedPairs(headers),
		Metadata: sortedPairs(metadata), CredentialsRevealed: revealed, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt}
	for _, a := range h.AlsoSigning {
		v.Also = append(v.Also, templates.SigningView{Scheme: a.Scheme, Header: a.Header, Encoding: a.Encoding, Prefix: a.Prefix})
	}
	if v.RetrySchedule != domain.ScheduleFixed {
		v.RetryInterval = 5 // the exponential schedule's first delay
	}
	if h.PausedUntil.After(time.Now()) {
		v.PausedUntil = h.PausedUntil
	}
	if hl != nil {
		v.SuccessRate, v.Attempts, v.LastAttemptAt = hl.rate(), int(hl.attempts), hl.lastAt
	}
	return v
}

func (s *Server) deleteWebhookPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	h, err := s.db.EndpointByID(r.Context(), c.tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	pending, err := s.db.CountUnfinished(r.Context(), c.tenant, h.ID)
	if err != nil {
		return err
	}
	v := templates.DeleteWebhookPage{Page: s.page(r, c, "Delete "+h.Name, templates.NavWebhooks),
		Webhook: templates.WebhookRef{ID: h.ID, Name: h.Name}, URL: h.URL, Pending: pending}
	s.render(w, r, http.StatusOK, templates.DeleteWebhook(v))
	return nil
}

func (s *Server) deleteWebhookForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	h, err := s.db.EndpointByID(r.Context(), c.tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.svc.DeleteEndpoint(r.Context(), c.actor(), h.ID); err != nil {
		return err
	}
	s.redirectFlash(w, r, c, c.path("/webhooks"), templates.FlashSuccess, "Webhook “"+h.Name+"” deleted.")
	return nil
}

func (s *Server) enableWebhookForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	return s.setWebhookEnabled(w, r, c, true)
}

func (s *Server) disableWebhookForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	return s.setWebhookEnabled(w, r, c, false)
}

func (s *Server) setWebhookEnabled(w http.ResponseWriter, r *http.Request, c *uiRequest, enabled bool) error {
	change, msg := s.svc.DisableEndpoint, "Webhook “%s” disabled. It receives nothing until you enable it."
	if enabled {
		change, msg = s.svc.EnableEndpoint, "Webhook “%s” enabled."
	}
	h, err := change(r.Context(), c.actor(), r.PathValue("id"))
	if err != nil {
		return err
	}
	msg = fmt.Sprintf(msg, h.Name)
	s.redirectFlash(w, r, c, backTo(r, c.path("/webhooks"), c.path("/webhooks/"+h.ID)), templates.FlashSuccess, msg)
	return nil
}

// backTo returns the page the form was posted from when it is the list
// (the list's toggle returns to the list), else fallback.
func backTo(r *http.Request, list, fallback string) string {
	ref := r.Header.Get("Referer")
	if ref == "" {
		return fallback
	}
	u, err := r.URL.Parse(ref)
	if err != nil || u.Host != r.Host {
		return fallback
	}
	if p := u.RequestURI(); p == list || strings.HasPrefix(p, list+"?") {
		return p
	}
	return fallback
}

// Session keys of the last Test URL result, shown once on the detail page
// after the no-JS redirect.
const (
	sessTestWebhook = "test_wbh"
	sessTestResult  = "test_res"
)

// maxTestExamples bounds the examples Test URL offers.
const maxTestExamples = 50

// testExamples are the examples Test URL offers for h: those of the event
// types whose topic h subscribes to.
func (s *Server) testExamples(r *http.Request, c *uiRequest, h *domain.Endpoint) ([]templates.TestExample, error) {
	types, err := s.svc.EventTypes(r.Context(), c.actor())
	if err != nil {
		return nil, err
	}
	var out []templates.TestExample
	for _, t := range types {
		if !subscribes(h, t.Name) {
			continue
		}
		for i := range t.Examples {
			if len(out) == maxTestExamples {
				return out, nil
			}
			label := t.Name
			if len(t.Examples) > 1 {
				label += " — example " + strconv.Itoa(i+1)
			}
			out = append(out, templates.TestExample{Value: strconv.Itoa(i) + ":" + t.Name, Label: label})
		}
	}
	return out, nil
}

func (s *Server) testWebhookForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if err := parseForm(r); err != nil {
		return err
	}
	var ex *service.TestExample
	if v := r.PostForm.Get("example"); v != "" {
		i, name, _ := strings.Cut(v, ":")
		n, err := strconv.Atoi(i)
		if err != nil {
			return domain.FieldErrorf("example", "pick an example from the list")
		}
		ex = &service.TestExample{Type: name, Index: n}
	}
	h, res, err := s.svc.TestEndpoint(r.Context(), c.actor(), r.PathValue("id"), ex)
	if err != nil {
		return err
	}
	out := templates.TestResult{Success: res.Success, StatusCode: res.StatusCode, DurationMs: res.DurationMs,
		ResponseBody: res.ResponseBody, Error: res.Error}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	// The result rides in the cookie to the next page, and a cookie holds
	// about 4 KB: keep the start of the body; the delivery log has it all.
	out.ResponseBody = truncateText(out.ResponseBody, maxFlashBody)
	out.Error = truncateText(out.Error, 300)
	c.sess.Values[sessTestWebhook] = h.ID
	c.sess.Values[sessTestResult] = jsonString(out)
	if err := c.sess.Save(r, w); err != nil {
		return err
	}
	http.Redirect(w, r, c.path("/webhooks/"+h.ID+"#test"), http.StatusSeeOther)
	return nil
}

// maxFlashBody is how much of a Test URL response body the no-JS path
// carries to the next page.
const maxFlashBody = 1500

// truncateText cuts s to at most n bytes on a UTF-8 boundary, marking the cut.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "… (truncated; the delivery log has the whole body)"
}

// popTestResult takes a Test URL result for endpoint id out of the session.
func (s *Server) popTestResult(w http.ResponseWriter, r *http.Request, c *uiRequest, id string) *templates.TestResult {
	raw, _ := c.sess.Values[sessTestResult].(string)
	if raw == "" {
		return nil
	}
	wbh, _ := c.sess.Values[sessTestWebhook].(string)
	delete(c.sess.Values, sessTestResult)
	delete(c.sess.Values, sessTestWebhook)
	if err := c.sess.Save(r, w); err != nil {
		s.log.Warn("save session", "err", err)
	}
	var res templates.TestResult
	if wbh != id || jsonUnmarshalString(raw, &res) != nil {
		return nil
	}
	return &res
}

func (s *Server) revealSecretForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	h, err := s.svc.RevealSecret(r.Context(), c.actor(), r.PathValue("id"))
	if err != nil {
		return err
	}
	// ?scheme=i reveals the secret of the endpoint's scheme i; a v1a
	// scheme shows its public key only: its private key never leaves hooks.
	schemes := h.Schemes()
	i, err := strconv.Atoi(r.URL.Query().Get("scheme"))
	if err != nil || i < 0 || i >= len(schemes) {
		i = 0
	}
	_, value := schemes[i].Shown()
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]string{"secret": value})
		return nil
	}
	return s.renderWebhookDetail(w, r, c, nil, webhookReveal{secret: value, index: i})
}

func (s *Server) rotateSecretForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	h, err := s.svc.RotateSecret(r.Context(), c.actor(), r.PathValue("id"), "", service.DefaultSecretGrace)
	if err != nil {
		return err
	}
	s.redirectFlash(w, r, c, c.path("/webhooks/"+h.ID), templates.FlashSuccess, rotationFlash(service.Rotations(h)))
	return nil
}

// rotationFlash says what a rotation did: which old secrets keep signing
// for the grace period and which stopped at once.
func rotationFlash(rs []service.Rotation) string {
	var kept, stopped []string
	for _, r := range rs {
		if r.Scheme == domain.SchemeJWT {
			continue
		}
		if r.PreviousValidUntil.IsZero() {
			stopped = append(stopped, templates.SchemeLabel(r.Scheme))
		} else {
			kept = append(kept, templates.SchemeLabel(r.Scheme))
		}
	}
	switch {
	case len(stopped) == 0 && len(kept) <= 1:
		return "Secret rotated. The previous secret keeps working for 24 hours."
	case len(stopped) == 0:
		return "Secrets rotated. The previous secrets keep working for 24 hours."
	case len(kept) == 0 && len(stopped) == 1:
		return "Secret rotated. The old secret stopped working now: this scheme carries one signature."
	case len(kept) == 0:
		return "Secrets rotated. The old secrets stopped working now: these schemes carry one signature."
	}
	return "Secrets rotated. " + strings.Join(kept, ", ") + " keeps the previous secret for 24 hours; the old " +
		strings.Join(stopped, ", ") + " secret stopped working now: that scheme carries one signature."
}

func (s *Server) recoverPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	h, err := s.db.EndpointByID(r.Context(), c.tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := templates.RecoverPage{Page: s.page(r, c, "Recover "+h.Name, templates.NavWebhooks), Webhook: templates.WebhookRef{ID: h.ID, Name: h.Name},
		Since: r.URL.Query().Get("since")}
	if v.Since == "" {
		v.Since = templates.DateTimeLocal(time.Now().Add(-24 * time.Hour))
	}
	since, err := templates.ParseDateTimeLocal(v.Since)
	if err != nil {
		v.Errors = templates.FieldErrors{"since": "Enter a date and time, e.g. " + templates.DateTimeLocal(time.Now().Add(-time.Hour)) + "."}
		s.render(w, r, http.StatusUnprocessableEntity, templates.Recover(v))
		return nil
	}
	if v.Count, err = s.db.CountRecoverable(r.Context(), c.tenant, h.ID, since); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, templates.Recover(v))
	return nil
}

func (s *Server) recoverForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if err := parseForm(r); err != nil {
		return err
	}
	since, err := templates.ParseDateTimeLocal(r.PostForm.Get("since"))
	if err != nil {
		return domain.FieldErrorf("since", "since must be a date and time like 2006-01-02T15:04")
	}
	id := r.PathValue("id")
	n, err := s.svc.Recover(r.Context(), c.actor(), id, since)
	if err != nil {
		return err
	}
	msg := strconv.Itoa(n) + " failed deliveries queued again."
	if n == 1 {
		msg = "1 failed delivery queued again."
	}
	s.redirectFlash(w, r, c, c.path("/webhooks/"+id+"/deliveries"), templates.FlashSuccess, msg)
	return nil
}
