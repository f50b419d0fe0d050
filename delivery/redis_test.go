package delivery_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hooks/delivery"
	"hooks/domain"
)

// redisStream returns the webhook ids of the entries of a stream, with counts.
func redisStream(t *testing.T, url, stream string) (map[string]int, []redis.XMessage) {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	entries, err := c.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, e := range entries {
		ids[e.Values["X-Hooks-Webhook-Id"].(string)]++
	}
	return ids, entries
}

func TestRedisSenderAddsTheEnvelopeAndHeadersToAStream(t *testing.T) {
	url := brokerEnv(t, "HOOKS_TEST_REDIS_URL")
	stream := "hooks-test-" + strconv.FormatInt(int64(freePort(t)), 10) + "-" + t.Name()
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationRedis, URL: url, Stream: stream})
	r.post(3)
	r.waitSucceeded(3, 20*time.Second)
	ids, entries := redisStream(t, url, stream)
	if len(entries) != 3 {
		t.Fatalf("stream holds %d entries, want 3", len(entries))
	}
	for _, id := range r.deliveryIDs() {
		if ids[id] != 1 {
			t.Errorf("delivery %s is on the stream %d times", id, ids[id])
		}
	}
	e := entries[0].Values
	var body map[string]any
	if err := json.Unmarshal([]byte(e["body"].(string)), &body); err != nil || body["pad"] == nil {
		t.Errorf("body field = %v (%v), want the event's payload", e["body"], err)
	}
	for _, field := range []string{"X-Hooks-Topic", "Webhook-Id", "Webhook-Signature", "Webhook-Timestamp", "Content-Type"} {
		if e[field] == nil {
			t.Errorf("entry has no field %s: %v", field, e)
		}
	}

	res, err := r.engine.SendTest(context.Background(), r.hook, delivery.TestEvent{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success || res.StatusCode != 202 || !strings.Contains(res.ResponseBody, "added to stream") {
		t.Errorf("Test destination = %+v", res)
	}
}

func TestRedisSenderTrimsTheStreamWithMaxLen(t *testing.T) {
	url := brokerEnv(t, "HOOKS_TEST_REDIS_URL")
	stream := "hooks-test-maxlen-" + strconv.Itoa(freePort(t))
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationRedis, URL: url, Stream: stream, MaxLen: 10})
	r.post(250)
	r.waitSucceeded(250, 30*time.Second)
	// MAXLEN ~ trims whole nodes of the stream (100 entries by default).
	if _, entries := redisStream(t, url, stream); len(entries) >= 250 {
		t.Errorf("stream holds %d entries: not trimmed", len(entries))
	}
}

func TestRedisSenderLosesNothingWhenRedisIsKilled(t *testing.T) {
	brokerEnv(t, "HOOKS_TEST_REDIS_URL")
	port := freePort(t)
	// appendfsync always: what Redis acknowledged survives SIGKILL.
	srv := startServer(t, port, "redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "yes", "--appendfsync", "always", "--dir", t.TempDir())
	url := "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"
	r := newBrokerRig(t, domain.Destination{Type: domain.DestinationRedis, URL: url, Stream: "orders"})
	deliverThroughOutage(t, r, 300, srv.kill, srv.start, func() map[string]int {
		ids, _ := redisStream(t, url, "orders")
		return ids
	})
}
