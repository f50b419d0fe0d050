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
	return service.Actor{ID: c.key.ID, TenantID: c.tenantID, Addr: c.addr, AllTenants: c.allTenants()}
}

// allTenants reports whether the caller's key may act on every tenant.
func (c *caller) allTenants() bool { return c.key.TenantID == "" }

// apiHandler is an API handler: it gets the authenticated caller and
// returns an error for writeError instead of writing one itself.
type apiHandler func(w http.ResponseWriter, r *http.Request, c *caller) error

// apiAuth authenticates a request to the route pattern by its bearer API
// key, checks that the key's scope allows the route, and picks its tenant:
// the key's own, or for an all-tenant key X-Tenant-ID (default "default").
func (s *Server) apiAuth(pattern string, h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.authenticate(r.Context(), r)
		if err == nil {
			err = checkScope(c.key.Scope, pattern)
		}
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
	secret = strings.TrimSpace(secret)
	key, err := s.db.APIKeyBySecret(ctx, secret)
	if err != nil {
		return nil, err
	}
	if err := s.db.NoteAPIKeyUse(ctx, key, secret); err != nil {
		// A key's last use is a convenience; the request goes on.
		s.log.Warn("record API key use", "key", key.ID, "err", err)
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

// publishRoutes are what a publish-scope key may call: a producer posts
// events and nothing else.
var publishRoutes = map[string]bool{
	"POST /api/v1/events":       true,
	"POST /api/v1/events/batch": true,
}

// adminReads are the GETs a read-scope key, meant for dashboards and
// support tools, may not make: they answer with credentials in clear, or
// list the API keys, which only an admin key manages.
var adminReads = map[string]bool{
	"GET /api/v1/webhooks/{id}/secret":      true,
	"GET /api/v1/webhooks/{id}/credentials": true,
	"GET /api/v1/api-keys":                  true,
}

// checkScope reports, as EFORBIDDEN, a route that a key of scope may not
// call. pattern is the route as registered ("POST /api/v1/events").
func checkScope(scope, pattern string) error {
	method, _, _ := strings.Cut(pattern, " ")
	switch {
	case scope == domain.ScopeAdmin:
		return nil
	case scope == domain.ScopePublish && publishRoutes[pattern]:
		return nil
	case scope == domain.ScopeRead && method == http.MethodGet && !adminReads[pattern]:
		return nil
	case scope == domain.ScopePublish:
		return domain.Errorf(domain.EFORBIDDEN, "this API key's scope is publish: it may only post events (POST /api/v1/events and /api/v1/events/batch)")
	case scope == domain.ScopeRead:
		return domain.Errorf(domain.EFORBIDDEN, "this API key's scope is read: it may only GET, and not secrets or API keys")
	}
	return domain.Errorf(domain.EFORBIDDEN, "this API key has an unknown scope %q", scope)
}
