package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/domain"
)

func TestDeliveryIsSignedAndCarriesMetadataHeaders(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL + "/in", "events": []string{"orders/*"}})
	if !strings.HasPrefix(hook.ID, "wbh_") || !strings.HasPrefix(hook.Secret, "whsec_") {
		t.Fatalf("created webhook id %q secret %q", hook.ID, hook.Secret)
	}
	rcv.setSecret(hook.Secret)

	var accepted eventAccepted
	resp := s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","subTopic":"product:adv/adv-120","data":{"id":42}}`, &accepted)
	mustStatus(t, resp, http.StatusAccepted)
	if !strings.HasPrefix(accepted.ID, "evt_") || accepted.Deliveries != 1 {
		t.Fatalf("accepted = %+v", accepted)
	}
	got := rcv.wait(1, 5*time.Second)[0]
	if string(got.body) != `{"id":42}` {
		t.Errorf("body = %s, want the data as posted", got.body)
	}
	h := got.header
	for name, want := range map[string]string{
		"X-Hooks-Topic": "orders/placed", "X-Hooks-Sub-Topic": "product:adv/adv-120", "X-Hooks-Tenant-Id": "default",
		"X-Hooks-Webhook-Id": h.Get("Webhook-Id"), "Content-Type": "application/json",
	} {
		if h.Get(name) != want {
			t.Errorf("%s = %q, want %q", name, h.Get(name), want)
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, h.Get("X-Hooks-Triggered-At")); err != nil {
		t.Errorf("X-Hooks-Triggered-At %q: %v", h.Get("X-Hooks-Triggered-At"), err)
	}
	var list listJSON[deliveryJSON]
	s.do("GET", "/api/v1/webhooks/"+hook.ID+"/deliveries", s.key, nil, &list)
	if len(list.Data) != 1 || list.Data[0].ID != h.Get("Webhook-Id") {
		t.Fatalf("deliveries = %+v, want the one with webhook-id %s", list.Data, h.Get("Webhook-Id"))
	}
	d := s.waitDelivery(list.Data[0].ID, domain.StatusSucceeded, 5*time.Second)
	if d.AttemptCount != 1 || d.LastStatusCode != 200 || d.EventID != accepted.ID {
		t.Errorf("delivery = %+v", d)
	}
}

func TestRetryKeepsWebhookIDWithFreshTimestamp(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t, 500, 503)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"orders/placed"},
		"retry": map[string]any{"schedule": "fixed", "intervalSeconds": 1, "maxAttempts": 5}})
	rcv.setSecret(hook.Secret)
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","data":{}}`, nil), http.StatusAccepted)

	got := rcv.wait(3, 10*time.Second)
	id := got[0].header.Get("Webhook-Id")
	for i, g := range got {
		if g.header.Get("Webhook-Id") != id {
			t.Errorf("attempt %d webhook-id %q, want %q on every retry", i+1, g.header.Get("Webhook-Id"), id)
		}
		if i > 0 && g.header.Get("Webhook-Timestamp") == got[i-1].header.Get("Webhook-Timestamp") {
			t.Errorf("attempt %d reused timestamp %s", i+1, g.header.Get("Webhook-Timestamp"))
		}
	}
	d := s.waitDelivery(id, domain.StatusSucceeded, 5*time.Second)
	if d.AttemptCount != 3 {
		t.Errorf("attemptCount = %d, want 3", d.AttemptCount)
	}
	var detail deliveryJSON
	s.do("GET", "/api/v1/deliveries/"+id, s.key, nil, &detail)
	if len(detail.Attempts) != 3 {
		t.Fatalf("attempts = %d, want 3", len(detail.Attempts))
	}
	for i, want := range []int{500, 503, 200} {
		a := detail.Attempts[i]
		if a.StatusCode != want || a.Trigger != domain.TriggerScheduled {
			t.Errorf("attempt %d = %d %s, want %d scheduled", i+1, a.StatusCode, a.Trigger, want)
		}
		if a.RequestHeaders["Webhook-Id"] != id || a.ResponseBody != `{"ok":true}` {
			t.Errorf("attempt %d headers %v body %q", i+1, a.RequestHeaders, a.ResponseBody)
		}
	}
}

func TestGiveUpAfterMaxAttemptsAndRedeliverKeepsWebhookID(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t, 500, 404)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"a"},
		"retry": map[string]any{"schedule": "fixed", "intervalSeconds": 1, "maxAttempts": 3}})
	rcv.setSecret(hook.Secret)
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"a"}`, nil), http.StatusAccepted)
	got := rcv.wait(2, 10*time.Second)
	id := got[0].header.Get("Webhook-Id")
	// 404 is not retried under the default retryOn=5xx: the delivery fails.
	d := s.waitDelivery(id, domain.StatusFailed, 5*time.Second)
	if d.AttemptCount != 2 || d.LastStatusCode != 404 {
		t.Fatalf("delivery = %+v, want failed after 2 attempts with 404", d)
	}

	var redelivered deliveryJSON
	mustStatus(t, s.do("POST", "/api/v1/deliveries/"+id+"/redeliver", s.key, nil, &redelivered), http.StatusAccepted)
	got = rcv.wait(3, 5*time.Second)
	if got[2].header.Get("Webhook-Id") != id {
		t.Errorf("redelivery webhook-id %q, want %q", got[2].header.Get("Webhook-Id"), id)
	}
	s.waitDelivery(id, domain.StatusSucceeded, 5*time.Second)
	var detail deliveryJSON
	s.do("GET", "/api/v1/deliveries/"+id, s.key, nil, &detail)
	if n := len(detail.Attempts); n != 3 || detail.Attempts[2].Trigger != domain.TriggerManual {
		t.Fatalf("attempts = %+v, want 3 with the last manual", detail.Attempts)
	}
}

func TestRecoverRedeliversFailedSince(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t, 400, 400)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"a"}, "retry": map[string]any{"maxAttempts": 1}})
	since := time.Now().Add(-time.Minute)
	for range 2 {
		mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"a"}`, nil), http.StatusAccepted)
	}
	rcv.wait(2, 5*time.Second)
	waitFor(t, func() bool {
		var list listJSON[deliveryJSON]
		s.do("GET", "/api/v1/webhooks/"+hook.ID+"/deliveries?status=failed", s.key, nil, &list)
		return len(list.Data) == 2
	})
	var out map[string]int
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/recover", s.key, map[string]any{"since": since}, &out), http.StatusAccepted)
	if out["count"] != 2 {
		t.Fatalf("recover count = %d, want 2", out["count"])
	}
	got := rcv.wait(4, 5*time.Second)
	if got[2].header.Get("Webhook-Id") == got[3].header.Get("Webhook-Id") {
		t.Errorf("recover sent the same delivery twice")
	}
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/recover", s.key, `{}`, nil), http.StatusUnprocessableEntity)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestIdempotencyKeyReturnsFirstAnswer(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t)
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}})
	var first, second eventAccepted
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"x","data":1}`, &first, "Idempotency-Key", "k-1"), http.StatusAccepted)
	resp := s.do("POST", "/api/v1/events", s.key, `{"topic":"x","data":2}`, &second, "Idempotency-Key", "k-1")
	mustStatus(t, resp, http.StatusAccepted)
	if first != second || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("second answer %+v (replayed %q), want %+v", second, resp.Header.Get("Idempotent-Replayed"), first)
	}
	rcv.wait(1, 5*time.Second)
	var list listJSON[eventJSON]
	s.do("GET", "/api/v1/events", s.key, nil, &list)
	if len(list.Data) != 1 {
		t.Fatalf("events stored = %d, want 1", len(list.Data))
	}
	// Keys are per tenant: the same key in another tenant is a new event.
	mustStatus(t, s.do("PUT", "/api/v1/tenants/OU1243", s.key, `{"name":"Unit 1243"}`, nil), http.StatusCreated)
	var other eventAccepted
	s.do("POST", "/api/v1/events", s.key, `{"topic":"x"}`, &other, "Idempotency-Key", "k-1", "X-Tenant-ID", "OU1243")
	if other.ID == first.ID {
		t.Fatal("idempotency key leaked across tenants")
	}
}

func TestTenantIsolation(t *testing.T) {
	s := newTestServer(t, devPolicy)
	ctx := context.Background()
	mustStatus(t, s.do("PUT", "/api/v1/tenants/OU1", s.key, nil, nil), http.StatusCreated)
	mustStatus(t, s.do("PUT", "/api/v1/tenants/OU1", s.key, nil, nil), http.StatusOK)
	mustStatus(t, s.do("PUT", "/api/v1/tenants/OU2", s.key, nil, nil), http.StatusCreated)
	_, key1, _ := s.db.CreateAPIKey(ctx, "OU1", "one")
	_, key2, _ := s.db.CreateAPIKey(ctx, "OU2", "two")
	rcv := newReceiver(t)
	hook := s.createWebhook(key1, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}})
	var ev eventAccepted
	s.do("POST", "/api/v1/events", key1, `{"topic":"t"}`, &ev)
	rcv.wait(1, 5*time.Second)
	var list listJSON[deliveryJSON]
	s.do("GET", "/api/v1/deliveries", key1, nil, &list)
	if len(list.Data) != 1 {
		t.Fatalf("tenant OU1 sees %d deliveries, want 1", len(list.Data))
	}
	dlv := list.Data[0].ID

	for _, path := range []string{"/api/v1/webhooks/" + hook.ID, "/api/v1/webhooks/" + hook.ID + "/secret",
		"/api/v1/webhooks/" + hook.ID + "/deliveries", "/api/v1/events/" + ev.ID, "/api/v1/deliveries/" + dlv} {
		mustStatus(t, s.do("GET", path, key2, nil, nil), http.StatusNotFound)
		mustStatus(t, s.do("GET", path, s.key, nil, nil), http.StatusNotFound) // all-tenant key, default tenant
		mustStatus(t, s.do("GET", path, s.key, nil, nil, "X-Tenant-ID", "OU1"), http.StatusOK)
	}
	mustStatus(t, s.do("POST", "/api/v1/deliveries/"+dlv+"/redeliver", key2, nil, nil), http.StatusNotFound)
	mustStatus(t, s.do("DELETE", "/api/v1/webhooks/"+hook.ID, key2, nil, nil), http.StatusNotFound)
	mustStatus(t, s.do("PATCH", "/api/v1/webhooks/"+hook.ID, key2, `{"name":"x"}`, nil), http.StatusNotFound)
	mustStatus(t, s.do("GET", "/api/v1/webhooks", key2, nil, nil, "X-Tenant-ID", "OU1"), http.StatusForbidden)
	mustStatus(t, s.do("PUT", "/api/v1/tenants/OU3", key2, nil, nil), http.StatusForbidden)
	mustStatus(t, s.do("GET", "/api/v1/webhooks", s.key, nil, nil, "X-Tenant-ID", "nope"), http.StatusNotFound)
	mustStatus(t, s.do("GET", "/api/v1/webhooks", "hk_wrong", nil, nil), http.StatusUnauthorized)
	mustStatus(t, s.do("GET", "/api/v1/webhooks", "", nil, nil), http.StatusUnauthorized)
	mustStatus(t, s.do("DELETE", "/api/v1/webhooks/"+hook.ID, key1, nil, nil), http.StatusNoContent)
}

func TestBadInputIsAClientError(t *testing.T) {
	s := newTestServer(t, func(_ *delivery.Config, wc *Config) { wc.MaxBodyBytes = 4096 })
	hook := s.createWebhook(s.key, map[string]any{"url": "https://example.com/hook", "events": []string{"a"}})
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"not json", "POST", "/api/v1/webhooks", `{url:`, 422, "invalid_json"},
		{"empty body", "POST", "/api/v1/webhooks", ``, 422, "invalid_json"},
		{"array", "POST", "/api/v1/webhooks", `[]`, 422, "invalid_json"},
		{"wrong type", "POST", "/api/v1/webhooks", `{"url":1,"events":["a"]}`, 422, "invalid_json"},
		{"unknown field", "POST", "/api/v1/webhooks", `{"url":"https://x.example","events":["a"],"evnets":[]}`, 422, "invalid_json"},
		{"trailing data", "POST", "/api/v1/webhooks", `{"url":"https://x.example","events":["a"]} {}`, 422, "invalid_json"},
		{"no url", "POST", "/api/v1/webhooks", `{"events":["a"]}`, 422, "invalid_url"},
		{"relative url", "POST", "/api/v1/webhooks", `{"url":"/hook","events":["a"]}`, 422, "invalid_url"},
		{"ftp url", "POST", "/api/v1/webhooks", `{"url":"ftp://example.com","events":["a"]}`, 422, "invalid_url"},
		{"http without dev", "POST", "/api/v1/webhooks", `{"url":"http://example.com","events":["a"]}`, 422, "invalid_url"},
		{"loopback without dev", "POST", "/api/v1/webhooks", `{"url":"https://127.0.0.1/x","events":["a"]}`, 422, "invalid_url"},
		{"metadata address", "POST", "/api/v1/webhooks", `{"url":"https://169.254.169.254/","events":["a"]}`, 422, "invalid_url"},
		{"no events", "POST", "/api/v1/webhooks", `{"url":"https://example.com"}`, 422, "invalid_events"},
		{"blank events", "POST", "/api/v1/webhooks", `{"url":"https://example.com","events":["", " "]}`, 422, "invalid_events"},
		{"bad pattern", "POST", "/api/v1/webhooks", `{"url":"https://example.com","events":["or*ders"]}`, 422, "invalid_events"},
		{"unknown scheme", "POST", "/api/v1/webhooks", `{"url":"https://example.com","events":["a"],"signing":{"scheme":"md5"}}`, 422, "invalid_signing"},
		{"bad envelope", "POST", "/api/v1/webhooks", `{"url":"https://example.com","events":["a"],"envelope":"xml"}`, 422, "invalid_envelope"},
		{"bad timeout", "POST", "/api/v1/webhooks", `{"url":"https://example.com","events":["a"],"timeoutSeconds":90}`, 422, "invalid_timeout_seconds"},
		{"zero timeout", "POST", "/api/v1/webhooks", `{"url":"https://example.com","events":["a"],"timeoutSeconds":0}`, 422, "invalid_timeout_seconds"},
		{"bad retry", "POST", "/api/v1/webhooks", `{"url":"https://example.com","events":["a"],"retry":{"schedule":"fixed"}}`, 422, "invalid_retry"},
		{"reserved header", "POST", "/api/v1/webhooks", `{"url":"https://example.com","events":["a"],"headers":{"Webhook-Id":"x"}}`, 422, "invalid_headers"},
		{"header injection", "POST", "/api/v1/webhooks", `{"url":"https://example.com","events":["a"],"headers":{"X-A":"b\r\nX-B: c"}}`, 422, "invalid_headers"},
		{"bad secret", "POST", "/api/v1/webhooks", `{"url":"https://example.com","events":["a"],"secret":"short"}`, 422, "invalid_secret"},
		{"too large", "POST", "/api/v1/events", `{"topic":"a","data":"` + strings.Repeat("x", 5000) + `"}`, 413, "too_large"},
		{"no topic", "POST", "/api/v1/events", `{"data":{}}`, 422, "invalid_topic"},
		{"topic with space", "POST", "/api/v1/events", `{"topic":"a b"}`, 422, "invalid_topic"},
		{"bad data", "POST", "/api/v1/events", `{"topic":"a","data":}`, 422, "invalid_json"},
		{"empty batch", "POST", "/api/v1/events/batch", `{"events":[]}`, 422, "invalid_events"},
		{"patch bad url", "PATCH", "/api/v1/webhooks/" + hook.ID, `{"url":"javascript:alert(1)"}`, 422, "invalid_url"},
		{"unknown webhook", "GET", "/api/v1/webhooks/wbh_nope", ``, 404, "not_found"},
		{"unknown delivery", "POST", "/api/v1/deliveries/dlv_nope/redeliver", ``, 404, "not_found"},
		{"bad status filter", "GET", "/api/v1/deliveries?status=done", ``, 422, "invalid_status"},
		{"bad limit", "GET", "/api/v1/webhooks?limit=1000", ``, 422, "invalid_limit"},
		{"bad tenant id", "PUT", "/api/v1/tenants/a%20b", ``, 422, "invalid_id"},
		{"unknown route", "GET", "/api/v1/nothing", ``, 404, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out errorBody
			resp := s.do(c.method, c.path, s.key, c.body, &out)
			mustStatus(t, resp, c.status)
			if out.Error.Code != c.code || out.Error.Message == "" {
				t.Errorf("error = %+v, want code %s with a message", out.Error, c.code)
			}
		})
	}
}

func TestTopicMatchingAndSubTopics(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t)
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"orders/*"}})
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"orders/placed"}, "subTopics": []string{"product:adv/*"}})
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"order-created"}})
	cases := []struct {
		body string
		want int
	}{
		{`{"topic":"orders/placed"}`, 1},
		{`{"topic":"orders/placed","subTopic":"product:adv/adv-120"}`, 2},
		{`{"topic":"orders/placed","subTopic":"product:std/1"}`, 1},
		{`{"topic":"orders"}`, 0},
		{`{"topic":"order-created"}`, 1},
		{`{"topic":"nobody/listens"}`, 0},
	}
	for _, c := range cases {
		var got eventAccepted
		mustStatus(t, s.do("POST", "/api/v1/events", s.key, c.body, &got), http.StatusAccepted)
		if got.Deliveries != c.want {
			t.Errorf("%s: deliveries = %d, want %d", c.body, got.Deliveries, c.want)
		}
	}
}

func TestSSRFRefusesPrivateTargetsWithoutDev(t *testing.T) {
	// A public-looking name that resolves to loopback: accepted when saved
	// (names aren't resolved then) but refused at dial time.
	resolver := fakeResolver{"hooks-rebind.example.com": netip.MustParseAddr("127.0.0.1")}
	s := newTestServer(t, func(dc *delivery.Config, _ *Config) { dc.Policy = &netguard.Policy{Resolver: resolver} })
	rcv := newReceiver(t)
	port := rcv.srv.Listener.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndex(port, ":"):]
	hook := s.createWebhook(s.key, map[string]any{"url": "https://hooks-rebind.example.com" + port + "/", "events": []string{"a"},
		"retry": map[string]any{"maxAttempts": 1}})
	var res delivery.TestResult
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/test", s.key, nil, &res), http.StatusOK)
	if res.Success || !strings.Contains(res.Error, "forbidden") || !strings.Contains(res.Error, "127.0.0.1") {
		t.Errorf("test result = %+v, want a refusal naming 127.0.0.1", res)
	}
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"a"}`, nil), http.StatusAccepted)
	waitFor(t, func() bool {
		var list listJSON[deliveryJSON]
		s.do("GET", "/api/v1/deliveries?status=failed", s.key, nil, &list)
		return len(list.Data) == 2
	})
	if rcv.count() != 0 {
		t.Fatalf("receiver on loopback got %d requests without --dev", rcv.count())
	}
}

type fakeResolver map[string]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ip, ok := f[host]; ok {
		return []netip.Addr{ip}, nil
	}
	return nil, fmt.Errorf("no such host %s", host)
}

func TestTestURLSendsSignedPing(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"a"}})
	rcv.setSecret(hook.Secret)
	var res delivery.TestResult
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+hook.ID+"/test", s.key, nil, &res), http.StatusOK)
	if !res.Success || res.StatusCode != 200 || res.ResponseBody != `{"ok":true}` || res.Error != "" {
		t.Fatalf("test result = %+v", res)
	}
	got := rcv.wait(1, time.Second)[0]
	var ping map[string]string
	if err := json.Unmarshal(got.body, &ping); err != nil || ping["type"] != "ping" || got.header.Get("X-Hooks-Topic") != "ping" {
		t.Errorf("ping body %s topic %q", got.body, got.header.Get("X-Hooks-Topic"))
	}
	var d deliveryJSON
	s.do("GET", "/api/v1/deliveries/"+res.DeliveryID, s.key, nil, &d)
	if d.Status != domain.StatusSucceeded || len(d.Attempts) != 1 || d.Attempts[0].Trigger != domain.TriggerTest {
		t.Errorf("test delivery = %+v", d)
	}
}

func TestWebhookCRUDAndPagination(t *testing.T) {
	s := newTestServer(t)
	var ids []string
	for i := range 5 {
		h := s.createWebhook(s.key, map[string]any{"name": fmt.Sprint("hook ", i), "url": "https://example.com/" + fmt.Sprint(i), "events": []string{"a"}})
		ids = append(ids, h.ID)
	}
	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		var list listJSON[webhookJSON]
		mustStatus(t, s.do("GET", "/api/v1/webhooks?limit=2&cursor="+cursor, s.key, nil, &list), http.StatusOK)
		for _, h := range list.Data {
			if h.Secret != "" {
				t.Error("list shows a secret")
			}
			seen = append(seen, h.ID)
		}
		if cursor = list.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 5 || seen[0] != ids[4] || seen[4] != ids[0] {
		t.Fatalf("paged ids %v, want all 5 newest first", seen)
	}

	var patched webhookJSON
	mustStatus(t, s.do("PATCH", "/api/v1/webhooks/"+ids[0], s.key, `{"isEnabled":false,"events":["b","c/*"],"envelope":"standard"}`, &patched), http.StatusOK)
	if patched.IsEnabled || patched.DisabledReason == "" || len(patched.Events) != 2 || patched.Envelope.Type != "standard" || patched.Name != "hook 0" {
		t.Errorf("patched = %+v", patched)
	}
	var secret map[string]string
	s.do("GET", "/api/v1/webhooks/"+ids[0]+"/secret", s.key, nil, &secret)
	if !strings.HasPrefix(secret["secret"], "whsec_") {
		t.Errorf("secret = %v", secret)
	}
	var rotated map[string]any
	mustStatus(t, s.do("POST", "/api/v1/webhooks/"+ids[0]+"/secret/rotate", s.key, nil, &rotated), http.StatusOK)
	if rotated["secret"] == secret["secret"] || rotated["previousSecretExpiresAt"] == nil {
		t.Errorf("rotate = %v", rotated)
	}
	mustStatus(t, s.do("DELETE", "/api/v1/webhooks/"+ids[0], s.key, nil, nil), http.StatusNoContent)
	mustStatus(t, s.do("GET", "/api/v1/webhooks/"+ids[0], s.key, nil, nil), http.StatusNotFound)
}
