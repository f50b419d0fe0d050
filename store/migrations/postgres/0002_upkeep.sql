-- Upkeep (delivery/upkeep) reads the deliveries that failed for good in the
-- order they failed, to announce each one as a delivery.exhausted event.
-- Partial: only failed deliveries are in it, so the hot path (pending →
-- succeeded) never touches it.
CREATE INDEX deliveries_failed_by_time ON deliveries (updated_at, id) WHERE status = 'failed';
