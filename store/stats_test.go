package store

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store/storetest"
)

// statsEpoch is when the attempts of the statistics tests start: a whole
// day, so minute, hour and day buckets line up with it.
var statsEpoch = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// statsAttempt is the i-th attempt of the statistics tests: every class of
// outcome in turn, with durations across the whole histogram.
func statsAttempt(i int, started time.Time) *domain.Attempt {
	sent := http.Header{"Content-Type": {"application/json"}}
	a := &domain.Attempt{Trigger: domain.TriggerScheduled, URL: "https://example.com/hook", RequestHeaders: sent,
		Duration: time.Duration((i*7919)%45_000) * time.Millisecond, StartedAt: started}
	switch i % 10 {
	case 0, 1, 2, 3, 4:
		a.StatusCode = 200 + i%5
	case 5:
		a.StatusCode, a.Error = 503, "receiver answered 503 Service Unavailable"
	case 6:
		a.StatusCode, a.Error = 404, "receiver answered 404 Not Found"
	case 7:
		a.Error = "timed out after 5s (connection and response)"
	case 8:
		a.Error = "dial tcp 192.0.2.1:443: connect: connection refused"
	case 9:
		switch i % 3 {
		case 0:
			a.StatusCode, a.Error = 200, `receiver answered "Success": false`
		case 1:
			a.StatusCode, a.Error = 302, "redirect to \"/\" not followed: webhook targets must answer directly"
		default:
			a.RequestHeaders, a.Error = nil, "sign: no key"
		}
	}
	return a
}

// statsFixture makes endpoints endpoints with one delivery each of events
// events, and returns the deliveries.
func statsFixture(t testing.TB, db *DB, endpoints, events int) []*domain.Delivery {
	t.Helper()
	ctx := context.Background()
	for range endpoints {
		createTestWebhook(t, db, "orders/*")
	}
	for done := 0; done < events; {
		batch := make([]*domain.Event, min(200, events-done))
		for i := range batch {
			batch[i] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{}`)}
		}
		if _, err := db.CreateEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
		done += len(batch)
	}
	ds, err := db.ClaimDue(ctx, "test", time.Now().Add(time.Hour), time.Hour, endpoints*events)
	if err != nil || len(ds) != endpoints*events {
		t.Fatalf("claimed %d of %d deliveries: %v", len(ds), endpoints*events, err)
	}
	return ds
}

// recordAttempts records one attempt of each delivery, attempt i started
// at start(i), in batches of batch outcomes.
func recordAttempts(t testing.TB, db *DB, ds []*domain.Delivery, first int, batch int, start func(i int) time.Time) {
	t.Helper()
	for lo := 0; lo < len(ds); lo += batch {
		part := ds[lo:min(lo+batch, len(ds))]
		outcomes := make([]Outcome, len(part))
		for j, d := range part {
			i := first + lo + j
			a := statsAttempt(i, start(i))
			outcomes[j] = Outcome{DeliveryID: d.ID, Status: domain.StatusRetrying, NextAttemptAt: time.Now().Add(time.Hour),
				LastStatusCode: a.StatusCode, Attempt: a}
		}
		if err := db.RecordOutcomes(context.Background(), outcomes); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStatsCountClassesAndLatencyOfRecordedAttempts(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	ds := statsFixture(t, db, 1, 30)
	// Attempts 0–29 in the first minute, 30–59 at 00:01 and 01:00.
	recordAttempts(t, db, ds, 0, 7, func(i int) time.Time { return statsEpoch.Add(time.Duration(i) * time.Second) })
	recordAttempts(t, db, ds[:15], 30, 7, func(i int) time.Time { return statsEpoch.Add(time.Minute + time.Second) })
	recordAttempts(t, db, ds[15:], 45, 7, func(i int) time.Time { return statsEpoch.Add(time.Hour) })

	minutes, err := db.Stats(ctx, domain.DefaultTenant, ds[0].EndpointID, statsEpoch, statsEpoch.Add(3*time.Minute), StatsMinute)
	if err != nil {
		t.Fatal(err)
	}
	if len(minutes) != 3 || minutes[0].Attempts != 30 || minutes[1].Attempts != 15 || minutes[2].Attempts != 0 || !minutes[2].Start.Equal(statsEpoch.Add(2*time.Minute)) {
		t.Fatalf("minutes = %+v", minutes)
	}
	first := minutes[0]
	// Of every ten attempts: five 2xx, and one each of 5xx, 4xx, timeout,
	// network and other.
	want := [FailureClasses]int64{FailedTimeout: 3, FailedNetwork: 3, Failed4xx: 3, Failed5xx: 3, FailedOther: 3}
	if first.Succeeded != 15 || first.FailedBy != want || first.Failed() != 15 {
		t.Errorf("first minute: succeeded %d, failed by %v", first.Succeeded, first.FailedBy)
	}
	var expect StatsBucket
	for i := range 30 {
		expect.Latency[latencyBucket(statsAttempt(i, statsEpoch).Duration.Milliseconds())]++
	}
	if first.Latency != expect.Latency {
		t.Errorf("latency histogram %v, want %v", first.Latency, expect.Latency)
	}

	hours, err := db.Stats(ctx, domain.DefaultTenant, "", statsEpoch, statsEpoch.Add(2*time.Hour), StatsHour)
	if err != nil {
		t.Fatal(err)
	}
	if len(hours) != 2 || hours[0].Attempts != 45 || hours[1].Attempts != 15 {
		t.Fatalf("hours = %+v", hours)
	}
	merged := minutes[0]
	merged.Add(&minutes[1])
	merged.Start = hours[0].Start
	if hours[0] != merged {
		t.Errorf("the hour is not the sum of its minutes:\n%+v\n%+v", hours[0], merged)
	}
	days, err := db.Stats(ctx, domain.DefaultTenant, ds[0].EndpointID, statsEpoch.Add(time.Hour), statsEpoch.Add(time.Hour), StatsDay)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 0 {
		t.Errorf("an empty window has %d days", len(days))
	}
	days, err = db.Stats(ctx, domain.DefaultTenant, ds[0].EndpointID, statsEpoch.Add(time.Hour), statsEpoch.Add(25*time.Hour), StatsDay)
	if err != nil || len(days) != 2 || days[0].Attempts != 60 || !days[0].Start.Equal(statsEpoch) || days[1].Attempts != 0 {
		t.Fatalf("days = %+v, %v", days, err)
	}
	other, err := db.Stats(ctx, "another-tenant", "", statsEpoch, statsEpoch.Add(time.Hour), StatsHour)
	if err != nil || other[0].Attempts != 0 {
		t.Errorf("another tenant sees %+v, %v", other, err)
	}
}

func TestStatsQuantilesInterpolateInTheirBucket(t *testing.T) {
	var b StatsBucket
	if _, ok := b.QuantileMs(0.5); ok {
		t.Error("an empty bucket has a median")
	}
	b.Latency[latencyBucket(60)] = 10 // [50, 75)
	if got, _ := b.QuantileMs(0.5); got != 62.5 {
		t.Errorf("p50 = %v, want 62.5", got)
	}
	if got, _ := b.QuantileMs(0.95); got != 75 {
		t.Errorf("p95 = %v, want 75", got)
	}
	b.Latency[LatencyBuckets-1] = 90 // ≥ 30 s
	if got, _ := b.QuantileMs(0.5); got != 30_000 {
		t.Errorf("p50 in the open bucket = %v, want its lower bound", got)
	}
	for ms, want := range map[int64]int{0: 0, 4: 0, 5: 1, 9: 1, 10: 2, 29_999: 15, 30_000: 16, 1 << 40: 16} {
		if got := latencyBucket(ms); got != want {
			t.Errorf("latencyBucket(%d) = %d, want %d", ms, got, want)
		}
	}
}

// statsTables reads both stats tables whole, in key order.
func statsTables(t *testing.T, db *DB) string {
	t.Helper()
	var out strings.Builder
	for _, table := range []string{"stats_minutes", "stats_hours"} {
		rows, err := db.read.Query(`SELECT ` + strings.Join(statsColumns, ", ") + ` FROM ` + table + ` ORDER BY endpoint_id, start`)
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]any, len(statsColumns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&out, table, vals)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out.String()
}

func TestStatsBackfillMatchesRecording(t *testing.T) {
	db := openTestDB(t)
	ds := statsFixture(t, db, 3, 50)
	recordAttempts(t, db, ds, 0, 40, func(i int) time.Time { return statsEpoch.Add(time.Duration(i) * 37 * time.Second) })
	recorded := statsTables(t, db)
	if strings.Count(recorded, "\n") < 50 {
		t.Fatalf("too few stats rows to compare:\n%s", recorded)
	}

	// Undo migration 0019 and apply it again, as an upgrade would with
	// these attempts already stored.
	ctx := context.Background()
	for _, q := range []string{`DROP TABLE stats_minutes`, `DROP TABLE stats_hours`, `DELETE FROM schema_migrations WHERE version = 19`} {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if backfilled := statsTables(t, db); backfilled != recorded {
		t.Errorf("the migration's backfill differs from what recording wrote:\n%s\nrecorded:\n%s", backfilled, recorded)
	}
}

func TestStatsTwoWritersAddToOneBucket(t *testing.T) {
	dsn := storetest.DSN(t)
	ctx := context.Background()
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	ds := statsFixture(t, dbs[0], 2, 200)
	// Both write every bucket: the same two endpoints, the same minute.
	var wg sync.WaitGroup
	for w, db := range dbs {
		wg.Go(func() {
			for round := range 10 {
				var mine []*domain.Delivery
				for i, d := range ds {
					if i%2 == w {
						mine = append(mine, d)
					}
				}
				recordAttempts(t, db, mine, round*len(mine), 20, func(int) time.Time { return statsEpoch })
			}
		})
	}
	wg.Wait()
	got, err := dbs[1].Stats(ctx, domain.DefaultTenant, "", statsEpoch, statsEpoch.Add(time.Minute), StatsMinute)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Attempts != 4000 {
		t.Errorf("two writers added %d attempts to the bucket, want 4000", got[0].Attempts)
	}
	var n int64
	if err := dbs[0].read.QueryRow(`SELECT COUNT(*) FROM attempts`).Scan(&n); err != nil || n != 4000 {
		t.Errorf("attempts table has %d: %v", n, err)
	}
}

func TestPurgeStatsBeforeKeepsNewerBuckets(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	ds := statsFixture(t, db, 1, 10)
	recordAttempts(t, db, ds, 0, 10, func(i int) time.Time { return statsEpoch.Add(time.Duration(i) * time.Hour) })
	n, err := db.PurgeStatsBefore(ctx, statsEpoch.Add(5*time.Hour), time.Time{}, 100)
	if err != nil || n != 5 {
		t.Fatalf("purged %d minute rows, want 5: %v", n, err)
	}
	n, err = db.PurgeStatsBefore(ctx, time.Time{}, statsEpoch.Add(3*time.Hour), 2)
	if err != nil || n != 2 {
		t.Fatalf("purged %d hour rows, want the limit 2: %v", n, err)
	}
	hours, _ := db.Stats(ctx, domain.DefaultTenant, "", statsEpoch, statsEpoch.Add(10*time.Hour), StatsHour)
	minutes, _ := db.Stats(ctx, domain.DefaultTenant, "", statsEpoch, statsEpoch.Add(10*time.Hour), StatsMinute)
	var h, m int64
	for _, b := range hours {
		h += b.Attempts
	}
	for _, b := range minutes {
		m += b.Attempts
	}
	if h != 8 || m != 5 {
		t.Errorf("left %d attempts in hours (want 8) and %d in minutes (want 5)", h, m)
	}
}
