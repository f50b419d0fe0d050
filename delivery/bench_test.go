package delivery_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"hooks/cputime"
	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// BenchmarkEngine runs the whole delivery loop — claim, render, sign, POST
// to a receiver on loopback, group-commit the attempt — for b.N stored
// deliveries of 1 KiB events to endpoints sharing one receiver. ns/op is
// per delivery; the receiver runs in the same process and shares the CPU.
// The live runs store the events while the engine runs, as the API does,
// so the deliveries are handed over in memory rather than claimed; their
// timing includes storing the events.
//
// allocs/op and cpu-µs/delivery (the process's CPU time, user and system,
// per delivery: steadier than ns/op on a busy machine) guard the hot path.
func BenchmarkEngine(b *testing.B) {
	for _, fanout := range []int{1, 10} {
		b.Run(fmt.Sprintf("fanout-%d", fanout), func(b *testing.B) { benchmarkEngine(b, fanout, false) })
	}
	b.Run("live-fanout-10", func(b *testing.B) { benchmarkEngine(b, 10, true) })
}

func benchmarkEngine(b *testing.B, fanout int, live bool) {
	ctx := context.Background()
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	db, err := store.Open(ctx, storetest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var done, batches, batchTime atomic.Int64
	all := make(chan struct{})
	engine := delivery.New(db, delivery.Config{
		Policy:  &netguard.Policy{AllowHTTP: true, AllowPrivate: true},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnBatch: func(n int, took time.Duration) { batches.Add(1); batchTime.Add(int64(took)) },
		OnOutcome: func(o store.Outcome) {
			if o.Status != domain.StatusSucceeded {
				b.Errorf("delivery %s: %s", o.DeliveryID, o.Status)
			}
			if done.Add(1) == int64(b.N) {
				close(all)
			}
		},
	})
	for i := range fanout {
		hook := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: fmt.Sprintf("%s/%d", rcv.URL, i), Topics: []string{"*"}, Enabled: true}
		if err := engine.ValidateWebhook(hook); err != nil {
			b.Fatal(err)
		}
		if err := db.CreateEndpoint(ctx, hook); err != nil {
			b.Fatal(err)
		}
	}
	payload := []byte(`{"data":"` + fmt.Sprintf("%01013d", 0) + `"}`)
	post := func(batch int) {
		events := make([]*domain.Event, 0, batch)
		for n := 0; n < b.N; n += fanout {
			events = append(events, &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: payload})
			if len(events) == cap(events) || n+fanout >= b.N {
				if _, err := db.CreateEvents(ctx, events); err != nil {
					b.Error(err)
					return
				}
				events = events[:0]
			}
		}
	}
	if !live {
		post(500)
	}
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan error)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Process()
	go func() { stopped <- engine.Run(runCtx, time.Second) }()
	if live {
		for !engine.Running() {
			runtime.Gosched()
		}
		go post(20) // small batches, as concurrent API requests make
	}
	select {
	case <-all:
	case <-time.After(10 * time.Minute):
		b.Fatalf("delivered %d of %d", done.Load(), b.N)
	}
	b.StopTimer()
	if cpu := cputime.Process() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/delivery")
	}
	if batches.Load() > 0 {
		b.ReportMetric(float64(b.N)/float64(batches.Load()), "outcomes/commit")
		b.ReportMetric(float64(batchTime.Load())/float64(b.N), "record-ns/op")
	}
	stop()
	if err := <-stopped; err != nil {
		b.Fatal(err)
	}
}
