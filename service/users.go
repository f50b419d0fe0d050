package service

import (
	"context"
	"time"

	"hooks/domain"
	"hooks/store"
)

// The audited changes of users and tenants. The object of each record is
// the user's or the tenant's id; passwords and link tokens are never in it.
const (
	AuditUserInvited         = "user.invited"
	AuditUserActivated       = "user.activated" // the invitee chose a password
	AuditUserRoleChanged     = "user.role_changed"
	AuditUserDisabled        = "user.disabled"
	AuditUserEnabled         = "user.enabled"
	AuditUserDeleted         = "user.deleted"
	AuditUserPasswordReset   = "user.password_reset" // an admin made a reset link
	AuditUserPasswordChanged = "user.password_changed"
	AuditTenantCreated       = "tenant.created"
	AuditTenantRenamed       = "tenant.renamed"
)

// Lifetimes of the one-time links to set a password.
const (
	InviteLifetime = 7 * 24 * time.Hour
	ResetLifetime  = 24 * time.Hour
)

// Users returns every backoffice user.
func (s *Service) Users(ctx context.Context) ([]store.User, error) { return s.db.Users(ctx) }

// User returns the user id.
func (s *Service) User(ctx context.Context, id string) (*store.User, error) {
	return s.db.UserByID(ctx, id)
}

// InviteUser creates a user with email, role and tenant binding ("" for
// none) and no password, and returns the token of the one-time link with
// which they choose one (InviteLifetime).
func (s *Service) InviteUser(ctx context.Context, a Actor, email, role, tenantID string) (*store.User, string, error) {
	u := &store.User{Email: email, Role: role, TenantID: tenantID}
	if role == "" {
		return nil, "", domain.FieldErrorf("role", "choose a role: admin or viewer")
	}
	token, err := s.db.CreateInvitedUser(ctx, u, InviteLifetime)
	if err != nil {
		return nil, "", err
	}
	s.audit(ctx, a, AuditUserInvited, u.ID)
	return u, token, nil
}

// SetUserRole changes the role and tenant binding ("" for none) of the
// user id. It refuses to leave nobody who can manage users.
func (s *Service) SetUserRole(ctx context.Context, a Actor, id, role, tenantID string) (*store.User, error) {
	changed := false
	u, err := s.db.UpdateUser(ctx, id, func(u *store.User) error {
		changed = u.Role != role || u.TenantID != tenantID
		u.Role, u.TenantID = role, tenantID
		return nil
	})
	if err != nil {
		return nil, err
	}
	if changed {
		s.audit(ctx, a, AuditUserRoleChanged, u.ID)
	}
	return u, nil
}

// SetUserDisabled disables or enables the user id. A disabled user's
// sessions stop working at their next request, on every instance. It
// refuses to disable the last user who can manage users.
func (s *Service) SetUserDisabled(ctx context.Context, a Actor, id string, disabled bool) (*store.User, error) {
	changed := false
	u, err := s.db.UpdateUser(ctx, id, func(u *store.User) error {
		changed = u.Disabled() != disabled
		if !changed {
			return nil
		}
		u.DisabledAt = time.Time{}
		if disabled {
			u.DisabledAt = s.now().UTC()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if changed {
		action := AuditUserEnabled
		if disabled {
			action = AuditUserDisabled
		}
		s.audit(ctx, a, action, u.ID)
	}
	return u, nil
}

// DeleteUser deletes the user id, refusing to delete the last user who
// can manage users.
func (s *Service) DeleteUser(ctx context.Context, a Actor, id string) error {
	if err := s.db.DeleteUser(ctx, id); err != nil {
		return err
	}
	s.audit(ctx, a, AuditUserDeleted, id)
	return nil
}

// PasswordResetLink returns the token of a one-time link with which the
// user id chooses a new password (ResetLifetime), for an admin to pass
// on. An invited user who lost their invite gets a new invite instead.
// Each link replaces the user's earlier ones.
func (s *Service) PasswordResetLink(ctx context.Context, a Actor, id string) (token, purpose string, err error) {
	u, err := s.db.UserByID(ctx, id)
	if err != nil {
		return "", "", err
	}
	if u.Disabled() {
		return "", "", domain.Errorf(domain.EINVALID, "%s is disabled; enable the account first", u.Email)
	}
	purpose, ttl, action := store.LinkReset, ResetLifetime, AuditUserPasswordReset
	if u.Invited() {
		purpose, ttl, action = store.LinkInvite, InviteLifetime, AuditUserInvited
	}
	token, err = s.db.CreateUserLink(ctx, u.ID, purpose, ttl)
	if err != nil {
		return "", "", err
	}
	s.audit(ctx, a, action, u.ID)
	return token, purpose, nil
}

// UseLink sets password through the one-time link token of purpose
// (store.LinkInvite or store.LinkReset) and returns the user it belongs to.
// addr is the client's address, for the audit record, whose actor is the
// user.
func (s *Service) UseLink(ctx context.Context, token, purpose, password, addr string) (*store.User, error) {
	hash, err := store.HashPassword(password)
	if err != nil {
		return nil, err
	}
	u, err := s.db.UseUserLink(ctx, token, purpose, hash)
	if err != nil {
		return nil, err
	}
	action := AuditUserPasswordChanged
	if purpose == store.LinkInvite {
		action = AuditUserActivated
	}
	s.audit(ctx, Actor{ID: u.ID, TenantID: u.TenantID, Addr: addr}, action, u.ID)
	return u, nil
}

// ChangePassword sets the password of a's own account, after checking
// its current one.
func (s *Service) ChangePassword(ctx context.Context, a Actor, current, password string) error {
	u, err := s.db.UserByID(ctx, a.ID)
	if err != nil {
		return err
	}
	if !store.CheckPassword(u, current) {
		return domain.FieldErrorf("current_password", "the current password is wrong")
	}
	hash, err := store.HashPassword(password)
	if err != nil {
		return err
	}
	if err := s.db.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	s.audit(ctx, a, AuditUserPasswordChanged, u.ID)
	return nil
}

// TenantSummary is a tenant with the number of its endpoints.
type TenantSummary struct {
	domain.Tenant
	Endpoints int
}

// Tenants returns every tenant with its endpoint count, by id.
func (s *Service) Tenants(ctx context.Context) ([]TenantSummary, error) {
	tenants, err := s.db.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := s.db.EndpointsPerTenant(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TenantSummary, len(tenants))
	for i, t := range tenants {
		out[i] = TenantSummary{Tenant: t, Endpoints: counts[t.ID]}
	}
	return out, nil
}

// PutTenant creates the tenant t or renames it; created reports which.
func (s *Service) PutTenant(ctx context.Context, a Actor, t *domain.Tenant) (created bool, err error) {
	created, err = s.db.PutTenant(ctx, t)
	if err != nil {
		return false, err
	}
	action := AuditTenantRenamed
	if created {
		action = AuditTenantCreated
	}
	s.audit(ctx, a, action, t.ID)
	return created, nil
}

// CreateTenant creates the tenant t, refusing with ECONFLICT an id that
// exists already.
func (s *Service) CreateTenant(ctx context.Context, a Actor, t *domain.Tenant) error {
	if _, err := s.db.TenantByID(ctx, t.ID); err == nil {
		return &domain.Error{Code: domain.ECONFLICT, Field: "id", Message: "a tenant with this id exists already"}
	} else if domain.ErrorCode(err) != domain.ENOTFOUND {
		return err
	}
	_, err := s.PutTenant(ctx, a, t)
	return err
}

// RenameTenant gives the existing tenant id a new name.
func (s *Service) RenameTenant(ctx context.Context, a Actor, id, name string) error {
	if _, err := s.db.TenantByID(ctx, id); err != nil {
		return err
	}
	_, err := s.PutTenant(ctx, a, &domain.Tenant{ID: id, Name: name})
	return err
}

// RecordSignIn notes that the user id signed in now, for the users list.
func (s *Service) RecordSignIn(ctx context.Context, id string) error {
	return s.db.RecordSignIn(ctx, id, s.now())
}
