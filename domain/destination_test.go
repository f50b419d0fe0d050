package domain

import (
	"errors"
	"strings"
	"testing"
)

// allowAll and refusePrivate stand for the engine's network policy.
func allowAll(string) error { return nil }

func refuseLoopback(host string) error {
	if host == "127.0.0.1" || host == "localhost" {
		return errors.New(host + " is a loopback address")
	}
	return nil
}

func TestDestinationValidation(t *testing.T) {
	tests := []struct {
		name  string
		d     Destination
		host  func(string) error
		field string // "" = valid
	}{
		{"http by default", Destination{}, allowAll, ""},
		{"rabbitmq", Destination{Type: "rabbitmq", URL: "amqp://u:p@mq.example:5672/vh", Exchange: "orders", RoutingKey: "placed"}, allowAll, ""},
		{"rabbitmq default exchange", Destination{Type: "rabbitmq", URL: "amqps://mq.example", RoutingKey: "q"}, allowAll, ""},
		{"rabbitmq neither exchange nor key", Destination{Type: "rabbitmq", URL: "amqp://mq.example"}, allowAll, "destination.routingKey"},
		{"rabbitmq wrong scheme", Destination{Type: "rabbitmq", URL: "https://mq.example", RoutingKey: "q"}, allowAll, "destination.url"},
		{"rabbitmq no url", Destination{Type: "rabbitmq", RoutingKey: "q"}, allowAll, "destination.url"},
		{"rabbitmq bad port", Destination{Type: "rabbitmq", URL: "amqp://mq.example:99999", RoutingKey: "q"}, allowAll, "destination.url"},
		{"rabbitmq loopback refused", Destination{Type: "rabbitmq", URL: "amqp://127.0.0.1:5672", RoutingKey: "q"}, refuseLoopback, "destination.url"},
		{"kafka", Destination{Type: "kafka", Brokers: []string{"k1.example:9092", "k2.example:9092"}, Topic: "orders"}, allowAll, ""},
		{"kafka no brokers", Destination{Type: "kafka", Topic: "orders"}, allowAll, "destination.brokers"},
		{"kafka broker without port", Destination{Type: "kafka", Brokers: []string{"k1.example"}, Topic: "orders"}, allowAll, "destination.brokers[0]"},
		{"kafka loopback broker refused", Destination{Type: "kafka", Brokers: []string{"k1.example:9092", "localhost:9092"}, Topic: "t"}, refuseLoopback, "destination.brokers[1]"},
		{"kafka bad topic", Destination{Type: "kafka", Brokers: []string{"k1.example:9092"}, Topic: "a/b"}, allowAll, "destination.topic"},
		{"kafka no topic", Destination{Type: "kafka", Brokers: []string{"k1.example:9092"}}, allowAll, "destination.topic"},
		{"nats", Destination{Type: "nats", URL: "nats://token@n.example:4222", Subject: "orders.placed"}, allowAll, ""},
		{"nats wildcard subject", Destination{Type: "nats", URL: "nats://n.example:4222", Subject: "orders.*"}, allowAll, "destination.subject"},
		{"nats no subject", Destination{Type: "nats", URL: "nats://n.example:4222"}, allowAll, "destination.subject"},
		{"redis", Destination{Type: "redis", URL: "redis://:pw@r.example:6379/0", Stream: "orders", MaxLen: 1000}, allowAll, ""},
		{"redis negative maxLen", Destination{Type: "redis", URL: "redis://r.example", Stream: "s", MaxLen: -1}, allowAll, "destination.maxLen"},
		{"redis no stream", Destination{Type: "redis", URL: "redis://r.example"}, allowAll, "destination.stream"},
		{"unknown type", Destination{Type: "sqs"}, allowAll, "destination.type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			err := d.normalize(tt.host)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("normalize: %v", err)
				}
				return
			}
			var de *Error
			if !errors.As(err, &de) || de.Field != tt.field {
				t.Fatalf("normalize = %v, want an error on %s", err, tt.field)
			}
			if strings.Contains(de.Message, ":p@") || strings.Contains(de.Message, "pw@") {
				t.Errorf("message %q shows credentials", de.Message)
			}
		})
	}
}

func TestBrokerEndpointURLIsItsTargetWithoutCredentials(t *testing.T) {
	e := &Endpoint{URL: "https://old.example/hook", Topics: []string{"*"},
		Destination: Destination{Type: "rabbitmq", URL: "amqp://user:s3cret@mq.example:5672/vh", Exchange: "orders", RoutingKey: "placed"}}
	c := Checks{URL: func(string) (string, error) { return "", errors.New("not called for brokers") }, Host: allowAll, Template: func(string) error { return nil }}
	if err := ValidateEndpoint(e, c); err != nil {
		t.Fatal(err)
	}
	if want := "amqp://mq.example:5672/vh?exchange=orders&routingKey=placed"; e.URL != want {
		t.Errorf("URL = %q, want %q", e.URL, want)
	}
	if e.Name != "mq.example:5672" {
		t.Errorf("Name = %q", e.Name)
	}
}

func TestMaskURL(t *testing.T) {
	for raw, want := range map[string]string{
		"amqp://user:s3cret@mq.example:5672/vh": "amqp://user:••••@mq.example:5672/vh",
		"nats://tok3n@n.example:4222":           "nats://••••@n.example:4222",
		"redis://:pw@r.example:6379/0":          "redis://:••••@r.example:6379/0",
		"redis://r.example:6379/0":              "redis://r.example:6379/0",
		"amqp://mq.example/vh@x":                "amqp://mq.example/vh@x",
	} {
		if got := MaskURL(raw); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestUnmaskURLKeepsTheStoredCredentials(t *testing.T) {
	stored := "amqp://user:s3cret@mq.example:5672/vh"
	if got, err := UnmaskURL(MaskURL(stored), stored); err != nil || got != stored {
		t.Errorf("UnmaskURL(masked) = %q, %v", got, err)
	}
	if got, err := UnmaskURL("amqp://other:pw@mq.example/", stored); err != nil || got != "amqp://other:pw@mq.example/" {
		t.Errorf("UnmaskURL(new) = %q, %v", got, err)
	}
	if _, err := UnmaskURL("amqp://user:••••@elsewhere.example/", stored); err == nil {
		t.Error("a masked URL for another host was accepted")
	}
}

func TestMaskURLLeavesWhatHasNoUserInfo(t *testing.T) {
	for _, raw := range []string{
		"mq.example:5672",           // no scheme
		"user:pw@mq.example",        // no scheme either: not read as user info
		"nats://n.example:4222?a=@", // the @ is in the query
		"redis://r.example#x@y",     // the @ is in the fragment
		"",
	} {
		if got := MaskURL(raw); got != raw {
			t.Errorf("MaskURL(%q) = %q, want it unchanged", raw, got)
		}
	}
}

func TestTargetStripsUserInfo(t *testing.T) {
	tests := []struct {
		d    Destination
		want string
	}{
		{Destination{Type: "rabbitmq", URL: "amqp://user:s3cret@mq.example:5672/vh", Exchange: "orders", RoutingKey: "placed"}, "amqp://mq.example:5672/vh?exchange=orders&routingKey=placed"},
		{Destination{Type: "nats", URL: "nats://tok3n@n.example:4222", Subject: "orders.placed"}, "nats://n.example:4222?subject=orders.placed"},
		{Destination{Type: "redis", URL: "redis://:pw@r.example:6379/0?protocol=3", Stream: "s"}, "redis://r.example:6379/0?protocol=3&stream=s"},
		{Destination{Type: "redis", URL: "redis://r.example:6379/0", Stream: "s"}, "redis://r.example:6379/0?stream=s"},
		{Destination{Type: "nats", URL: "nats://n.example/x@y", Subject: "a"}, "nats://n.example/x@y?subject=a"},
		{Destination{Type: "kafka", Brokers: []string{"k1.example:9092", "k2.example:9092"}, Topic: "orders"}, "kafka://k1.example:9092,k2.example:9092/?topic=orders"},
		{Destination{Type: "http"}, ""},
	}
	for _, tt := range tests {
		if got := tt.d.Target(); got != tt.want {
			t.Errorf("Target(%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
