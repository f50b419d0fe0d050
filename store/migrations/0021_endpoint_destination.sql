-- Destinations beyond HTTP: an endpoint's destination (RabbitMQ, Kafka,
-- NATS, Redis) as JSON, sealed under the master key ("enc1:…") when hooks
-- runs with one, since a broker URL carries credentials. Empty is the
-- HTTP destination, which posts to the url column as before.
ALTER TABLE endpoints ADD COLUMN destination TEXT NOT NULL DEFAULT '';
