-- OpenTelemetry (tracing/): the W3C trace context an event's deliveries
-- continue, so that every attempt, on any instance and after restarts,
-- sends a traceparent of the producer's trace. NULL when the event came
-- without one and tracing was off.
ALTER TABLE events ADD COLUMN trace_parent TEXT;
ALTER TABLE events ADD COLUMN trace_state TEXT;
