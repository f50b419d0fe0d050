-- Parking holds (park.go): while an endpoint has parked deliveries, ingest
-- stores its new deliveries parked too, under the hold's lease owner, until
-- held_until at the latest. The hold lives here rather than in a process's
-- memory so that every instance sharing a database honours it, and a
-- hold's row lock orders ingest against the unpark that ends it.
CREATE TABLE endpoint_holds (
    endpoint_id TEXT COLLATE "C" PRIMARY KEY REFERENCES endpoints(id) ON DELETE CASCADE,
    lease_owner TEXT NOT NULL,
    held_until  BIGINT NOT NULL
);
