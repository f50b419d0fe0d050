package web

import (
	"net/http"
	"time"

	"hooks/store"
)

// apiKeyJSON is an API key as the API lists it: never the key itself.
type apiKeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scope      string     `json:"scope"`
	TenantID   *string    `json:"tenantId"` // null: the key may act on every tenant
	CreatedBy  string     `json:"createdBy,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	Key        string     `json:"key,omitempty"` // on create only: shown once
}

func toAPIKeyJSON(k *store.APIKey) apiKeyJSON {
	out := apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scope: k.Scope, CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt}
	if k.TenantID != "" {
		out.TenantID = &k.TenantID
	}
	if !k.LastUsedAt.IsZero() {
		out.LastUsedAt = &k.LastUsedAt
	}
	return out
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, c *caller) error {
	keys, err := s.svc.APIKeys(r.Context(), c.actor())
	if err != nil {
		return err
	}
	data := make([]apiKeyJSON, len(keys))
	for i, k := range keys {
		data[i] = toAPIKeyJSON(k)
	}
	writeJSON(w, http.StatusOK, listJSON[apiKeyJSON]{Data: data})
	return nil
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Name     string `json:"name"`
		TenantID string `json:"tenantId"`
		Scope    string `json:"scope"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	k, secret, err := s.svc.CreateAPIKey(r.Context(), c.actor(), in.Name, in.TenantID, in.Scope)
	if err != nil {
		return err
	}
	out := toAPIKeyJSON(k)
	out.Key = secret
	w.Header().Set("Location", "/api/v1/api-keys/"+k.ID)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	if _, err := s.svc.RevokeAPIKey(r.Context(), c.actor(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
