package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"hooks/domain"
	"hooks/store"
)

// deliveryJSON is a delivery as the API shows it.
type deliveryJSON struct {
	ID             string        `json:"id"`
	EventID        string        `json:"eventId"`
	WebhookID      string        `json:"webhookId"`
	Topic          string        `json:"topic"`
	SubTopic       string        `json:"subTopic,omitempty"`
	Status         string        `json:"status"`
	AttemptCount   int           `json:"attemptCount"`
	NextAttemptAt  *time.Time    `json:"nextAttemptAt"`
	LastStatusCode int           `json:"lastStatusCode"`
	CreatedAt      time.Time     `json:"createdAt"`
	UpdatedAt      time.Time     `json:"updatedAt"`
	Attempts       []attemptJSON `json:"attempts,omitempty"`
	Callback       *callbackJSON `json:"callback,omitempty"` // detail only, for AsyncCallback deliveries
}

// attemptJSON is one attempt as the API shows it.
type attemptJSON struct {
	ID                string            `json:"id"`
	Trigger           string            `json:"trigger"`
	URL               string            `json:"url"`
	StatusCode        int               `json:"statusCode"`
	DurationMs        int64             `json:"durationMs"`
	Error             string            `json:"error"`
	RequestHeaders    map[string]string `json:"requestHeaders"`
	RequestBody       *string           `json:"requestBody,omitempty"`
	ResponseHeaders   map[string]string `json:"responseHeaders"`
	ResponseBody      string            `json:"responseBody"`
	ResponseTruncated bool              `json:"responseTruncated"`
	StartedAt         time.Time         `json:"startedAt"`
}

func toDeliveryJSON(d *domain.Delivery) deliveryJSON {
	out := deliveryJSON{ID: d.ID, EventID: d.EventID, WebhookID: d.EndpointID, Topic: d.Topic, SubTopic: d.SubTopic, Status: d.Status,
		AttemptCount: d.AttemptCount, LastStatusCode: d.LastStatusCode, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if !d.NextAttemptAt.IsZero() && (d.Status == domain.StatusPending || d.Status == domain.StatusRetrying || d.Status == domain.StatusAwaitingCallback) {
		out.NextAttemptAt = &d.NextAttemptAt
	}
	return out
}

func flatHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

func toAttemptJSON(a *domain.Attempt) attemptJSON {
	out := attemptJSON{ID: a.ID, Trigger: a.Trigger, URL: a.URL, StatusCode: a.StatusCode, DurationMs: a.Duration.Milliseconds(),
		Error: a.Error, RequestHeaders: flatHeaders(a.RequestHeaders), ResponseHeaders: flatHeaders(a.ResponseHeaders),
		ResponseBody: string(a.ResponseBody), ResponseTruncated: a.ResponseTruncated, StartedAt: a.StartedAt}
	// A callback poll is a GET: its empty body is not the event's payload.
	if a.RequestBody != nil || a.Trigger == domain.TriggerCallback {
		body := string(a.RequestBody)
		out.RequestBody = &body
	}
	return out
}

// deliveryFilter reads the list filters: status, topic, from, to, cursor, limit.
func deliveryFilter(r *http.Request, tenantID string) (store.DeliveryFilter, error) {
	q := r.URL.Query()
	f := store.DeliveryFilter{TenantID: tenantID, Status: q.Get("status"), Topic: q.Get("topic"), Cursor: q.Get("cursor")}
	if f.Status != "" && !domain.ValidStatus(f.Status) {
		return f, domain.FieldErrorf("status", "status must be one of pending, retrying, succeeded, failed, awaiting_callback, cancelled")
	}
	var err error
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			if *p.dst, err = time.Parse(time.RFC3339, v); err != nil {
				return f, domain.FieldErrorf(p.name, "%s must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z", p.name)
			}
		}
	}
	f.Limit, err = pageLimit(r)
	return f, err
}

func (s *Server) writeDeliveries(w http.ResponseWriter, r *http.Request, f store.DeliveryFilter) error {
	deliveries, next, err := s.db.Deliveries(r.Context(), f)
	if err != nil {
		return err
	}
	data := make([]deliveryJSON, len(deliveries))
	for i, d := range deliveries {
		data[i] = toDeliveryJSON(d)
	}
	writeJSON(w, http.StatusOK, listJSON[deliveryJSON]{Data: data, NextCursor: next})
	return nil
}

func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := deliveryFilter(r, c.tenantID)
	if err != nil {
		return err
	}
	if _, err := s.db.EndpointByID(r.Context(), c.tenantID, r.PathValue("id")); err != nil {
		return err
	}
	f.EndpointID = r.PathValue("id")
	return s.writeDeliveries(w, r, f)
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := deliveryFilter(r, c.tenantID)
	if err != nil {
		return err
	}
	f.EndpointID = r.URL.Query().Get("webhookId")
	return s.writeDeliveries(w, r, f)
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, err := s.db.DeliveryByID(r.Context(), c.tenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	attempts, err := s.db.AttemptsByDelivery(r.Context(), d.ID)
	if err != nil {
		return err
	}
	out := toDeliveryJSON(d)
	out.Attempts = make([]attemptJSON, len(attempts))
	for i, a := range attempts {
		out.Attempts[i] = toAttemptJSON(a)
	}
	if out.Callback, err = s.deliveryCallback(r.Context(), d, attempts); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, err := s.svc.Redeliver(r.Context(), c.actor(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, toDeliveryJSON(d))
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }
