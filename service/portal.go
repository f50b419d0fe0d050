package service

import (
	"context"
	"time"

	"hooks/domain"
	"hooks/store"
)

// The audited actions of the customer portal.
const (
	AuditPortalLinkCreated = "portal.link.created"
	AuditTenantPortalSet   = "tenant.portal.updated" // the tenant's portal branding
)

// SetTenantPortal replaces the portal branding of tenant id.
func (s *Service) SetTenantPortal(ctx context.Context, a Actor, id string, b domain.PortalBrand) error {
	if err := s.db.SetTenantPortal(ctx, id, b); err != nil {
		return err
	}
	s.audit(ctx, a, AuditTenantPortalSet, id)
	return nil
}

// Portal link lifetimes.
const (
	DefaultPortalLinkLifetime = time.Hour
	MaxPortalLinkLifetime     = 7 * 24 * time.Hour
)

// CreatePortalLink mints a one-time customer-portal link for the actor's
// tenant: role is domain.PortalAdmin or domain.PortalViewer ("" is viewer,
// the one that can't change anything), and the link works for lifetime
// (0 is DefaultPortalLinkLifetime; at most MaxPortalLinkLifetime). It
// returns the session the link stands for and the link's token.
func (s *Service) CreatePortalLink(ctx context.Context, a Actor, role string, lifetime time.Duration) (*store.PortalSession, string, error) {
	switch role {
	case "":
		role = domain.PortalViewer
	case domain.PortalAdmin, domain.PortalViewer:
	default:
		return nil, "", domain.FieldErrorf("role", "role must be %q or %q", domain.PortalAdmin, domain.PortalViewer)
	}
	if lifetime == 0 {
		lifetime = DefaultPortalLinkLifetime
	}
	if lifetime < time.Second || lifetime > MaxPortalLinkLifetime {
		return nil, "", domain.FieldErrorf("expiresInSeconds", "expiresInSeconds must be from 1 to %d (7 days)", int(MaxPortalLinkLifetime/time.Second))
	}
	p := &store.PortalSession{TenantID: a.TenantID, Role: role, ExpiresAt: s.now().Add(lifetime).UTC().Truncate(time.Millisecond)}
	token, err := s.db.CreatePortalSession(ctx, p)
	if err != nil {
		return nil, "", err
	}
	s.audit(ctx, a, AuditPortalLinkCreated, p.ID)
	return p, token, nil
}
