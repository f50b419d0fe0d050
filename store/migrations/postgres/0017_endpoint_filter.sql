-- Payload filters (domain/filter): an endpoint's filter as compact JSON
-- text, '' for none. Fan-out reads it beside topics and sub_topics and
-- delivers an event only when it matches.
ALTER TABLE endpoints ADD COLUMN payload_filter TEXT NOT NULL DEFAULT '';
