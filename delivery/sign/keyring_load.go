package sign

import (
	"cmp"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"hooks/domain"
	"slices"
	"time"
)

// This file reads the KeyRing's keys from storage into its cache.

// readTenantLocked reads tenantID's keys from storage, publishes them with
// loadedAt (see tenantKeys) and returns them. r.write must be held.
func (r *KeyRing) readTenantLocked(ctx context.Context, tenantID string, loadedAt time.Time) (*tenantKeys, error) {
	stored, err := r.storage.SigningKeys(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("load signing keys of tenant %s: %w", tenantID, err)
	}
	r.mu.RLock()
	parsed := map[string]*ringKey{}
	if tk := r.tenants[tenantID]; tk != nil {
		for _, k := range tk.keys {
			parsed[k.id] = k
		}
	}
	r.mu.RUnlock()
	// An unreadable key is left out, and reported by Rotate: the tenant
	// goes on signing with its other keys or a new one.
	tk, err := r.build(stored, parsed, loadedAt)
	if err != nil && !errors.Is(err, errUnreadableKey) {
		return nil, err
	}
	r.publish(tenantID, tk)
	return tk, nil
}

// loadAllLocked replaces the cache with every key in storage as of
// loadedAt, reusing the keys it has already parsed. If storage fails the
// cache is unchanged; keys it can't parse are left out and reported in an
// error wrapping errUnreadableKey, after the rest are published. r.write
// must be held.
func (r *KeyRing) loadAllLocked(ctx context.Context, loadedAt time.Time) error {
	stored, err := r.storage.AllSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	byTenant := map[string][]domain.SigningKey{}
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
		tk, err := r.build(keys, parsed, loadedAt)
		if err != nil {
			if !errors.Is(err, errUnreadableKey) {
				return err
			}
			errs = append(errs, err)
		}
		if len(tk.keys) > 0 {
			tenants[tenantID] = tk
		}
	}
	r.mu.Lock()
	r.tenants, r.allLoaded, r.allJWKS = tenants, true, nil
	r.mu.Unlock()
	return errors.Join(errs...)
}

// errUnreadableKey marks a stored key that can't be parsed or is too weak to
// use. One bad row must not take every tenant's JWKS down with it.
var errUnreadableKey = errors.New("unreadable signing key")

// build turns a tenant's stored keys, read at loadedAt, into a published
// set, taking already parsed keys from parsed when it can. Keys it can't
// read are left out of the set and reported in an error wrapping
// errUnreadableKey.
func (r *KeyRing) build(stored []domain.SigningKey, parsed map[string]*ringKey, loadedAt time.Time) (*tenantKeys, error) {
	stored = slices.Clone(stored)
	slices.SortFunc(stored, func(a, b domain.SigningKey) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	keys := make([]*ringKey, 0, len(stored))
	var errs []error
	for _, s := range stored {
		// An older key that storage still has as current (a retirement
		// that failed to save, or two rings' first keys) is treated as
		// retired when its successor starts.
		retiredAt := s.RetiredAt
		if len(keys) > 0 && retiredAt.IsZero() {
			retiredAt = keys[len(keys)-1].createdAt
		}
		k := parsed[s.ID]
		if k == nil {
			var err error
			if k, err = parseKey(s); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if !k.retiredAt.Equal(retiredAt) {
			k = k.retire(retiredAt)
		}
		keys = append(keys, k)
	}
	tk, err := newTenantKeys(keys, loadedAt)
	if err != nil {
		return nil, err
	}
	return tk, errors.Join(errs...)
}

// parseKey parses a stored key.
func parseKey(s domain.SigningKey) (*ringKey, error) {
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
	return newRingKey(s, priv)
}
