package web

import (
	"net/http"
	"testing"
	"time"
)

type statsList struct {
	Data []statsPointJSON `json:"data"`
}

func TestStatsAPICountsAttemptsByWebhookAndClass(t *testing.T) {
	s := newTestServer(t, devPolicy)
	rcv := newReceiver(t, 404, 200)
	w := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"orders/*"}})
	other := s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"other"}})
	for i := range 2 {
		var e eventAccepted
		mustStatus(t, s.do("POST", "/api/v1/events", s.key, map[string]string{"topic": "orders/placed"}, &e), 202)
		rcv.wait(i+1, 10*time.Second) // in turn: the first gets the 404
	}
	// Both ends sit half a minute into their minutes, whatever the clock
	// reads, so rounding them out to whole minutes always spans 62: at
	// the first second of a minute, now±whole minutes would already be on
	// the boundaries and span 61.
	minute := time.Now().UTC().Truncate(time.Minute)
	from := minute.Add(-time.Hour + 30*time.Second).Format(time.RFC3339)
	to := minute.Add(time.Minute + 30*time.Second).Format(time.RFC3339)
	var got statsList
	// The attempts are recorded in a group commit after the receiver's
	// answer: poll until both are counted.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got = statsList{}
		mustStatus(t, s.do("GET", "/api/v1/stats?interval=minute&webhookId="+w.ID+"&from="+from+"&to="+to, s.key, nil, &got), 200)
		var n int64
		for _, p := range got.Data {
			n += p.Attempts
		}
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(got.Data) != 62 {
		t.Fatalf("%d minute points over an hour and a minute, want 62 (zero-filled)", len(got.Data))
	}
	var sum statsPointJSON
	for _, p := range got.Data {
		sum.Attempts += p.Attempts
		sum.Succeeded += p.Succeeded
		sum.Failed += p.Failed
		sum.FailedBy.C4xx += p.FailedBy.C4xx
		if p.Attempts > 0 && (p.P50Ms == nil || p.P95Ms == nil) {
			t.Errorf("a bucket with attempts has no quantiles: %+v", p)
		}
		if p.Attempts == 0 && p.P50Ms != nil {
			t.Errorf("an empty bucket has a median: %+v", p)
		}
	}
	if sum.Attempts != 2 || sum.Succeeded != 1 || sum.Failed != 1 || sum.FailedBy.C4xx != 1 {
		t.Errorf("sums %+v, want 2 attempts, 1 succeeded, 1 failed with 4xx", sum)
	}

	var days statsList
	mustStatus(t, s.do("GET", "/api/v1/stats?interval=day&webhookId="+other.ID, s.key, nil, &days), 200)
	if len(days.Data) != 30 && len(days.Data) != 31 {
		t.Errorf("the default day window has %d points", len(days.Data))
	}
	for _, p := range days.Data {
		if p.Attempts != 0 {
			t.Errorf("the other webhook has attempts: %+v", p)
		}
	}
}

func TestStatsAPIRefusesBadParametersNamingThem(t *testing.T) {
	s := newTestServer(t)
	now := time.Now().UTC()
	for _, c := range []struct {
		query  string
		status int
		field  string
	}{
		{"interval=week", 422, "interval"},
		{"from=yesterday", 422, "from"},
		{"to=2026-13-01T00:00:00Z", 422, "to"},
		{"from=" + now.Format(time.RFC3339) + "&to=" + now.Add(-time.Hour).Format(time.RFC3339), 422, "to"},
		{"interval=minute&from=" + now.Add(-48*time.Hour).Format(time.RFC3339), 422, "from"},
		{"interval=minute&from=" + now.Add(-24*time.Hour).Format(time.RFC3339), 200, ""},
		{"webhookId=wh_nope", 404, ""},
	} {
		t.Run(c.query, func(t *testing.T) {
			var body errorBody
			resp := s.do("GET", "/api/v1/stats?"+c.query, s.key, nil, &body)
			mustStatus(t, resp, c.status)
			if c.status == http.StatusUnprocessableEntity && body.Error.Field != c.field {
				t.Errorf("field %q, want %q (%s)", body.Error.Field, c.field, body.Error.Message)
			}
		})
	}
}
