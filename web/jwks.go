package web

import (
	"context"
	"hooks/domain"
	"net/http"
)

// KeySets publishes the JWT scheme's public keys; *sign.KeyRing is one.
// Both methods answer a JWK Set document (RFC 7517).
type KeySets interface {
	JWKS(ctx context.Context, tenantID string) ([]byte, error)
	AllJWKS(ctx context.Context) ([]byte, error)
}

// jwksMaxAge is how long receivers and proxies may cache a key set. On one
// instance a rotated-in key signs at once (on a shared database, a minute
// after it is published), but jwks-rsa refetches the set when it meets an
// unknown kid, and the retired key stays published far longer than this.
const jwksMaxAge = "public, max-age=300"

// emptyKeySet is the answer when the server has no JWT key ring.
var emptyKeySet = []byte(`{"keys":[]}`)

// jwksRoutes registers the JWK Set documents: no authentication, since
// receivers fetch them to verify our tokens and they hold public keys only.
func (s *Server) jwksRoutes() {
	s.wellKnown = http.NewServeMux()
	s.wellKnown.HandleFunc("GET /.well-known/jwks.json", s.allJWKS)
	s.wellKnown.HandleFunc("GET /{tenant}/.well-known/jwks.json", s.tenantJWKS)
}

// allJWKS serves every tenant's keys, for receivers configured with one
// JWKS URL for the whole server.
func (s *Server) allJWKS(w http.ResponseWriter, r *http.Request) {
	doc := emptyKeySet
	if s.cfg.JWKS != nil {
		var err error
		if doc, err = s.cfg.JWKS.AllJWKS(r.Context()); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeKeySet(w, doc)
}

// tenantJWKS serves one tenant's keys at <issuer>/.well-known/jwks.json,
// where jwks-rsa looks for them. Unknown tenants are 404 rather than an
// empty set, so a receiver configured with a mistyped tenant fails loudly.
func (s *Server) tenantJWKS(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !domain.ValidTenantID(tenant) {
		s.writeError(w, r, domain.Errorf(domain.ENOTFOUND, "tenant %q not found", tenant))
		return
	}
	if _, err := s.db.TenantByID(r.Context(), tenant); err != nil {
		s.writeError(w, r, err)
		return
	}
	doc := emptyKeySet
	if s.cfg.JWKS != nil {
		var err error
		if doc, err = s.cfg.JWKS.JWKS(r.Context(), tenant); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeKeySet(w, doc)
}

func writeKeySet(w http.ResponseWriter, doc []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", jwksMaxAge)
	// Public keys: verifiers running in a browser may read them too.
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
}
