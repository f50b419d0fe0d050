-- Delivery statistics (store/stats.go): per endpoint, the attempts that
-- started in each minute and each hour, added to as outcomes are recorded,
-- in the same transaction. Failures are counted by class, and latency as a
-- fixed histogram (latency_0 … latency_16, bounds in store/stats.go), so
-- hours and days are exact sums of minutes and quantiles come from summed
-- histograms. Minutes are kept 30 days, hours a year (delivery/upkeep).
CREATE TABLE stats_minutes (
    endpoint_id    TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    start          BIGINT NOT NULL,
    tenant_id      TEXT NOT NULL,
    attempts       BIGINT NOT NULL,
    succeeded      BIGINT NOT NULL,
    failed_timeout BIGINT NOT NULL,
    failed_network BIGINT NOT NULL,
    failed_4xx     BIGINT NOT NULL,
    failed_5xx     BIGINT NOT NULL,
    failed_other   BIGINT NOT NULL,
    latency_0      BIGINT NOT NULL,
    latency_1      BIGINT NOT NULL,
    latency_2      BIGINT NOT NULL,
    latency_3      BIGINT NOT NULL,
    latency_4      BIGINT NOT NULL,
    latency_5      BIGINT NOT NULL,
    latency_6      BIGINT NOT NULL,
    latency_7      BIGINT NOT NULL,
    latency_8      BIGINT NOT NULL,
    latency_9      BIGINT NOT NULL,
    latency_10     BIGINT NOT NULL,
    latency_11     BIGINT NOT NULL,
    latency_12     BIGINT NOT NULL,
    latency_13     BIGINT NOT NULL,
    latency_14     BIGINT NOT NULL,
    latency_15     BIGINT NOT NULL,
    latency_16     BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, start)
);
CREATE INDEX stats_minutes_by_tenant ON stats_minutes (tenant_id, start);
CREATE INDEX stats_minutes_by_start ON stats_minutes (start);

CREATE TABLE stats_hours (
    endpoint_id    TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    start          BIGINT NOT NULL,
    tenant_id      TEXT NOT NULL,
    attempts       BIGINT NOT NULL,
    succeeded      BIGINT NOT NULL,
    failed_timeout BIGINT NOT NULL,
    failed_network BIGINT NOT NULL,
    failed_4xx     BIGINT NOT NULL,
    failed_5xx     BIGINT NOT NULL,
    failed_other   BIGINT NOT NULL,
    latency_0      BIGINT NOT NULL,
    latency_1      BIGINT NOT NULL,
    latency_2      BIGINT NOT NULL,
    latency_3      BIGINT NOT NULL,
    latency_4      BIGINT NOT NULL,
    latency_5      BIGINT NOT NULL,
    latency_6      BIGINT NOT NULL,
    latency_7      BIGINT NOT NULL,
    latency_8      BIGINT NOT NULL,
    latency_9      BIGINT NOT NULL,
    latency_10     BIGINT NOT NULL,
    latency_11     BIGINT NOT NULL,
    latency_12     BIGINT NOT NULL,
    latency_13     BIGINT NOT NULL,
    latency_14     BIGINT NOT NULL,
    latency_15     BIGINT NOT NULL,
    latency_16     BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, start)
);
CREATE INDEX stats_hours_by_tenant ON stats_hours (tenant_id, start);
CREATE INDEX stats_hours_by_start ON stats_hours (start);

-- Backfill from the attempts already stored, so an upgraded install's
-- charts are not empty. The classes and buckets are those of
-- store.classifyAttempt and store.latencyBucket (TestStatsBackfillMatchesRecording).
INSERT INTO stats_minutes (endpoint_id, start, tenant_id, attempts, succeeded, failed_timeout, failed_network, failed_4xx, failed_5xx, failed_other, latency_0, latency_1, latency_2, latency_3, latency_4, latency_5, latency_6, latency_7, latency_8, latency_9, latency_10, latency_11, latency_12, latency_13, latency_14, latency_15, latency_16)
SELECT endpoint_id, start, tenant_id, COUNT(*), SUM(CASE WHEN class = 'ok' THEN 1 ELSE 0 END),
    SUM(CASE WHEN class = 'timeout' THEN 1 ELSE 0 END),
    SUM(CASE WHEN class = 'network' THEN 1 ELSE 0 END),
    SUM(CASE WHEN class = '4xx' THEN 1 ELSE 0 END),
    SUM(CASE WHEN class = '5xx' THEN 1 ELSE 0 END),
    SUM(CASE WHEN class = 'other' THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 0 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 1 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 2 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 3 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 4 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 5 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 6 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 7 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 8 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 9 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 10 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 11 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 12 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 13 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 14 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 15 THEN 1 ELSE 0 END),
    SUM(CASE WHEN bucket = 16 THEN 1 ELSE 0 END)
FROM (SELECT d.endpoint_id, d.tenant_id, a.started_at / 60000 * 60000 AS start,
        CASE WHEN a.status_code >= 200 AND a.status_code < 300 AND a.error = '' THEN 'ok'
            WHEN a.status_code >= 500 THEN '5xx'
            WHEN a.status_code >= 400 THEN '4xx'
            WHEN a.status_code = 0 AND substr(a.error, 1, 9) = 'timed out' THEN 'timeout'
            WHEN a.status_code = 0 AND a.request_headers <> 'null' THEN 'network'
            ELSE 'other' END AS class,
        CASE WHEN a.duration_ms < 5 THEN 0 WHEN a.duration_ms < 10 THEN 1 WHEN a.duration_ms < 20 THEN 2 WHEN a.duration_ms < 35 THEN 3
             WHEN a.duration_ms < 50 THEN 4 WHEN a.duration_ms < 75 THEN 5 WHEN a.duration_ms < 100 THEN 6 WHEN a.duration_ms < 150 THEN 7
             WHEN a.duration_ms < 250 THEN 8 WHEN a.duration_ms < 400 THEN 9 WHEN a.duration_ms < 600 THEN 10 WHEN a.duration_ms < 1000 THEN 11
             WHEN a.duration_ms < 2500 THEN 12 WHEN a.duration_ms < 5000 THEN 13 WHEN a.duration_ms < 10000 THEN 14 WHEN a.duration_ms < 30000 THEN 15
             ELSE 16 END AS bucket
    FROM attempts a JOIN deliveries d ON d.id = a.delivery_id) AS classified
GROUP BY endpoint_id, tenant_id, start;

INSERT INTO stats_hours (endpoint_id, start, tenant_id, attempts, succeeded, failed_timeout, failed_network, failed_4xx, failed_5xx, failed_other, latency_0, latency_1, latency_2, latency_3, latency_4, latency_5, latency_6, latency_7, latency_8, latency_9, latency_10, latency_11, latency_12, latency_13, latency_14, latency_15, latency_16)
SELECT endpoint_id, start / 3600000 * 3600000, tenant_id, SUM(attempts), SUM(succeeded), SUM(failed_timeout), SUM(failed_network), SUM(failed_4xx), SUM(failed_5xx), SUM(failed_other), SUM(latency_0), SUM(latency_1), SUM(latency_2), SUM(latency_3), SUM(latency_4), SUM(latency_5), SUM(latency_6), SUM(latency_7), SUM(latency_8), SUM(latency_9), SUM(latency_10), SUM(latency_11), SUM(latency_12), SUM(latency_13), SUM(latency_14), SUM(latency_15), SUM(latency_16)
FROM stats_minutes GROUP BY endpoint_id, tenant_id, start / 3600000 * 3600000;
