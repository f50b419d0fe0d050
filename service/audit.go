package service

import (
	"context"
	"log/slog"
	"strings"

	"hooks/domain"
	"hooks/store"
)

// The audited actions of endpoints and deliveries. An action is named
// "<object type>.<what happened>": the audit record's object type is the
// part before the first dot.
const (
	AuditWebhookCreated      = "webhook.created"
	AuditWebhookUpdated      = "webhook.updated" // the detail lists the fields that changed
	AuditWebhookDeleted      = "webhook.deleted"
	AuditWebhookEnabled      = "webhook.enabled"
	AuditWebhookDisabled     = "webhook.disabled"
	AuditWebhookTested       = "webhook.tested"
	AuditWebhookRecovered    = "webhook.recovered" // failed deliveries queued again
	AuditSecretRevealed      = "webhook.secret.revealed"
	AuditSecretRotated       = "webhook.secret.rotated"
	AuditCredentialsRevealed = "webhook.credentials.revealed" // extra header and metadata values
	AuditDeliveryRedelivered = "delivery.redelivered"
)

// The kinds of actor, by the prefix of their id.
const (
	ActorUser    = "user"
	ActorAPIKey  = "api_key"
	ActorPortal  = "portal"
	ActorUnknown = "unknown"
)

// actorKind tells what kind of actor the id names.
func actorKind(id string) string {
	switch {
	case strings.HasPrefix(id, domain.PrefixUser):
		return ActorUser
	case strings.HasPrefix(id, domain.PrefixAPIKey):
		return ActorAPIKey
	case strings.HasPrefix(id, domain.PrefixPortal): // a customer-portal session
		return ActorPortal
	}
	return ActorUnknown
}

// audit records that a did action on the object objectID, whose type is
// the action's first word. Every audited action goes through here.
func (s *Service) audit(ctx context.Context, a Actor, action, objectID string) {
	s.auditDetail(ctx, a, action, objectID, "")
}

// auditDetail is audit with a short note of what changed (field names,
// counts; never a value that could be a secret).
//
// The record is written after the action succeeded, outside its
// transaction, and a failure to write it is logged at error level (with
// the whole record) but does not fail the action: the change is already
// made, and reporting it as failed would have the user retry a change
// that took effect. The "audit" log line is written either way, so the
// record survives in the logs when the database refused it. Audited
// actions are operator actions, not event ingest, so the synchronous
// insert costs nothing on the hot path.
func (s *Service) auditDetail(ctx context.Context, a Actor, action, objectID, detail string) {
	objectType, _, _ := strings.Cut(action, ".")
	r := &store.AuditRecord{At: s.now().UTC(), TenantID: a.TenantID, ActorID: a.ID, ActorKind: actorKind(a.ID),
		Action: action, ObjectType: objectType, ObjectID: objectID, ClientAddr: a.Addr, Detail: detail}
	attrs := []slog.Attr{
		slog.String("action", action),
		slog.String("actor", a.ID),
		slog.String("tenant", a.TenantID),
		slog.String(objectType, objectID), // "webhook": wbh_…, as the line always said
		slog.String("remote", a.Addr),
	}
	if detail != "" {
		attrs = append(attrs, slog.String("detail", detail))
	}
	// The record outlives the request: a client that hangs up just after
	// the change must not cancel its record.
	if err := s.db.InsertAuditRecord(context.WithoutCancel(ctx), r); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "audit record not stored", append(attrs, slog.Any("error", err))...)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
}

// AuditLog returns a page of audit records and the next page's cursor.
func (s *Service) AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, string, error) {
	return s.db.AuditRecords(ctx, f)
}
