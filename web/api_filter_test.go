package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWebhookFilterIsStoredShownAndApplied creates a webhook with a filter
// through the API: GET and the list show it (compact), a matching event is
// delivered, one that does not match gets no delivery and is not counted,
// and PATCH with null removes the filter.
func TestWebhookFilterIsStoredShownAndApplied(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t)
	hook := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL + "/in", "events": []string{"orders/*"},
		"filter": json.RawMessage(`{ "data": {"order": {"total": {"$gte": 100}}} }`)})
	rcv.setSecret(hook.Secret)
	const want = `{"data":{"order":{"total":{"$gte":100}}}}`
	if string(hook.Filter) != want {
		t.Errorf("create answered filter %s, want %s", hook.Filter, want)
	}
	var got webhookJSON
	s.do("GET", "/api/v1/webhooks/"+hook.ID, s.key, nil, &got)
	var list listJSON[webhookJSON]
	s.do("GET", "/api/v1/webhooks", s.key, nil, &list)
	if string(got.Filter) != want || len(list.Data) != 1 || string(list.Data[0].Filter) != want {
		t.Errorf("GET filter %s, list %+v; want %s", got.Filter, list.Data, want)
	}

	post := func(data string) int {
		t.Helper()
		var accepted eventAccepted
		mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"orders/placed","data":`+data+`}`, &accepted), http.StatusAccepted)
		return accepted.Deliveries
	}
	if n := post(`{"order":{"total":99.99}}`); n != 0 {
		t.Errorf("an event the filter refuses: %d deliveries, want 0", n)
	}
	if n := post(`{"order":{"total":100}}`); n != 1 {
		t.Errorf("an event the filter matches: %d deliveries, want 1", n)
	}
	if got := rcv.wait(1, 5*time.Second); string(got[0].body) != `{"order":{"total":100}}` {
		t.Errorf("delivered %s", got[0].body)
	}

	resp := s.do("PATCH", "/api/v1/webhooks/"+hook.ID, s.key, `{"filter": null}`, &got)
	mustStatus(t, resp, http.StatusOK)
	if string(got.Filter) != "null" && got.Filter != nil {
		t.Errorf("after PATCH null, filter %s", got.Filter)
	}
	if !strings.Contains(readBody(t, resp), `"filter":null`) {
		t.Errorf("a webhook without a filter should show \"filter\": null")
	}
	if n := post(`{"order":{"total":1}}`); n != 1 {
		t.Errorf("without a filter: %d deliveries, want 1", n)
	}
	resp = s.do("PATCH", "/api/v1/webhooks/"+hook.ID, s.key, `{"name": "renamed"}`, &got)
	mustStatus(t, resp, http.StatusOK)
	if got.Filter != nil && string(got.Filter) != "null" {
		t.Errorf("a PATCH without filter changed it to %s", got.Filter)
	}
}

// TestWebhookFilterRefusedWith422 sends bad filters on create and PATCH:
// 422 invalid_filter, naming the operator at fault by its path.
func TestWebhookFilterRefusedWith422(t *testing.T) {
	s := newTestServer(t, devPolicy)
	hook := s.createWebhook(s.key, map[string]any{"url": "http://127.0.0.1:9/in", "events": []string{"*"}})
	for _, tc := range []struct{ filter, field, message string }{
		{`{"data":{"order":{"total":{"$gte":true}}}}`, "filter.data.order.total.$gte", "filter.data.order.total.$gte: must be a number or string"},
		{`{"data":{"x":{"$regex":"^a"}}}`, "filter.data.x.$regex", "filter.data.x.$regex: unknown operator"},
		{`{"$or":[{"topic":"a"},{"data":{"tags":["a"]}}]}`, "filter.$or[1].data.tags", "filter.$or[1].data.tags: a list is not a value to compare"},
		{`{"data":{"x":{"$in":[1,{}]}}}`, "filter.data.x.$in[1]", "filter.data.x.$in[1]: must be a string, number, boolean or null"},
		{`"data"`, "filter", "filter: must be a JSON object"},
		{`{"data":` + strings.Repeat(`{"a":`, 12) + `1` + strings.Repeat(`}`, 13), "filter.data.a.a.a.a.a.a.a.a.a.a.a", "nested more than 12 levels deep"},
	} {
		for _, req := range []struct{ method, path, body string }{
			{"POST", "/api/v1/webhooks", `{"url":"http://127.0.0.1:9/in","events":["*"],"filter":` + tc.filter + `}`},
			{"PATCH", "/api/v1/webhooks/" + hook.ID, `{"filter":` + tc.filter + `}`},
		} {
			var body errorBody
			resp := s.do(req.method, req.path, s.key, req.body, &body)
			if resp.StatusCode != http.StatusUnprocessableEntity || body.Error.Code != "invalid_filter" || body.Error.Field != "filter" ||
				len(body.Error.Details) != 1 || body.Error.Details[0].Field != tc.field || !strings.Contains(body.Error.Message, tc.message) {
				t.Errorf("%s with filter %s: %d %+v; want 422 invalid_filter at %s, %q", req.method, tc.filter, resp.StatusCode, body.Error, tc.field, tc.message)
			}
		}
	}
	var got webhookJSON
	s.do("GET", "/api/v1/webhooks/"+hook.ID, s.key, nil, &got)
	if string(got.Filter) != "null" {
		t.Errorf("a refused PATCH left filter %s", got.Filter)
	}
}
