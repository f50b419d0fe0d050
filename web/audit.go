package web

import (
	"log/slog"
	"net/http"
)

// The audit actions recorded today.
const (
	auditSecretRevealed      = "webhook.secret.revealed"
	auditSecretRotated       = "webhook.secret.rotated"
	auditCredentialsRevealed = "webhook.credentials.revealed" // extra header and metadata values
)

// auditEvent is one action that an operator may later need to account for:
// who saw or changed what.
type auditEvent struct {
	Action    string // one of the audit* constants
	Actor     string // usr_… for a person in the UI, key_… for an API key
	TenantID  string
	WebhookID string
}

// audit records e. Every audited action goes through here: today that is
// one structured log line (message "audit"); the audit log to come stores
// the same record from this one place.
func (s *Server) audit(r *http.Request, e auditEvent) {
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "audit",
		slog.String("action", e.Action),
		slog.String("actor", e.Actor),
		slog.String("tenant", e.TenantID),
		slog.String("webhook", e.WebhookID),
		slog.String("remote", clientAddr(r, s.cfg.TrustedProxies).String()))
}
