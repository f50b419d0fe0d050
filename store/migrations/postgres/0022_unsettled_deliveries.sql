-- Deliveries by status now index only those not succeeded: pending,
-- retrying, awaiting a callback, failed. Nearly every delivery ends
-- succeeded, and moving each from (…, 'pending', id) to (…, 'succeeded', id)
-- in two indexes was about a fifth of the database's CPU per delivery
-- (issue 19). Succeeded deliveries, nearly every row, are listed through
-- deliveries_by_endpoint and deliveries_by_tenant. SQLite uses a partial
-- index only for a query that repeats its condition, so the queries that
-- look for these statuses say status <> 'succeeded' (store/deliveries.go).
DROP INDEX deliveries_by_endpoint_status;
DROP INDEX deliveries_by_tenant_status;
CREATE INDEX deliveries_unsettled_by_endpoint ON deliveries (endpoint_id, status, id) WHERE status <> 'succeeded';
CREATE INDEX deliveries_unsettled_by_tenant ON deliveries (tenant_id, status, id) WHERE status <> 'succeeded';

-- The dashboard's recent attempts are read through the attempts' primary
-- key, whose ids are made as each attempt is recorded, in time order
-- (store/uistats.go); a third index on attempts no longer pays its way
-- on every attempt recorded.
DROP INDEX attempts_by_started;
