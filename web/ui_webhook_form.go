package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"hooks/domain"
	"hooks/service"
	"hooks/templates"
)

func (s *Server) renderWebhookForm(w http.ResponseWriter, r *http.Request, c *uiRequest, status int, id string, f templates.WebhookForm, errs templates.FieldErrors) error {
	return s.renderWebhookFormPreview(w, r, c, status, id, f, errs, nil)
}

// renderWebhookFormPreview is renderWebhookForm with a filter preview under
// the Filter field.
func (s *Server) renderWebhookFormPreview(w http.ResponseWriter, r *http.Request, c *uiRequest, status int, id string,
	f templates.WebhookForm, errs templates.FieldErrors, preview *templates.FilterPreview) error {
	topics, err := s.knownTopics(r, c.tenant)
	if err != nil {
		return err
	}
	types, err := s.svc.EventTypes(r.Context(), c.actor())
	if err != nil {
		return err
	}
	// Catalogued topics show as ticked boxes, the rest stay in the field.
	var catalog []templates.CatalogTopic
	var free []string
	for _, t := range types {
		catalog = append(catalog, templates.CatalogTopic{Name: t.Name, Description: t.Description})
	}
	for _, t := range templates.SplitList(f.Events) {
		if slices.ContainsFunc(types, func(et *domain.EventType) bool { return et.Name == t }) {
			f.CatalogEvents = append(f.CatalogEvents, t)
		} else {
			free = append(free, t)
		}
	}
	f.Events = templates.JoinList(free)
	title := "Create webhook"
	if id != "" {
		title = "Edit webhook"
	}
	v := templates.WebhookFormPage{Page: s.page(r, c, title, templates.NavWebhooks), ID: id, Form: f, Errors: errs, KnownTopics: topics, Preview: preview, Catalog: catalog,
		JWKSURL: s.cfg.PublicURL + "/" + c.tenant + "/.well-known/jwks.json"}
	s.render(w, r, status, templates.WebhookFormView(v))
	return nil
}

// knownTopics are the topics a form suggests: recent events' topics and
// the patterns endpoints subscribe to.
func (s *Server) knownTopics(r *http.Request, tenant string) ([]string, error) {
	topics, err := s.db.RecentTopics(r.Context(), tenant)
	if err != nil {
		return nil, err
	}
	hooks, _, err := s.db.Endpoints(r.Context(), tenant, "", service.MaxEndpointsPerTenant)
	if err != nil {
		return nil, err
	}
	for _, h := range hooks {
		topics = append(topics, h.Topics...)
	}
	slices.Sort(topics)
	return slices.Compact(topics), nil
}

func (s *Server) headerPrefix() string {
	if s.cfg.HeaderPrefix == "" {
		return "X-Hooks-"
	}
	return s.cfg.HeaderPrefix
}

// webhookToForm fills the form from a stored endpoint (the secret stays out).
func (s *Server) webhookToForm(h *domain.Endpoint) templates.WebhookForm {
	f := templates.WebhookForm{
		Name: h.Name, URL: h.URL, Events: templates.JoinList(h.Topics), SubTopics: templates.JoinList(h.SubTopics), Enabled: h.Enabled,
		Scheme: h.Signing.Scheme, SignatureHeader: h.Signing.Header, Encoding: h.Signing.Encoding, Prefix: h.Signing.Prefix,
		HeaderPrefix: s.headerPrefix(), Envelope: h.Envelope.Type, Template: h.Envelope.Template,
		RetrySchedule: h.Retry.Schedule, MaxAttempts: strconv.Itoa(h.Retry.MaxAttempts), RetryOn: "default",
		Timeout: strconv.Itoa(int(h.Timeout / time.Second)), Headers: templates.FormatPairs(sortedPairs(maskValues(h.Headers)), ':'),
		Metadata: templates.FormatPairs(sortedPairs(maskValues(h.Metadata)), '='), Filter: indentJSON(h.Filter),
	}
	f.Destination = destinationToForm(h)
	if !h.Destination.IsHTTP() {
		f.URL = "" // the target shown for a broker is no URL to post to
	}
	if f.Encoding == "" {
		f.Encoding = "hex"
	}
	if len(h.AlsoSigning) > 0 {
		f.AlsoScheme, f.AlsoHeader = h.AlsoSigning[0].Scheme, h.AlsoSigning[0].Header
		f.MoreSchemes = len(h.AlsoSigning) - 1
	}
	f.RetryInterval = "30"
	if h.Retry.IntervalSeconds > 0 {
		f.RetryInterval = strconv.Itoa(h.Retry.IntervalSeconds)
	}
	switch {
	case h.Retry.RetryOn.IsList():
		f.RetryOn, f.RetryTokens = "custom", strings.Join(h.Retry.RetryOn.Tokens, ", ")
	case h.Retry.RetryOn.Preset == domain.RetryOnNon2xx:
		f.RetryOn = "non2xx"
	}
	if h.RateLimit > 0 {
		f.RateLimit = strconv.Itoa(h.RateLimit)
	}
	return f
}

// chosenTopics is the topics the form chose, in the order the endpoint had
// them, new ones after: the form splits them over the field and the
// catalogue's boxes, and an unchanged form must not reorder them.
func chosenTopics(old, chosen []string) []string {
	out := make([]string, 0, len(chosen))
	for _, t := range old {
		if slices.Contains(chosen, t) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, t := range chosen {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func sortedPairs(m map[string]string) []templates.Header {
	out := make([]templates.Header, 0, len(m))
	for k, v := range m {
		out = append(out, templates.Header{Name: k, Value: v})
	}
	slices.SortFunc(out, func(a, b templates.Header) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// applyWebhookForm copies the form onto h, collecting the errors that the
// form itself can tell (numbers, line formats); the engine checks the rest.
func (s *Server) applyWebhookForm(f templates.WebhookForm, h *domain.Endpoint) templates.FieldErrors {
	errs := templates.FieldErrors{}
	h.Name = f.Name
	applyDestinationForm(f, h, errs)
	h.Topics, h.SubTopics = chosenTopics(h.Topics, append(templates.SplitList(f.Events), f.CatalogEvents...)), templates.SplitList(f.SubTopics)
	h.Filter = f.Filter
	s.svc.SetEnabled(h, f.Enabled)
	first := domain.Signing{Scheme: f.Scheme}
	switch f.Scheme {
	case templates.SchemeHMAC:
		first.Header, first.Encoding, first.Prefix = f.SignatureHeader, f.Encoding, f.Prefix
	case templates.SchemeSharedSecret:
		first.Header = f.SignatureHeader
	}
	list := []domain.Signing{first}
	if f.AlsoScheme != "" {
		second := domain.Signing{Scheme: f.AlsoScheme}
		switch {
		case len(h.AlsoSigning) > 0 && h.AlsoSigning[0].Scheme == f.AlsoScheme &&
			strings.EqualFold(h.AlsoSigning[0].Header, f.AlsoHeader):
			// Unchanged: keep the options the form doesn't show (an HMAC
			// prefix or base64 encoding set through the API).
			second = h.AlsoSigning[0].Signing
		case f.AlsoScheme == templates.SchemeHMAC || f.AlsoScheme == templates.SchemeSharedSecret:
			second.Header = f.AlsoHeader
		}
		list = append(list, second)
	}
	if len(h.AlsoSigning) > 1 && f.AlsoScheme != "" {
		// Schemes past the second came through the API; the form keeps them.
		for _, a := range h.AlsoSigning[1:] {
			list = append(list, a.Signing)
		}
	}
	secret := strings.TrimSpace(f.Secret)
	if secret != "" {
		h.Secret = secret
	}
	setSigning(h, list, secret != "")
	if f.HeaderPrefix != "" && !strings.EqualFold(f.HeaderPrefix, s.headerPrefix()) {
		errs["header_prefix"] = "The metadata header prefix is set for the whole server (hooks serve --header-prefix); this server uses " + s.headerPrefix() + "."
	}
	h.Envelope = domain.Envelope{Type: f.Envelope}
	if f.Envelope == "template" {
		h.Envelope.Template = f.Template
	}
	number := func(field, value string, dst *int, min, max int, empty int) {
		if value == "" {
			*dst = empty
			return
		}
		n, err := strconv.Atoi(value)
		if err != nil || n < min || n > max {
			errs[field] = "Enter a whole number from " + strconv.Itoa(min) + " to " + strconv.Itoa(max) + "."
			return
		}
		*dst = n
	}
	h.Retry = domain.RetryPolicy{Schedule: f.RetrySchedule, RetryOn: domain.RetryOnPreset(domain.RetryOn5xx)}
	switch f.RetryOn {
	case "non2xx":
		h.Retry.RetryOn = domain.RetryOnPreset(domain.RetryOnNon2xx)
	case "custom":
		// Validation checks each token and names retry.retryOn.
		h.Retry.RetryOn = domain.RetryOnTokens(strings.FieldsFunc(f.RetryTokens, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })...)
	}
	if f.RetrySchedule == domain.ScheduleFixed {
		number("retry_interval", f.RetryInterval, &h.Retry.IntervalSeconds, 1, 7*24*3600, 0)
	}
	number("max_attempts", f.MaxAttempts, &h.Retry.MaxAttempts, 1, domain.MaxAttemptsLimit, 0)
	var timeout int
	number("timeout", f.Timeout, &timeout, 1, int(domain.MaxTimeout/time.Second), 0)
	h.Timeout = time.Duration(timeout) * time.Second
	number("rate_limit", f.RateLimit, &h.RateLimit, 0, 100000, 0)
	pairs := func(field, text string, sep byte) map[string]string {
		list, err := templates.ParsePairs(text, sep)
		if err != nil {
			errs[field] = strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + "."
			return nil
		}
		m := make(map[string]string, len(list))
		for _, p := range list {
			m[p.Name] = p.Value
		}
		return m
	}
	// The form shows stored values masked; one left as shown keeps its value.
	unmask := func(field string, submitted, stored map[string]string, headers bool) map[string]string {
		m, err := unmaskValues(field, submitted, stored, headers)
		if err != nil {
			errs[field] = domain.ErrorMessage(err)
		}
		return m
	}
	h.Headers = unmask("headers", pairs("headers", f.Headers, ':'), h.Headers, true)
	h.Metadata = unmask("metadata", pairs("metadata", f.Metadata, '='), h.Metadata, false)
	return errs
}

// formFields maps the API path that validation names (domain.Error.Field)
// to the form's input, where the two differ.
var formFields = map[string]string{
	"subTopics":              "sub_topics",
	"signing.scheme":         "signing_scheme",
	"signing.header":         "signing_header",
	"signing.encoding":       "signing_encoding",
	"signing.prefix":         "signing_prefix",
	"signing[0].scheme":      "signing_scheme",
	"signing[0].header":      "signing_header",
	"signing[0].encoding":    "signing_encoding",
	"signing[0].prefix":      "signing_prefix",
	"signing[1]":             "signing_also",
	"signing[1].scheme":      "signing_also",
	"signing[1].header":      "signing_also_header",
	"signing[1].secret":      "signing_also",
	"envelope.type":          "envelope",
	"envelope.template":      "template",
	"retry.schedule":         "retry_schedule",
	"retry.intervalSeconds":  "retry_interval",
	"retry.maxAttempts":      "max_attempts",
	"retry.retryOn":          "retry_on",
	"timeoutSeconds":         "timeout",
	"rateLimit":              "rate_limit",
	"destination.type":       "destination_type",
	"destination.url":        "dest_url",
	"destination.exchange":   "dest_exchange",
	"destination.routingKey": "dest_routing_key",
	"destination.brokers":    "dest_brokers",
	"destination.topic":      "dest_topic",
	"destination.subject":    "dest_subject",
	"destination.stream":     "dest_stream",
	"destination.maxLen":     "dest_max_len",
}

// formField returns the form input that a validation error is about.
func formField(e *domain.Error) string {
	if f, ok := formFields[e.Field]; ok {
		return f
	}
	if strings.HasPrefix(e.Field, "destination.brokers[") {
		return "dest_brokers"
	}
	if e.TopField() == "filter" {
		return "filter" // the message names the path inside it
	}
	return e.Field
}

// errFormInvalid stops a save whose form itself has errors (numbers, line
// formats) before validation.
var errFormInvalid = errors.New("the form has errors")

// saveWebhookForm validates and stores the posted form onto h (new when
// h.ID is ""). On a problem it re-renders the form with the errors and
// what the user typed, and returns saved=false.
func (s *Server) saveWebhookForm(w http.ResponseWriter, r *http.Request, c *uiRequest, h *domain.Endpoint) (saved bool, err error) {
	if err := parseForm(r); err != nil {
		return false, err
	}
	f := templates.WebhookFormFromValues(r.PostForm)
	var errs templates.FieldErrors
	if h.ID == "" {
		if errs = s.applyWebhookForm(f, h); len(errs) == 0 {
			err = s.svc.CreateEndpoint(r.Context(), c.actor(), h)
		}
	} else {
		var saved *domain.Endpoint
		saved, err = s.svc.UpdateEndpoint(r.Context(), c.actor(), h.ID, func(e *domain.Endpoint) error {
			if errs = s.applyWebhookForm(f, e); len(errs) > 0 {
				return errFormInvalid
			}
			return nil
		})
		if err == nil {
			*h = *saved
		}
	}
	var se *domain.Error
	switch {
	case err == nil && len(errs) == 0:
		return true, nil
	case err == nil || errors.Is(err, errFormInvalid):
	case errors.As(err, &se) && se.Code == domain.EINVALID:
		errs[formField(se)] = se.Message
	default:
		return false, err
	}
	return false, s.renderWebhookForm(w, r, c, http.StatusUnprocessableEntity, h.ID, f, errs)
}

// indentJSON returns a stored filter laid out for the form's textarea.
func indentJSON(compact string) string {
	var b bytes.Buffer
	if compact == "" || json.Indent(&b, []byte(compact), "", "  ") != nil {
		return compact
	}
	return b.String()
}

// filterPreviewForm is POST /webhooks/filter-preview (the create form) and
// POST /webhooks/{id}/filter-preview (the edit form): the form's filter
// tried against the tenant's recent events of the form's topics. It saves
// nothing. With JS it answers templates.FilterPreview as JSON; without, the
// form again, as typed, with the preview (or the filter's error) under the
// Filter field.
func (s *Server) filterPreviewForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	id := r.PathValue("id")
	if id != "" {
		if _, err := s.svc.Endpoint(r.Context(), c.actor(), id); err != nil {
			return err // another tenant's endpoint is not found
		}
	}
	if err := parseForm(r); err != nil {
		return err
	}
	f := templates.WebhookFormFromValues(r.PostForm)
	tried, err := s.svc.PreviewFilter(r.Context(), c.actor(), templates.SplitList(f.Events), templates.SplitList(f.SubTopics), f.Filter)
	preview := templates.FilterPreview{Events: []templates.FilterPreviewEvent{}}
	var se *domain.Error
	switch {
	case err == nil:
		for _, t := range tried {
			ev := templates.FilterPreviewEvent{ID: t.Event.ID, Topic: t.Event.Topic, SubTopic: t.Event.SubTopic,
				TriggeredAt: t.Event.TriggeredAt, Matched: t.Matched}
			if c.portal == nil { // the portal has no events pages
				ev.URL = c.path("/events/" + t.Event.ID)
			}
			if t.Matched {
				preview.Matched++
			}
			preview.Events = append(preview.Events, ev)
		}
	case errors.As(err, &se) && se.Code == domain.EINVALID:
		preview.Error = se.Message
	default:
		return err
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, preview)
		return nil
	}
	if preview.Error != "" {
		return s.renderWebhookForm(w, r, c, http.StatusUnprocessableEntity, id, f, templates.FieldErrors{"filter": preview.Error})
	}
	return s.renderWebhookFormPreview(w, r, c, http.StatusOK, id, f, templates.FieldErrors{}, &preview)
}
