-- The dashboard reads the attempts of the last hour or day. Without this
-- index that is a scan of every attempt ever made; with it, a range scan
-- that reads only the window's rows, from the index alone except for the
-- delivery it joins to for the tenant.
CREATE INDEX attempts_by_started ON attempts (started_at, delivery_id, status_code, duration_ms);
