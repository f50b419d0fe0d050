package web

import (
	"net/http"
	"time"

	"hooks/domain"
	"hooks/store"
)

// auditJSON is an audit record as the API shows it.
type auditJSON struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	TenantID   string    `json:"tenantId"`
	ActorID    string    `json:"actorId"`
	ActorKind  string    `json:"actorKind"`
	ActorName  string    `json:"actorName,omitempty"`
	Action     string    `json:"action"`
	ObjectType string    `json:"objectType"`
	ObjectID   string    `json:"objectId"`
	ClientAddr string    `json:"clientAddr"`
	Detail     string    `json:"detail,omitempty"`
}

// auditFilter reads the audit log's filters: actor, objectId (or object),
// action, from, to, cursor, limit. The tenant is the caller's.
func auditFilter(r *http.Request, tenantID string) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{TenantID: tenantID, ActorID: q.Get("actor"), ObjectID: q.Get("objectId"),
		Action: q.Get("action"), Cursor: q.Get("cursor")}
	if f.ObjectID == "" {
		f.ObjectID = q.Get("object")
	}
	var err error
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			if *p.dst, err = time.Parse(time.RFC3339, v); err != nil {
				return f, domain.FieldErrorf(p.name, "%s must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z", p.name)
			}
		}
	}
	f.Limit, err = pageLimit(r)
	return f, err
}

// listAuditLog is GET /api/v1/audit-log: the caller's tenant's records,
// or every tenant's for an all-tenant key that names none.
func (s *Server) listAuditLog(w http.ResponseWriter, r *http.Request, c *caller) error {
	tenantID := c.tenantID
	if c.allTenants() && r.Header.Get("X-Tenant-ID") == "" {
		tenantID = ""
	}
	f, err := auditFilter(r, tenantID)
	if err != nil {
		return err
	}
	records, next, err := s.svc.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	data := make([]auditJSON, len(records))
	for i, a := range records {
		data[i] = auditJSON{ID: a.ID, At: a.At, TenantID: a.TenantID, ActorID: a.ActorID, ActorKind: a.ActorKind,
			ActorName: a.ActorName, Action: a.Action, ObjectType: a.ObjectType, ObjectID: a.ObjectID,
			ClientAddr: a.ClientAddr, Detail: a.Detail}
	}
	writeJSON(w, http.StatusOK, listJSON[auditJSON]{Data: data, NextCursor: next})
	return nil
}
