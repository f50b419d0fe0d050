package web

import (
	"hooks/domain"
	"net/http"
)

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request, c *caller) error {
	if !c.allTenants() {
		return domain.Errorf(domain.EFORBIDDEN, "listing tenants needs an API key that is not bound to one tenant")
	}
	tenants, err := s.db.Tenants(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listJSON[domain.Tenant]{Data: tenants})
	return nil
}

func (s *Server) putTenant(w http.ResponseWriter, r *http.Request, c *caller) error {
	if !c.allTenants() {
		return domain.Errorf(domain.EFORBIDDEN, "creating tenants needs an API key that is not bound to one tenant")
	}
	var in struct {
		Name   string              `json:"name"`
		Portal *domain.PortalBrand `json:"portal"` // absent: keep the stored branding
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	t := &domain.Tenant{ID: r.PathValue("id"), Name: in.Name}
	if in.Portal != nil {
		// Checked before anything is stored, so a bad colour creates no tenant.
		if err := in.Portal.Validate("portal."); err != nil {
			return err
		}
		t.Portal = *in.Portal
	}
	created, err := s.svc.PutTenant(r.Context(), c.actor(), t)
	if err != nil {
		return err
	}
	if in.Portal != nil && !created {
		if err := s.svc.SetTenantPortal(r.Context(), c.actor(), t.ID, *in.Portal); err != nil {
			return err
		}
		t.Portal = *in.Portal
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, t)
	return nil
}
