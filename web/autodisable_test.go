package web

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hooks/delivery/upkeep"
	"hooks/domain"
)

// TestAutoDisableThroughTheAPI runs the whole story over the API: an
// endpoint whose deliveries keep failing is disabled by upkeep, the API
// shows why and when, an operator's endpoint subscribed to the operational
// topics hears about it, re-enabling sends nothing old again, and Recover
// does.
func TestAutoDisableThroughTheAPI(t *testing.T) {
	s := newTestServer(t, devPolicy)
	ctx := context.Background()
	broken := newReceiver(t, 500, 500, 500) // then 200, once it is fixed
	hook := s.createWebhook(s.key, map[string]any{"url": broken.srv.URL, "events": []string{"orders/*"},
		"retry": map[string]any{"maxAttempts": 1}})
	ops := newReceiver(t)
	s.createWebhook(s.key, map[string]any{"url": ops.srv.URL,
		"events": []string{upkeep.TopicEndpointDisabled, upkeep.TopicDeliveryExhausted}})

	u := upkeep.New(s.db, upkeep.Config{MaxExhausted: 3, FailingPeriod: -1, Wake: s.engine.Wake,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := u.AnnounceExhausted(ctx); err != nil { // start the cursor before the failures
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	var deliveries []string
	for range 3 {
		var e eventAccepted
		mustStatus(t, s.do("POST", "/api/v1/events", s.key, map[string]string{"topic": "orders/placed"}, &e), 202)
		var ev eventJSON
		s.do("GET", "/api/v1/events/"+e.ID, s.key, nil, &ev)
		deliveries = append(deliveries, ev.Deliveries[0].ID)
	}
	for _, id := range deliveries {
		s.waitDelivery(id, domain.StatusFailed, 10*time.Second)
	}
	if err := u.AnnounceExhausted(ctx); err != nil {
		t.Fatal(err)
	}
	if err := u.DisableFailing(ctx); err != nil {
		t.Fatal(err)
	}

	var got webhookJSON
	mustStatus(t, s.do("GET", "/api/v1/webhooks/"+hook.ID, s.key, nil, &got), 200)
	if got.IsEnabled || !strings.Contains(got.DisabledReason, "3 deliveries in a row failed") || got.DisabledAt == nil {
		t.Fatalf("after upkeep: isEnabled %v, disabledReason %q, disabledAt %v", got.IsEnabled, got.DisabledReason, got.DisabledAt)
	}

	// The operator hears of three exhausted deliveries and one disabled endpoint.
	topics := map[string]int{}
	for _, r := range ops.wait(4, 10*time.Second) {
		topics[r.header.Get("X-Hooks-Topic")]++
		if sub := r.header.Get("X-Hooks-Sub-Topic"); sub != hook.ID {
			t.Errorf("operational event about %q, want the endpoint %s", sub, hook.ID)
		}
	}
	if topics[upkeep.TopicDeliveryExhausted] != 3 || topics[upkeep.TopicEndpointDisabled] != 1 {
		t.Errorf("operational events by topic: %v", topics)
	}

	// Events while disabled are not sent; re-enabling resends nothing.
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, map[string]string{"topic": "orders/placed"}, nil), 202)
	var after webhookJSON
	mustStatus(t, s.do("PATCH", "/api/v1/webhooks/"+hook.ID, s.key, map[string]bool{"isEnabled": true}, &after), 200)
	if !after.IsEnabled || after.DisabledReason != "" || after.DisabledAt != nil {
		t.Errorf("after re-enabling: %+v", after)
	}
	time.Sleep(300 * time.Millisecond) // give a wrong resend the time to happen
	if n := broken.count(); n != 3 {
		t.Fatalf("the endpoint got %d requests; re-enabling must not resend the 3 that failed", n)
	}
	for _, id := range deliveries {
		var d deliveryJSON
		s.do("GET", "/api/v1/deliveries/"+id, s.key, nil, &d)
		if d.Status != domain.StatusFailed {
			t.Errorf("delivery %s is %s after re-enabling", id, d.Status)
		}
	}

	// Recover is the user's choice, and it resends them.
	var rec map[string]int
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/recover", s.key, map[string]string{"since": "2000-01-01T00:00:00Z"}, &rec), 202)
	if rec["count"] != 3 {
		t.Errorf("recover counted %d", rec["count"])
	}
	for _, id := range deliveries {
		s.waitDelivery(id, domain.StatusSucceeded, 10*time.Second)
	}
}
