package service

import (
	"context"
	"log/slog"
)

// The audited actions.
const (
	AuditSecretRevealed      = "webhook.secret.revealed"
	AuditSecretRotated       = "webhook.secret.rotated"
	AuditCredentialsRevealed = "webhook.credentials.revealed" // extra header and metadata values
)

// audit records that a did action on the endpoint endpointID. Every audited
// action goes through here: today it is one structured log line (message
// "audit"); the audit log to come stores the same record from this place.
func (s *Service) audit(ctx context.Context, a Actor, action, endpointID string) {
	s.log.LogAttrs(ctx, slog.LevelInfo, "audit",
		slog.String("action", action),
		slog.String("actor", a.ID),
		slog.String("tenant", a.TenantID),
		slog.String("webhook", endpointID),
		slog.String("remote", a.Addr))
}
