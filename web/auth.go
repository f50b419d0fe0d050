package web

import (
	"context"
	"net/http"
	"strings"

	"hooks/domain"
	"hooks/service"
	"hooks/store"
)

// caller is who made an API request and for which tenant.
type caller struct {
	key      *store.APIKey
	tenantID string
	addr     string // the client's address (clientAddr)
}

// actor is the caller as the service layer records it.
func (c *caller) actor() service.Actor {
	return service.Actor{ID: c.key.ID, TenantID: c.tenantID, Addr: c.addr}
}

// allTenants reports whether the caller's key may act on every tenant.
func (c *caller) allTenants() bool { return c.key.TenantID == "" }

// apiHandler is an API handler: it gets the authenticated caller and
// returns an error for writeError instead of writing one itself.
type apiHandler func(w http.ResponseWriter, r *http.Request, c *caller) error

// apiAuth authenticates a request by its bearer API key and picks its
// tenant: the key's own, or for an all-tenant key X-Tenant-ID (default
// "default").
func (s *Server) apiAuth(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.authenticate(r.Context(), r)
		if err == nil {
			err = s.checkRate(w, c)
		}
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			if domain.ErrorCode(err) == domain.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hooks"`)
			}
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) authenticate(ctx context.Context, r *http.Request) (*caller, error) {
	auth := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || secret == "" {
		return nil, domain.Errorf(domain.EUNAUTHORIZED, "send an API key as Authorization: Bearer <key> (create one with: hooks apikey create)")
	}
	key, err := s.db.APIKeyBySecret(ctx, strings.TrimSpace(secret))
	if err != nil {
		return nil, err
	}
	c := &caller{key: key, tenantID: key.TenantID, addr: clientAddr(r, s.cfg.TrustedProxies).String()}
	requested := r.Header.Get("X-Tenant-ID")
	switch {
	case key.TenantID != "" && requested != "" && requested != key.TenantID:
		return nil, domain.Errorf(domain.EFORBIDDEN, "this API key belongs to tenant %q and can't act on tenant %q", key.TenantID, requested)
	case key.TenantID == "" && requested != "":
		c.tenantID = requested
	case key.TenantID == "":
		c.tenantID = domain.DefaultTenant
	}
	if _, err := s.db.TenantByID(ctx, c.tenantID); err != nil {
		return nil, err
	}
	return c, nil
}
