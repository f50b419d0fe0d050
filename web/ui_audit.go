package web

import (
	"net/http"

	"hooks/domain"
	"hooks/store"
	"hooks/templates"
)

// auditRoutes registers Settings → Audit log. Admins only: an admin bound
// to a tenant sees that tenant's records, an admin of all tenants every
// tenant's, as API keys do.
func (s *Server) auditRoutes(page func(string, int, uiHandler)) {
	page("GET /settings/audit-log", accessWrite, s.auditLogPage)
}

func (s *Server) auditLogPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	ff := templates.AuditFilterFromValues(r.URL.Query())
	v := templates.AuditLogPage{Page: s.page(r, c, "Audit log", templates.NavSettings), Filter: ff, Errors: templates.FieldErrors{}}
	f := store.AuditFilter{TenantID: c.tenant, ActorID: ff.Actor, ObjectID: ff.Object, Action: ff.Action,
		Cursor: pageCursor(r), Limit: uiPageSize}
	if c.unbound() {
		f.TenantID = ff.Tenant
		var err error
		if v.Tenants, err = s.tenantIDs(r); err != nil {
			return err
		}
	}
	var err error
	if ff.From != "" {
		if f.From, err = templates.ParseDateTimeLocal(ff.From); err != nil {
			v.Errors["from"] = "Enter a date and time like 2026-01-31T14:00."
		}
	}
	if ff.To != "" {
		if f.To, err = templates.ParseDateTimeLocal(ff.To); err != nil {
			v.Errors["to"] = "Enter a date and time like 2026-01-31T14:00."
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		v.Errors["to"] = "“To” must be after “From”."
	}
	if len(v.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, templates.AuditLog(v))
		return nil
	}
	records, next, err := s.svc.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	if v.NewerCursor, err = s.db.AuditNewerCursor(r.Context(), f); err != nil {
		return err
	}
	v.OlderCursor = next
	if v.Records, err = s.auditRows(r, c, records); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, templates.AuditLog(v))
	return nil
}

// auditRows turns records into table rows, naming each object and linking
// to its page where it still exists and this user can open it: webhooks
// and deliveries of the tenant the user works in, users and tenants for an
// admin of all tenants, API keys on their page.
func (s *Server) auditRows(r *http.Request, c *uiRequest, records []store.AuditRecord) ([]templates.AuditRow, error) {
	ctx := r.Context()
	var webhookIDs []string
	for _, a := range records {
		if a.ObjectType == "webhook" {
			webhookIDs = append(webhookIDs, a.ObjectID)
		}
	}
	webhooks, err := s.db.EndpointsByIDs(ctx, webhookIDs)
	if err != nil {
		return nil, err
	}
	users := map[string]string{}
	if c.unbound() {
		all, err := s.db.Users(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range all {
			users[u.ID] = u.Email
		}
	}
	rows := make([]templates.AuditRow, len(records))
	for i, a := range records {
		row := templates.AuditRow{At: a.At, TenantID: a.TenantID, ActorID: a.ActorID, ActorKind: a.ActorKind,
			ActorName: a.ActorName, Action: a.Action, ObjectType: a.ObjectType, ObjectID: a.ObjectID,
			ClientAddr: a.ClientAddr, Detail: a.Detail}
		switch a.ObjectType {
		case "webhook":
			if e, ok := webhooks[a.ObjectID]; ok {
				row.ObjectName = e.Name
				if e.TenantID == c.tenant {
					row.ObjectHref = "/webhooks/" + e.ID
				}
			}
		case "delivery":
			if a.TenantID == c.tenant {
				if _, err := s.db.DeliveryByID(ctx, c.tenant, a.ObjectID); err == nil {
					row.ObjectHref = "/deliveries/" + a.ObjectID
				} else if domain.ErrorCode(err) != domain.ENOTFOUND {
					return nil, err
				}
			}
		case "user":
			if email, ok := users[a.ObjectID]; ok {
				row.ObjectName, row.ObjectHref = email, "/settings/users/"+a.ObjectID
			}
		case "tenant":
			if c.unbound() {
				row.ObjectHref = "/settings/tenants"
			}
		case "api_key":
			keyTenant := c.tenant // the keys the API keys page lists
			if c.unbound() {
				keyTenant = ""
			}
			if k, err := s.db.APIKeyByID(ctx, keyTenant, a.ObjectID); err == nil {
				row.ObjectName, row.ObjectHref = k.Name, "/settings/api-keys"
			} else if domain.ErrorCode(err) != domain.ENOTFOUND {
				return nil, err
			}
		}
		rows[i] = row
	}
	return rows, nil
}
