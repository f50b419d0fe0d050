-- Async callbacks: a receiver that answers a delivery with
-- {"AsyncCallback":{"URI","StartAfterSeconds","IntervalSeconds"}} is polled
-- at URI until it gives a final answer. The delivery waits in status
-- awaiting_callback with next_attempt_at set to its next poll (the poller's
-- lease, like the dispatcher's); this table keeps the rest of the state.
-- A row outlives the wait as a record of where the answer came from, and
-- goes with its delivery.
CREATE TABLE callbacks (
    delivery_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES deliveries(id) ON DELETE CASCADE,
    uri          TEXT NOT NULL,
    interval_ms  BIGINT NOT NULL,
    deadline     BIGINT NOT NULL,
    next_poll_at BIGINT NOT NULL,
    polls        BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);

-- The poller's "what is due": kept apart from deliveries_due so callback
-- waits never lengthen the dispatcher's scans.
CREATE INDEX deliveries_callback_due ON deliveries (next_attempt_at) WHERE status = 'awaiting_callback';
