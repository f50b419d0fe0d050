-- The event-type catalogue (eventtypes.go): per tenant, one row per topic
-- with its description, its JSON Schema ('' when it has none) and a JSON
-- array of example data. Ingest reads a tenant's schemas through a cache
-- in the service, not per event.
CREATE TABLE event_types (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    schema      TEXT NOT NULL DEFAULT '',
    examples    TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
