package service

import (
	"context"
	"strings"

	"hooks/domain"
	"hooks/store"
)

// The audited API key actions.
const (
	AuditAPIKeyCreated = "api_key.created"
	AuditAPIKeyRevoked = "api_key.revoked"
)

// keysTenant is the tenant whose keys a sees: its own, or every tenant's
// ("") for an all-tenant actor.
func keysTenant(a Actor) string {
	if a.AllTenants {
		return ""
	}
	return a.TenantID
}

// APIKeys returns the keys a may manage: its tenant's, or every key for an
// all-tenant actor.
func (s *Service) APIKeys(ctx context.Context, a Actor) ([]*store.APIKey, error) {
	return s.db.APIKeys(ctx, keysTenant(a))
}

// CreateAPIKey stores a new key named name with scope for tenantID ("" =
// every tenant) and returns it with its secret, which is shown once. A
// tenant-bound actor may only create keys of its own tenant.
func (s *Service) CreateAPIKey(ctx context.Context, a Actor, name, tenantID, scope string) (*store.APIKey, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "" || len(name) > 100:
		return nil, "", domain.FieldErrorf("name", "name the key (1-100 characters), e.g. after the producer that holds it")
	case !domain.ValidScope(scope):
		return nil, "", domain.FieldErrorf("scope", "scope must be admin, publish (post events only) or read (GET only), not %q", scope)
	case !a.AllTenants && tenantID == "":
		tenantID = a.TenantID
	case !a.AllTenants && tenantID != a.TenantID:
		return nil, "", domain.Errorf(domain.EFORBIDDEN, "a key of tenant %s can only create keys of that tenant", a.TenantID)
	}
	k := &store.APIKey{TenantID: tenantID, Name: name, Scope: scope, CreatedBy: a.ID}
	secret, err := s.db.InsertAPIKey(ctx, k)
	if err != nil {
		return nil, "", err
	}
	s.audit(ctx, a, AuditAPIKeyCreated, k.ID)
	return k, secret, nil
}

// RevokeAPIKey deletes key id, one that a may manage: it answers 401 at
// once here and within a few seconds on every instance.
func (s *Service) RevokeAPIKey(ctx context.Context, a Actor, id string) (*store.APIKey, error) {
	k, err := s.db.APIKeyByID(ctx, keysTenant(a), id)
	if err != nil {
		return nil, err
	}
	if err := s.db.DeleteAPIKey(ctx, k.ID); err != nil {
		return nil, err
	}
	s.audit(ctx, a, AuditAPIKeyRevoked, k.ID)
	return k, nil
}
