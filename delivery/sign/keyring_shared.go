package sign

import (
	"context"
	"errors"
	"time"
)

// This file holds what a KeyRing does only because other KeyRings share its
// storage (see the KeyRing doc comment): instances sign from their own
// cache, and receivers may fetch a tenant's JWK Set from any of them.

// KeyRefreshInterval is how often each instance on shared storage should
// call Refresh. It is far shorter than TokenLifetime and keyLeadTime, so
// keys other instances made or retired are followed here long before it
// matters, and costs one storage read per instance per interval.
const KeyRefreshInterval = 15 * time.Second

// keyMaxViewAge is how old a shared ring's copy of a tenant's keys may be
// when it signs; past it, the signature reads storage first. Twice
// KeyRefreshInterval, so one late refresh does not send signatures to
// storage, while an instance that can't read storage stops signing rather
// than go on with a key that another instance has retired, and later
// deleted, without this one knowing.
const keyMaxViewAge = 2 * KeyRefreshInterval

// keyLeadTime is how long a rotation publishes a shared ring's new key
// before it signs, while the previous key goes on signing. Being longer than
// keyMaxViewAge, every instance that signs at all has the new key, and the
// old one's retirement, before the first token uses it; the rest is margin
// for clocks that differ between instances.
const keyLeadTime = 2 * keyMaxViewAge

// firstKeySettle is how long a tenant's keys must have had a signing key
// before a shared ring trusts its cached copy to answer the tenant's JWK
// Set. A tenant's first key can't be published ahead: it signs the moment
// it is stored. Another instance that read storage just before that may
// store a first key of its own moments later; a copy read this long after
// the first one appeared has both.
const firstKeySettle = KeyRefreshInterval

// Refresh re-reads every tenant's keys from storage as of now, so that
// this ring signs with, and publishes, the keys that other rings sharing its
// storage made, retired or deleted. Every instance on shared storage calls
// it every KeyRefreshInterval: running Rotate on one elected instance is
// not enough, since each instance signs and serves JWK Sets from its own
// cache. Keys that can't be read are left out and left to Rotate to report.
func (r *KeyRing) Refresh(ctx context.Context, now time.Time) error {
	r.write.Lock()
	defer r.write.Unlock()
	if err := r.loadAllLocked(ctx, now); err != nil && !errors.Is(err, errUnreadableKey) {
		return err
	}
	return nil
}

// settled reports whether tk can answer its tenant's JWK Set without
// reading storage: when it was read, the tenant had had a signing key for
// at least firstKeySettle. Any key that another ring signs with is then
// either in tk or (a rotation's) will be in the next refresh before it
// signs. A tenant without keys is never settled: its first key may have
// been made anywhere since.
func (tk *tenantKeys) settled() bool {
	return tk != nil && tk.activeAt(tk.loadedAt) != nil && tk.activeAt(tk.loadedAt.Add(-firstKeySettle)) != nil
}

// rereadForJWKS reads tenantID's keys from storage for its JWK Set and
// caches them, keeping the time the cached copy was read at (this read has
// no clock). Storage is only read for tenants that are not settled, and
// the web layer has already looked the tenant up, so anyone asking for
// random tenants costs no more than that lookup.
func (r *KeyRing) rereadForJWKS(ctx context.Context, tenantID string) (*tenantKeys, error) {
	r.write.Lock()
	defer r.write.Unlock()
	r.mu.RLock()
	var loadedAt time.Time
	if tk := r.tenants[tenantID]; tk != nil {
		loadedAt = tk.loadedAt
	}
	r.mu.RUnlock()
	return r.readTenantLocked(ctx, tenantID, loadedAt)
}
