package web

import (
	"net/http"
	"net/url"
	"time"

	"hooks/domain"
	"hooks/service"
	"hooks/store"
	"hooks/templates"
)

// userRoutes registers Settings → Users and Tenants (admins bound to no
// tenant), the account page (everyone, for themselves) and the one-time
// links that set a password (anyone holding one).
func (s *Server) userRoutes(page func(string, int, uiHandler)) {
	page("GET /settings/users", accessManage, s.usersPage)
	page("POST /settings/users", accessManage, s.inviteUserForm)
	page("GET /settings/users/{id}", accessManage, s.userPage)
	page("POST /settings/users/{id}", accessManage, s.userRoleForm)
	page("POST /settings/users/{id}/disable", accessManage, s.userDisableForm)
	page("POST /settings/users/{id}/enable", accessManage, s.userEnableForm)
	page("POST /settings/users/{id}/delete", accessManage, s.userDeleteForm)
	page("POST /settings/users/{id}/reset-link", accessManage, s.userResetLinkForm)
	page("GET /settings/tenants", accessManage, s.tenantsPage)
	page("POST /settings/tenants", accessManage, s.createTenantForm)
	page("POST /settings/tenants/{id}", accessManage, s.renameTenantForm)
	page("GET /account", accessSelf, s.accountPage)
	page("POST /account/password", accessSelf, s.changePasswordForm)
	s.uiHandle("GET /invite", s.linkPage(store.LinkInvite))
	s.uiHandle("POST /invite", s.linkForm(store.LinkInvite))
	s.uiHandle("GET /reset-password", s.linkPage(store.LinkReset))
	s.uiHandle("POST /reset-password", s.linkForm(store.LinkReset))
}

// userRow is u as the users list shows it; self is the signed-in user.
func userRow(u *store.User, self string) templates.UserRow {
	status := "active"
	switch {
	case u.Disabled():
		status = "disabled"
	case u.Invited():
		status = "invited"
	}
	return templates.UserRow{ID: u.ID, Email: u.Email, Role: u.Role, TenantID: u.TenantID, Status: status,
		LastSignInAt: u.LastSignInAt, CreatedAt: u.CreatedAt, Self: u.ID == self}
}

// tenantIDs lists the tenants' ids, for the tenant binding selects.
func (s *Server) tenantIDs(r *http.Request) ([]string, error) {
	tenants, err := s.db.Tenants(r.Context())
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(tenants))
	for i, t := range tenants {
		ids[i] = t.ID
	}
	return ids, nil
}

// LinkURL is the one-time link of token for purpose (store.LinkInvite or
// store.LinkReset) on the server whose public URL is publicURL.
func LinkURL(publicURL, purpose, token string) string {
	path := "/invite"
	if purpose == store.LinkReset {
		path = "/reset-password"
	}
	return publicURL + path + "?token=" + url.QueryEscape(token)
}

// oneTimeLink is what the page shows of a link just made for u.
func (s *Server) oneTimeLink(u *store.User, purpose, token string) *templates.OneTimeLink {
	ttl := service.InviteLifetime
	if purpose == store.LinkReset {
		ttl = service.ResetLifetime
	}
	return &templates.OneTimeLink{Email: u.Email, URL: LinkURL(s.cfg.PublicURL, purpose, token), Reset: purpose == store.LinkReset,
		ExpiresAt: time.Now().Add(ttl)}
}

// usersView is the users page's model, without the invite's outcome.
func (s *Server) usersView(r *http.Request, c *uiRequest) (templates.UsersPage, error) {
	v := templates.UsersPage{Page: s.page(r, c, "Users", templates.NavSettings), Invite: templates.InviteForm{Role: store.RoleViewer}}
	users, err := s.svc.Users(r.Context())
	if err != nil {
		return v, err
	}
	for i := range users {
		v.Users = append(v.Users, userRow(&users[i], c.user.ID))
	}
	v.Tenants, err = s.tenantIDs(r)
	return v, err
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	v, err := s.usersView(r, c)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, templates.Users(v))
	return nil
}

// inviteUserForm creates the invited user and answers with the users page
// showing the link, once: it is not kept anywhere it could be shown again.
func (s *Server) inviteUserForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := templates.InviteForm{Email: r.PostForm.Get("email"), Role: r.PostForm.Get("role"), TenantID: r.PostForm.Get("tenant")}
	u, token, err := s.svc.InviteUser(r.Context(), c.actor(), f.Email, f.Role, f.TenantID)
	if fe := fieldError(err); fe != "" {
		v, verr := s.usersView(r, c)
		if verr != nil {
			return verr
		}
		v.Invite, v.Errors = f, templates.FieldErrors{fe: sentence(domain.ErrorMessage(err))}
		s.render(w, r, http.StatusUnprocessableEntity, templates.Users(v))
		return nil
	}
	if err != nil {
		return err
	}
	v, err := s.usersView(r, c)
	if err != nil {
		return err
	}
	v.Link = s.oneTimeLink(u, store.LinkInvite, token)
	v.Flash = templates.Flash{Kind: templates.FlashSuccess, Message: u.Email + " is invited. Copy the link below and send it to them."}
	s.render(w, r, http.StatusOK, templates.Users(v))
	return nil
}

// userView is the user page's model.
func (s *Server) userView(r *http.Request, c *uiRequest) (templates.UserPage, error) {
	u, err := s.svc.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return templates.UserPage{}, err
	}
	v := templates.UserPage{Page: s.page(r, c, u.Email, templates.NavSettings), User: userRow(u, c.user.ID)}
	v.Tenants, err = s.tenantIDs(r)
	return v, err
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	v, err := s.userView(r, c)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, templates.User(v))
	return nil
}

// userChanged redirects to the user's page with msg, or with the reason
// the change was refused (the last-admin rule, a bad field).
func (s *Server) userChanged(w http.ResponseWriter, r *http.Request, c *uiRequest, to string, err error, msg string) error {
	if err == nil {
		s.redirectFlash(w, r, c, to, templates.FlashSuccess, msg)
		return nil
	}
	switch domain.ErrorCode(err) {
	case domain.EINVALID, domain.ECONFLICT:
		s.redirectFlash(w, r, c, to, templates.FlashError, sentence(domain.ErrorMessage(err)))
		return nil
	}
	return err
}

func (s *Server) userRoleForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	u, err := s.svc.SetUserRole(r.Context(), c.actor(), id, r.PostForm.Get("role"), r.PostForm.Get("tenant"))
	msg := ""
	if err == nil {
		msg = u.Email + " is now " + roleName(u.Role) + " of " + tenantScope(u.TenantID) + "."
	}
	return s.userChanged(w, r, c, "/settings/users/"+id, err, msg)
}

func roleName(role string) string {
	if role == store.RoleAdmin {
		return "an admin"
	}
	return "a viewer"
}

func tenantScope(tenantID string) string {
	if tenantID == "" {
		return "all tenants"
	}
	return "tenant " + tenantID
}

func (s *Server) userDisableForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	return s.setUserDisabled(w, r, c, true)
}

func (s *Server) userEnableForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	return s.setUserDisabled(w, r, c, false)
}

func (s *Server) setUserDisabled(w http.ResponseWriter, r *http.Request, c *uiRequest, disabled bool) error {
	id := r.PathValue("id")
	u, err := s.svc.SetUserDisabled(r.Context(), c.actor(), id, disabled)
	msg := ""
	if err == nil {
		msg = u.Email + " is enabled and can sign in again."
		if disabled {
			msg = u.Email + " is disabled and signed out everywhere."
		}
	}
	if err == nil && disabled && id == c.user.ID {
		// Disabling oneself ends this session too.
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	return s.userChanged(w, r, c, "/settings/users/"+id, err, msg)
}

func (s *Server) userDeleteForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	id := r.PathValue("id")
	u, err := s.svc.User(r.Context(), id)
	if err != nil {
		return err
	}
	err = s.svc.DeleteUser(r.Context(), c.actor(), id)
	if err != nil {
		return s.userChanged(w, r, c, "/settings/users/"+id, err, "")
	}
	if id == c.user.ID {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	s.redirectFlash(w, r, c, "/settings/users", templates.FlashSuccess, u.Email+" is deleted.")
	return nil
}

// userResetLinkForm answers with the user page showing a new reset link
// (or invite link, for a user who has not accepted theirs), once.
func (s *Server) userResetLinkForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	token, purpose, err := s.svc.PasswordResetLink(r.Context(), c.actor(), r.PathValue("id"))
	if domain.ErrorCode(err) == domain.EINVALID {
		return s.userChanged(w, r, c, "/settings/users/"+r.PathValue("id"), err, "")
	}
	if err != nil {
		return err
	}
	v, err := s.userView(r, c)
	if err != nil {
		return err
	}
	u := &store.User{Email: v.User.Email}
	v.Link = s.oneTimeLink(u, purpose, token)
	s.render(w, r, http.StatusOK, templates.User(v))
	return nil
}

// tenantsView is the tenants page's model.
func (s *Server) tenantsView(r *http.Request, c *uiRequest) (templates.TenantsPage, error) {
	v := templates.TenantsPage{Page: s.page(r, c, "Tenants", templates.NavSettings)}
	tenants, err := s.svc.Tenants(r.Context())
	if err != nil {
		return v, err
	}
	for _, t := range tenants {
		v.Tenants = append(v.Tenants, templates.TenantRow{ID: t.ID, Name: t.Name, Webhooks: t.Endpoints, CreatedAt: t.CreatedAt})
	}
	return v, nil
}

func (s *Server) tenantsPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	v, err := s.tenantsView(r, c)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, templates.Tenants(v))
	return nil
}

func (s *Server) createTenantForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := templates.TenantForm{ID: r.PostForm.Get("id"), Name: r.PostForm.Get("name")}
	err := s.svc.CreateTenant(r.Context(), c.actor(), &domain.Tenant{ID: f.ID, Name: f.Name})
	if fe := fieldError(err); fe != "" {
		v, verr := s.tenantsView(r, c)
		if verr != nil {
			return verr
		}
		v.Form, v.Errors = f, templates.FieldErrors{fe: sentence(domain.ErrorMessage(err))}
		s.render(w, r, http.StatusUnprocessableEntity, templates.Tenants(v))
		return nil
	}
	if err != nil {
		return err
	}
	s.redirectFlash(w, r, c, "/settings/tenants", templates.FlashSuccess, "Tenant "+f.ID+" is created.")
	return nil
}

func (s *Server) renameTenantForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	err := s.svc.RenameTenant(r.Context(), c.actor(), id, r.PostForm.Get("name"))
	if domain.ErrorCode(err) == domain.EINVALID {
		s.redirectFlash(w, r, c, "/settings/tenants", templates.FlashError, sentence(domain.ErrorMessage(err)))
		return nil
	}
	if err != nil {
		return err
	}
	s.redirectFlash(w, r, c, "/settings/tenants", templates.FlashSuccess, "Tenant "+id+" is renamed.")
	return nil
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	v := templates.AccountPage{Page: s.page(r, c, "Your account", templates.NavAccount), TenantID: c.user.TenantID}
	s.render(w, r, http.StatusOK, templates.Account(v))
	return nil
}

// changePasswordForm sets the signed-in user's password after checking
// the current one, ends their other sessions and keeps this one.
func (s *Server) changePasswordForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	errs := templates.FieldErrors{}
	if f.Get("password") != f.Get("password_confirm") {
		errs["password_confirm"] = "The passwords don't match."
	} else if err := s.svc.ChangePassword(r.Context(), c.actor(), f.Get("current_password"), f.Get("password")); err != nil {
		fe := fieldError(err)
		if fe == "" {
			return err
		}
		errs[fe] = sentence(domain.ErrorMessage(err))
	}
	if len(errs) > 0 {
		v := templates.AccountPage{Page: s.page(r, c, "Your account", templates.NavAccount), TenantID: c.user.TenantID, Errors: errs}
		s.render(w, r, http.StatusUnprocessableEntity, templates.Account(v))
		return nil
	}
	after, err := s.endSessions(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	tenant := c.sess.Values[sessTenant]
	if err := s.startSessionAfter(w, r, c.user, "Your password is changed. Your other sessions are signed out.", after); err != nil {
		return err
	}
	if tenant != nil {
		c.sess.Values[sessTenant] = tenant
		if err := c.sess.Save(r, w); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

// linkPage is GET /invite and GET /reset-password: the form to choose a
// password, or a 403 page for a link that can't be used.
func (s *Server) linkPage(purpose string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		u, err := s.db.UserLink(r.Context(), token, purpose)
		if err != nil {
			s.renderError(w, r, nil, err)
			return
		}
		s.render(w, r, http.StatusOK, templates.SetPassword(s.setPasswordView(r, purpose, token, u, nil)))
	})
}

func (s *Server) setPasswordView(r *http.Request, purpose, token string, u *store.User, errs templates.FieldErrors) templates.SetPasswordPage {
	title := "Welcome to hooks"
	if purpose == store.LinkReset {
		title = "Choose a new password"
	}
	return templates.SetPasswordPage{Page: s.page(r, &uiRequest{}, title, templates.NavNone), Reset: purpose == store.LinkReset,
		Token: token, Email: u.Email, Role: u.Role, Errors: errs}
}

// linkForm is POST /invite and POST /reset-password: it sets the password
// through the link, which then stops working, ends the user's other
// sessions and signs them in.
func (s *Server) linkForm(purpose string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(r); err != nil {
			s.renderError(w, r, nil, err)
			return
		}
		f := r.PostForm
		token := f.Get("token")
		u, err := s.db.UserLink(r.Context(), token, purpose)
		if err != nil {
			s.renderError(w, r, nil, err)
			return
		}
		if f.Get("password") != f.Get("password_confirm") {
			s.render(w, r, http.StatusUnprocessableEntity, templates.SetPassword(s.setPasswordView(r, purpose, token, u,
				templates.FieldErrors{"password_confirm": "The passwords don't match."})))
			return
		}
		u2, err := s.svc.UseLink(r.Context(), token, purpose, f.Get("password"), clientAddr(r, s.cfg.TrustedProxies).String())
		if fe := fieldError(err); fe != "" {
			s.render(w, r, http.StatusUnprocessableEntity, templates.SetPassword(s.setPasswordView(r, purpose, token, u,
				templates.FieldErrors{fe: sentence(domain.ErrorMessage(err))})))
			return
		}
		if err != nil {
			s.renderError(w, r, nil, err)
			return
		}
		u = u2
		after, err := s.endSessions(r.Context(), u.ID)
		if err == nil {
			err = s.svc.RecordSignIn(r.Context(), u.ID)
		}
		welcome := "Welcome! Your account is ready."
		if purpose == store.LinkReset {
			welcome = "Your new password is set, and you are signed in."
		}
		if err == nil {
			err = s.startSessionAfter(w, r, u, welcome, after)
		}
		if err != nil {
			s.renderError(w, r, nil, err)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}
