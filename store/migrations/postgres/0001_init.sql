-- PostgreSQL twin of ../0001_init.sql: the same tables, columns and
-- indexes, so the store's one set of queries runs on both. Times are BIGINT
-- unix milliseconds (UTC), booleans INTEGER 0/1, lists, maps and options
-- JSON text, blobs BYTEA. Ids compare byte by byte (COLLATE "C"), as in
-- SQLite: keyset pages and time ranges rely on ULID order, which a
-- language's collation would not keep.
CREATE TABLE tenants (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE endpoints (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    tenant_id            TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    name                 TEXT NOT NULL,
    url                  TEXT NOT NULL,
    topics               TEXT NOT NULL,
    sub_topics           TEXT NOT NULL,
    enabled              INTEGER NOT NULL,
    disabled_reason      TEXT NOT NULL DEFAULT '',
    disabled_at          BIGINT,
    signing              TEXT NOT NULL,
    secret               TEXT NOT NULL,
    previous_secret      TEXT NOT NULL DEFAULT '',
    previous_secret_until BIGINT,
    headers              TEXT NOT NULL,
    envelope             TEXT NOT NULL,
    retry                TEXT NOT NULL,
    timeout_ms           BIGINT NOT NULL,
    rate_limit           INTEGER NOT NULL DEFAULT 0,
    metadata             TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX endpoints_by_tenant ON endpoints (tenant_id, id);

CREATE TABLE events (
    id              TEXT COLLATE "C" PRIMARY KEY,
    tenant_id       TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    topic           TEXT NOT NULL,
    sub_topic       TEXT NOT NULL DEFAULT '',
    payload         BYTEA NOT NULL,
    idempotency_key TEXT COLLATE "C",
    delivery_count  INTEGER NOT NULL,
    triggered_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_by_idempotency_key ON events (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_by_tenant ON events (tenant_id, id);

-- next_attempt_at doubles as the lease, as in SQLite; claims lock the rows
-- they take with FOR UPDATE SKIP LOCKED, so several processes share them.
CREATE TABLE deliveries (
    id               TEXT COLLATE "C" PRIMARY KEY,
    tenant_id        TEXT COLLATE "C" NOT NULL,
    event_id         TEXT COLLATE "C" NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    endpoint_id      TEXT COLLATE "C" NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    topic            TEXT NOT NULL,
    sub_topic        TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    attempt_count    INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    next_trigger     TEXT NOT NULL DEFAULT 'scheduled',
    lease_owner      TEXT COLLATE "C",
    last_status_code INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
-- SQLite's index holds the rowid after lease_owner; here the id (a ULID,
-- so also in insert order) plays that part for unparking oldest first.
CREATE INDEX deliveries_leased ON deliveries (lease_owner, id) WHERE lease_owner IS NOT NULL;
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_by_endpoint_status ON deliveries (endpoint_id, status, id);
CREATE INDEX deliveries_by_tenant ON deliveries (tenant_id, id);
CREATE INDEX deliveries_by_tenant_status ON deliveries (tenant_id, status, id);
CREATE INDEX deliveries_by_event ON deliveries (event_id);

CREATE TABLE attempts (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    delivery_id        TEXT COLLATE "C" NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    trigger            TEXT NOT NULL,
    url                TEXT NOT NULL,
    status_code        INTEGER NOT NULL,
    duration_ms        BIGINT NOT NULL,
    error              TEXT NOT NULL DEFAULT '',
    request_headers    TEXT NOT NULL,
    request_body       BYTEA,
    response_headers   TEXT NOT NULL,
    response_body      BYTEA,
    response_truncated INTEGER NOT NULL DEFAULT 0,
    started_at         BIGINT NOT NULL
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, id);

CREATE TABLE api_keys (
    id           TEXT COLLATE "C" PRIMARY KEY,
    tenant_id    TEXT COLLATE "C" REFERENCES tenants(id),
    name         TEXT NOT NULL,
    hash         BYTEA NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);

-- SQLite compares emails with COLLATE NOCASE; here a unique index on
-- lower(email) does, and the queries compare lower(email).
CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    tenant_id     TEXT COLLATE "C" REFERENCES tenants(id),
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_by_email ON users (lower(email));

CREATE TABLE signing_keys (
    id          TEXT COLLATE "C" PRIMARY KEY,
    tenant_id   TEXT COLLATE "C" NOT NULL,
    private_key BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);
CREATE INDEX signing_keys_by_tenant ON signing_keys (tenant_id, created_at);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

INSERT INTO tenants (id, name, created_at) VALUES ('default', 'Default', (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT);
