package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"hooks/domain"
	"hooks/service"
	"hooks/store"
	"hooks/tracing"
)

// eventInput is one event as a producer posts it.
type eventInput struct {
	Topic          string          `json:"topic"`
	SubTopic       string          `json:"subTopic"`
	Data           json.RawMessage `json:"data"`
	IdempotencyKey string          `json:"idempotencyKey"` // batch only; single events use the header
}

func (in *eventInput) toEvent() (*domain.Event, error) {
	e := &domain.Event{Topic: in.Topic, SubTopic: in.SubTopic, Payload: []byte(in.Data), IdempotencyKey: in.IdempotencyKey}
	return e, service.CheckEvent(e)
}

type eventAccepted struct {
	ID         string `json:"id"`
	Deliveries int    `json:"deliveries"`
}

func (s *Server) createEvent(w http.ResponseWriter, r *http.Request, c *caller) (err error) {
	ctx, end := s.cfg.Tracer.StartIngest(r, "POST /api/v1/events")
	defer func() { end(err) }()
	var in eventInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.IdempotencyKey != "" {
		return domain.FieldErrorf("idempotencyKey", "send the idempotency key in the Idempotency-Key header")
	}
	in.IdempotencyKey = r.Header.Get("Idempotency-Key")
	e, err := in.toEvent()
	if err != nil {
		return err
	}
	e.TraceParent, e.TraceState = tracing.FromHeader(r.Header)
	wait := preferWait(r)
	events := []*domain.Event{e}
	created, err := s.svc.PostEvents(ctx, c.actor(), events)
	if err != nil {
		return err
	}
	if !created[0] {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if wait == 0 {
		writeJSON(w, http.StatusAccepted, eventAccepted{ID: e.ID, Deliveries: e.DeliveryCount})
		return nil
	}
	res, err := s.svc.AwaitFirstOutcomes(ctx, c.actor(), events, wait)
	if err != nil {
		return waitError(r, err)
	}
	writeJSON(w, awaitedStatus(w, res, wait), toEventAnswered(e, res.Outcomes[0]))
	return nil
}

// MaxBatchEvents bounds one POST /api/v1/events/batch.
const MaxBatchEvents = 1000

// MaxBatchBodyBytes is the body limit of POST /api/v1/events/batch when it
// is above --max-body-bytes: room for MaxBatchEvents events of 1–4 KiB.
const MaxBatchBodyBytes = 4 << 20

func (s *Server) createEventBatch(w http.ResponseWriter, r *http.Request, c *caller) (err error) {
	ctx, end := s.cfg.Tracer.StartIngest(r, "POST /api/v1/events/batch")
	defer func() { end(err) }()
	var in struct {
		Events []eventInput `json:"events"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Events) == 0 || len(in.Events) > MaxBatchEvents {
		return domain.FieldErrorf("events", "send 1 to %d events", MaxBatchEvents)
	}
	events := make([]*domain.Event, len(in.Events))
	// One request, one trace context: every event of the batch gets it.
	traceparent, tracestate := tracing.FromHeader(r.Header)
	for i := range in.Events {
		e, err := in.Events[i].toEvent()
		if err != nil {
			if se, ok := err.(*domain.Error); ok {
				se.Message = "events[" + itoa(i) + "]: " + se.Message
			}
			return err
		}
		e.TraceParent, e.TraceState = traceparent, tracestate
		events[i] = e
	}
	wait := preferWait(r)
	if _, err := s.svc.PostEvents(ctx, c.actor(), events); err != nil {
		return inBatch(err)
	}
	if wait == 0 {
		out := make([]eventAccepted, len(events))
		for i, e := range events {
			out[i] = eventAccepted{ID: e.ID, Deliveries: e.DeliveryCount}
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"data": out})
		return nil
	}
	res, err := s.svc.AwaitFirstOutcomes(ctx, c.actor(), events, wait)
	if err != nil {
		return waitError(r, err)
	}
	out := make([]eventAnswered, len(events))
	for i, e := range events {
		out[i] = toEventAnswered(e, res.Outcomes[i])
	}
	writeJSON(w, awaitedStatus(w, res, wait), map[string]any{"data": out})
	return nil
}

// inBatch makes an error about one event of a batch name it as the batch
// request does: "events[3]: …", with detail paths under /events/3.
func inBatch(err error) error {
	var ee *service.EventError
	var se *domain.Error
	if !errors.As(err, &ee) || !errors.As(ee.Err, &se) {
		return err
	}
	prefix := "/events/" + itoa(ee.Index)
	se.Message = "events[" + itoa(ee.Index) + "]: " + se.Message
	for i := range se.Details {
		se.Details[i].Path = prefix + se.Details[i].Path
	}
	return se
}

// eventJSON is an event as the API shows it.
type eventJSON struct {
	ID             string          `json:"id"`
	Topic          string          `json:"topic"`
	SubTopic       string          `json:"subTopic"`
	Data           json.RawMessage `json:"data"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	DeliveryCount  int             `json:"deliveryCount"`
	TriggeredAt    time.Time       `json:"triggeredAt"`
	Deliveries     []deliveryJSON  `json:"deliveries,omitempty"`
}

func toEventJSON(e *domain.Event) eventJSON {
	data := json.RawMessage(e.Payload)
	if !json.Valid(data) {
		data, _ = json.Marshal(string(e.Payload))
	}
	return eventJSON{ID: e.ID, Topic: e.Topic, SubTopic: e.SubTopic, Data: data, IdempotencyKey: e.IdempotencyKey,
		DeliveryCount: e.DeliveryCount, TriggeredAt: e.TriggeredAt}
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, c *caller) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	events, next, err := s.db.Events(r.Context(), store.EventFilter{TenantID: c.tenantID, Topic: r.URL.Query().Get("topic"),
		Cursor: r.URL.Query().Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	data := make([]eventJSON, len(events))
	for i, e := range events {
		data[i] = toEventJSON(e)
	}
	writeJSON(w, http.StatusOK, listJSON[eventJSON]{Data: data, NextCursor: next})
	return nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, c *caller) error {
	e, err := s.db.EventByID(r.Context(), c.tenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	deliveries, _, err := s.db.Deliveries(r.Context(), store.DeliveryFilter{TenantID: c.tenantID, EventID: e.ID, Limit: 250})
	if err != nil {
		return err
	}
	out := toEventJSON(e)
	out.Deliveries = make([]deliveryJSON, len(deliveries))
	for i, d := range deliveries {
		out.Deliveries[i] = toDeliveryJSON(d)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
