package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"hooks/domain"
	"hooks/store"
	"hooks/templates"
)

func (s *Server) deliveriesPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	return s.renderDeliveries(w, r, c, nil)
}

func (s *Server) webhookDeliveriesPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	h, err := s.db.EndpointByID(r.Context(), c.tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.renderDeliveries(w, r, c, h)
}

// renderDeliveries is the delivery log of the tenant, or of endpoint h.
// Filters and pages are keyset on the delivery id, so the page costs the
// same at any depth; the time range becomes an id range.
func (s *Server) renderDeliveries(w http.ResponseWriter, r *http.Request, c *uiRequest, h *domain.Endpoint) error {
	s.popFlash(w, r, c)
	ff := templates.DeliveryFilterFromValues(r.URL.Query())
	v := templates.DeliveriesPage{Page: s.page(r, c, "Deliveries", templates.NavDeliveries), Filter: ff, Errors: templates.FieldErrors{}}
	f := store.DeliveryFilter{TenantID: c.tenant, Status: ff.Status, Topic: ff.Topic, Cursor: pageCursor(r), Limit: uiPageSize}
	if h != nil {
		f.EndpointID = h.ID
		v.Webhook = &templates.WebhookRef{ID: h.ID, Name: h.Name}
		v.Title = "Deliveries · " + h.Name
		v.Nav = templates.NavWebhooks
	}
	if ff.Status != "" && !domain.ValidStatus(ff.Status) {
		v.Errors["status"] = "Pick a status from the list."
	}
	var err error
	if ff.From != "" {
		if f.From, err = templates.ParseDateTimeLocal(ff.From); err != nil {
			v.Errors["from"] = "Enter a date and time like 2026-01-31T14:00."
		}
	}
	if ff.To != "" {
		if f.To, err = templates.ParseDateTimeLocal(ff.To); err != nil {
			v.Errors["to"] = "Enter a date and time like 2026-01-31T14:00."
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		v.Errors["to"] = "“To” must be after “From”."
	}
	if v.KnownTopics, err = s.knownTopics(r, c.tenant); err != nil {
		return err
	}
	if len(v.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, templates.Deliveries(v))
		return nil
	}
	ds, next, err := s.db.Deliveries(r.Context(), f)
	if err != nil {
		return err
	}
	if v.NewerCursor, err = s.db.DeliveriesNewerCursor(r.Context(), f); err != nil {
		return err
	}
	v.OlderCursor = next
	hooks, err := s.webhooksOf(r, ds)
	if err != nil {
		return err
	}
	v.Deliveries = deliveryRows(ds, hooks)
	if c.portal != nil {
		// The portal has no dashboard: its log shows the day's deliveries.
		if v.Throughput, err = s.throughput(r.Context(), c.tenant, f.EndpointID); err != nil {
			return err
		}
	}
	s.render(w, r, http.StatusOK, templates.Deliveries(v))
	return nil
}

// throughput is the last 24 hours' attempts of the tenant, or of one of its
// endpoints, by hour, from the statistics.
func (s *Server) throughput(ctx context.Context, tenant, endpointID string) ([]templates.ThroughputBucket, error) {
	now := time.Now().UTC()
	hours, err := s.db.Stats(ctx, tenant, endpointID, dayStart(now), now, store.StatsHour)
	if err != nil {
		return nil, err
	}
	through, _ := chartBuckets(hours)
	return through, nil
}

// webhooksOf loads the endpoints of a page of deliveries, for their names.
func (s *Server) webhooksOf(r *http.Request, ds []*domain.Delivery) (map[string]*domain.Endpoint, error) {
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.EndpointID)
	}
	slices.Sort(ids)
	return s.db.EndpointsByIDs(r.Context(), slices.Compact(ids))
}

func deliveryRows(ds []*domain.Delivery, hooks map[string]*domain.Endpoint) []templates.DeliveryRow {
	out := make([]templates.DeliveryRow, 0, len(ds))
	for _, d := range ds {
		out = append(out, deliveryRow(d, hooks[d.EndpointID]))
	}
	return out
}

func deliveryRow(d *domain.Delivery, h *domain.Endpoint) templates.DeliveryRow {
	row := templates.DeliveryRow{ID: d.ID, EventID: d.EventID, WebhookID: d.EndpointID, Topic: d.Topic, SubTopic: d.SubTopic,
		Status: d.Status, Attempts: d.AttemptCount, LastStatusCode: d.LastStatusCode, NextAttemptAt: d.NextAttemptAt,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if h != nil {
		row.EndpointName, row.EndpointURL = h.Name, h.URL
	}
	return row
}

func (s *Server) deliveryPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	d, err := s.db.DeliveryByID(r.Context(), c.tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	h, err := s.db.EndpointByID(r.Context(), c.tenant, d.EndpointID)
	if err != nil {
		return err
	}
	// A page reads the newest attempts only, and the start of each body:
	// enough to show what the page can show (templates.MaxShownBytes) and
	// to format any body small enough to format.
	attempts, err := s.db.LatestAttempts(r.Context(), d.ID, store.AttemptBounds{Attempts: maxShownAttempts,
		BodyBytes: templates.MaxPrettyBytes, Headers: maxReadHeaders})
	if err != nil {
		return err
	}
	count, err := s.db.CountAttempts(r.Context(), d.ID)
	if err != nil {
		return err
	}
	var payload string // converted once: every attempt that sent it shares it
	for _, a := range attempts {
		if a.RequestBody == nil {
			// The body sent was the event's payload as posted; it is
			// stored once, with the event.
			e, err := s.db.EventByID(r.Context(), c.tenant, d.EventID)
			if err != nil {
				return err
			}
			payload = string(e.Payload)
			break
		}
	}
	v := templates.DeliveryPage{Page: s.page(r, c, d.Topic+" · "+d.ID, templates.NavDeliveries), Delivery: deliveryRow(d, h),
		AttemptCount: count}
	for _, a := range attempts {
		av := templates.AttemptView{ID: a.ID, Trigger: a.Trigger, StatusCode: a.StatusCode,
			DurationMs: a.Duration.Milliseconds(), Error: a.Error, RequestURL: a.URL, RequestHeaders: headerList(a.RequestHeaders),
			RequestBody: payload, ResponseHeaders: headerList(a.ResponseHeaders), ResponseBody: string(a.ResponseBody),
			ResponseBodySize: a.ResponseBodySize, ResponseTruncated: a.ResponseTruncated, StartedAt: a.StartedAt,
			RequestHeadersOmitted: a.RequestHeadersOmitted, ResponseHeadersOmitted: a.ResponseHeadersOmitted}
		if a.RequestBody != nil {
			av.RequestBody, av.RequestBodySize = string(a.RequestBody), a.RequestBodySize
		}
		v.Attempts = append(v.Attempts, av)
	}
	s.render(w, r, http.StatusOK, templates.Delivery(v))
	return nil
}

// maxShownAttempts is how many attempts the delivery page shows, newest
// first. Scheduled retries stop at 50, but callback polls and redeliveries
// do not: a callback polled every second for a day makes 86,400 attempts.
// Ten attempts with the largest bodies already fill the page's budget for
// stored values (templates.MaxPageShownBytes); reading more would only cost
// memory (ten viewers of such a page peak at about 170 MB RSS, measured by
// TestTenViewersOfTheWorstPageKeepMemoryBounded; 25 attempts took 280 MB).
const maxShownAttempts = 10

// maxReadHeaders is how many header names of each attempt the page reads:
// more than a headers table shows (200), and far fewer than the 3,000 that
// fit in the 64 KiB of a receiver's answer.
const maxReadHeaders = 250

// headerList turns h into display lines, sorted by name, one per value.
func headerList(h http.Header) []templates.Header {
	var out []templates.Header
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, templates.Header{Name: k, Value: v})
		}
	}
	slices.SortStableFunc(out, func(a, b templates.Header) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (s *Server) redeliverForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	d, err := s.svc.Redeliver(r.Context(), c.actor(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.redirectFlash(w, r, c, c.path("/deliveries/"+d.ID), templates.FlashSuccess, "Redelivery queued with the same webhook id. The new attempt appears below in a moment.")
	return nil
}

func (s *Server) eventsPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	return s.renderEvents(w, r, c, http.StatusOK, templates.SendEventForm{Data: "{\n  \"id\": 1042\n}"}, nil)
}

func (s *Server) renderEvents(w http.ResponseWriter, r *http.Request, c *uiRequest, status int, form templates.SendEventForm, errs templates.FieldErrors) error {
	events, next, err := s.db.Events(r.Context(), store.EventFilter{TenantID: c.tenant, Cursor: pageCursor(r), Limit: uiPageSize,
		NoPayload: true})
	if err != nil {
		return err
	}
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	counts, err := s.db.DeliveryStatusCounts(r.Context(), ids)
	if err != nil {
		return err
	}
	v := templates.EventsPage{Page: s.page(r, c, "Events", templates.NavEvents), OlderCursor: next, Form: form, Errors: errs}
	if v.NewerCursor, err = s.db.EventsNewerCursor(r.Context(), c.tenant, pageCursor(r), uiPageSize); err != nil {
		return err
	}
	if v.KnownTopics, err = s.knownTopics(r, c.tenant); err != nil {
		return err
	}
	for _, e := range events {
		n := counts[e.ID]
		total := 0
		for _, k := range n {
			total += k
		}
		v.Events = append(v.Events, templates.EventRow{ID: e.ID, Topic: e.Topic, SubTopic: e.SubTopic, Deliveries: total,
			Succeeded: n[domain.StatusSucceeded], Failed: n[domain.StatusFailed] + n[domain.StatusCancelled], TriggeredAt: e.TriggeredAt})
	}
	s.render(w, r, status, templates.Events(v))
	return nil
}

func (s *Server) sendEventForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if err := parseForm(r); err != nil {
		return err
	}
	form := templates.SendEventFormFromValues(r.PostForm)
	errs := templates.FieldErrors{}
	if err := domain.ValidTopic(form.Topic); err != nil {
		errs["topic"] = "Enter a topic such as orders/placed: " + err.Error() + "."
	}
	if form.SubTopic != "" {
		if err := domain.ValidTopic(form.SubTopic); err != nil {
			errs["sub_topic"] = "The sub-topic is not valid: " + err.Error() + "."
		}
	}
	data := strings.TrimSpace(form.Data)
	if data == "" {
		data = "{}"
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(data)); err != nil {
		errs["data"] = "The data must be valid JSON, e.g. {\"id\": 1042}."
	}
	if len(errs) > 0 {
		return s.renderEvents(w, r, c, http.StatusUnprocessableEntity, form, errs)
	}
	e := &domain.Event{Topic: form.Topic, SubTopic: form.SubTopic, Payload: compact.Bytes()}
	if _, err := s.svc.PostEvents(r.Context(), c.actor(), []*domain.Event{e}); err != nil {
		if domain.ErrorCode(err) == domain.ESCHEMA {
			errs["data"] = sentence(domain.ErrorMessage(err))
			return s.renderEvents(w, r, c, http.StatusUnprocessableEntity, form, errs)
		}
		return err
	}
	msg := "Event sent; no enabled endpoint subscribes to " + e.Topic + "."
	if e.DeliveryCount > 0 {
		msg = "Event sent to " + strconv.Itoa(e.DeliveryCount) + " endpoint(s)."
		if e.DeliveryCount == 1 {
			msg = "Event sent to 1 endpoint."
		}
	}
	s.redirectFlash(w, r, c, "/events/"+e.ID, templates.FlashSuccess, msg)
	return nil
}

func (s *Server) eventPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	e, err := s.db.EventByID(r.Context(), c.tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	ds, _, err := s.db.Deliveries(r.Context(), store.DeliveryFilter{TenantID: c.tenant, EventID: e.ID, Limit: 250})
	if err != nil {
		return err
	}
	hooks, err := s.webhooksOf(r, ds)
	if err != nil {
		return err
	}
	v := templates.EventPage{Page: s.page(r, c, e.Topic+" · "+e.ID, templates.NavEvents), Deliveries: deliveryRows(ds, hooks),
		Event: templates.EventView{ID: e.ID, Topic: e.Topic, SubTopic: e.SubTopic, IdempotencyKey: e.IdempotencyKey,
			Payload: string(e.Payload), TriggeredAt: e.TriggeredAt}}
	s.render(w, r, http.StatusOK, templates.Event(v))
	return nil
}

// jsonString is v as JSON text, for a session value.
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonUnmarshalString(s string, v any) error { return json.Unmarshal([]byte(s), v) }
