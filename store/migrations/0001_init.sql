-- Times are integer unix milliseconds (UTC). Lists, maps and options are JSON text.
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE endpoints (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id),
    name                 TEXT NOT NULL,
    url                  TEXT NOT NULL,
    topics               TEXT NOT NULL,
    sub_topics           TEXT NOT NULL,
    enabled              INTEGER NOT NULL,
    disabled_reason      TEXT NOT NULL DEFAULT '',
    disabled_at          INTEGER,
    signing              TEXT NOT NULL,
    secret               TEXT NOT NULL,
    previous_secret      TEXT NOT NULL DEFAULT '',
    previous_secret_until INTEGER,
    headers              TEXT NOT NULL,
    envelope             TEXT NOT NULL,
    retry                TEXT NOT NULL,
    timeout_ms           INTEGER NOT NULL,
    rate_limit           INTEGER NOT NULL DEFAULT 0,
    metadata             TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX endpoints_by_tenant ON endpoints (tenant_id, id);

CREATE TABLE events (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    topic           TEXT NOT NULL,
    sub_topic       TEXT NOT NULL DEFAULT '',
    payload         BLOB NOT NULL,
    idempotency_key TEXT,
    delivery_count  INTEGER NOT NULL,
    triggered_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_by_idempotency_key ON events (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_by_tenant ON events (tenant_id, id);

-- A delivery is one event for one endpoint. Its id is the webhook id that
-- receivers see on every retry. next_attempt_at doubles as the lease: a
-- claim pushes it forward, so a crashed claimer's work falls due again.
CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    event_id         TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    endpoint_id      TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    topic            TEXT NOT NULL,
    sub_topic        TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    attempt_count    INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    next_trigger     TEXT NOT NULL DEFAULT 'scheduled',
    lease_owner      TEXT,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_leased ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_by_endpoint_status ON deliveries (endpoint_id, status, id);
CREATE INDEX deliveries_by_tenant ON deliveries (tenant_id, id);
CREATE INDEX deliveries_by_tenant_status ON deliveries (tenant_id, status, id);
CREATE INDEX deliveries_by_event ON deliveries (event_id);

-- request_body is NULL when the body sent was the event's payload as is,
-- so the common raw envelope stores payload bytes once per event.
CREATE TABLE attempts (
    id                 TEXT PRIMARY KEY,
    delivery_id        TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    trigger            TEXT NOT NULL,
    url                TEXT NOT NULL,
    status_code        INTEGER NOT NULL,
    duration_ms        INTEGER NOT NULL,
    error              TEXT NOT NULL DEFAULT '',
    request_headers    TEXT NOT NULL,
    request_body       BLOB,
    response_headers   TEXT NOT NULL,
    response_body      BLOB,
    response_truncated INTEGER NOT NULL DEFAULT 0,
    started_at         INTEGER NOT NULL
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT REFERENCES tenants(id),
    name         TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    tenant_id     TEXT REFERENCES tenants(id),
    created_at    INTEGER NOT NULL
);

CREATE TABLE signing_keys (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    private_key BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);
CREATE INDEX signing_keys_by_tenant ON signing_keys (tenant_id, created_at);

-- Small server-wide values: cookie keys, the one-time setup token.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

INSERT INTO tenants (id, name, created_at) VALUES ('default', 'Default', CAST(unixepoch('subsec') * 1000 AS INTEGER));
