package sign

import (
	"cmp"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
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

// A StoredKey is one tenant's JWT signing key as KeyStorage persists it.
type StoredKey struct {
	ID         string    // the JWK "kid": the key's RFC 7638 SHA-256 thumbprint, base64url
	TenantID   string    // the tenant whose tokens the key signs
	PrivateKey []byte    // PKCS #8 DER; a secret, like an endpoint's signing secret
	CreatedAt  time.Time // when the key became current
	RetiredAt  time.Time // when a newer key replaced it; zero while current
}

// KeyStorage persists the KeyRing's keys. The store package implements it.
type KeyStorage interface {
	// SigningKeys returns a tenant's keys, current and retired, newest first.
	SigningKeys(ctx context.Context, tenantID string) ([]StoredKey, error)
	// InsertSigningKey adds a new current key.
	InsertSigningKey(ctx context.Context, k StoredKey) error
	// RetireSigningKey records that key id stopped signing at at.
	RetireSigningKey(ctx context.Context, id string, at time.Time) error
	// DeleteSigningKey removes a retired key whose tokens have all expired.
	DeleteSigningKey(ctx context.Context, id string) error
	// AllSigningKeys returns every tenant's keys, in any order.
	AllSigningKeys(ctx context.Context) ([]StoredKey, error)
}

// A KeyRing holds each tenant's RSA signing keys for the JWT scheme. A
// tenant's first key is generated and persisted the first time it signs;
// after that Rotate replaces the current key once it is older than the
// rotation period and keeps the previous one published until every token it
// signed has expired.
//
// Parsed keys are cached, so signing never touches storage or parses a key
// except on a tenant's first use or a rotation. A KeyRing assumes it is the
// only writer of its storage's keys; Rotate reloads whatever storage holds.
// It is safe for concurrent use.
type KeyRing struct {
	storage     KeyStorage
	rotateEvery time.Duration

	// write serialises everything that loads from or writes to storage,
	// so two first signatures for one tenant generate one key, not two.
	write sync.Mutex

	mu        sync.RWMutex
	tenants   map[string]*tenantKeys // immutable values, replaced whole
	allLoaded bool                   // tenants holds every tenant that storage has
	allJWKS   []byte                 // AllJWKS's answer; nil when it must be rebuilt
}

// tenantKeys is one tenant's published key set, newest first. The first key
// signs unless it is retired. Never modified once published in the map.
type tenantKeys struct {
	keys []*ringKey
	jwks []byte
}

// ringKey is a parsed key. Immutable: retiring a key makes a new ringKey.
type ringKey struct {
	id        string
	createdAt time.Time
	retiredAt time.Time
	public    jose.JSONWebKey
	signer    jose.Signer // nil once retired: a retired key never signs again
}

// NewKeyRing returns a KeyRing that keeps its keys in storage and makes a
// new current key every rotateEvery (DefaultKeyRotation if zero or less).
func NewKeyRing(storage KeyStorage, rotateEvery time.Duration) *KeyRing {
	if rotateEvery <= 0 {
		rotateEvery = DefaultKeyRotation
	}
	return &KeyRing{storage: storage, rotateEvery: rotateEvery, tenants: map[string]*tenantKeys{}}
}

// current returns the tenant's signing key, or nil if it has none.
func (tk *tenantKeys) current() *ringKey {
	if tk == nil || len(tk.keys) == 0 || !tk.keys[0].retiredAt.IsZero() {
		return nil
	}
	return tk.keys[0]
}

// fresh reports whether k may still sign at now.
func (r *KeyRing) fresh(k *ringKey, now time.Time) bool {
	return k != nil && now.Before(k.createdAt.Add(r.rotateEvery))
}

// signingKey returns the key that signs tenantID's tokens at now, creating or
// rotating it first if needed.
func (r *KeyRing) signingKey(ctx context.Context, tenantID string, now time.Time) (*ringKey, error) {
	r.mu.RLock()
	k := r.tenants[tenantID].current()
	r.mu.RUnlock()
	if r.fresh(k, now) {
		return k, nil
	}

	r.write.Lock()
	defer r.write.Unlock()
	tk, err := r.loadTenantLocked(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if k := tk.current(); r.fresh(k, now) {
		return k, nil
	}
	// No key yet, or the rotation job has not run in time: rotate here
	// rather than sign with a key older than the period promises.
	tk, err = r.rotateLocked(ctx, tenantID, tk, now)
	if k := tk.current(); k != nil {
		// The new key is saved and published; a failure to mark the old
		// one retired heals itself (see build) and Rotate reports it.
		return k, nil
	}
	return nil, err
}

// loadTenantLocked returns tenantID's keys from the cache, or else from
// storage. r.write must be held.
func (r *KeyRing) loadTenantLocked(ctx context.Context, tenantID string) (*tenantKeys, error) {
	r.mu.RLock()
	tk, ok := r.tenants[tenantID]
	all := r.allLoaded
	r.mu.RUnlock()
	if ok || all {
		return tk, nil
	}
	stored, err := r.storage.SigningKeys(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("load signing keys of tenant %s: %w", tenantID, err)
	}
	// An unreadable key is left out, and reported by Rotate: the tenant
	// goes on signing with its other keys or a new one.
	tk, err = r.build(stored, nil)
	if err != nil && !errors.Is(err, errUnreadableKey) {
		return nil, err
	}
	r.publish(tenantID, tk)
	return tk, nil
}

// loadAllLocked replaces the cache with every key in storage, reusing the
// keys it has already parsed. If storage fails the cache is unchanged; keys
// it can't parse are left out and reported in an error wrapping
// errUnreadableKey, after the rest are published. r.write must be held.
func (r *KeyRing) loadAllLocked(ctx context.Context) error {
	stored, err := r.storage.AllSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	byTenant := map[string][]StoredKey{}
	for _, k := range stored {
		byTenant[k.TenantID] = append(byTenant[k.TenantID], k)
	}
	r.mu.RLock()
	parsed := map[string]*ringKey{}
	for _, tk := range r.tenants {
		for _, k := range tk.keys {
			parsed[k.id] = k
		}
	}
	r.mu.RUnlock()

	tenants := make(map[string]*tenantKeys, len(byTenant))
	var errs []error
	for tenantID, keys := range byTenant {
		tk, err := r.build(keys, parsed)
		if err != nil {
			if !errors.Is(err, errUnreadableKey) {
				return err
			}
			errs = append(errs, err)
		}
		tenants[tenantID] = tk
	}
	r.mu.Lock()
	r.tenants, r.allLoaded, r.allJWKS = tenants, true, nil
	r.mu.Unlock()
	return errors.Join(errs...)
}

// errUnreadableKey marks a stored key that can't be parsed or is too weak to
// use. One bad row must not take every tenant's JWKS down with it.
var errUnreadableKey = errors.New("unreadable signing key")

// build turns a tenant's stored keys into a published set, taking already
// parsed keys from parsed when it can. Keys it can't read are left out of
// the set and reported in an error wrapping errUnreadableKey.
func (r *KeyRing) build(stored []StoredKey, parsed map[string]*ringKey) (*tenantKeys, error) {
	stored = slices.Clone(stored)
	slices.SortFunc(stored, func(a, b StoredKey) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	keys := make([]*ringKey, 0, len(stored))
	var errs []error
	for _, s := range stored {
		// Only the newest key signs. An older one that storage still has
		// as current (a retirement that failed to save) is treated as
		// retired when its successor was created.
		retiredAt := s.RetiredAt
		if len(keys) > 0 && retiredAt.IsZero() {
			retiredAt = keys[len(keys)-1].createdAt
		}
		k := parsed[s.ID]
		if k == nil || retiredAt.IsZero() && k.signer == nil {
			var err error
			if k, err = parseKey(s, retiredAt.IsZero()); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if !retiredAt.IsZero() {
			k = k.retire(retiredAt)
		}
		keys = append(keys, k)
	}
	tk, err := newTenantKeys(keys)
	if err != nil {
		return nil, err
	}
	return tk, errors.Join(errs...)
}

// publish makes tk the tenant's key set. r.write must be held.
func (r *KeyRing) publish(tenantID string, tk *tenantKeys) {
	r.mu.Lock()
	r.tenants[tenantID] = tk
	r.allJWKS = nil
	r.mu.Unlock()
}

// rotateLocked makes a new current key for tenantID and retires the one it
// replaces at now. r.write must be held.
func (r *KeyRing) rotateLocked(ctx context.Context, tenantID string, tk *tenantKeys, now time.Time) (*tenantKeys, error) {
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
	stored := StoredKey{
		ID:         base64.RawURLEncoding.EncodeToString(thumb),
		TenantID:   tenantID,
		PrivateKey: der,
		CreatedAt:  now,
	}
	k, err := newRingKey(stored, priv, true)
	if err != nil {
		return nil, err
	}
	if err := r.storage.InsertSigningKey(ctx, stored); err != nil {
		return nil, fmt.Errorf("save signing key of tenant %s: %w", tenantID, err)
	}

	keys := []*ringKey{k}
	var retireErr error
	if tk != nil {
		for _, old := range tk.keys {
			if old.retiredAt.IsZero() {
				// Even if saving this fails, the new key is the newest
				// in storage, so a reload treats this one as retired too.
				if err := r.storage.RetireSigningKey(ctx, old.id, now); err != nil {
					retireErr = fmt.Errorf("retire signing key %s: %w", old.id, err)
				}
				old = old.retire(now)
			}
			keys = append(keys, old)
		}
	}
	next, err := newTenantKeys(keys)
	if err != nil {
		return nil, err
	}
	r.publish(tenantID, next)
	return next, retireErr
}

// Rotate is the periodic key job: it reloads every tenant's keys from
// storage, replaces each current key older than the rotation period, and
// drops retired keys once every token they signed has expired. Run it at
// start-up and then often enough (hourly, say) that retired keys do not
// linger; now is the job's clock. It goes on past a tenant that fails and
// reports all failures together.
func (r *KeyRing) Rotate(ctx context.Context, now time.Time) error {
	r.write.Lock()
	defer r.write.Unlock()
	var errs []error
	if err := r.loadAllLocked(ctx); err != nil {
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
		if cur := tk.current(); cur != nil && !r.fresh(cur, now) {
			if _, err := r.rotateLocked(ctx, tenantID, tk, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// pruneLocked deletes tenantID's retired keys whose last token has expired
// by now and publishes what is left. r.write must be held.
func (r *KeyRing) pruneLocked(ctx context.Context, tenantID string, tk *tenantKeys, now time.Time) (*tenantKeys, error) {
	keep := make([]*ringKey, 0, len(tk.keys))
	var errs []error
	for _, k := range tk.keys {
		if !k.retiredAt.IsZero() && !now.Before(k.retiredAt.Add(TokenLifetime+retiredKeyGrace)) {
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
	next, err := newTenantKeys(keep)
	if err != nil {
		return tk, err
	}
	if len(keep) == 0 {
		r.mu.Lock()
		delete(r.tenants, tenantID)
		r.allJWKS = nil
		r.mu.Unlock()
	} else {
		r.publish(tenantID, next)
	}
	return next, errors.Join(errs...)
}

// parseKey parses a stored key; signs says whether it needs a signer.
func parseKey(s StoredKey, signs bool) (*ringKey, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(s.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("%w %s of tenant %s: %w", errUnreadableKey, s.ID, s.TenantID, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w %s of tenant %s: a %T, not RSA", errUnreadableKey, s.ID, s.TenantID, parsed)
	}
	if priv.N.BitLen() < keyBits {
		return nil, fmt.Errorf("%w %s of tenant %s: %d bits, fewer than %d", errUnreadableKey, s.ID, s.TenantID, priv.N.BitLen(), keyBits)
	}
	return newRingKey(s, priv, signs)
}

// newRingKey wraps priv. Only a current key gets a signer (signs); a retired
// one keeps just its public half.
func newRingKey(s StoredKey, priv *rsa.PrivateKey, signs bool) (*ringKey, error) {
	k := &ringKey{
		id:        s.ID,
		createdAt: s.CreatedAt,
		public:    jose.JSONWebKey{Key: &priv.PublicKey, KeyID: s.ID, Algorithm: string(jose.RS256), Use: "sig"},
	}
	if signs {
		signer, err := jose.NewSigner(
			jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: s.ID}},
			(&jose.SignerOptions{}).WithType("JWT"),
		)
		if err != nil {
			return nil, fmt.Errorf("signer for key %s: %w", s.ID, err)
		}
		k.signer = signer
	}
	return k, nil
}

// retire returns a copy of k retired at at, without its signer.
func (k *ringKey) retire(at time.Time) *ringKey {
	c := *k
	c.retiredAt, c.signer = at, nil
	return &c
}
