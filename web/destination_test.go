package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

const brokerURL = "amqp://hooks:brokerpassw0rd@mq.example:5672/vh"

func rabbitDestination(url string) map[string]any {
	return map[string]any{"type": "rabbitmq", "url": url, "exchange": "orders", "routingKey": "placed"}
}

func TestAPIBrokerDestinationIsMaskedAndKeptOnEdit(t *testing.T) {
	s := newTestServer(t, devPolicy)
	created := s.createWebhook(s.key, map[string]any{"events": []string{"*"}, "destination": rabbitDestination(brokerURL)})
	if created.Destination.Type != "rabbitmq" || created.Destination.URL != "amqp://hooks:••••@mq.example:5672/vh" {
		t.Fatalf("created destination = %+v, want the URL masked", created.Destination)
	}
	if created.URL != "amqp://mq.example:5672/vh?exchange=orders&routingKey=placed" {
		t.Errorf("url = %q, want the target without credentials", created.URL)
	}
	var got map[string]any
	resp := s.do("GET", "/api/v1/webhooks/"+created.ID, s.key, nil, &got)
	mustStatus(t, resp, http.StatusOK)
	body, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(body), "brokerpassw0rd") {
		t.Fatalf("GET shows the broker password: %s", body)
	}

	// A PATCH that sends the masked URL back keeps the password.
	d := rabbitDestination(created.Destination.URL)
	d["routingKey"] = "changed"
	var patched webhookJSON
	mustStatus(t, s.do("PATCH", "/api/v1/webhooks/"+created.ID, s.key, map[string]any{"destination": d}, &patched), http.StatusOK)
	var creds credentialsJSON
	mustStatus(t, s.do("GET", "/api/v1/webhooks/"+created.ID+"/credentials", s.key, nil, &creds), http.StatusOK)
	if creds.DestinationURL != brokerURL {
		t.Errorf("credentials destinationUrl = %q, want %q", creds.DestinationURL, brokerURL)
	}
	if patched.Destination.RoutingKey != "changed" {
		t.Errorf("routingKey = %q", patched.Destination.RoutingKey)
	}

	// Back to HTTP: the url is required again.
	resp = s.do("PATCH", "/api/v1/webhooks/"+created.ID, s.key, map[string]any{"destination": map[string]any{"type": "http"}}, nil)
	mustStatus(t, resp, http.StatusUnprocessableEntity)
}

func TestAPIDestinationErrorsNameTheField(t *testing.T) {
	s := newTestServer(t) // not --dev: private broker hosts are refused
	for name, tc := range map[string]struct {
		dest  map[string]any
		field string
	}{
		"loopback broker":  {rabbitDestination("amqp://u:p@127.0.0.1:5672/"), "destination.url"},
		"wrong scheme":     {rabbitDestination("https://mq.example/"), "destination.url"},
		"kafka no brokers": {map[string]any{"type": "kafka", "topic": "t"}, "destination.brokers"},
		"private kafka":    {map[string]any{"type": "kafka", "brokers": []string{"10.0.0.1:9092"}, "topic": "t"}, "destination.brokers[0]"},
		"unknown type":     {map[string]any{"type": "sqs"}, "destination.type"},
	} {
		t.Run(name, func(t *testing.T) {
			var e errorBody
			resp := s.do("POST", "/api/v1/webhooks", s.key, map[string]any{"events": []string{"*"}, "destination": tc.dest}, &e)
			mustStatus(t, resp, http.StatusUnprocessableEntity)
			if len(e.Error.Details) != 1 || e.Error.Details[0].Field != tc.field {
				t.Errorf("error %+v, want field %s", e.Error, tc.field)
			}
			if strings.Contains(e.Error.Message, "u:p@") {
				t.Errorf("message shows credentials: %s", e.Error.Message)
			}
		})
	}
}
