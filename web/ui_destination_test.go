package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"hooks/domain"
	"hooks/store"
)

const rabbitURL = brokerURL

// destinationForm is a create form for a broker destination of type typ.
func destinationForm(typ string) url.Values {
	brokerURL := map[string]string{"nats": "nats://tok3n@n.example:4222", "redis": "redis://:pw@r.example:6379/0"}[typ]
	if brokerURL == "" {
		brokerURL = rabbitURL
	}
	return url.Values{"name": {"Orders to the bus"}, "destination_type": {typ}, "url": {""}, "events": {"orders/*"},
		"enabled": {"on"}, "signing_scheme": {"standard-webhooks"}, "envelope": {"raw"}, "retry_schedule": {"exponential"},
		"max_attempts": {"5"}, "retry_on": {"default"}, "timeout": {"5"},
		// Without JS every destination field is posted; only the chosen type's count.
		"dest_url": {brokerURL}, "dest_exchange": {"orders"}, "dest_routing_key": {"placed"}, "dest_brokers": {"k1.example:9092\nk2.example:9092"},
		"dest_topic": {"orders"}, "dest_subject": {"orders.placed"}, "dest_stream": {"orders"}, "dest_max_len": {""}}
}

func TestUIWebhookFormSavesABrokerDestinationAndMasksItsCredentials(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("ada@example.com")

	newForm := c.get("/webhooks/new").want(t, http.StatusOK, "")
	if v, _ := newForm.doc.Find("#f-destination-type option[selected]").Attr("value"); v != "http" {
		t.Errorf("new form's destination = %q, want http", v)
	}
	if newForm.doc.Find("[data-dest='kafka'] #f-dest-brokers").Length() != 1 {
		t.Error("the form has no Kafka brokers field")
	}

	r := c.post("/webhooks", destinationForm("rabbitmq")).want(t, http.StatusSeeOther, "/webhooks/wbh_")
	id := strings.TrimPrefix(r.Header.Get("Location"), "/webhooks/")
	h, err := s.db.EndpointByID(context.Background(), domain.DefaultTenant, id)
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Destination{Type: "rabbitmq", URL: brokerURL, Exchange: "orders", RoutingKey: "placed"}
	if !h.Destination.Equal(want) {
		t.Fatalf("stored destination %+v, want %+v", h.Destination, want)
	}

	detail := c.get("/webhooks/"+id).want(t, http.StatusOK, "")
	if strings.Contains(detail.body, "brokerpassw0rd") {
		t.Fatal("the detail page shows the broker password")
	}
	if got := detail.doc.Find("#destination-type").Text(); got != "RabbitMQ" {
		t.Errorf("destination badge = %q", got)
	}
	if got := detail.doc.Find("#test-title").Text(); got != "Test destination" {
		t.Errorf("test card title = %q, want Test destination", got)
	}
	if got := detail.doc.Find("#destination").Text(); !strings.Contains(got, "amqp://hooks:••••@mq.example:5672/vh") || !strings.Contains(got, "placed") {
		t.Errorf("destination row = %q", got)
	}

	// The edit form shows the URL masked; saved as shown, it keeps the password.
	edit := c.get("/webhooks/"+id+"/edit").want(t, http.StatusOK, "")
	masked, _ := edit.doc.Find("#f-dest-url").Attr("value")
	if masked != "amqp://hooks:••••@mq.example:5672/vh" {
		t.Fatalf("edit form broker URL = %q", masked)
	}
	if v, _ := edit.doc.Find("#f-url").Attr("value"); v != "" {
		t.Errorf("edit form URL = %q, want empty for a broker", v)
	}
	form := destinationForm("rabbitmq")
	form.Set("dest_url", masked)
	form.Set("dest_routing_key", "changed")
	c.post("/webhooks/"+id, form).want(t, http.StatusSeeOther, "/webhooks/"+id)
	h, _ = s.db.EndpointByID(context.Background(), domain.DefaultTenant, id)
	if h.Destination.URL != brokerURL || h.Destination.RoutingKey != "changed" {
		t.Fatalf("after an edit: %+v", h.Destination)
	}

	// Kafka from the same form: the other fields are ignored.
	r = c.post("/webhooks", destinationForm("kafka")).want(t, http.StatusSeeOther, "/webhooks/wbh_")
	k, _ := s.db.EndpointByID(context.Background(), domain.DefaultTenant, strings.TrimPrefix(r.Header.Get("Location"), "/webhooks/"))
	if want := (domain.Destination{Type: "kafka", Brokers: []string{"k1.example:9092", "k2.example:9092"}, Topic: "orders"}); !k.Destination.Equal(want) {
		t.Errorf("kafka destination %+v", k.Destination)
	}
}

func TestUIWebhookFormShowsDestinationErrorsOnTheirFields(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("ada@example.com")
	for name, tc := range map[string]struct {
		typ, field, value, errorID string
	}{
		"bad broker url":   {"nats", "dest_url", "https://nats.example", "#f-dest-url-error"},
		"broker w/o port":  {"kafka", "dest_brokers", "k1.example", "#f-dest-brokers-error"},
		"no stream":        {"redis", "dest_stream", "", "#f-dest-stream-error"},
		"bad max length":   {"redis", "dest_max_len", "lots", "#f-dest-max-len-error"},
		"masked elsewhere": {"rabbitmq", "dest_url", "amqp://u:••••@other.example/", "#f-dest-url-error"},
	} {
		t.Run(name, func(t *testing.T) {
			form := destinationForm(tc.typ)
			form.Set(tc.field, tc.value)
			r := c.post("/webhooks", form).want(t, http.StatusUnprocessableEntity, "")
			if r.doc.Find(tc.errorID).Length() != 1 {
				t.Fatalf("no error at %s: %s", tc.errorID, pageText(r.doc))
			}
			if v, _ := r.doc.Find("#f-destination-type option[selected]").Attr("value"); v != tc.typ {
				t.Errorf("destination select = %q after an error, want %q", v, tc.typ)
			}
		})
	}
}

func TestUITestDestinationPublishesToRedis(t *testing.T) {
	redisURL := os.Getenv("HOOKS_TEST_REDIS_URL")
	if redisURL == "" {
		t.Skip("HOOKS_TEST_REDIS_URL is not set: run `eval \"$(bash .ci/brokers.sh)\"` to test against a real broker")
	}
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("ada@example.com")
	form := destinationForm("redis")
	form.Set("dest_url", redisURL)
	form.Set("dest_stream", "hooks-ui-test-"+t.Name())
	r := c.post("/webhooks", form).want(t, http.StatusSeeOther, "/webhooks/wbh_")
	id := strings.TrimPrefix(r.Header.Get("Location"), "/webhooks/")
	test := c.post("/webhooks/"+id+"/test", nil, "Accept", "application/json")
	if !strings.Contains(test.body, `"success":true`) || !strings.Contains(test.body, `"statusCode":202`) || !strings.Contains(test.body, "added to stream") {
		t.Fatalf("Test destination answered %s", test.body)
	}
}
