package delivery_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store/storetest"
)

// The Kafka sender is tested against franz-go's in-process kfake cluster,
// not a Kafka broker: Debian does not package Kafka.

// kafkaCluster starts a kfake cluster of three brokers on the given ports
// (0: any) with topic "orders", persisted in dir so that it can restart.
func kafkaCluster(t *testing.T, dir string, ports ...int) *kfake.Cluster {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(3), kfake.SeedTopics(3, "orders")}
	if dir != "" {
		opts = append(opts, kfake.DataDir(dir), kfake.SyncWrites())
	}
	if len(ports) > 0 {
		opts = append(opts, kfake.Ports(ports...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// kafkaRecords reads every record of topic "orders" and returns their
// webhook ids with counts.
func kafkaRecords(t *testing.T, brokers []string, want int) (map[string]int, []*kgo.Record) {
	t.Helper()
	c, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("orders"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ids := map[string]int{}
	var recs []*kgo.Record
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(ids) < want && ctx.Err() == nil {
		c.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			recs = append(recs, r)
			for _, h := range r.Headers {
				if h.Key == "X-Hooks-Webhook-Id" {
					ids[string(h.Value)]++
				}
			}
		})
	}
	return ids, recs
}

func TestKafkaSenderProducesWithHeadersAndTheDeliveryAsKey(t *testing.T) {
	storetest.SkipOnPostgres(t, "the broker senders do not depend on the database")
	cluster := kafkaCluster(t, "")
	defer cluster.Close()
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationKafka, Brokers: cluster.ListenAddrs(), Topic: "orders"})
	r.post(3)
	r.waitSucceeded(3, 20*time.Second)
	ids, recs := kafkaRecords(t, cluster.ListenAddrs(), 3)
	if len(recs) != 3 {
		t.Fatalf("topic holds %d records, want 3", len(recs))
	}
	for _, id := range r.deliveryIDs() {
		if ids[id] != 1 {
			t.Errorf("delivery %s is in the topic %d times", id, ids[id])
		}
	}
	rec := recs[0]
	headers := map[string]string{}
	for _, h := range rec.Headers {
		headers[h.Key] = string(h.Value)
	}
	if string(rec.Key) != headers["X-Hooks-Webhook-Id"] {
		t.Errorf("key = %q, want the delivery id %q", rec.Key, headers["X-Hooks-Webhook-Id"])
	}
	for _, h := range []string{"Webhook-Signature", "Webhook-Timestamp", "X-Hooks-Topic"} {
		if headers[h] == "" {
			t.Errorf("record has no header %s: %v", h, headers)
		}
	}
	if !strings.Contains(string(rec.Value), `"pad"`) {
		t.Errorf("value = %s, want the event's payload", rec.Value)
	}

	res, err := r.engine.SendTest(context.Background(), r.hook, delivery.TestEvent{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success || res.StatusCode != 202 || !strings.Contains(res.ResponseBody, "offset") {
		t.Errorf("Test destination = %+v", res)
	}
}

func TestKafkaSenderLosesNothingWhenTheClusterRestarts(t *testing.T) {
	storetest.SkipOnPostgres(t, "the broker senders do not depend on the database")
	dir := t.TempDir()
	ports := []int{freePort(t), freePort(t), freePort(t)}
	cluster := kafkaCluster(t, dir, ports...)
	t.Cleanup(func() { cluster.Close() })
	brokers := cluster.ListenAddrs()
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationKafka, Brokers: brokers, Topic: "orders"})
	deliverThroughOutage(t, r, 300, func() { cluster.Close() }, func() { cluster = kafkaCluster(t, dir, ports...) }, func() map[string]int {
		ids, _ := kafkaRecords(t, brokers, len(r.deliveryIDs()))
		return ids
	})
}
