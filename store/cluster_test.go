package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store/storetest"
)

// openShared opens n DBs on one fresh PostgreSQL database, as n hooks
// processes would.
func openShared(t *testing.T, n int) []*DB {
	t.Helper()
	dsn := storetest.PostgresDSN(t)
	dbs := make([]*DB, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	// At once, as instances started together would: migrations must
	// serialise themselves.
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = Open(context.Background(), dsn, WithMasterKey(make([]byte, MasterKeySize)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open instance %d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	return dbs
}

func TestSharedDatabaseClaimsNeverOverlap(t *testing.T) {
	ctx := context.Background()
	dbs := openShared(t, 3)
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: "https://example.com", Topics: []string{"*"}, Enabled: true, Secret: "s"}
	if err := dbs[0].CreateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	const events = 600
	batch := make([]*domain.Event, events)
	for i := range batch {
		batch[i] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte("{}")}
	}
	if _, err := dbs[1].CreateEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// Every instance claims small batches as fast as it can until nothing
	// is due; each delivery must be claimed exactly once.
	var mu sync.Mutex
	claimedBy := map[string]int{}
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := db.ClaimDue(ctx, fmt.Sprint("instance-", i), time.Now(), time.Hour, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					if prev, dup := claimedBy[d.ID]; dup {
						t.Errorf("delivery %s claimed by instance %d and %d", d.ID, prev, i)
					}
					claimedBy[d.ID] = i
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(claimedBy) != events {
		t.Fatalf("claimed %d deliveries, want %d", len(claimedBy), events)
	}
}

func TestSharedDatabaseElectsOneLeaderAndFailsOver(t *testing.T) {
	ctx := context.Background()
	dbs := openShared(t, 3)
	leaders := make([]*Leader, len(dbs))
	for i, db := range dbs {
		leaders[i] = db.Leader(fmt.Sprint("instance-", i), nil)
		t.Cleanup(leaders[i].Close)
	}
	leading := func() []int {
		var out []int
		for i, l := range leaders {
			if err := l.IsLeader(ctx); err == nil {
				out = append(out, i)
			} else if !errors.Is(err, ErrNotLeader) {
				t.Fatalf("instance %d: %v", i, err)
			}
		}
		return out
	}
	first := leading()
	if len(first) != 1 {
		t.Fatalf("leaders = %v, want exactly one", first)
	}
	if again := leading(); len(again) != 1 || again[0] != first[0] {
		t.Fatalf("leaders changed from %v to %v with nobody gone", first, again)
	}
	leaders[first[0]].Close() // the leader stops
	next := leading()
	if len(next) != 1 {
		t.Fatalf("after the leader stopped, leaders = %v, want exactly one", next)
	}
}

func TestSharedDatabaseNotifiesNewWork(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dbs := openShared(t, 2)
	woken := make(chan struct{}, 16)
	// A listener error would wake it too (after its reconnect), and pass
	// without any notification: fail on one instead.
	go dbs[1].ListenForWork(ctx, func() { woken <- struct{}{} }, func(err error) { t.Errorf("listener: %v", err) })
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: "https://example.com", Topics: []string{"*"}, Enabled: true, Secret: "s"}
	if err := dbs[0].CreateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	// The listener may connect after the first event: post until it hears one.
	deadline := time.After(10 * time.Second)
	for {
		if _, err := dbs[0].CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte("{}")}}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-woken:
			return
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("the other instance never heard of the new deliveries")
		}
	}
}

func TestListenForWorkReturnsAtOnceOnSQLite(t *testing.T) {
	db, err := Open(context.Background(), t.TempDir()+"/hooks.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.ListenForWork(context.Background(), func() { t.Error("woken on SQLite") }, func(err error) { t.Error(err) })
	if err := db.Leader("solo", nil).IsLeader(context.Background()); err != nil {
		t.Errorf("the one SQLite process must lead: %v", err)
	}
}

func TestSharedDatabaseReleasesTheParksOfAGoneInstance(t *testing.T) {
	ctx := context.Background()
	dbs := openShared(t, 2)
	alive, gone := dbs[0].Leader("alive", nil), dbs[1].Leader("gone", nil)
	t.Cleanup(alive.Close)
	t.Cleanup(gone.Close)
	for _, l := range []*Leader{alive, gone} {
		if err := l.IsLeader(ctx); err != nil && !errors.Is(err, ErrNotLeader) {
			t.Fatal(err) // connects, and so takes the alive lock
		}
	}
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: "https://example.com", Topics: []string{"*"}, Enabled: true, Secret: "s"}
	if err := dbs[0].CreateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	batch := make([]*domain.Event, 6)
	for i := range batch {
		batch[i] = &domain.Event{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte("{}")}
	}
	if _, err := dbs[0].CreateEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// Each instance claims three and parks them, as a congested endpoint's.
	until := time.Now().Add(time.Hour)
	for i, owner := range []string{"alive", "gone"} {
		got, err := dbs[i].ClaimDue(ctx, owner, time.Now(), time.Minute, 3)
		if err != nil || len(got) != 3 {
			t.Fatalf("claim: %d, %v", len(got), err)
		}
		ids := []string{got[0].ID, got[1].ID, got[2].ID}
		if err := dbs[i].ParkDeliveries(ctx, w.ID, ParkOwner(owner, w.ID), ids, until); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := dbs[0].ReleaseOrphanedParks(ctx); err != nil || n != 0 {
		t.Fatalf("with both instances running: released %d, %v; want 0", n, err)
	}
	gone.Close() // its session, and so its alive lock, ends
	// The server ends a closed session's backend, and frees its advisory
	// locks, a moment after the client hangs up: ask until it has.
	n, err := 0, error(nil)
	for deadline := time.Now().Add(10 * time.Second); n == 0 && err == nil && time.Now().Before(deadline); {
		n, err = dbs[0].ReleaseOrphanedParks(ctx)
	}
	if err != nil || n != 3 {
		t.Fatalf("after an instance went: released %d, %v; want its 3", n, err)
	}
	due, err := dbs[0].ClaimDue(ctx, "alive", time.Now(), time.Minute, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("claim after release: %d, %v; want the 3 released", len(due), err)
	}
	if n, err := dbs[0].ReleaseOrphanedParks(ctx); err != nil || n != 0 {
		t.Fatalf("again: released %d, %v; want 0 (the live instance's parks stay)", n, err)
	}
}
