package web

import (
	"context"
	"net/http"
	"time"
)

// readyz answers 200 when this process can do its job: the database takes
// writes and the delivery engine is running. Load balancers and
// orchestrators use it to route traffic; /healthz only says the process is up.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "engine": "ok"}
	status := http.StatusOK
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("readyz: database not writable", "err", err)
		checks["database"] = "not writable"
		status = http.StatusServiceUnavailable
	}
	if s.engine == nil || !s.engine.Running() {
		checks["engine"] = "not running"
		status = http.StatusServiceUnavailable
	}
	state := "ready"
	if status != http.StatusOK {
		state = "unavailable"
	}
	writeJSON(w, status, map[string]any{"status": state, "checks": checks})
}
