package delivery_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"hooks/delivery"
	"hooks/domain"
)

// natsStream creates a stream that captures subject.
func natsStream(t *testing.T, url, name, subject string) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if nc, err := nats.Connect(url); err == nil {
			if js, err := jetstream.New(nc); err == nil {
				js.DeleteStream(context.Background(), name)
			}
			nc.Close()
		}
	})
}

// natsMessages returns the messages of a stream, and their webhook ids with counts.
func natsMessages(t *testing.T, url, name string) (map[string]int, []*jetstream.RawStreamMsg) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	var msgs []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
		ids[m.Header.Get("X-Hooks-Webhook-Id")]++
	}
	return ids, msgs
}

func TestNATSSenderPublishesToJetStreamWithTheDeliveryAsMsgID(t *testing.T) {
	url := brokerEnv(t, "HOOKS_TEST_NATS_URL")
	name := "HOOKS_TEST_" + strconv.Itoa(freePort(t))
	subject := "hooks.test." + name
	natsStream(t, url, name, subject)
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationNATS, URL: url, Subject: subject})
	r.post(3)
	r.waitSucceeded(3, 20*time.Second)
	ids, msgs := natsMessages(t, url, name)
	if len(msgs) != 3 {
		t.Fatalf("stream holds %d messages, want 3", len(msgs))
	}
	for _, id := range r.deliveryIDs() {
		if ids[id] != 1 {
			t.Errorf("delivery %s is in the stream %d times", id, ids[id])
		}
	}
	m := msgs[0]
	if got, want := m.Header.Get("Nats-Msg-Id"), m.Header.Get("X-Hooks-Webhook-Id"); got == "" || got != want {
		t.Errorf("Nats-Msg-Id = %q, want the delivery id %q", got, want)
	}
	for _, h := range []string{"Webhook-Signature", "Webhook-Timestamp", "X-Hooks-Topic"} {
		if m.Header.Get(h) == "" {
			t.Errorf("message has no header %s: %v", h, m.Header)
		}
	}
	if !strings.Contains(string(m.Data), `"pad"`) {
		t.Errorf("body = %s, want the event's payload", m.Data)
	}

	res, err := r.engine.SendTest(context.Background(), r.hook, delivery.TestEvent{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success || res.StatusCode != 202 || !strings.Contains(res.ResponseBody, "stream "+name) {
		t.Errorf("Test destination = %+v", res)
	}
}

func TestNATSSenderFailsWhenNoStreamCapturesTheSubject(t *testing.T) {
	url := brokerEnv(t, "HOOKS_TEST_NATS_URL")
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationNATS, URL: url, Subject: "hooks.nobody.listens"})
	res, err := r.engine.SendTest(context.Background(), r.hook, delivery.TestEvent{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Success || !strings.Contains(res.Error, "no JetStream stream captures") {
		t.Errorf("Test destination = %+v, want a failure naming the missing stream", res)
	}
}

func TestNATSSenderLosesNothingWhenTheServerIsKilled(t *testing.T) {
	brokerEnv(t, "HOOKS_TEST_NATS_URL")
	port := freePort(t)
	srv := startServer(t, port, "nats-server", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", t.TempDir())
	url := "nats://127.0.0.1:" + strconv.Itoa(port)
	natsStream(t, url, "ORDERS", "orders.placed")
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationNATS, URL: url, Subject: "orders.placed"})
	deliverThroughOutage(t, r, 300, srv.kill, srv.start, func() map[string]int {
		ids, _ := natsMessages(t, url, "ORDERS")
		return ids
	})
}
