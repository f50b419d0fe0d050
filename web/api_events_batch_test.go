package web

import (
	"fmt"
	"hooks/domain"
	"hooks/service"
	"net/http"
	"strings"
	"testing"
)

type batchAnswer struct {
	Data []eventAccepted `json:"data"`
}

func TestEventBatchStoresEachEventWithItsDeliveriesInOrder(t *testing.T) {
	s := newTestServer(t, devPolicy)
	s.createWebhook(s.key, map[string]any{"url": "https://example.com/orders", "events": []string{"orders/*"}})
	s.createWebhook(s.key, map[string]any{"url": "https://example.com/all", "events": []string{"*"}})

	var first batchAnswer
	mustStatus(t, s.do("POST", "/api/v1/events/batch", s.key, `{"events":[
		{"topic":"orders/placed","data":{"n":1},"idempotencyKey":"a"},
		{"topic":"users/created","data":{"n":2},"idempotencyKey":"b"},
		{"topic":"orders/updated","subTopic":"product:adv/adv-120","data":{"n":3}}]}`, &first), http.StatusAccepted)
	if len(first.Data) != 3 {
		t.Fatalf("answer has %d events, want 3", len(first.Data))
	}
	for i, want := range []int{2, 1, 2} {
		if e := first.Data[i]; !strings.HasPrefix(e.ID, domain.PrefixEvent) || e.Deliveries != want {
			t.Errorf("event %d: %+v, want an evt_ id and %d deliveries", i, e, want)
		}
	}
	for i, e := range first.Data {
		var got eventJSON
		mustStatus(t, s.do("GET", "/api/v1/events/"+e.ID, s.key, nil, &got), http.StatusOK)
		if string(got.Data) != fmt.Sprintf(`{"n":%d}`, i+1) || len(got.Deliveries) != e.Deliveries {
			t.Errorf("event %d stored as %s with %d deliveries", i, got.Data, len(got.Deliveries))
		}
	}

	// A second batch that repeats key "a" gets the first event back for it,
	// creates the rest, and stores no second copy.
	var second batchAnswer
	mustStatus(t, s.do("POST", "/api/v1/events/batch", s.key, `{"events":[
		{"topic":"orders/placed","data":{"n":9},"idempotencyKey":"a"},
		{"topic":"orders/placed","data":{"n":4},"idempotencyKey":"c"}]}`, &second), http.StatusAccepted)
	if second.Data[0].ID != first.Data[0].ID || second.Data[1].ID == first.Data[0].ID {
		t.Errorf("replayed ids %s, %s; first batch had %s", second.Data[0].ID, second.Data[1].ID, first.Data[0].ID)
	}
	var list struct{ Data []eventJSON }
	mustStatus(t, s.do("GET", "/api/v1/events?limit=250", s.key, nil, &list), http.StatusOK)
	if len(list.Data) != 4 {
		t.Errorf("%d events stored, want 4", len(list.Data))
	}
}

func TestEventBatchWithABadEventStoresNothing(t *testing.T) {
	s := newTestServer(t, devPolicy)
	s.createWebhook(s.key, map[string]any{"url": "https://example.com/all", "events": []string{"*"}})
	for name, body := range map[string]string{
		"bad topic":     `{"events":[{"topic":"ok"},{"topic":"has space"}]}`,
		"no topic":      `{"events":[{"topic":"ok"},{"data":{}}]}`,
		"long key":      `{"events":[{"topic":"ok","idempotencyKey":"` + strings.Repeat("k", service.MaxIdempotencyKey+1) + `"}]}`,
		"empty":         `{"events":[]}`,
		"unknown field": `{"events":[{"topic":"ok","colour":"red"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			mustStatus(t, s.do("POST", "/api/v1/events/batch", s.key, body, nil), http.StatusUnprocessableEntity)
		})
	}
	var list struct{ Data []eventJSON }
	mustStatus(t, s.do("GET", "/api/v1/events", s.key, nil, &list), http.StatusOK)
	if len(list.Data) != 0 {
		t.Errorf("%d events stored from rejected batches", len(list.Data))
	}
}

func TestEventBatchTakesAThousandKiBEventsAndNoMore(t *testing.T) {
	s := newTestServer(t, devPolicy)
	s.createWebhook(s.key, map[string]any{"url": "https://example.com/all", "events": []string{"*"}})
	batch := func(n int) string {
		data := `{"pad":"` + strings.Repeat("x", 1000) + `"}`
		var b strings.Builder
		b.WriteString(`{"events":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"topic":"t","data":%s,"idempotencyKey":"k%d"}`, data, i)
		}
		b.WriteString(`]}`)
		return b.String()
	}
	var out batchAnswer
	mustStatus(t, s.do("POST", "/api/v1/events/batch", s.key, batch(MaxBatchEvents), &out), http.StatusAccepted)
	if len(out.Data) != MaxBatchEvents {
		t.Errorf("%d events accepted, want %d", len(out.Data), MaxBatchEvents)
	}
	mustStatus(t, s.do("POST", "/api/v1/events/batch", s.key, batch(MaxBatchEvents+1), nil), http.StatusUnprocessableEntity)
	// The single-event route keeps the usual body limit.
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"t","data":"`+strings.Repeat("x", 2<<20)+`"}`, nil),
		http.StatusRequestEntityTooLarge)
}
