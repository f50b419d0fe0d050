-- From this version on, endpoints.headers and endpoints.metadata hold their
-- JSON sealed under the master key ("enc1:…") when hooks runs with one, as
-- endpoints.secret does. SQL can't encrypt: Open seals the rows written
-- before in Go (sealEndpointFields in store/crypt.go). The version exists
-- so that an older hooks, which would read those columns as plain JSON,
-- refuses this database at start instead of failing on every endpoint.
UPDATE endpoints SET headers = headers WHERE 1 = 0;
