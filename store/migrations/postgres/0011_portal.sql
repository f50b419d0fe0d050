-- PostgreSQL twin of ../0011_portal.sql.
CREATE TABLE portal_sessions (
    id         TEXT COLLATE "C" PRIMARY KEY,
    tenant_id  TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    role       TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

ALTER TABLE tenants ADD COLUMN portal_name TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN portal_accent TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN portal_logo_url TEXT NOT NULL DEFAULT '';
