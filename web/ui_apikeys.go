package web

import (
	"net/http"

	"hooks/domain"
	"hooks/store"
	"hooks/templates"
)

// apiKeyRoutes registers Settings → API keys. Any admin may open it: an
// admin bound to a tenant manages that tenant's keys (the service layer
// scopes them), an admin of all tenants every key.
func (s *Server) apiKeyRoutes(page func(string, int, uiHandler)) {
	page("GET /settings/api-keys", accessWrite, s.apiKeysPage)
	page("POST /settings/api-keys", accessWrite, s.createAPIKeyForm)
	page("POST /settings/api-keys/{id}/revoke", accessWrite, s.revokeAPIKeyForm)
}

// apiKeysView is the API keys page's model.
func (s *Server) apiKeysView(r *http.Request, c *uiRequest) (templates.APIKeysPage, error) {
	v := templates.APIKeysPage{Page: s.page(r, c, "API keys", templates.NavSettings), AllTenants: c.unbound(),
		Form: templates.NewAPIKeyForm{Scope: domain.ScopePublish}}
	keys, err := s.svc.APIKeys(r.Context(), c.actor())
	if err != nil {
		return v, err
	}
	for _, k := range keys {
		v.Keys = append(v.Keys, apiKeyRow(k))
	}
	if v.AllTenants {
		if v.Tenants, err = s.tenantIDs(r); err != nil {
			return v, err
		}
	}
	return v, nil
}

func apiKeyRow(k *store.APIKey) templates.APIKeyRow {
	return templates.APIKeyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scope: k.Scope, TenantID: k.TenantID,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt}
}

func (s *Server) apiKeysPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	v, err := s.apiKeysView(r, c)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, templates.APIKeys(v))
	return nil
}

// createAPIKeyForm makes the key and answers with the page showing it,
// once: it is kept nowhere it could be shown again.
func (s *Server) createAPIKeyForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := templates.NewAPIKeyForm{Name: r.PostForm.Get("name"), Scope: r.PostForm.Get("scope"), TenantID: r.PostForm.Get("tenant")}
	k, secret, err := s.svc.CreateAPIKey(r.Context(), c.actor(), f.Name, f.TenantID, f.Scope)
	if fe := fieldError(err); fe != "" {
		v, verr := s.apiKeysView(r, c)
		if verr != nil {
			return verr
		}
		v.Form, v.Errors = f, templates.FieldErrors{fe: sentence(domain.ErrorMessage(err))}
		s.render(w, r, http.StatusUnprocessableEntity, templates.APIKeys(v))
		return nil
	}
	if err != nil {
		return err
	}
	v, err := s.apiKeysView(r, c)
	if err != nil {
		return err
	}
	v.Created = &templates.CreatedAPIKey{Name: k.Name, Key: secret, Scope: k.Scope}
	v.Flash = templates.Flash{Kind: templates.FlashSuccess, Message: "Key “" + k.Name + "” is created. Copy it now: it is not shown again."}
	s.render(w, r, http.StatusOK, templates.APIKeys(v))
	return nil
}

func (s *Server) revokeAPIKeyForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	k, err := s.svc.RevokeAPIKey(r.Context(), c.actor(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.redirectFlash(w, r, c, "/settings/api-keys", templates.FlashSuccess, "Key “"+k.Name+"” is revoked: it gets 401 from now on.")
	return nil
}
