package web

import (
	"net/http"
	"time"

	"hooks/domain"
)

// portalSessionRequest is the body of POST /api/v1/portal/sessions.
type portalSessionRequest struct {
	ExpiresInSeconds *int64 `json:"expiresInSeconds"`
	Role             string `json:"role"`
}

// createPortalSession mints a one-time customer-portal link for the
// caller's tenant.
func (s *Server) createPortalSession(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in portalSessionRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	var lifetime time.Duration
	if in.ExpiresInSeconds != nil {
		if *in.ExpiresInSeconds <= 0 {
			return domain.FieldErrorf("expiresInSeconds", "expiresInSeconds must be a positive number of seconds")
		}
		// Capped before converting, so a huge number can't overflow
		// into a valid-looking duration.
		lifetime = time.Duration(min(*in.ExpiresInSeconds, 1<<32)) * time.Second
	}
	p, token, err := s.svc.CreatePortalLink(r.Context(), c.actor(), in.Role, lifetime)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"url": s.cfg.PublicURL + portalPrefix + "/" + token, "expiresAt": p.ExpiresAt,
		"role": p.Role})
	return nil
}
