package templates

import (
	"net/url"
	"strings"
	"time"
)

// AuditLogPage is Settings → Audit log: who changed what, newest first.
// The filter form is a GET to the same path.
type AuditLogPage struct {
	Page
	Filter      AuditFilter
	Errors      FieldErrors // keys: "from", "to", "tenant"
	Records     []AuditRow
	Tenants     []string // for the tenant filter of an admin of all tenants; nil hides it
	OlderCursor string   // opaque; non-empty shows "Older →"
	NewerCursor string   // opaque; non-empty shows "← Newer"
}

// AuditRow is one audit record as the table shows it.
type AuditRow struct {
	At         time.Time
	TenantID   string
	ActorID    string
	ActorKind  string // user, api_key, portal
	ActorName  string // e-mail or key name; "" when unknown
	Action     string
	ObjectType string
	ObjectID   string
	ObjectName string // e.g. the webhook's name, when it still exists
	ObjectHref string // a page of the object, when it exists and is reachable; "" for none
	ClientAddr string
	Detail     string
}

// AuditFilter holds the filter fields as typed. From and To are
// datetime-local values in UTC, as DeliveryFilter's.
type AuditFilter struct {
	Actor  string // [actor] an id: usr_…, key_…, prt_…
	Action string // [action]
	Object string // [object] an id
	Tenant string // [tenant] "" = every tenant the user may see
	From   string // [from]
	To     string // [to]
}

// AuditFilterFromValues reads the filter from a query.
func AuditFilterFromValues(v url.Values) AuditFilter {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	return AuditFilter{Actor: get("actor"), Action: get("action"), Object: get("object"), Tenant: get("tenant"),
		From: get("from"), To: get("to")}
}

// Query returns the filter as URL query values, without empty ones.
func (f AuditFilter) Query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "object": f.Object, "tenant": f.Tenant,
		"from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// IsZero reports whether no filter is set.
func (f AuditFilter) IsZero() bool { return f == AuditFilter{} }

// AuditActions are the audited actions, in words, in the order the action
// filter lists them.
var AuditActions = []struct{ Action, Label string }{
	{"webhook.created", "Created a webhook"},
	{"webhook.updated", "Changed a webhook"},
	{"webhook.enabled", "Enabled a webhook"},
	{"webhook.disabled", "Disabled a webhook"},
	{"webhook.deleted", "Deleted a webhook"},
	{"webhook.tested", "Sent a test"},
	{"webhook.recovered", "Recovered failed deliveries"},
	{"webhook.secret.revealed", "Revealed a signing secret"},
	{"webhook.secret.rotated", "Rotated a signing secret"},
	{"webhook.credentials.revealed", "Revealed header and metadata values"},
	{"delivery.redelivered", "Redelivered"},
	{"api_key.created", "Created an API key"},
	{"api_key.revoked", "Revoked an API key"},
	{"portal.link.created", "Made a portal link"},
	{"user.invited", "Invited a user"},
	{"user.activated", "Accepted an invite"},
	{"user.role_changed", "Changed a user's role"},
	{"user.disabled", "Disabled a user"},
	{"user.enabled", "Enabled a user"},
	{"user.deleted", "Deleted a user"},
	{"user.password_reset", "Made a password-reset link"},
	{"user.password_changed", "Changed a password"},
	{"tenant.created", "Created a tenant"},
	{"tenant.renamed", "Renamed a tenant"},
	{"tenant.portal.updated", "Changed a tenant's portal branding"},
	{"event_type.created", "Created an event type"},
	{"event_type.updated", "Changed an event type"},
	{"event_type.deleted", "Deleted an event type"},
}

// auditActionLabel says action in words, or returns it as it is.
func auditActionLabel(action string) string {
	for _, a := range AuditActions {
		if a.Action == action {
			return a.Label
		}
	}
	return action
}

// actorKindLabel names the kind of an actor, for the line under a name.
func actorKindLabel(kind string) string {
	switch kind {
	case "user":
		return "User"
	case "api_key":
		return "API key"
	case "portal":
		return "Portal session"
	}
	return kind
}
