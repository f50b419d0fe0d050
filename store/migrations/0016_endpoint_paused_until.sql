-- Receiver pauses (park.go): a receiver that answers 429 or 503 with
-- Retry-After pauses its whole endpoint until then. The time is kept here
-- so that every instance, and this one after a restart, honours it, and
-- so that the UI and API can show it.
ALTER TABLE endpoints ADD COLUMN paused_until INTEGER;
