package service

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store"
)

// waitClock drives a wait's poll and deadline by hand.
type waitClock struct {
	ticks    chan time.Time
	deadline chan time.Time
}

func useWaitClock(s *Service) *waitClock {
	c := &waitClock{ticks: make(chan time.Time), deadline: make(chan time.Time)}
	s.ticker = func(time.Duration) (<-chan time.Time, func()) { return c.ticks, func() {} }
	s.timer = func(time.Duration) (<-chan time.Time, func()) { return c.deadline, func() {} }
	return c
}

// tickUntilDone ticks the wait's poll until it returns: a poll that was
// under way may find what the test stored, or the next one does.
func tickUntilDone(c *waitClock, done chan awaitResult) awaitResult {
	for {
		select {
		case c.ticks <- time.Now():
		case got := <-done:
			return got
		}
	}
}

type awaitResult struct {
	res *Awaited
	err error
}

// startWait runs AwaitFirstOutcomes in the background.
func startWait(ctx context.Context, f *fixture, events []*domain.Event) chan awaitResult {
	done := make(chan awaitResult, 1)
	go func() {
		res, err := f.svc.AwaitFirstOutcomes(ctx, f.a, events, 30*time.Second)
		done <- awaitResult{res, err}
	}()
	return done
}

// postEvent posts one orders/placed event for f.a.
func postEvent(t *testing.T, f *fixture) []*domain.Event {
	t.Helper()
	events := []*domain.Event{{Topic: "orders/placed", Payload: []byte(`{"n":1}`)}}
	if _, err := f.svc.PostEvents(context.Background(), f.a, events); err != nil {
		t.Fatal(err)
	}
	return events
}

// deliveryIDs returns the ids of e's deliveries.
func deliveryIDs(t *testing.T, f *fixture, e *domain.Event) []string {
	t.Helper()
	rows, err := f.db.FirstAttempts(context.Background(), e.TenantID, []string{e.ID})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.DeliveryID)
	}
	return ids
}

// recordAttempt stores an attempt of delivery id that left it in status,
// as another instance's engine would, without telling this one.
func recordAttempt(t *testing.T, f *fixture, id, status string, code int, body string) {
	t.Helper()
	a := &domain.Attempt{DeliveryID: id, Trigger: domain.TriggerScheduled, URL: "https://example.com/hook", StatusCode: code,
		ResponseBody: []byte(body), StartedAt: time.Now()}
	o := store.Outcome{DeliveryID: id, Status: status, LastStatusCode: code, Attempt: a}
	if code >= 300 {
		a.Error = fmt.Sprintf("receiver answered %d", code)
		o.NextAttemptAt = time.Now().Add(time.Minute)
	}
	if err := f.db.RecordOutcomes(context.Background(), []store.Outcome{o}); err != nil {
		t.Fatal(err)
	}
}

func TestWaitReadsAttemptsThatAnotherInstanceRecorded(t *testing.T) {
	f := newFixture(t)
	f.engine.waiters = delivery.New(f.db, delivery.Config{}).Waiters() // never told of anything
	clock := useWaitClock(f.svc)
	hook := f.create(t, f.a)
	events := postEvent(t, f)

	done := startWait(context.Background(), f, events)
	clock.ticks <- time.Now() // taken: the wait has read the store and waits
	id := deliveryIDs(t, f, events[0])[0]
	recordAttempt(t, f, id, domain.StatusSucceeded, 200, `{"Success":true,"HTMLResponse":"<p>Order 1042 imported</p>"}`)
	got := tickUntilDone(clock, done)
	if got.err != nil {
		t.Fatal(got.err)
	}
	if !got.res.Complete || !got.res.Waited || len(got.res.Outcomes) != 1 || len(got.res.Outcomes[0]) != 1 {
		t.Fatalf("result %+v", got.res)
	}
	o := got.res.Outcomes[0][0]
	if o.DeliveryID != id || o.WebhookID != hook.ID || o.Status != domain.StatusSucceeded || o.StatusCode != 200 || !o.Success ||
		o.HTMLResponse == nil || *o.HTMLResponse != "<p>Order 1042 imported</p>" {
		t.Errorf("outcome %+v", o)
	}
	if n := f.engine.waiters.Watched(); n != 0 {
		t.Errorf("%d deliveries still watched after the wait", n)
	}
}

func TestWaitAnswersWithWhatItKnowsAtTheDeadline(t *testing.T) {
	f := newFixture(t)
	clock := useWaitClock(f.svc)
	f.create(t, f.a)
	f.create(t, f.a)
	events := postEvent(t, f)

	done := startWait(context.Background(), f, events)
	clock.ticks <- time.Now()
	// One delivery fails its first attempt and will be retried; the other
	// has not been attempted when the deadline comes.
	ids := deliveryIDs(t, f, events[0])
	recordAttempt(t, f, ids[0], domain.StatusRetrying, 500, `{"HTMLResponse":"<p>try later</p>"}`)
	clock.deadline <- time.Now()
	got := <-done
	if got.err != nil || got.res.Complete {
		t.Fatalf("result %+v, %v; want incomplete", got.res, got.err)
	}
	byID := map[string]FirstOutcome{}
	for _, o := range got.res.Outcomes[0] {
		byID[o.DeliveryID] = o
	}
	failed, pending := byID[ids[0]], byID[ids[1]]
	if failed.Status != domain.StatusRetrying || failed.StatusCode != 500 || failed.Success || failed.HTMLResponse == nil {
		t.Errorf("failed first attempt: %+v", failed)
	}
	if pending.Status != domain.StatusPending || pending.StatusCode != 0 || pending.Success || pending.HTMLResponse != nil || pending.Done {
		t.Errorf("unattempted delivery: %+v", pending)
	}
}

func TestWaitPastMaxWaitersAnswersAtOnce(t *testing.T) {
	f := newFixture(t)
	WithMaxWaiters(1)(f.svc)
	useWaitClock(f.svc) // a wait would block: nobody ticks
	f.create(t, f.a)
	events := postEvent(t, f)

	f.svc.waiting.Add(1) // another request waits
	res, err := f.svc.AwaitFirstOutcomes(context.Background(), f.a, events, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Waited || res.Complete || len(res.Outcomes[0]) != 1 || res.Outcomes[0][0].Status != domain.StatusPending {
		t.Errorf("past the limit: %+v, want an unwaited answer with the pending delivery", res)
	}
	if n := f.svc.waiting.Load(); n != 1 {
		t.Errorf("%d waiting, want only the other request", n)
	}
}

func TestWaitEndsWhenTheCallerGoesAway(t *testing.T) {
	f := newFixture(t)
	f.engine.waiters = delivery.New(f.db, delivery.Config{}).Waiters()
	clock := useWaitClock(f.svc)
	f.create(t, f.a)
	events := postEvent(t, f)

	ctx, cancel := context.WithCancel(context.Background())
	done := startWait(ctx, f, events)
	clock.ticks <- time.Now()
	if n := f.engine.waiters.Watched(); n != 1 {
		t.Fatalf("%d deliveries watched, want 1", n)
	}
	cancel()
	if got := <-done; !errors.Is(got.err, context.Canceled) {
		t.Fatalf("wait ended with %v, want context.Canceled", got.err)
	}
	if n, w := f.svc.waiting.Load(), f.engine.waiters.Watched(); n != 0 || w != 0 {
		t.Errorf("after the caller left: %d waiting, %d deliveries watched", n, w)
	}
}

func TestWaitWithoutDeliveriesIsCompleteAtOnce(t *testing.T) {
	f := newFixture(t)
	useWaitClock(f.svc)
	f.create(t, f.a)
	events := []*domain.Event{{Topic: "users/created"}} // nobody subscribes
	if _, err := f.svc.PostEvents(context.Background(), f.a, events); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.AwaitFirstOutcomes(context.Background(), f.a, events, 30*time.Second)
	if err != nil || !res.Complete || !res.Waited || len(res.Outcomes[0]) != 0 {
		t.Fatalf("result %+v, %v; want complete with no outcomes", res, err)
	}
}
