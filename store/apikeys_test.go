package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store/storetest"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestRevokedKeyFailsOnEveryInstanceWithinFiveSeconds revokes a key on one
// handle of a database while another, as a second instance would, has it
// cached: the first refuses it at once, the second once its cache entry
// is older than the API's promise of 5 seconds allows.
func TestRevokedKeyFailsOnEveryInstanceWithinFiveSeconds(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	clock := &fakeClock{t: time.Now()}
	open := func() *DB {
		t.Helper()
		db, err := Open(ctx, dsn, WithClock(clock.now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	k := &APIKey{TenantID: domain.DefaultTenant, Name: "producer", Scope: domain.ScopePublish}
	secret, err := a.InsertAPIKey(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, k.Prefix) || len(k.Prefix) != apiKeyShownPrefix {
		t.Fatalf("prefix %q is not the start of the key", k.Prefix)
	}
	for _, db := range []*DB{a, b} {
		got, err := db.APIKeyBySecret(ctx, secret)
		if err != nil || got.ID != k.ID || got.Scope != domain.ScopePublish {
			t.Fatalf("lookup before revoking = %+v, %v", got, err)
		}
	}
	if err := a.DeleteAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.APIKeyBySecret(ctx, secret); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		t.Fatalf("the revoking instance still accepts the key: %v", err)
	}
	clock.add(5 * time.Second)
	if _, err := b.APIKeyBySecret(ctx, secret); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		t.Fatalf("5 s after the revocation the other instance still accepts the key: %v", err)
	}
}

func TestKeyUseIsRecordedAtMostOnceAMinute(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Now().Truncate(time.Millisecond)}
	db, err := Open(ctx, storetest.DSN(t), WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k, secret, err := db.CreateAPIKey(ctx, "", "k")
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() time.Time {
		t.Helper()
		keys, err := db.APIKeys(ctx, "")
		if err != nil || len(keys) != 1 {
			t.Fatalf("APIKeys = %v, %v", keys, err)
		}
		return keys[0].LastUsedAt
	}
	use := func() {
		t.Helper()
		got, err := db.APIKeyBySecret(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.NoteAPIKeyUse(ctx, got, secret); err != nil {
			t.Fatal(err)
		}
	}
	if !lastUsed().IsZero() {
		t.Fatal("a new key has a last use")
	}
	first := clock.now()
	use()
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("last use %v, want %v", got, first)
	}
	clock.add(30 * time.Second)
	use()
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("a use 30 s later was written: %v", got)
	}
	clock.add(31 * time.Second)
	use()
	if got := lastUsed(); !got.Equal(clock.now()) {
		t.Fatalf("a use 61 s after the first was not written: %v", got)
	}
	if k.Scope != domain.ScopeAdmin {
		t.Errorf("CreateAPIKey made scope %q, want admin", k.Scope)
	}
}

// TestNotingAUseDoesNotKeepARevokedKeyAlive: writing a key's last use must
// not refresh its cache entry. Here instance b reads the key from the
// database (last used 59.5 s ago, by a) just before a revokes it; 3 s later
// a request on b is due to note a use. Had that put the entry back with a
// fresh lifetime, b would accept the revoked key for 7 s.
func TestNotingAUseDoesNotKeepARevokedKeyAlive(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	clock := &fakeClock{t: time.Now().Truncate(time.Millisecond)}
	open := func() *DB {
		t.Helper()
		db, err := Open(ctx, dsn, WithClock(clock.now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	k, secret, err := a.CreateAPIKey(ctx, "", "producer")
	if err != nil {
		t.Fatal(err)
	}
	use := func(db *DB) error {
		t.Helper()
		got, err := db.APIKeyBySecret(ctx, secret)
		if err != nil {
			return err
		}
		if err := db.NoteAPIKeyUse(ctx, got, secret); err != nil {
			t.Fatal(err)
		}
		return nil
	}
	if err := use(a); err != nil {
		t.Fatal(err)
	}
	clock.add(59500 * time.Millisecond)
	if err := use(b); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	revoked := clock.now()
	clock.add(3 * time.Second)
	_ = use(b) // from b's cache, younger than 4 s: may still be accepted
	for clock.now().Sub(revoked) < 7*time.Second {
		clock.add(500 * time.Millisecond)
		err := use(b)
		if since := clock.now().Sub(revoked); since >= 5*time.Second && domain.ErrorCode(err) != domain.EUNAUTHORIZED {
			t.Fatalf("b accepts the key %v after it was revoked: %v", since, err)
		}
	}
}
