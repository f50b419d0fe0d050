package service

import (
	"context"

	"hooks/domain"
	"hooks/tracing"
)

// MaxIdempotencyKey bounds an Idempotency-Key's length.
const MaxIdempotencyKey = 255

// CheckEvent checks an event as a producer posted it: its topic, sub-topic
// and idempotency key. Fields are named as the API names them.
func CheckEvent(e *domain.Event) error {
	if e.Topic == "" {
		return domain.FieldErrorf("topic", "topic is required, e.g. orders/placed")
	}
	if err := domain.ValidTopic(e.Topic); err != nil {
		return domain.FieldErrorf("topic", "%s", err)
	}
	if e.SubTopic != "" {
		if err := domain.ValidTopic(e.SubTopic); err != nil {
			return domain.FieldErrorf("subTopic", "%s", err)
		}
	}
	if len(e.IdempotencyKey) > MaxIdempotencyKey {
		return domain.FieldErrorf("idempotencyKey", "idempotency key is longer than %d characters", MaxIdempotencyKey)
	}
	return nil
}

// PostEvents stores events for a's tenant, each with its deliveries. An event's TraceParent and TraceState are the trace
// context its producer posted, if any; with tracing on they are replaced
// by the event's fan-out span's. An event whose idempotency key the tenant used before
// is replaced by the first one and created[i] is false. When it returns
// without error every event is on disk. An event whose type has a schema
// that its data breaks fails them all, with an *EventError naming it and
// an ESCHEMA error that lists the violations.
func (s *Service) PostEvents(ctx context.Context, a Actor, events []*domain.Event) (created []bool, err error) {
	for _, e := range events {
		e.TenantID = a.TenantID
		if len(e.Payload) == 0 {
			e.Payload = []byte("{}")
		}
	}
	if err := s.checkSchemas(ctx, a.TenantID, events); err != nil {
		return nil, err
	}
	var fanOuts []tracing.FanOut
	if s.tracer != nil {
		// The deliveries continue the fan-out span's context (tracing/).
		fanOuts = make([]tracing.FanOut, len(events))
		for i, e := range events {
			fanOuts[i], e.TraceParent, e.TraceState = s.tracer.StartFanOut(ctx, e.TraceParent, e.TraceState)
		}
	}
	created, err = s.db.CreateEvents(ctx, events)
	for i, f := range fanOuts {
		f.End(events[i].ID, events[i].DeliveryCount, err == nil && !created[i], err)
	}
	if err != nil {
		return nil, err
	}
	n := 0
	for _, ok := range created {
		if ok {
			n++
		}
	}
	// The engine is not woken here: ingest hands it the new deliveries,
	// or tells it of those it stored due (store.Handoff).
	if n > 0 && s.obs != nil {
		s.obs.EventsIngested(n)
	}
	return created, nil
}
