package web

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"hooks/delivery"
	"hooks/domain"
)

// testClock is the engine's clock in callback tests: real time plus an
// offset that the test moves forward, so minutes of polling take none.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func (c *testClock) option(maxWait time.Duration) serverOption {
	return func(dc *delivery.Config, _ *Config) {
		dc.Now = c.now
		dc.CallbackMaxWait = maxWait
	}
}

// pollNow runs the callback poller once, as the scheduler's job does.
func (s *testServer) pollNow() {
	s.t.Helper()
	if err := s.engine.PollCallbacks(context.Background()); err != nil {
		s.t.Fatalf("PollCallbacks: %v", err)
	}
}

// scripted is a receiver whose deliveries path answers accept and whose
// other paths answer polls from answers, in order, the last one repeating.
func scripted(t *testing.T, accept string, answers ...[2]any) *capture {
	var polls atomic.Int64
	return newCapture(t, func(r *http.Request, _ int) (int, string) {
		if r.URL.Path == "/in" {
			return http.StatusOK, accept
		}
		i := min(int(polls.Add(1)-1), len(answers)-1)
		return answers[i][0].(int), answers[i][1].(string)
	})
}

func hexHMAC(secret string, body []byte) string { return hex.EncodeToString(hmacSHA256(secret, body)) }

func attemptTriggers(d deliveryJSON) string {
	var out []string
	for _, a := range d.Attempts {
		out = append(out, a.Trigger)
	}
	return strings.Join(out, ",")
}

func TestAsyncCallbackPendingTwiceThenDone(t *testing.T) {
	clk := &testClock{}
	s := newTestServer(t, devPolicy, clk.option(0))
	rcv := scripted(t, `{"Success":true,"AsyncCallback":{"URI":"/status/7?x=1","StartAfterSeconds":60,"IntervalSeconds":30}}`,
		[2]any{200, `{"Success":null,"HTMLResponse":"<p>working</p>"}`},
		[2]any{200, `{"AsyncCallback":{"URI":"/status/7?x=2","IntervalSeconds":45}}`},
		[2]any{200, `{"Success":true,"HTMLResponse":"<p>Order 7 booked</p>"}`},
	)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL + "/in", "events": []string{"*"}})
	s.postEvent("default", `{"topic":"orders/placed","data":{"id":7}}`)
	first := rcv.next()
	dlv := first.header.Get("X-Hooks-Webhook-Id")
	d := s.waitDelivery(dlv, domain.StatusAwaitingCallback, 5*time.Second)
	if d.NextAttemptAt == nil || d.NextAttemptAt.Sub(clk.now()) < 55*time.Second {
		t.Fatalf("awaiting delivery's next poll at %v, want about a minute from now", d.NextAttemptAt)
	}
	cb, err := s.db.CallbackByDelivery(context.Background(), dlv)
	if err != nil || cb.URI != rcv.srv.URL+"/status/7?x=1" || cb.Interval != 30*time.Second ||
		cb.Deadline.Sub(clk.now()) < 23*time.Hour {
		t.Fatalf("callback state = %+v, %v", cb, err)
	}
	if c := d.Callback; c == nil || c.URI != cb.URI || c.IntervalSeconds != 30 || !c.NextPollAt.Equal(*d.NextAttemptAt) || c.Polls != 0 {
		t.Fatalf("the API shows callback %+v, want %+v", c, cb)
	}

	// Not due yet: nothing is polled.
	s.pollNow()
	if n := rcv.n.Load(); n != 1 {
		t.Fatalf("receiver got %d requests before StartAfterSeconds, want 1", n)
	}

	verify := func(got received) {
		t.Helper()
		if got.header.Get(":method") != http.MethodGet || len(got.body) != 0 {
			t.Errorf("poll is %s with %d body bytes, want a GET without body", got.header.Get(":method"), len(got.body))
		}
		if got.header.Get("X-Hooks-Webhook-Id") != dlv {
			t.Errorf("poll X-Hooks-Webhook-Id = %q, want the delivery's %q", got.header.Get("X-Hooks-Webhook-Id"), dlv)
		}
		wh, _ := standardwebhooks.NewWebhook(hook.Secret)
		if err := wh.Verify(got.body, got.header); err != nil {
			t.Errorf("poll signature: %v", err)
		}
	}

	clk.advance(60 * time.Second)
	s.pollNow()
	poll := rcv.next()
	verify(poll)
	if poll.header.Get(":path") != "/status/7?x=1" {
		t.Errorf("first poll went to %s", poll.header.Get(":path"))
	}
	s.waitDelivery(dlv, domain.StatusAwaitingCallback, time.Second)

	clk.advance(30 * time.Second)
	s.pollNow()
	verify(rcv.next())
	cb, _ = s.db.CallbackByDelivery(context.Background(), dlv)
	if cb.URI != rcv.srv.URL+"/status/7?x=2" || cb.Interval != 45*time.Second || cb.Polls != 2 {
		t.Fatalf("after a second AsyncCallback the state is %+v, want its URI and interval", cb)
	}

	// 30 s later the new 45 s interval has not passed.
	clk.advance(30 * time.Second)
	s.pollNow()
	if n := rcv.n.Load(); n != 3 {
		t.Fatalf("receiver got %d requests, want 3: the interval is now 45 s", n)
	}
	clk.advance(15 * time.Second)
	s.pollNow()
	poll = rcv.next()
	verify(poll)
	if poll.header.Get(":path") != "/status/7?x=2" {
		t.Errorf("third poll went to %s", poll.header.Get(":path"))
	}

	d = s.waitDelivery(dlv, domain.StatusSucceeded, time.Second)
	if got := attemptTriggers(d); got != "scheduled,callback,callback,callback" {
		t.Fatalf("attempt triggers = %s", got)
	}
	last := d.Attempts[3]
	if last.ResponseBody != `{"Success":true,"HTMLResponse":"<p>Order 7 booked</p>"}` || last.Error != "" || last.RequestBody == nil || *last.RequestBody != "" {
		t.Errorf("last poll attempt = %+v", last)
	}
	if d.AttemptCount != 4 || d.NextAttemptAt != nil || d.Callback == nil || d.Callback.Polls != 3 {
		t.Errorf("delivery = %+v", d)
	}

	// The answer, callback included, is what openapi.json describes.
	raw, _ := io.ReadAll(s.do("GET", "/api/v1/deliveries/"+dlv, s.key, nil, nil).Body)
	var v any
	json.Unmarshal(raw, &v)
	if err := loadOpenAPI(t).Components.Schemas["Delivery"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		t.Errorf("delivery with callback does not match the Delivery schema: %v", err)
	}
}

func TestAsyncCallbackSuccessFalseFails(t *testing.T) {
	clk := &testClock{}
	s := newTestServer(t, devPolicy, clk.option(0))
	rcv := scripted(t, `{"AsyncCallback":{"URI":"/status","StartAfterSeconds":0,"IntervalSeconds":1}}`,
		[2]any{503, `busy`},
		[2]any{200, `{"Success":false,"HTMLResponse":"<p>Rejected</p>"}`},
	)
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL + "/in", "events": []string{"*"},
		"signing": map[string]any{"scheme": "hmac-sha256", "header": "X-Pepperi-Signature", "encoding": "hex", "prefix": "sha256="},
		"secret":  "s3cret-key"})
	s.postEvent("default", `{"topic":"orders/placed","data":{"id":8}}`)
	dlv := rcv.next().header.Get("X-Hooks-Webhook-Id")
	s.waitDelivery(dlv, domain.StatusAwaitingCallback, 5*time.Second)

	s.pollNow() // StartAfterSeconds 0: due at once; answers 503
	poll := rcv.next()
	if want := "sha256=" + hexHMAC("s3cret-key", nil); poll.header.Get("X-Pepperi-Signature") != want {
		t.Errorf("poll X-Pepperi-Signature = %q, want the HMAC of the empty body %q", poll.header.Get("X-Pepperi-Signature"), want)
	}
	s.waitDelivery(dlv, domain.StatusAwaitingCallback, time.Second)
	clk.advance(time.Second)
	s.pollNow()
	rcv.next()
	d := s.waitDelivery(dlv, domain.StatusFailed, time.Second)
	if got := attemptTriggers(d); got != "scheduled,callback,callback" {
		t.Fatalf("attempt triggers = %s", got)
	}
	if a := d.Attempts[1]; a.StatusCode != 503 || !strings.Contains(a.Error, "503") {
		t.Errorf("503 poll = %+v", a)
	}
	if a := d.Attempts[2]; !strings.Contains(a.Error, `"Success": false`) || a.ResponseBody != `{"Success":false,"HTMLResponse":"<p>Rejected</p>"}` {
		t.Errorf("final poll = %+v", a)
	}
	if d.LastStatusCode != 200 {
		t.Errorf("last status code = %d", d.LastStatusCode)
	}
}

func TestAsyncCallbackGivesUpAtMaxWait(t *testing.T) {
	clk := &testClock{}
	s := newTestServer(t, devPolicy, clk.option(5*time.Minute))
	rcv := scripted(t, `{"AsyncCallback":{"URI":"/status","StartAfterSeconds":1,"IntervalSeconds":120}}`,
		[2]any{200, `{"Success":null}`})
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL + "/in", "events": []string{"*"}})
	s.postEvent("default", `{"topic":"orders/placed","data":{"id":9}}`)
	dlv := rcv.next().header.Get("X-Hooks-Webhook-Id")
	s.waitDelivery(dlv, domain.StatusAwaitingCallback, 5*time.Second)

	// Polls at +1 s, +121 s, +241 s, and a last one at the deadline (+300 s)
	// rather than at +361 s.
	for _, step := range []time.Duration{time.Second, 120 * time.Second, 120 * time.Second} {
		clk.advance(step)
		s.pollNow()
		rcv.next()
		s.waitDelivery(dlv, domain.StatusAwaitingCallback, time.Second)
	}
	cb, err := s.db.CallbackByDelivery(context.Background(), dlv)
	if err != nil || !cb.NextPollAt.Equal(cb.Deadline) {
		t.Fatalf("the poll after +241 s is at %v, want the deadline %v (%v)", cb.NextPollAt, cb.Deadline, err)
	}
	clk.advance(59 * time.Second)
	s.pollNow()
	rcv.next()
	d := s.waitDelivery(dlv, domain.StatusFailed, time.Second)
	if got := attemptTriggers(d); got != "scheduled,callback,callback,callback,callback" {
		t.Fatalf("attempt triggers = %s", got)
	}
	if last := d.Attempts[len(d.Attempts)-1]; !strings.Contains(last.Error, "no final callback answer within 5m0s") {
		t.Errorf("last poll error = %q", last.Error)
	}
	clk.advance(time.Hour)
	s.pollNow()
	if n := rcv.n.Load(); n != 5 {
		t.Errorf("receiver got %d requests, want 5: nothing after giving up", n)
	}
}

func TestAsyncCallbackWithForbiddenURIFails(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := scripted(t, `{"AsyncCallback":{"URI":"ftp://files.example/status","StartAfterSeconds":1}}`, [2]any{200, `{}`})
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL + "/in", "events": []string{"*"}})
	s.postEvent("default", `{"topic":"orders/placed","data":{"id":10}}`)
	dlv := rcv.next().header.Get("X-Hooks-Webhook-Id")
	d := s.waitDelivery(dlv, domain.StatusFailed, 5*time.Second)
	if len(d.Attempts) != 1 || !strings.Contains(d.Attempts[0].Error, "AsyncCallback URI") {
		t.Errorf("attempts = %+v", d.Attempts)
	}
}
