package sign

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"hooks/domain"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DefaultKeyRotation is how long a tenant's JWT signing key stays current
// when NewKeyRing is given no period.
const DefaultKeyRotation = 30 * 24 * time.Hour

// keyBits is the RSA modulus size of generated keys; stored keys smaller
// than this are refused.
const keyBits = 2048

// retiredKeyGrace keeps a retired key published a little longer than its
// last token can live, so that a receiver whose clock runs behind ours does
// not see a still-valid token whose key has already gone.
const retiredKeyGrace = time.Minute

// KeyStorage persists the KeyRing's keys. The store package implements it.
//
// If the storage also has a method Shared() bool that reports true, as
// *store.DB does on PostgreSQL, other KeyRings (other hooks instances) use
// it at the same time, and the KeyRing works as its doc comment describes
// for shared storage.
type KeyStorage interface {
	// SigningKeys returns a tenant's keys, current and retired, newest first.
	SigningKeys(ctx context.Context, tenantID string) ([]domain.SigningKey, error)
	// InsertSigningKey adds a new current key.
	InsertSigningKey(ctx context.Context, k domain.SigningKey) error
	// RetireSigningKey records that key id stops signing at at. Retiring
	// a key twice keeps the first time.
	RetireSigningKey(ctx context.Context, id string, at time.Time) error
	// DeleteSigningKey removes a retired key whose tokens have all expired.
	DeleteSigningKey(ctx context.Context, id string) error
	// AllSigningKeys returns every tenant's keys, in any order.
	AllSigningKeys(ctx context.Context) ([]domain.SigningKey, error)
}

// A KeyRing holds each tenant's RSA signing keys for the JWT scheme. A
// tenant's first key is generated and persisted the first time it signs;
// after that Rotate replaces the current key once it is older than the
// rotation period and keeps the previous one published until every token it
// signed has expired.
//
// Parsed keys and JWK Sets are cached, so signing normally touches no
// storage. When the KeyRing is its storage's only writer, the cache is what
// storage holds. On shared storage (see KeyStorage) every instance signs and
// serves JWK Sets from its own cache, so that cache follows storage:
//
//   - each instance calls Refresh every KeyRefreshInterval, and a signature
//     reads storage first if the instance's copy of the tenant's keys is
//     older than twice that;
//   - a rotation's new key is published at once but signs only after a lead
//     time longer than that, so every instance serves it before any token
//     uses it; the previous key signs until then;
//   - a retired key stays until the tokens that an instance could still
//     sign with it before it saw the retirement have expired too;
//   - a tenant's first key signs at once, so until it has signed for a
//     while an instance answers that tenant's JWK Set from storage. Two
//     instances that make a tenant's first key at the same moment both keep
//     theirs, both published; the newer signs everywhere from the next
//     refresh on.
//
// It is safe for concurrent use.
type KeyRing struct {
	storage     KeyStorage
	rotateEvery time.Duration
	shared      bool // other rings write storage too: see KeyStorage

	// write serialises everything that loads from or writes to storage,
	// so two first signatures for one tenant generate one key, not two.
	write sync.Mutex

	mu        sync.RWMutex
	tenants   map[string]*tenantKeys // immutable values, replaced whole; only tenants with keys
	allLoaded bool                   // tenants holds every tenant that storage has
	allJWKS   []byte                 // AllJWKS's answer; nil when it must be rebuilt
}

// tenantKeys is one tenant's published key set, newest first (by
// CreatedAt, so a key that has yet to start signing comes first). Which key
// signs is a matter of time: see signerAt. Never modified once published in
// the map.
type tenantKeys struct {
	keys []*ringKey
	jwks []byte
	// loadedAt is when keys were read from storage, or an earlier time
	// (zero if unknown): they are at least as new as storage was then.
	loadedAt time.Time
}

// ringKey is a parsed key. Immutable: a newer retirement time makes a new
// ringKey.
type ringKey struct {
	id        string
	createdAt time.Time
	retiredAt time.Time
	public    jose.JSONWebKey
	signer    jose.Signer
}

// NewKeyRing returns a KeyRing that keeps its keys in storage and makes a
// new current key every rotateEvery (DefaultKeyRotation if zero or less).
func NewKeyRing(storage KeyStorage, rotateEvery time.Duration) *KeyRing {
	if rotateEvery <= 0 {
		rotateEvery = DefaultKeyRotation
	}
	r := &KeyRing{storage: storage, rotateEvery: rotateEvery, tenants: map[string]*tenantKeys{}}
	if s, ok := storage.(interface{ Shared() bool }); ok {
		r.shared = s.Shared()
	}
	return r
}

// activeAt returns the key that signs at t: the newest one that has started
// by t, unless it is retired by t. It is nil if there is none.
func (tk *tenantKeys) activeAt(t time.Time) *ringKey {
	if tk == nil {
		return nil
	}
	for _, k := range tk.keys {
		if !k.createdAt.After(t) {
			if k.retiredAt.IsZero() || t.Before(k.retiredAt) {
				return k
			}
			return nil
		}
	}
	return nil
}

// signerAt is activeAt for a signature at t, except that a signature timed
// before every key (an attempt that began just before a concurrent one made
// the tenant's first key) uses the oldest key.
func (tk *tenantKeys) signerAt(t time.Time) *ringKey {
	if k := tk.activeAt(t); k != nil || tk == nil || len(tk.keys) == 0 {
		return k
	}
	if oldest := tk.keys[len(tk.keys)-1]; oldest.createdAt.After(t) && (oldest.retiredAt.IsZero() || t.Before(oldest.retiredAt)) {
		return oldest
	}
	return nil
}

// leadTime is how long before it signs a rotation's key is stored: zero
// unless other rings must publish it first.
func (r *KeyRing) leadTime() time.Duration {
	if r.shared {
		return keyLeadTime
	}
	return 0
}

// due reports whether tk's newest key is old enough at now to be replaced:
// its period is up, less the lead time its successor needs. A period
// shorter than the lead time makes each key sign for the lead time.
func (r *KeyRing) due(tk *tenantKeys, now time.Time) bool {
	return len(tk.keys) > 0 && !now.Before(tk.keys[0].createdAt.Add(max(r.rotateEvery-r.leadTime(), 0)))
}

// usable returns the key that tk lets the ring sign with at now without
// going to storage, or nil if there is none: the tenant has no key that
// signs at now, it is due for rotation, or (on shared storage) tk is too
// old to know whether another ring has rotated it.
func (r *KeyRing) usable(tk *tenantKeys, now time.Time) *ringKey {
	if tk == nil || r.shared && now.Sub(tk.loadedAt) > keyMaxViewAge || r.due(tk, now) {
		return nil
	}
	return tk.signerAt(now)
}

// signingKey returns the key that signs tenantID's tokens at now, creating or
// rotating it first if needed.
func (r *KeyRing) signingKey(ctx context.Context, tenantID string, now time.Time) (*ringKey, error) {
	r.mu.RLock()
	tk := r.tenants[tenantID]
	r.mu.RUnlock()
	if k := r.usable(tk, now); k != nil {
		return k, nil
	}

	r.write.Lock()
	defer r.write.Unlock()
	r.mu.RLock()
	tk = r.tenants[tenantID]
	r.mu.RUnlock()
	if k := r.usable(tk, now); k != nil {
		return k, nil // another signature read or made it meanwhile
	}
	// Decide on what storage holds, not on the cache: on shared storage
	// another ring may have made or rotated the tenant's key.
	tk, err := r.readTenantLocked(ctx, tenantID, now)
	if err != nil {
		return nil, err
	}
	if k := r.usable(tk, now); k != nil {
		return k, nil
	}
	// No key yet, or the rotation job has not run in time: rotate here
	// rather than sign with a key older than the period promises.
	old := tk.signerAt(now)
	next, err := r.rotateLocked(ctx, tenantID, tk, now)
	if k := next.signerAt(now); k != nil {
		// The new key is saved and published; a failure to mark the old
		// one retired heals itself (see build) and Rotate reports it.
		return k, nil
	}
	// Not saved. A key rotated ahead of its period may still sign.
	if old != nil && now.Before(old.createdAt.Add(r.rotateEvery)) {
		return old, nil
	}
	return nil, err
}

// publish makes tk the tenant's key set. r.write must be held.
func (r *KeyRing) publish(tenantID string, tk *tenantKeys) {
	r.mu.Lock()
	if len(tk.keys) == 0 {
		delete(r.tenants, tenantID)
	} else {
		r.tenants[tenantID] = tk
	}
	r.allJWKS = nil
	r.mu.Unlock()
}

// rotateLocked makes a new key for tenantID and retires the one it replaces
// when the new one starts: at now if no key signs at now or no other ring
// has to publish it first, else after the lead time. r.write must be held.
func (r *KeyRing) rotateLocked(ctx context.Context, tenantID string, tk *tenantKeys, now time.Time) (*tenantKeys, error) {
	start := now
	if tk.signerAt(now) != nil {
		start = now.Add(r.leadTime())
	}
	priv, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	thumb, err := (&jose.JSONWebKey{Key: &priv.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing key thumbprint: %w", err)
	}
	stored := domain.SigningKey{
		ID:         base64.RawURLEncoding.EncodeToString(thumb),
		TenantID:   tenantID,
		PrivateKey: der,
		CreatedAt:  start,
	}
	k, err := newRingKey(stored, priv)
	if err != nil {
		return nil, err
	}
	if err := r.storage.InsertSigningKey(ctx, stored); err != nil {
		return nil, fmt.Errorf("save signing key of tenant %s: %w", tenantID, err)
	}

	keys := []*ringKey{k}
	var retireErr error
	for _, old := range tk.keys {
		if old.retiredAt.IsZero() {
			// Even if saving this fails, the new key is the newest
			// in storage, so a reload treats this one as retired too.
			if err := r.storage.RetireSigningKey(ctx, old.id, start); err != nil {
				retireErr = fmt.Errorf("retire signing key %s: %w", old.id, err)
			}
			old = old.retire(start)
		}
		keys = append(keys, old)
	}
	next, err := newTenantKeys(keys, tk.loadedAt)
	if err != nil {
		return nil, err
	}
	r.publish(tenantID, next)
	return next, retireErr
}

// Rotate is the periodic key job: it reloads every tenant's keys from
// storage, replaces each current key whose rotation period is up (on
// shared storage, a lead time before it is up), and drops retired keys once
// every token they signed has expired. Run it at start-up and then often
// enough (hourly, say) that retired keys do not linger; now is the job's
// clock. On shared storage one instance at a time is enough. It goes on
// past a tenant that fails and reports all failures together.
func (r *KeyRing) Rotate(ctx context.Context, now time.Time) error {
	r.write.Lock()
	defer r.write.Unlock()
	var errs []error
	if err := r.loadAllLocked(ctx, now); err != nil {
		if !errors.Is(err, errUnreadableKey) {
			return err
		}
		errs = append(errs, err)
	}
	r.mu.RLock()
	tenants := make([]string, 0, len(r.tenants))
	for id := range r.tenants {
		tenants = append(tenants, id)
	}
	r.mu.RUnlock()
	slices.Sort(tenants)

	for _, tenantID := range tenants {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		r.mu.RLock()
		tk := r.tenants[tenantID]
		r.mu.RUnlock()
		tk, err := r.pruneLocked(ctx, tenantID, tk, now)
		if err != nil {
			errs = append(errs, err)
		}
		// A tenant whose keys are all retired gets a new one when it next
		// signs, not here: it may never sign again.
		if len(tk.keys) > 0 && tk.keys[0].retiredAt.IsZero() && r.due(tk, now) {
			if _, err := r.rotateLocked(ctx, tenantID, tk, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// retiredKeyKeep is how long after its retirement a key is deleted: once
// its last token has expired. On shared storage that last token may come
// from a ring that signed from a copy of the keys up to keyMaxViewAge old,
// one that did not know yet of a retirement nobody announced in advance (a
// tenant's first keys, made by two rings at once).
func (r *KeyRing) retiredKeyKeep() time.Duration {
	keep := TokenLifetime + retiredKeyGrace
	if r.shared {
		keep += keyMaxViewAge
	}
	return keep
}

// pruneLocked deletes tenantID's retired keys whose last token has expired
// by now and publishes what is left. r.write must be held.
func (r *KeyRing) pruneLocked(ctx context.Context, tenantID string, tk *tenantKeys, now time.Time) (*tenantKeys, error) {
	keep := make([]*ringKey, 0, len(tk.keys))
	var errs []error
	for _, k := range tk.keys {
		if !k.retiredAt.IsZero() && !now.Before(k.retiredAt.Add(r.retiredKeyKeep())) {
			err := r.storage.DeleteSigningKey(ctx, k.id)
			if err == nil {
				continue
			}
			// Keep publishing it; the next run tries again.
			errs = append(errs, fmt.Errorf("delete signing key %s: %w", k.id, err))
		}
		keep = append(keep, k)
	}
	if len(keep) == len(tk.keys) {
		return tk, errors.Join(errs...)
	}
	next, err := newTenantKeys(keep, tk.loadedAt)
	if err != nil {
		return tk, err
	}
	r.publish(tenantID, next)
	return next, errors.Join(errs...)
}

// newRingKey wraps priv. Every key keeps its signer: whether it may sign
// depends on the time of the signature (see tenantKeys.signerAt).
func newRingKey(s domain.SigningKey, priv *rsa.PrivateKey) (*ringKey, error) {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: s.ID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("signer for key %s: %w", s.ID, err)
	}
	return &ringKey{
		id:        s.ID,
		createdAt: s.CreatedAt,
		public:    jose.JSONWebKey{Key: &priv.PublicKey, KeyID: s.ID, Algorithm: string(jose.RS256), Use: "sig"},
		signer:    signer,
	}, nil
}

// retire returns a copy of k retired at at.
func (k *ringKey) retire(at time.Time) *ringKey {
	c := *k
	c.retiredAt = at
	return &c
}
