-- Customer portal (web/portal.go). A portal link is one row: only a hash of
-- its one-time token is kept; used_at is set by the one UPDATE that redeems
-- it (WHERE used_at IS NULL), so two instances can't both trade it for a
-- session. The row then stands for the portal session, checked on every
-- portal request.
CREATE TABLE portal_sessions (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    role       TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

-- The tenant's portal branding; '' takes the server-wide default.
ALTER TABLE tenants ADD COLUMN portal_name TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN portal_accent TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN portal_logo_url TEXT NOT NULL DEFAULT '';
