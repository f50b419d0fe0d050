package templates

// Destination types, as the webhook form's [destination_type] posts them
// (the API's destination.type).
const (
	DestHTTP     = "http"
	DestRabbitMQ = "rabbitmq"
	DestKafka    = "kafka"
	DestNATS     = "nats"
	DestRedis    = "redis"
)

// DestinationForm is the destination part of the webhook form. Without JS
// every field shows; the server reads the ones of the chosen type.
type DestinationForm struct {
	Type       string // [destination_type] one of the Dest* constants
	URL        string // [dest_url] broker URL (RabbitMQ, NATS, Redis), credentials masked when stored
	Exchange   string // [dest_exchange] RabbitMQ
	RoutingKey string // [dest_routing_key] RabbitMQ
	Brokers    string // [dest_brokers] Kafka, host:port one per line (commas also split)
	Topic      string // [dest_topic] Kafka
	Subject    string // [dest_subject] NATS
	Stream     string // [dest_stream] Redis
	MaxLen     string // [dest_max_len] Redis, empty = unbounded
}

// DestinationView is a webhook's destination, for display.
type DestinationView struct {
	Type  string   // one of the Dest* constants
	URL   string   // the broker URL, credentials masked
	Lines []Header // what else names the target: exchange, topic…
}

// IsHTTP reports whether the destination is an HTTP URL.
func (d DestinationView) IsHTTP() bool { return d.Type == "" || d.Type == DestHTTP }

// destinationLabel names a destination type for people.
func destinationLabel(t string) string {
	switch t {
	case DestRabbitMQ:
		return "RabbitMQ"
	case DestKafka:
		return "Kafka"
	case DestNATS:
		return "NATS JetStream"
	case DestRedis:
		return "Redis Stream"
	}
	return "HTTPS endpoint"
}

// testLabel is what the Test button and card of a webhook say.
func testLabel(d DestinationView) string {
	if d.IsHTTP() {
		return "Test URL"
	}
	return "Test destination"
}
