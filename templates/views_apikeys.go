package templates

import "time"

// APIKeysPage is Settings → API keys: the keys, the form that makes one,
// and a key just made, shown this once.
type APIKeysPage struct {
	Page
	Keys        []APIKeyRow
	Tenants     []string // ids, for an admin of all tenants to bind a key
	AllTenants  bool     // the user may make keys of any tenant, or of all
	Form        NewAPIKeyForm
	Errors      FieldErrors // keys: "name", "scope", "tenant"
	Created     *CreatedAPIKey
	CreatedName string
}

// APIKeyRow is one API key: never the key itself.
type APIKeyRow struct {
	ID, Name, Prefix, Scope, TenantID string
	CreatedAt, LastUsedAt             time.Time
}

// NewAPIKeyForm is what the create form holds.
type NewAPIKeyForm struct {
	Name, Scope, TenantID string
}

// CreatedAPIKey is a key just created, shown once.
type CreatedAPIKey struct {
	Name, Key, Scope string
}

// scopeLabel says in a few words what a key of scope may do.
func scopeLabel(scope string) string {
	switch scope {
	case "admin":
		return "Admin — everything"
	case "publish":
		return "Publish — post events only"
	case "read":
		return "Read — GET only, no secrets"
	}
	return scope
}
