package delivery

import (
	"testing"

	"hooks/domain"
	"hooks/store"
)

func TestWaitersHandEachWaiterTheFirstOutcomeOfEachDelivery(t *testing.T) {
	ws := newWaiters()
	a, missed := ws.Wait([]string{"dlv_1", "dlv_2"}, ws.Seq())
	if missed {
		t.Fatal("missed with nothing recorded")
	}
	b, _ := ws.Wait([]string{"dlv_1"}, ws.Seq())

	ws.recorded([]store.Outcome{{DeliveryID: "dlv_1", Status: domain.StatusSucceeded}, {DeliveryID: "dlv_9", Status: domain.StatusFailed}})
	ws.recorded([]store.Outcome{{DeliveryID: "dlv_1", Status: domain.StatusRetrying}}) // a later attempt: not sent
	for name, w := range map[string]*Waiter{"a": a, "b": b} {
		if o := <-w.C(); o.DeliveryID != "dlv_1" || o.Status != domain.StatusSucceeded {
			t.Errorf("%s got %+v, want dlv_1's first outcome", name, o)
		}
		if len(w.C()) != 0 {
			t.Errorf("%s got a second outcome of dlv_1", name)
		}
	}
	b.Stop()
	ws.recorded([]store.Outcome{{DeliveryID: "dlv_2", Status: domain.StatusFailed}})
	if o := <-a.C(); o.DeliveryID != "dlv_2" {
		t.Errorf("a got %+v, want dlv_2", o)
	}
	a.Stop()
	if n := ws.count.Load(); n != 0 || len(ws.byID) != 0 {
		t.Errorf("after Stop %d deliveries still watched", n)
	}
}

func TestWaitersSayWhenABatchWasRecordedBeforeTheWaitStarted(t *testing.T) {
	ws := newWaiters()
	seq := ws.Seq()
	// Recorded between the caller's read of the store and its Wait, with
	// nobody waiting: the fast path must still count it.
	ws.recorded([]store.Outcome{{DeliveryID: "dlv_1", Status: domain.StatusSucceeded}})
	w, missed := ws.Wait([]string{"dlv_1"}, seq)
	defer w.Stop()
	if !missed {
		t.Fatal("Wait did not report the batch recorded since seq")
	}
	w2, missed := ws.Wait([]string{"dlv_2"}, ws.Seq())
	defer w2.Stop()
	if missed {
		t.Fatal("missed reported with nothing recorded since seq")
	}
}

func TestStopStopsOnlyItsOwnWait(t *testing.T) {
	ws := newWaiters()
	a, _ := ws.Wait([]string{"dlv_1"}, ws.Seq())
	b, _ := ws.Wait([]string{"dlv_1"}, ws.Seq())
	a.Stop()
	ws.recorded([]store.Outcome{{DeliveryID: "dlv_1", Status: domain.StatusSucceeded}})
	if len(a.C()) != 0 || len(b.C()) != 1 {
		t.Fatalf("stopped waiter got %d, live waiter %d outcomes", len(a.C()), len(b.C()))
	}
	b.Stop()
}

// BenchmarkWaitersRecorded measures what the writer spends per outcome
// batch of 256 handing outcomes to waiters: nothing waited for (every
// batch without Prefer: wait), and every outcome waited for.
func BenchmarkWaitersRecorded(b *testing.B) {
	batch := make([]store.Outcome, 256)
	ids := make([]string, len(batch))
	for i := range batch {
		ids[i] = domain.NewID(domain.PrefixDelivery)
		batch[i] = store.Outcome{DeliveryID: ids[i], Status: domain.StatusSucceeded}
	}
	b.Run("nobody-waits", func(b *testing.B) {
		ws := newWaiters()
		for b.Loop() {
			ws.recorded(batch)
		}
	})
	b.Run("all-waited", func(b *testing.B) {
		ws := newWaiters()
		for b.Loop() {
			b.StopTimer()
			w, _ := ws.Wait(ids, ws.Seq())
			b.StartTimer()
			ws.recorded(batch)
			b.StopTimer()
			w.Stop()
			b.StartTimer()
		}
	})
}
