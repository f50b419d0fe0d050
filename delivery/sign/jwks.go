package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// emptyJWKS is the answer for a tenant without keys: a valid, empty set.
var emptyJWKS = []byte(`{"keys":[]}`)

// JWKS returns tenantID's public keys, newest first, as a JWK Set (RFC 7517)
// for <issuer>/.well-known/jwks.json. A tenant that has never signed has an
// empty set: serving the set never creates keys, so anyone can ask for it.
// On shared storage the set may come from storage rather than the cache
// (see KeyRing).
func (r *KeyRing) JWKS(ctx context.Context, tenantID string) ([]byte, error) {
	if err := r.ensureAll(ctx); err != nil {
		return nil, err
	}
	r.mu.RLock()
	tk := r.tenants[tenantID]
	r.mu.RUnlock()
	if r.shared && !tk.settled() {
		var err error
		if tk, err = r.rereadForJWKS(ctx, tenantID); err != nil {
			return nil, err
		}
	}
	if tk == nil || len(tk.keys) == 0 {
		return bytes.Clone(emptyJWKS), nil
	}
	return bytes.Clone(tk.jwks), nil
}

// AllJWKS returns every tenant's public keys in one JWK Set, for the
// server-wide /.well-known/jwks.json. Key IDs are unique across tenants.
// It is always answered from the cache: on shared storage, a tenant's
// first key made by another instance joins it at the next Refresh, while
// rotated keys are in it before they sign.
func (r *KeyRing) AllJWKS(ctx context.Context) ([]byte, error) {
	if err := r.ensureAll(ctx); err != nil {
		return nil, err
	}
	r.mu.RLock()
	cached := r.allJWKS
	r.mu.RUnlock()
	if cached != nil {
		return bytes.Clone(cached), nil
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.allJWKS == nil {
		tenants := make([]string, 0, len(r.tenants))
		for id := range r.tenants {
			tenants = append(tenants, id)
		}
		slices.Sort(tenants)
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
		for _, id := range tenants {
			for _, k := range r.tenants[id].keys {
				set.Keys = append(set.Keys, k.public)
			}
		}
		b, err := json.Marshal(set)
		if err != nil {
			return nil, fmt.Errorf("encode JWK set: %w", err)
		}
		r.allJWKS = b
	}
	return bytes.Clone(r.allJWKS), nil
}

// ensureAll loads every tenant's keys once, so that a JWKS request for a
// tenant the cache lacks is answered from memory, not by a storage query
// per request from anyone on the internet.
func (r *KeyRing) ensureAll(ctx context.Context) error {
	r.mu.RLock()
	all := r.allLoaded
	r.mu.RUnlock()
	if all {
		return nil
	}
	r.write.Lock()
	defer r.write.Unlock()
	r.mu.RLock()
	all = r.allLoaded
	r.mu.RUnlock()
	if all {
		return nil
	}
	// Unreadable keys are Rotate's to report: the rest can still be served.
	// The time of this load is not known, so on shared storage it does
	// not spare signatures a read (see tenantKeys.loadedAt).
	if err := r.loadAllLocked(ctx, time.Time{}); err != nil && !errors.Is(err, errUnreadableKey) {
		return err
	}
	return nil
}

// newTenantKeys publishes keys, newest first, with their JWK Set, as read
// from storage at loadedAt.
func newTenantKeys(keys []*ringKey, loadedAt time.Time) (*tenantKeys, error) {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.public)
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode JWK set: %w", err)
	}
	return &tenantKeys{keys: keys, jwks: jwks, loadedAt: loadedAt}, nil
}
