package store

import (
	"bytes"
	"context"
	"hooks/domain"
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestLatestAttemptsBoundsCountAndBodies(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	w := createTestWebhook(t, db, "t")
	id := postAndFinish(t, db, w, domain.StatusPending)[0]
	big := bytes.Repeat([]byte("x"), 5000)
	headers := http.Header{"A": {"1"}, "B": {"2", "3"}, "C": {"4"}}
	var outcomes []Outcome
	for i := range 5 {
		a := &domain.Attempt{Trigger: domain.TriggerScheduled, URL: w.URL, StatusCode: 500, StartedAt: time.Now(), ResponseBody: big,
			ResponseHeaders: headers}
		switch i {
		case 1:
			a.RequestBody = big // a templated body
		case 2:
			a.RequestBody = []byte{} // a callback poll: empty, not the payload
		}
		outcomes = append(outcomes, Outcome{DeliveryID: id, Status: domain.StatusRetrying, LastStatusCode: 500, Attempt: a})
	}
	for _, o := range outcomes {
		if err := db.RecordOutcomes(ctx, []Outcome{o}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.CountAttempts(ctx, id); err != nil || n != 5 {
		t.Fatalf("CountAttempts = %d, %v; want 5", n, err)
	}
	got, err := db.LatestAttempts(ctx, id, AttemptBounds{Attempts: 4, BodyBytes: 100, Headers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0].ID != outcomes[4].Attempt.ID || got[3].ID != outcomes[1].Attempt.ID {
		t.Fatalf("got %d attempts, want the newest 4, newest first", len(got))
	}
	for _, a := range got {
		if !reflect.DeepEqual(a.ResponseHeaders, http.Header{"A": {"1"}, "B": {"2", "3"}}) || a.ResponseHeadersOmitted != 1 {
			t.Errorf("%s: response headers %v, %d omitted; want the first 2 of 3", a.ID, a.ResponseHeaders, a.ResponseHeadersOmitted)
		}
		if len(a.ResponseBody) != 100 || a.ResponseBodySize != len(big) {
			t.Errorf("%s: response body %d bytes of %d, want 100 of %d", a.ID, len(a.ResponseBody), a.ResponseBodySize, len(big))
		}
	}
	if b := got[3]; len(b.RequestBody) != 100 || b.RequestBodySize != len(big) {
		t.Errorf("templated request body: %d bytes of %d", len(b.RequestBody), b.RequestBodySize)
	}
	if b := got[2]; b.RequestBody == nil || len(b.RequestBody) != 0 || b.RequestBodySize != 0 {
		t.Errorf("empty request body: %v (nil %v), size %d", b.RequestBody, b.RequestBody == nil, b.RequestBodySize)
	}
	if b := got[0]; b.RequestBody != nil || b.RequestBodySize != 0 {
		t.Errorf("payload request body: %v, size %d; want nil (the event's payload)", b.RequestBody, b.RequestBodySize)
	}
}

func TestEventsWithoutPayload(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	e := &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{"big":true}`)}
	if _, err := db.CreateEvents(ctx, []*domain.Event{e}); err != nil {
		t.Fatal(err)
	}
	for _, noPayload := range []bool{false, true} {
		got, _, err := db.Events(ctx, EventFilter{TenantID: domain.DefaultTenant, Limit: 10, NoPayload: noPayload})
		if err != nil || len(got) != 1 || got[0].ID != e.ID || got[0].Topic != "t" {
			t.Fatalf("NoPayload %v: %v, %v", noPayload, got, err)
		}
		if gotPayload := got[0].Payload != nil; gotPayload == noPayload {
			t.Errorf("NoPayload %v: payload %q", noPayload, got[0].Payload)
		}
	}
}
