package delivery_test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"hooks/delivery"
	"hooks/domain"
)

// rabbitQueue declares a durable direct exchange and a durable queue bound
// to it with key, both removed after the test.
func rabbitQueue(t *testing.T, url, exchange, queue, key string) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare(exchange, "direct", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(queue, key, exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if conn, err := amqp.Dial(url); err == nil {
			if ch, err := conn.Channel(); err == nil {
				ch.QueueDelete(queue, false, false, false)
				ch.ExchangeDelete(exchange, false, false)
			}
			conn.Close()
		}
	})
}

// rabbitMessages takes every message off queue, and returns their webhook
// ids with counts.
func rabbitMessages(t *testing.T, url, queue string) (map[string]int, []amqp.Delivery) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	var msgs []amqp.Delivery
	for {
		m, ok, err := ch.Get(queue, true)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return ids, msgs
		}
		msgs = append(msgs, m)
		id, _ := m.Headers["X-Hooks-Webhook-Id"].(string)
		ids[id]++
	}
}

// rabbitName returns a name unique to this test run.
func rabbitName(t *testing.T, what string) string {
	return "hooks-test-" + what + "-" + strconv.Itoa(freePort(t))
}

func TestRabbitMQSenderPublishesConfirmedWithHeaders(t *testing.T) {
	url := brokerEnv(t, "HOOKS_TEST_AMQP_URL")
	exchange, queue := rabbitName(t, "x"), rabbitName(t, "q")
	rabbitQueue(t, url, exchange, queue, "orders.placed")
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationRabbitMQ, URL: url, Exchange: exchange, RoutingKey: "orders.placed"})
	r.post(3)
	r.waitSucceeded(3, 20*time.Second)
	ids, msgs := rabbitMessages(t, url, queue)
	if len(msgs) != 3 {
		t.Fatalf("queue held %d messages, want 3", len(msgs))
	}
	for _, id := range r.deliveryIDs() {
		if ids[id] != 1 {
			t.Errorf("delivery %s is in the queue %d times", id, ids[id])
		}
	}
	m := msgs[0]
	if m.MessageId == "" || m.MessageId != m.Headers["X-Hooks-Webhook-Id"] {
		t.Errorf("message id = %q, want the delivery id %v", m.MessageId, m.Headers["X-Hooks-Webhook-Id"])
	}
	if m.DeliveryMode != amqp.Persistent || m.ContentType != "application/json" {
		t.Errorf("delivery mode %d, content type %q", m.DeliveryMode, m.ContentType)
	}
	for _, h := range []string{"Webhook-Signature", "Webhook-Timestamp", "X-Hooks-Topic"} {
		if m.Headers[h] == nil {
			t.Errorf("message has no header %s: %v", h, m.Headers)
		}
	}
	if !strings.Contains(string(m.Body), `"pad"`) {
		t.Errorf("body = %s, want the event's payload", m.Body)
	}

	res, err := r.engine.SendTest(context.Background(), r.hook, delivery.TestEvent{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success || res.StatusCode != 202 || !strings.Contains(res.ResponseBody, "confirmed") {
		t.Errorf("Test destination = %+v", res)
	}
}

func TestRabbitMQUnroutableMessageIsAFailedAttempt(t *testing.T) {
	url := brokerEnv(t, "HOOKS_TEST_AMQP_URL")
	exchange, queue := rabbitName(t, "x"), rabbitName(t, "q")
	rabbitQueue(t, url, exchange, queue, "bound")
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationRabbitMQ, URL: url, Exchange: exchange, RoutingKey: "not.bound"})
	res, err := r.engine.SendTest(context.Background(), r.hook, delivery.TestEvent{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Success || res.StatusCode != 0 || !strings.Contains(res.Error, "unroutable") {
		t.Errorf("Test destination = %+v, want an unroutable failure", res)
	}
	// Fixed, the destination works.
	fixed := *r.hook
	fixed.Destination.RoutingKey = "bound"
	fixed.UpdatedAt = fixed.UpdatedAt.Add(time.Millisecond)
	if res, err := r.engine.SendTest(context.Background(), &fixed, delivery.TestEvent{}); err != nil || !res.Success {
		t.Errorf("Test destination after the fix = %+v, %v", res, err)
	}
}

func TestRabbitMQMissingExchangeSaysSo(t *testing.T) {
	url := brokerEnv(t, "HOOKS_TEST_AMQP_URL")
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationRabbitMQ, URL: url, Exchange: rabbitName(t, "missing"), RoutingKey: "k"})
	res, err := r.engine.SendTest(context.Background(), r.hook, delivery.TestEvent{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Success || !strings.Contains(res.Error, "NOT_FOUND") || strings.Contains(res.Error, "guest:guest") {
		t.Errorf("Test destination = %+v, want the broker's NOT_FOUND without credentials", res)
	}
}

// The outage test stops a RabbitMQ node of its own (HOOKS_TEST_AMQP_OUTAGE_URL),
// not the one other tests share, which may be in use by another package's
// tests at the same moment.
func TestRabbitMQSenderLosesNothingWhenTheBrokerStops(t *testing.T) {
	url := brokerEnv(t, "HOOKS_TEST_AMQP_OUTAGE_URL")
	ctl := brokerEnv(t, "HOOKS_TEST_AMQP_OUTAGE_CTL")
	exchange, queue := rabbitName(t, "x"), rabbitName(t, "q")
	rabbitQueue(t, url, exchange, queue, "orders")
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ctl, args...).CombinedOutput(); err != nil {
			t.Fatalf("rabbitmqctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() { exec.Command(ctl, "start_app").Run() })
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationRabbitMQ, URL: url, Exchange: exchange, RoutingKey: "orders"})
	deliverThroughOutage(t, r, 300, func() { run("stop_app") }, func() { run("start_app"); run("await_startup") }, func() map[string]int {
		ids, _ := rabbitMessages(t, url, queue)
		return ids
	})
}
