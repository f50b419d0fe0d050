package delivery

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"hooks/domain"
)

// fakeBroker counts the senders built for its destination type and the
// ones closed.
type fakeBroker struct {
	built, closed atomic.Int32
}

type fakeSender struct {
	b      *fakeBroker
	closed atomic.Bool
}

func (s *fakeSender) Send(context.Context, Message) Reply {
	if s.closed.Load() {
		return Reply{Err: errClosedForTest}
	}
	return Reply{StatusCode: 202}
}

func (s *fakeSender) Close() error {
	if !s.closed.Swap(true) {
		s.b.closed.Add(1)
	}
	return nil
}

var errClosedForTest = context.Canceled

func registerFake(t *testing.T) *fakeBroker {
	t.Helper()
	b := &fakeBroker{}
	newBrokerSender["fake"] = func(domain.Destination, brokerEnv) brokerSender {
		b.built.Add(1)
		return &fakeSender{b: b}
	}
	t.Cleanup(func() { delete(newBrokerSender, "fake") })
	return b
}

func TestBrokerPoolReusesOneSenderPerEndpointVersion(t *testing.T) {
	b := registerFake(t)
	now := time.Unix(1_800_000_000, 0)
	pool := newBrokerPool(brokerEnv{}, func() time.Time { return now })
	w := &domain.Endpoint{ID: "wbh_1", UpdatedAt: now, Destination: domain.Destination{Type: "fake", URL: "fake://a"}}
	send := func(w *domain.Endpoint) Reply { return pool.sender(w).Send(context.Background(), Message{}) }

	for range 3 {
		if r := send(w); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if b.built.Load() != 1 {
		t.Fatalf("built %d senders for one endpoint version, want 1", b.built.Load())
	}

	// A change (new updatedAt) replaces the sender and closes the old one.
	changed := *w
	changed.UpdatedAt = now.Add(time.Second)
	old := pool.sender(w) // prepared before the change
	send(&changed)
	waitFor(t, func() bool { return b.closed.Load() == 1 })
	if b.built.Load() != 2 {
		t.Fatalf("built %d senders after a change, want 2", b.built.Load())
	}
	// An attempt prepared for the old version goes through the new
	// sender: the old connection is not opened again.
	if r := old.Send(context.Background(), Message{}); r.Err != nil || b.built.Load() != 2 {
		t.Errorf("old version's attempt: %v, %d senders built", r.Err, b.built.Load())
	}

	// Deleting the endpoint closes its sender.
	pool.forget(w.ID)
	waitFor(t, func() bool { return b.closed.Load() == b.built.Load() })

	// An idle sender is closed by the sweep.
	send(w)
	now = now.Add(brokerIdle + time.Second)
	pool.closeIdle()
	waitFor(t, func() bool { return b.closed.Load() == b.built.Load() })

	// Shutdown closes everything and builds nothing more.
	send(w)
	pool.closeAll()
	if b.closed.Load() != b.built.Load() {
		t.Errorf("closeAll left %d of %d senders open", b.built.Load()-b.closed.Load(), b.built.Load())
	}
	if r := send(w); r.Err == nil {
		t.Error("a send after closeAll succeeded")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}
