package sign

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"hooks/domain"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memKeys is an in-memory KeyStorage that counts calls and can be told to
// fail, standing in for the store package.
type memKeys struct {
	mu      sync.Mutex
	keys    map[string]domain.SigningKey
	calls   map[string]int
	failing map[string]error // method name → error it returns
}

func newMemKeys() *memKeys {
	return &memKeys{keys: map[string]domain.SigningKey{}, calls: map[string]int{}, failing: map[string]error{}}
}

func (m *memKeys) enter(method string) error {
	m.mu.Lock()
	m.calls[method]++
	return m.failing[method]
}

func (m *memKeys) SigningKeys(_ context.Context, tenantID string) ([]domain.SigningKey, error) {
	defer m.mu.Unlock()
	if err := m.enter("SigningKeys"); err != nil {
		return nil, err
	}
	var out []domain.SigningKey
	for _, k := range m.keys {
		if k.TenantID == tenantID {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b domain.SigningKey) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

func (m *memKeys) InsertSigningKey(_ context.Context, k domain.SigningKey) error {
	defer m.mu.Unlock()
	if err := m.enter("InsertSigningKey"); err != nil {
		return err
	}
	if _, ok := m.keys[k.ID]; ok {
		return fmt.Errorf("key %s exists", k.ID)
	}
	m.keys[k.ID] = k
	return nil
}

func (m *memKeys) RetireSigningKey(_ context.Context, id string, at time.Time) error {
	defer m.mu.Unlock()
	if err := m.enter("RetireSigningKey"); err != nil {
		return err
	}
	k, ok := m.keys[id]
	if !ok {
		return fmt.Errorf("key %s not found", id)
	}
	k.RetiredAt = at
	m.keys[id] = k
	return nil
}

func (m *memKeys) DeleteSigningKey(_ context.Context, id string) error {
	defer m.mu.Unlock()
	if err := m.enter("DeleteSigningKey"); err != nil {
		return err
	}
	delete(m.keys, id)
	return nil
}

func (m *memKeys) AllSigningKeys(context.Context) ([]domain.SigningKey, error) {
	defer m.mu.Unlock()
	if err := m.enter("AllSigningKeys"); err != nil {
		return nil, err
	}
	var out []domain.SigningKey
	for _, k := range m.keys {
		out = append(out, k)
	}
	return out, nil
}

func (m *memKeys) count(method string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[method]
}

func (m *memKeys) fail(method string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		delete(m.failing, method)
	} else {
		m.failing[method] = err
	}
}

// total returns how many storage calls were made.
func (m *memKeys) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		n += c
	}
	return n
}

// stored returns the tenant's stored keys, newest first.
func (m *memKeys) stored(t *testing.T, tenantID string) []domain.SigningKey {
	t.Helper()
	keys, err := m.SigningKeys(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// jwksKeyIDs decodes a JWK Set and returns its kids in order.
func jwksKeyIDs(t *testing.T, set []byte) []string {
	t.Helper()
	var s struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(set, &s); err != nil {
		t.Fatalf("JWK set %s: %v", set, err)
	}
	ids := []string{}
	for _, k := range s.Keys {
		ids = append(ids, k.Kid)
	}
	return ids
}

func tenantJWKS(t *testing.T, ring *KeyRing, tenantID string) []string {
	t.Helper()
	set, err := ring.JWKS(context.Background(), tenantID)
	if err != nil {
		t.Fatalf("JWKS(%s): %v", tenantID, err)
	}
	return jwksKeyIDs(t, set)
}

// currentKID signs for tenantID at now and returns the signing key's id.
func currentKID(t *testing.T, ring *KeyRing, tenantID string, now time.Time) string {
	t.Helper()
	k, err := ring.signingKey(context.Background(), tenantID, now)
	if err != nil {
		t.Fatalf("signingKey(%s): %v", tenantID, err)
	}
	return k.id
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestKeyRingCreatesKeyOnFirstUseOnly(t *testing.T) {
	st := newMemKeys()
	ring := NewKeyRing(st, 0)

	if got := tenantJWKS(t, ring, "OU1243"); len(got) != 0 {
		t.Fatalf("JWKS before any signature = %v, want empty", got)
	}
	if n := len(st.stored(t, "OU1243")); n != 0 {
		t.Fatalf("serving the JWKS stored %d keys, want 0", n)
	}

	kid := currentKID(t, ring, "OU1243", t0)
	keys := st.stored(t, "OU1243")
	if len(keys) != 1 || keys[0].ID != kid || !keys[0].CreatedAt.Equal(t0) || !keys[0].RetiredAt.IsZero() {
		t.Fatalf("stored keys = %+v, want one current key %s created at %v", keys, kid, t0)
	}
	priv, err := x509.ParsePKCS8PrivateKey(keys[0].PrivateKey)
	if err != nil {
		t.Fatalf("stored key is not PKCS #8: %v", err)
	}
	if rk, ok := priv.(*rsa.PrivateKey); !ok || rk.N.BitLen() != 2048 {
		t.Fatalf("stored key is %T, want RSA-2048", priv)
	}
	if got := tenantJWKS(t, ring, "OU1243"); !slices.Equal(got, []string{kid}) {
		t.Errorf("JWKS = %v, want [%s]", got, kid)
	}

	before := st.total()
	for i := range 20 {
		if got := currentKID(t, ring, "OU1243", t0.Add(time.Duration(i)*time.Hour)); got != kid {
			t.Fatalf("signature %d used key %s, want %s", i, got, kid)
		}
	}
	if n := st.total() - before; n != 0 {
		t.Errorf("signing with a cached key made %d storage calls", n)
	}
}

func TestKeyRingConcurrentFirstUseMakesOneKey(t *testing.T) {
	st := newMemKeys()
	ring := NewKeyRing(st, 0)
	var wg sync.WaitGroup
	kids := make([]string, 16)
	for i := range kids {
		wg.Go(func() {
			k, err := ring.signingKey(context.Background(), "OU1", t0)
			if err != nil {
				t.Error(err)
				return
			}
			kids[i] = k.id
		})
	}
	wg.Wait()
	if n := len(st.stored(t, "OU1")); n != 1 {
		t.Fatalf("concurrent first signatures stored %d keys, want 1", n)
	}
	for _, kid := range kids {
		if kid != kids[0] {
			t.Fatalf("concurrent signatures used different keys: %v", kids)
		}
	}
}

func TestKeyRingReloadsPersistedKeys(t *testing.T) {
	st := newMemKeys()
	first := NewKeyRing(st, 0)
	kid := currentKID(t, first, "OU1", t0)
	before := tenantJWKS(t, first, "OU1")

	second := NewKeyRing(st, 0)
	if got := currentKID(t, second, "OU1", t0.Add(time.Hour)); got != kid {
		t.Errorf("a restarted ring signs with %s, want the persisted %s", got, kid)
	}
	if got := tenantJWKS(t, second, "OU1"); !slices.Equal(got, before) {
		t.Errorf("restarted JWKS = %v, want %v", got, before)
	}
	if n := st.count("InsertSigningKey"); n != 1 {
		t.Errorf("%d keys inserted, want 1", n)
	}
}

func TestKeyRingRotateSchedule(t *testing.T) {
	const period = 30 * 24 * time.Hour
	st := newMemKeys()
	ring := NewKeyRing(st, 0) // the default period
	ctx := context.Background()
	old := currentKID(t, ring, "OU1", t0)

	if err := ring.Rotate(ctx, t0.Add(period-time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := currentKID(t, ring, "OU1", t0.Add(period-time.Second)); got != old {
		t.Fatalf("rotated before the period: key %s, want %s", got, old)
	}

	rotatedAt := t0.Add(period)
	if err := ring.Rotate(ctx, rotatedAt); err != nil {
		t.Fatal(err)
	}
	cur := currentKID(t, ring, "OU1", rotatedAt)
	if cur == old {
		t.Fatal("Rotate after the period kept the old key current")
	}
	if got := tenantJWKS(t, ring, "OU1"); !slices.Equal(got, []string{cur, old}) {
		t.Fatalf("JWKS after rotation = %v, want [%s %s] (current first)", got, cur, old)
	}
	keys := st.stored(t, "OU1")
	if len(keys) != 2 || keys[1].ID != old || !keys[1].RetiredAt.Equal(rotatedAt) {
		t.Fatalf("stored after rotation = %+v, want %s retired at %v", keys, old, rotatedAt)
	}

	lastValid := rotatedAt.Add(TokenLifetime + retiredKeyGrace - time.Second)
	if err := ring.Rotate(ctx, lastValid); err != nil {
		t.Fatal(err)
	}
	if got := tenantJWKS(t, ring, "OU1"); !slices.Equal(got, []string{cur, old}) {
		t.Fatalf("JWKS while old tokens may live = %v, want [%s %s]", got, cur, old)
	}
	if err := ring.Rotate(ctx, lastValid.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := tenantJWKS(t, ring, "OU1"); !slices.Equal(got, []string{cur}) {
		t.Fatalf("JWKS after old tokens expired = %v, want [%s]", got, cur)
	}
	if keys := st.stored(t, "OU1"); len(keys) != 1 || keys[0].ID != cur {
		t.Fatalf("stored after pruning = %+v, want only %s", keys, cur)
	}
}

func TestKeyRingCustomPeriod(t *testing.T) {
	ring := NewKeyRing(newMemKeys(), 24*time.Hour)
	old := currentKID(t, ring, "OU1", t0)
	if err := ring.Rotate(context.Background(), t0.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if currentKID(t, ring, "OU1", t0.Add(24*time.Hour)) == old {
		t.Error("a 24h period did not rotate after 24h")
	}
}

// If the job has not run, a signature does not use a key past its period.
func TestSignRotatesOverdueKey(t *testing.T) {
	st := newMemKeys()
	ring := NewKeyRing(st, 0)
	old := currentKID(t, ring, "OU1", t0)
	late := t0.Add(DefaultKeyRotation + time.Hour)
	cur := currentKID(t, ring, "OU1", late)
	if cur == old {
		t.Fatal("signed with an overdue key")
	}
	if got := tenantJWKS(t, ring, "OU1"); !slices.Equal(got, []string{cur, old}) {
		t.Errorf("JWKS = %v, want [%s %s]", got, cur, old)
	}
	if keys := st.stored(t, "OU1"); len(keys) != 2 || !keys[1].RetiredAt.Equal(late) {
		t.Errorf("stored = %+v, want the old key retired at %v", keys, late)
	}
}

func TestRotateLeavesRetiredOnlyTenantAlone(t *testing.T) {
	st := newMemKeys()
	ring := NewKeyRing(st, 0)
	kid := currentKID(t, ring, "OU1", t0)
	// As if the process stopped between retiring and inserting: storage
	// holds only a retired key.
	if err := st.RetireSigningKey(context.Background(), kid, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ring.Rotate(context.Background(), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := st.count("InsertSigningKey"); n != 1 {
		t.Errorf("Rotate made a key for a tenant without a current one")
	}
	if got := tenantJWKS(t, ring, "OU1"); !slices.Equal(got, []string{kid}) {
		t.Errorf("JWKS = %v, want the retired key still published", got)
	}
	if currentKID(t, ring, "OU1", t0.Add(2*time.Hour)) == kid {
		t.Error("signed with a retired key")
	}
}

// storeKey generates and stores a key directly, as another writer would.
func storeKey(t *testing.T, st *memKeys, id, tenantID string, created time.Time) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InsertSigningKey(context.Background(), domain.SigningKey{ID: id, TenantID: tenantID, PrivateKey: der, CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
}

// A retirement that failed to save leaves two current keys in storage: the
// newest signs and the older one ages out as if retired when it was replaced.
func TestKeyRingRepairsUnsavedRetirement(t *testing.T) {
	st := newMemKeys()
	storeKey(t, st, "older", "OU1", t0)
	storeKey(t, st, "newer", "OU1", t0.Add(time.Hour))
	ring := NewKeyRing(st, 0)

	if got := currentKID(t, ring, "OU1", t0.Add(time.Hour)); got != "newer" {
		t.Fatalf("signs with %s, want newer", got)
	}
	if got := tenantJWKS(t, ring, "OU1"); !slices.Equal(got, []string{"newer", "older"}) {
		t.Fatalf("JWKS = %v, want [newer older]", got)
	}
	if err := ring.Rotate(context.Background(), t0.Add(time.Hour+TokenLifetime+retiredKeyGrace)); err != nil {
		t.Fatal(err)
	}
	if got := tenantJWKS(t, ring, "OU1"); !slices.Equal(got, []string{"newer"}) {
		t.Errorf("JWKS after expiry = %v, want [newer]", got)
	}
}

// A stored key that can't be used is never published or used, is reported
// by Rotate, and takes nothing else down with it.
func TestKeyRingSkipsUnreadableKeys(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallDER, err := x509.MarshalPKCS8PrivateKey(small)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		der  []byte
	}{
		{"not DER", []byte("garbage")},
		{"RSA-1024", smallDER},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := newMemKeys()
			storeKey(t, st, "good", "OU2", t0)
			if err := st.InsertSigningKey(ctx, domain.SigningKey{ID: "bad", TenantID: "OU1", PrivateKey: tt.der, CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}

			ring := NewKeyRing(st, 0)
			if kid := currentKID(t, ring, "OU1", t0); kid == "bad" {
				t.Fatal("signed with the unreadable key")
			}
			if got := tenantJWKS(t, ring, "OU1"); slices.Contains(got, "bad") || len(got) != 1 {
				t.Errorf("OU1 JWKS = %v, want only its new key", got)
			}
			if got := tenantJWKS(t, ring, "OU2"); !slices.Equal(got, []string{"good"}) {
				t.Errorf("OU2 JWKS = %v, want [good]", got)
			}
			if err := ring.Rotate(ctx, t0); !errors.Is(err, errUnreadableKey) || !strings.Contains(err.Error(), "bad") {
				t.Errorf("Rotate error = %v, want the unreadable key reported", err)
			}
			if got := tenantJWKS(t, NewKeyRing(st, 0), "OU2"); !slices.Equal(got, []string{"good"}) {
				t.Errorf("a fresh ring's OU2 JWKS = %v, want [good]", got)
			}
		})
	}
}

func TestKeyRingStorageFailures(t *testing.T) {
	errDown := errors.New("storage down")
	ctx := context.Background()

	t.Run("insert", func(t *testing.T) {
		st := newMemKeys()
		ring := NewKeyRing(st, 0)
		st.fail("InsertSigningKey", errDown)
		if _, err := ring.signingKey(ctx, "OU1", t0); !errors.Is(err, errDown) {
			t.Fatalf("error = %v, want %v", err, errDown)
		}
		if got := tenantJWKS(t, ring, "OU1"); len(got) != 0 {
			t.Fatalf("published unsaved keys %v", got)
		}
		st.fail("InsertSigningKey", nil)
		kid := currentKID(t, ring, "OU1", t0)
		if keys := st.stored(t, "OU1"); len(keys) != 1 || keys[0].ID != kid {
			t.Errorf("stored = %+v, want only %s", keys, kid)
		}
	})

	t.Run("retire", func(t *testing.T) {
		st := newMemKeys()
		ring := NewKeyRing(st, 0)
		old := currentKID(t, ring, "OU1", t0)
		st.fail("RetireSigningKey", errDown)
		at := t0.Add(DefaultKeyRotation)
		if err := ring.Rotate(ctx, at); !errors.Is(err, errDown) {
			t.Fatalf("Rotate error = %v, want %v", err, errDown)
		}
		cur := currentKID(t, ring, "OU1", at)
		if cur == old {
			t.Fatal("old key still signs after a rotation")
		}
		st.fail("RetireSigningKey", nil)
		// A fresh process sees two unretired keys and still picks the new one.
		if got := currentKID(t, NewKeyRing(st, 0), "OU1", at); got != cur {
			t.Errorf("reloaded ring signs with %s, want %s", got, cur)
		}
	})

	t.Run("delete", func(t *testing.T) {
		st := newMemKeys()
		ring := NewKeyRing(st, 0)
		old := currentKID(t, ring, "OU1", t0)
		at := t0.Add(DefaultKeyRotation)
		if err := ring.Rotate(ctx, at); err != nil {
			t.Fatal(err)
		}
		st.fail("DeleteSigningKey", errDown)
		later := at.Add(time.Hour)
		if err := ring.Rotate(ctx, later); !errors.Is(err, errDown) {
			t.Fatalf("Rotate error = %v, want %v", err, errDown)
		}
		if got := tenantJWKS(t, ring, "OU1"); !slices.Contains(got, old) {
			t.Errorf("JWKS = %v: a key storage still holds was unpublished", got)
		}
		st.fail("DeleteSigningKey", nil)
		if err := ring.Rotate(ctx, later); err != nil {
			t.Fatal(err)
		}
		if got := tenantJWKS(t, ring, "OU1"); slices.Contains(got, old) {
			t.Errorf("JWKS = %v, want %s dropped on the next run", got, old)
		}
	})

	t.Run("load", func(t *testing.T) {
		st := newMemKeys()
		st.fail("AllSigningKeys", errDown)
		ring := NewKeyRing(st, 0)
		if _, err := ring.JWKS(ctx, "OU1"); !errors.Is(err, errDown) {
			t.Errorf("JWKS error = %v, want %v", err, errDown)
		}
		if err := ring.Rotate(ctx, t0); !errors.Is(err, errDown) {
			t.Errorf("Rotate error = %v, want %v", err, errDown)
		}
	})
}

// Anyone can ask for any tenant's JWKS; after one load, unknown tenants are
// answered from memory.
func TestJWKSLoadsStorageOnce(t *testing.T) {
	st := newMemKeys()
	ring := NewKeyRing(st, 0)
	for i := range 50 {
		if got := tenantJWKS(t, ring, fmt.Sprintf("unknown-%d", i)); len(got) != 0 {
			t.Fatalf("unknown tenant has keys %v", got)
		}
	}
	if n := st.count("AllSigningKeys") + st.count("SigningKeys"); n != 1 {
		t.Errorf("%d storage loads for 50 JWKS requests, want 1", n)
	}
	if n := len(st.keys); n != 0 {
		t.Errorf("JWKS requests created %d keys", n)
	}
}

func TestAllJWKSHasEveryTenant(t *testing.T) {
	st := newMemKeys()
	storeKey(t, st, "b-key", "OU2", t0)
	ring := NewKeyRing(st, 0)
	a := currentKID(t, ring, "OU1", t0)

	all, err := ring.AllJWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := jwksKeyIDs(t, all)
	want := []string{a, "b-key"}
	slices.SortFunc(got, cmp.Compare)
	slices.SortFunc(want, cmp.Compare)
	if !slices.Equal(got, want) {
		t.Errorf("AllJWKS kids = %v, want %v", got, want)
	}

	// A key made after the set was cached must show up in it.
	c := currentKID(t, ring, "OU3", t0)
	all2, err := ring.AllJWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := jwksKeyIDs(t, all2); !slices.Contains(got, c) {
		t.Errorf("AllJWKS after a new tenant's first signature = %v, want %s in it", got, c)
	}
	if bytes.Contains(all2, []byte(`"d"`)) || bytes.Contains(all2, []byte(`"p"`)) {
		t.Errorf("AllJWKS leaks private key parameters: %s", all2)
	}
}
