-- The audit log (audit.go): who did what to which object, when and from
-- where, one row per write through the service layer. Rows outlive the
-- objects they name (no foreign keys), and retention purges them like
-- events. Ids are ULIDs made at the record's time, so pages and time
-- ranges are id ranges. detail never holds a secret: field names, counts.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    at          INTEGER NOT NULL,
    tenant_id   TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_log_by_object ON audit_log (object_id, id);
