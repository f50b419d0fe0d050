package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store/storetest"
)

// benchPayload is the 1 KiB event the throughput targets are measured with.
var benchPayload = []byte(`{"data":"` + fmt.Sprintf("%01013d", 0) + `"}`)

func benchDB(b *testing.B, fanout int) *DB {
	b.Helper()
	db, err := Open(context.Background(), storetest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	for range fanout {
		createTestWebhook(b, db, "orders/*")
	}
	return db
}

// BenchmarkCreateEventsBatch stores batches of 100 events with 10
// deliveries each: the batch API's write path. ns/op is per event.
func BenchmarkCreateEventsBatch(b *testing.B) {
	db := benchDB(b, 10)
	ctx := context.Background()
	const batch = 100
	events := make([]*domain.Event, batch)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%batch == 0 && i > 0 {
			if _, err := db.CreateEvents(ctx, events); err != nil {
				b.Fatal(err)
			}
		}
		events[i%batch] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: benchPayload}
	}
}

// BenchmarkCreateEventsConcurrent stores one event (fan-out 10) per call
// from many goroutines, as concurrent API requests do; the ingester
// commits them together. ns/op is per event.
func BenchmarkCreateEventsConcurrent(b *testing.B) {
	db := benchDB(b, 10)
	ctx := context.Background()
	b.SetParallelism(16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: benchPayload}
			if _, err := db.CreateEvents(ctx, []*domain.Event{e}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkClaimAndRecord claims due deliveries 256 at a time and records
// an attempt for each in one transaction: the engine's database work per
// delivery, less the fan-out insert. ns/op is per delivery.
func BenchmarkClaimAndRecord(b *testing.B) {
	db := benchDB(b, 1)
	ctx := context.Background()
	events := make([]*domain.Event, 1000)
	for i := 0; i < b.N; i += len(events) {
		for j := range events {
			events[j] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: benchPayload}
		}
		if _, err := db.CreateEvents(ctx, events); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Now().Add(time.Second)
	reqHeaders := map[string][]string{"Content-Type": {"application/json"}, "User-Agent": {"hooks"},
		"Webhook-Id": {"dlv_01HZX0000000000000000000"}, "Webhook-Signature": {"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		"Webhook-Timestamp": {"1614265330"}, "X-Hooks-Topic": {"orders/placed"}, "X-Hooks-Tenant-Id": {"default"}}
	respHeaders := map[string][]string{"Date": {"Mon, 02 Jan 2006 15:04:05 GMT"}, "Content-Length": {"0"}}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		claimed, err := db.ClaimDue(ctx, "bench", now, time.Minute, min(256, b.N-done))
		if err != nil || len(claimed) == 0 {
			b.Fatalf("claimed %d: %v", len(claimed), err)
		}
		outcomes := make([]Outcome, len(claimed))
		for i, d := range claimed {
			outcomes[i] = Outcome{DeliveryID: d.ID, EndpointID: d.EndpointID, TenantID: d.TenantID, Status: domain.StatusSucceeded, LastStatusCode: 204,
				Attempt: &domain.Attempt{Trigger: domain.TriggerScheduled, URL: "https://example.com/hook", StatusCode: 204,
					Duration: time.Millisecond, RequestHeaders: reqHeaders, ResponseHeaders: respHeaders, StartedAt: now}}
		}
		if err := db.RecordOutcomes(ctx, outcomes); err != nil {
			b.Fatal(err)
		}
		done += len(claimed)
	}
}

// BenchmarkIngestToOutcome is the database work of one delivery from
// ingest to its recorded attempt: events stored 20 at a time (fan-out 10),
// their deliveries taken by the engine, an attempt recorded for each.
// "claim" takes them back with ClaimDue and reads their events, as the
// dispatcher does for deliveries stored due; "handoff" has ingest store
// them leased and hand them over in memory (Handoff). ns/op is per
// delivery.
func BenchmarkIngestToOutcome(b *testing.B) {
	for _, handoff := range []bool{false, true} {
		name := map[bool]string{false: "claim", true: "handoff"}[handoff]
		b.Run(name, func(b *testing.B) { benchmarkIngestToOutcome(b, handoff) })
	}
}

func benchmarkIngestToOutcome(b *testing.B, handoff bool) {
	db := benchDB(b, 10)
	ctx := context.Background()
	var taken []*domain.Delivery
	if handoff {
		db.SetHandoff(&Handoff{Owner: "bench", Lease: time.Minute, Reserve: func(n int) int { return n }, Unreserve: func(int) {},
			Deliver: func(ds []*domain.Delivery, _ map[string]*domain.Event) { taken = append(taken, ds...) }})
	}
	respHeaders := map[string][]string{"Date": {"Mon, 02 Jan 2006 15:04:05 GMT"}, "Content-Length": {"0"}}
	events := make([]*domain.Event, 20)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		for i := range events {
			events[i] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: benchPayload}
		}
		if _, err := db.CreateEvents(ctx, events); err != nil {
			b.Fatal(err)
		}
		if !handoff {
			for {
				claimed, err := db.ClaimDue(ctx, "bench", time.Now().Add(time.Second), time.Minute, 256)
				if err != nil {
					b.Fatal(err)
				}
				if len(claimed) == 0 {
					break
				}
				ids := make([]string, len(claimed))
				for i, d := range claimed {
					ids[i] = d.EventID
				}
				if _, err := db.EventsByIDs(ctx, ids); err != nil {
					b.Fatal(err)
				}
				taken = append(taken, claimed...)
			}
		}
		outcomes := make([]Outcome, len(taken))
		for i, d := range taken {
			outcomes[i] = Outcome{DeliveryID: d.ID, EndpointID: d.EndpointID, TenantID: d.TenantID, Status: domain.StatusSucceeded, LastStatusCode: 204,
				Attempt: &domain.Attempt{Trigger: domain.TriggerScheduled, URL: "https://example.com/hook", StatusCode: 204,
					Duration: time.Millisecond, ResponseHeaders: respHeaders, StartedAt: time.Now()}}
		}
		if err := db.RecordOutcomes(ctx, outcomes); err != nil {
			b.Fatal(err)
		}
		done += len(taken)
		taken = taken[:0]
	}
}

// BenchmarkRecordOutcomes records batches of 256 outcomes, each with an
// attempt, spread over 100 endpoints: the engine's group commit, including
// the statistics it adds to. ns/op is per outcome.
func BenchmarkRecordOutcomes(b *testing.B) {
	db := benchDB(b, 100)
	ctx := context.Background()
	events := make([]*domain.Event, 20)
	for i := range events {
		events[i] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: benchPayload}
	}
	if _, err := db.CreateEvents(ctx, events); err != nil {
		b.Fatal(err)
	}
	ds, err := db.ClaimDue(ctx, "bench", time.Now().Add(time.Second), time.Hour, 2000)
	if err != nil || len(ds) != 2000 {
		b.Fatalf("claimed %d: %v", len(ds), err)
	}
	reqHeaders := map[string][]string{"Content-Type": {"application/json"}, "User-Agent": {"hooks"}}
	const batch = 256
	outcomes := make([]Outcome, 0, batch)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d := ds[i%len(ds)]
		outcomes = append(outcomes, Outcome{DeliveryID: d.ID, Status: domain.StatusRetrying, NextAttemptAt: time.Now().Add(time.Hour),
			LastStatusCode: 204, Attempt: &domain.Attempt{Trigger: domain.TriggerScheduled, URL: "https://example.com/hook",
				StatusCode: 204, Duration: time.Duration(i%300) * time.Millisecond, RequestHeaders: reqHeaders, StartedAt: time.Now()}})
		if len(outcomes) == batch || (i+1)%len(ds) == 0 {
			if err := db.RecordOutcomes(ctx, outcomes); err != nil {
				b.Fatal(err)
			}
			outcomes = outcomes[:0]
		}
	}
}
