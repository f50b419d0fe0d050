package templates

import "time"

// NavAccount highlights nothing in the main navigation: the account page is
// reached from the account area at the foot of the sidebar.
const NavAccount NavItem = "account"

// UsersPage is GET /settings/users, and the answer of an invite
// (POST /settings/users: email, role, tenant), which shows its link once.
type UsersPage struct {
	Page
	Users   []UserRow
	Tenants []string // ids, for the invite form's tenant binding
	Invite  InviteForm
	Errors  FieldErrors // keys: "email", "role", "tenant"
	Link    *OneTimeLink
}

// UserRow is one backoffice user.
type UserRow struct {
	ID           string
	Email        string
	Role         string // "admin" or "viewer"
	TenantID     string // "" = all tenants
	Status       string // "active", "invited" or "disabled"
	LastSignInAt time.Time
	CreatedAt    time.Time
	Self         bool // the signed-in user
}

// InviteForm is the invite form as typed.
type InviteForm struct {
	Email    string // [email]
	Role     string // [role] "admin" or "viewer"
	TenantID string // [tenant] "" = all tenants
}

// OneTimeLink is an invite or password-reset link, shown once for an admin
// to copy and pass on; hooks sends no mail.
type OneTimeLink struct {
	Email     string
	URL       string
	Reset     bool // a password reset rather than an invite
	ExpiresAt time.Time
}

func (l OneTimeLink) title() string {
	if l.Reset {
		return "Password-reset link for " + l.Email
	}
	return "Invite link for " + l.Email
}

// ShownOnce is a value hooks shows once and never again (a new API key,
// an invite link): a card with its title, the value ready to copy, and
// the component's children as the hint below.
type ShownOnce struct {
	ID      string // the card's element id
	Icon    string
	Title   string
	ValueID string // the input's element id, which the copy button copies
	Label   string // the input's accessible name
	Value   string
}

// UserPage is GET /settings/users/{id}: role and tenant binding
// (POST /settings/users/{id}: role, tenant), disable or enable, a reset
// link (POST …/reset-link, which shows Link) and delete.
type UserPage struct {
	Page
	User    UserRow
	Tenants []string
	Link    *OneTimeLink
}

// TenantsPage is GET /settings/tenants: create (POST /settings/tenants:
// id, name) and rename (POST /settings/tenants/{id}: name).
type TenantsPage struct {
	Page
	Tenants []TenantRow
	Form    TenantForm
	Errors  FieldErrors // keys: "id", "name"
}

// TenantRow is one tenant.
type TenantRow struct {
	ID        string
	Name      string
	Webhooks  int
	Users     int
	CreatedAt time.Time
}

// TenantForm is the create-tenant form as typed.
type TenantForm struct {
	ID   string // [id]
	Name string // [name]
}

// AccountPage is GET /account: the signed-in user's own account, with the
// password form (POST /account/password: current_password, password,
// password_confirm).
type AccountPage struct {
	Page
	TenantID string // "" = all tenants
	Errors   FieldErrors
}

// SetPasswordPage is GET /invite?token=T and GET /reset-password?token=T,
// where a user chooses a password through a one-time link. The form posts
// token, password and password_confirm to the same path.
type SetPasswordPage struct {
	Page
	Reset  bool // a password reset rather than an invite
	Token  string
	Email  string
	Role   string
	Errors FieldErrors // keys: "password", "password_confirm"
}

// tenantBinding says which tenants a user may see.
func tenantBinding(tenantID string) string {
	if tenantID == "" {
		return "all tenants"
	}
	return "tenant " + tenantID
}

// userToggleAction is the path suffix that flips a user's status.
func userToggleAction(status string) string {
	if status == "disabled" {
		return "/enable"
	}
	return "/disable"
}
