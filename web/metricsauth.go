package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// metricsAuth guards /metrics on the main listener. The metrics name no
// customer, but they tell anyone how busy the server is and how its
// deliveries fare, so the public address serves them only to a scraper
// with the --metrics-token bearer token or to a signed-in admin who may
// see every tenant; anyone else gets 401. (--metrics-addr serves them
// without authentication on an address of its own, for a private
// network.)
func (s *Server) metricsAuth(h http.Handler) http.Handler {
	var want [32]byte
	if s.cfg.MetricsToken != "" {
		want = sha256.Sum256([]byte(s.cfg.MetricsToken))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.cfg.MetricsToken != "" {
			// Hashing first makes the comparison constant-time whatever
			// the lengths.
			got := sha256.Sum256([]byte(token))
			if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
				h.ServeHTTP(w, r)
				return
			}
		}
		if sess, err := s.session(r); err == nil {
			if c, err := s.sessionUser(r.Context(), sess); err == nil && c != nil && c.user.IsAdmin() && c.unbound() {
				h.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="hooks metrics"`)
		http.Error(w, "401 unauthorized: /metrics needs the --metrics-token bearer token or an admin's session", http.StatusUnauthorized)
	})
}
