package web

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
	"hooks/templates"
)

// TestStatsAgreeWithTheAttemptsAtAMillion records a million attempts
// (fewer under the race detector: statsVolume) across 100 endpoints
// through the store's real recording path, in batches as the engine
// writes them, then checks that the statistics the API, the dashboard and
// the endpoint pages read agree exactly with counts taken from the
// attempts table, and logs how long the pages take to render at that
// volume.
func TestStatsAgreeWithTheAttemptsAtAMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("records a million attempts")
	}
	const endpoints, rounds, batch = 100, 10, 5000
	total := statsVolume
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The engine is not run: the test records the outcomes itself.
	engine := delivery.New(db, delivery.Config{Logger: log})
	s := &testServer{t: t, db: db, engine: engine, srv: New(db, engine, Config{PublicURL: "http://hooks.test", Logger: log, Dev: true})}
	s.http = httptest.NewServer(s.srv)
	t.Cleanup(s.http.Close)
	if _, s.key, err = db.CreateAPIKey(ctx, "", "test"); err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	var hooks []*domain.Endpoint
	for i := range endpoints {
		hooks = append(hooks, addUIWebhook(t, s, domain.DefaultTenant, fmt.Sprintf("Endpoint %d", i), "https://example.com/hook", "orders/*"))
	}
	perRound := total / rounds
	for done := 0; done < perRound/endpoints; {
		events := make([]*domain.Event, min(500, perRound/endpoints-done))
		for i := range events {
			events[i] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{}`)}
		}
		if _, err := db.CreateEvents(ctx, events); err != nil {
			t.Fatal(err)
		}
		done += len(events)
	}
	ds, err := db.ClaimDue(ctx, "test", time.Now().Add(time.Hour), 24*time.Hour, perRound)
	if err != nil || len(ds) != perRound {
		t.Fatalf("claimed %d deliveries of %d: %v", len(ds), perRound, err)
	}
	// Attempts spread, oldest first, from 22 hours before this hour began
	// until now, so that a batch spans a minute or two and the day's
	// charts hold them all. The dashboard's day is the 24 hours ending
	// with the hour it renders in; should the hour turn before it renders,
	// that day begins 22 hours before this hour, never later.
	now := time.Now().UTC()
	first := now.Truncate(time.Hour).Add(-22 * time.Hour)
	step := now.Sub(first) / time.Duration(total)
	for round := range rounds {
		for lo := 0; lo < perRound; lo += batch {
			outcomes := make([]store.Outcome, 0, batch)
			for j, d := range ds[lo:min(lo+batch, perRound)] {
				i := round*perRound + lo + j
				a := millionAttempt(i, first.Add(time.Duration(i)*step))
				outcomes = append(outcomes, store.Outcome{DeliveryID: d.ID, Status: domain.StatusRetrying,
					NextAttemptAt: now.Add(time.Hour), LastStatusCode: a.StatusCode, Attempt: a})
			}
			if err := db.RecordOutcomes(ctx, outcomes); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("recorded %d attempts of %d endpoints in %s", total, endpoints, time.Since(began).Round(time.Millisecond))

	// The attempts table's own counts, through a connection of the test's.
	raw := openRaw(t, dsn)
	want := map[string]*store.StatsBucket{}
	rows, err := raw.Query(`SELECT d.endpoint_id, a.status_code, a.error = '', substr(a.error, 1, 9) = 'timed out', a.request_headers <> 'null',
		a.duration_ms, COUNT(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
		GROUP BY d.endpoint_id, a.status_code, a.error = '', substr(a.error, 1, 9) = 'timed out', a.request_headers <> 'null', a.duration_ms`)
	if err != nil {
		t.Fatal(err)
	}
	var counted int64
	for rows.Next() {
		var id string
		var code int
		var noError, timedOut, sent bool
		var durationMS, n int64
		if err := rows.Scan(&id, &code, &noError, &timedOut, &sent, &durationMS, &n); err != nil {
			t.Fatal(err)
		}
		b := want[id]
		if b == nil {
			b = &store.StatsBucket{}
			want[id] = b
		}
		b.Attempts += n
		counted += n
		switch {
		case code >= 200 && code < 300 && noError:
			b.Succeeded += n
		case code >= 500:
			b.FailedBy[store.Failed5xx] += n
		case code >= 400:
			b.FailedBy[store.Failed4xx] += n
		case code == 0 && timedOut:
			b.FailedBy[store.FailedTimeout] += n
		case code == 0 && sent:
			b.FailedBy[store.FailedNetwork] += n
		default:
			b.FailedBy[store.FailedOther] += n
		}
		i, _ := slices.BinarySearch(store.LatencyBoundsMs[:], durationMS+1)
		b.Latency[i] += n
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if counted != int64(total) {
		t.Fatalf("the attempts table has %d attempts, want %d", counted, total)
	}
	var tenantWant store.StatsBucket
	for _, b := range want {
		tenantWant.Add(b)
	}

	// Every endpoint's day, by hour, through the API.
	from, to := now.Add(-24*time.Hour).Format(time.RFC3339), now.Add(time.Minute).Format(time.RFC3339)
	var tenantHours store.StatsBucket
	for _, h := range hooks {
		var got statsList
		mustStatus(t, s.do("GET", "/api/v1/stats?interval=hour&webhookId="+h.ID+"&from="+from+"&to="+to, s.key, nil, &got), 200)
		sum := sumPoints(got.Data)
		w := want[h.ID]
		if w == nil {
			w = &store.StatsBucket{}
		}
		if sum.Attempts != w.Attempts || sum.Succeeded != w.Succeeded || sum.FailedBy != w.FailedBy {
			t.Errorf("%s: statistics %+v, attempts table %+v", h.ID, sum, w)
		}
		tenantHours.Add(&sum)
	}
	// The tenant's minutes and days, and the exact histograms.
	tenantMinutes, err := db.Stats(ctx, domain.DefaultTenant, "", now.Add(-24*time.Hour), now.Add(time.Minute), store.StatsMinute)
	if err != nil {
		t.Fatal(err)
	}
	tenantDays, err := db.Stats(ctx, domain.DefaultTenant, "", now.Add(-48*time.Hour), now.Add(time.Minute), store.StatsDay)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]store.StatsBucket{"minutes": sumBuckets(tenantMinutes), "days": sumBuckets(tenantDays)} {
		if got.Attempts != tenantWant.Attempts || got.Succeeded != tenantWant.Succeeded || got.FailedBy != tenantWant.FailedBy || got.Latency != tenantWant.Latency {
			t.Errorf("the tenant's %s sum to %+v, the attempts table to %+v", name, got, tenantWant)
		}
	}
	if tenantHours.Attempts != tenantWant.Attempts {
		t.Errorf("the endpoints' hours sum to %d attempts, want %d", tenantHours.Attempts, tenantWant.Attempts)
	}

	// The pages that chart them, timed at this volume.
	addUIUser(t, db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("ada@example.com")
	for _, path := range []string{"/", "/?range=24h", "/webhooks", "/webhooks/" + hooks[0].ID} {
		c.get(path).want(t, http.StatusOK, "") // warm the caches and prepared statements
		began := time.Now()
		page := c.get(path).want(t, http.StatusOK, "")
		took := time.Since(began)
		t.Logf("GET %s rendered in %s at %d attempts", path, took.Round(100*time.Microsecond), total)
		if path == "/?range=24h" {
			kpi := page.doc.Find(".kpi-value").Eq(1).Text()
			if wantDay := templates.FormatCount(int(tenantWant.Attempts)); kpi != wantDay {
				t.Errorf("the dashboard shows %q deliveries in the last 24 h, want %q", kpi, wantDay)
			}
		}
	}
}

// millionAttempt is the i-th attempt of the million: mostly 2xx, and each
// class of failure, with durations across the histogram.
func millionAttempt(i int, started time.Time) *domain.Attempt {
	a := &domain.Attempt{Trigger: domain.TriggerScheduled, URL: "https://example.com/hook",
		RequestHeaders: http.Header{"Content-Type": {"application/json"}},
		Duration:       time.Duration((i*7919)%12_000) * time.Millisecond, StartedAt: started}
	switch i % 20 {
	case 15:
		a.StatusCode, a.Error = 503, "receiver answered 503 Service Unavailable"
	case 16:
		a.StatusCode, a.Error = 410, "receiver answered 410 Gone"
	case 17:
		a.Error = "timed out after 5s (connection and response)"
	case 18:
		a.Error = "dial tcp 192.0.2.1:443: connect: connection refused"
	case 19:
		a.RequestHeaders, a.Error = nil, "sign: no key"
	default:
		a.StatusCode = 200
	}
	return a
}

// openRaw opens the test's database with a connection of its own.
func openRaw(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if storetest.Backend() == storetest.Postgres {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func sumBuckets(bs []store.StatsBucket) store.StatsBucket {
	var sum store.StatsBucket
	for i := range bs {
		sum.Add(&bs[i])
	}
	return sum
}

func sumPoints(ps []statsPointJSON) store.StatsBucket {
	var sum store.StatsBucket
	for _, p := range ps {
		sum.Attempts += p.Attempts
		sum.Succeeded += p.Succeeded
		sum.FailedBy[store.FailedTimeout] += p.FailedBy.Timeout
		sum.FailedBy[store.FailedNetwork] += p.FailedBy.Network
		sum.FailedBy[store.Failed4xx] += p.FailedBy.C4xx
		sum.FailedBy[store.Failed5xx] += p.FailedBy.C5xx
		sum.FailedBy[store.FailedOther] += p.FailedBy.Other
	}
	return sum
}
