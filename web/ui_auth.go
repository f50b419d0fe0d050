package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"hooks/domain"
	"hooks/store"
	"hooks/templates"
)

// SetupTokenLifetime is how long the first-admin setup link works.
const SetupTokenLifetime = 24 * time.Hour

// SetupURL returns a one-time link for creating the first admin when no
// user exists yet, and "" otherwise. Each call replaces the previous link,
// so only the one printed last works. It also makes sure the session keys
// exist, so the first start generates them before any request.
func (s *Server) SetupURL(ctx context.Context) (string, error) {
	if _, err := s.cookieStore(ctx); err != nil {
		return "", err
	}
	n, err := s.db.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	token, err := s.db.CreateSetupToken(ctx, SetupTokenLifetime)
	if domain.ErrorCode(err) == domain.ECONFLICT {
		return "", nil // a user appeared meanwhile
	}
	if err != nil {
		return "", err
	}
	return s.cfg.PublicURL + "/setup?token=" + url.QueryEscape(token), nil
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	sess, err := s.session(r)
	if err != nil {
		s.renderError(w, r, nil, err)
		return
	}
	c, err := s.sessionUser(r.Context(), sess)
	if err != nil {
		s.renderError(w, r, nil, err)
		return
	}
	next := r.URL.Query().Get("next")
	if c != nil {
		http.Redirect(w, r, safeNext(next), http.StatusFound)
		return
	}
	anon := &uiRequest{sess: sess}
	if n, err := s.db.CountUsers(r.Context()); err == nil && n == 0 {
		anon.flash = templates.Flash{Kind: templates.FlashInfo, Message: "No user exists yet. Open the setup link that hooks serve printed when it started, or create one with: hooks user create."}
	} else {
		s.popFlash(w, r, anon)
	}
	v := templates.LoginPage{Page: s.page(r, anon, "Sign in", templates.NavNone)}
	if next != "" && safeNext(next) == next {
		v.Next = next
	}
	s.render(w, r, http.StatusOK, templates.Login(v))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.renderError(w, r, nil, err)
		return
	}
	email, password := r.PostForm.Get("email"), r.PostForm.Get("password")
	v := templates.LoginPage{Page: s.page(r, &uiRequest{}, "Sign in", templates.NavNone), Email: email}
	if next := r.PostForm.Get("next"); safeNext(next) == next {
		v.Next = next
	}
	client := clientAddr(r, s.cfg.TrustedProxies)
	attempt, ok := s.ui.limiter.begin(throttleKey(client), email)
	if !ok {
		s.log.Warn("sign-in refused: too many failed attempts", "client", client.String())
		v.Error = "Too many sign-in attempts. Wait a minute, then try again."
		w.Header().Set("Retry-After", "60")
		s.render(w, r, http.StatusTooManyRequests, templates.Login(v))
		return
	}
	u, err := s.db.UserByEmail(r.Context(), email)
	if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
		s.ui.limiter.end(attempt, false)
		s.renderError(w, r, nil, err)
		return
	}
	if !store.CheckPassword(u, password) {
		s.ui.limiter.end(attempt, true)
		s.log.Info("sign-in failed: wrong email or password", "client", client.String())
		v.Error = "Wrong email or password."
		s.render(w, r, http.StatusUnauthorized, templates.Login(v))
		return
	}
	s.ui.limiter.end(attempt, false)
	if u.Disabled() {
		// The password was right, so saying why reveals nothing new.
		s.log.Info("sign-in refused: user disabled", "user", u.ID, "client", client.String())
		v.Error = "This account is disabled. Ask an admin to enable it."
		s.render(w, r, http.StatusForbidden, templates.Login(v))
		return
	}
	if err := s.svc.RecordSignIn(r.Context(), u.ID); err != nil {
		s.log.Warn("record sign-in", "user", u.ID, "err", err)
	}
	if err := s.startSession(w, r, u, ""); err != nil {
		s.renderError(w, r, nil, err)
		return
	}
	http.Redirect(w, r, safeNext(v.Next), http.StatusSeeOther)
}

// startSession signs u in with a fresh session: nothing from before the
// sign-in (a planted cookie, another user's tenant choice) carries over.
// A non-empty welcome is shown on the next page.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *store.User, welcome string) error {
	return s.startSessionAfter(w, r, u, welcome, 0)
}

// startSessionAfter is startSession for a session that must begin after
// the unix millisecond after, when endSessions wrote it just now.
func (s *Server) startSessionAfter(w http.ResponseWriter, r *http.Request, u *store.User, welcome string, after int64) error {
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	clear(sess.Values)
	sess.Values[sessUserID] = u.ID
	sess.Values[sessSignedIn] = max(time.Now().UnixMilli(), after+1)
	if welcome != "" {
		sess.Values[sessFlashKind] = string(templates.FlashSuccess)
		sess.Values[sessFlashText] = welcome
	}
	return sess.Save(r, w)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if err := s.db.PutSetting(r.Context(), signedOutSetting(c.user.ID), []byte(strconv.FormatInt(time.Now().UnixMilli(), 10))); err != nil {
		return err
	}
	clear(c.sess.Values)
	s.setFlash(w, r, c.sess, templates.FlashSuccess, "You are signed out.")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) switchTenant(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if !c.unbound() {
		return domain.Errorf(domain.EFORBIDDEN, "your account belongs to tenant %s and can't switch", c.user.TenantID)
	}
	if err := parseForm(r); err != nil {
		return err
	}
	t, err := s.db.TenantByID(r.Context(), r.PostForm.Get("tenant"))
	if err != nil {
		return err
	}
	c.sess.Values[sessTenant] = t.ID
	s.redirectFlash(w, r, c, "/", templates.FlashInfo, "Now showing tenant "+t.ID+".")
	return nil
}

func (s *Server) setupPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if !s.setupAllowed(w, r, token) {
		return
	}
	v := templates.SetupPage{Page: s.page(r, &uiRequest{}, "Set up hooks", templates.NavNone), Token: token}
	s.render(w, r, http.StatusOK, templates.Setup(v))
}

// setupAllowed answers for the setup page when it can't be used: a user
// exists already (go sign in) or the token is not the live one (403).
func (s *Server) setupAllowed(w http.ResponseWriter, r *http.Request, token string) bool {
	n, err := s.db.CountUsers(r.Context())
	if err != nil {
		s.renderError(w, r, nil, err)
		return false
	}
	if n > 0 {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return false
	}
	if err := s.db.CheckSetupToken(r.Context(), token); err != nil {
		s.renderError(w, r, nil, err)
		return false
	}
	return true
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.renderError(w, r, nil, err)
		return
	}
	f := r.PostForm
	token := f.Get("token")
	if !s.setupAllowed(w, r, token) {
		return
	}
	v := templates.SetupPage{Page: s.page(r, &uiRequest{}, "Set up hooks", templates.NavNone), Token: token, Email: f.Get("email"),
		Errors: templates.FieldErrors{}}
	password := f.Get("password")
	if password != f.Get("password_confirm") {
		v.Errors["password_confirm"] = "The passwords don't match."
	}
	hash, err := store.HashPassword(password)
	if err != nil {
		v.Errors["password"] = domain.ErrorMessage(err) + "."
	}
	u := &store.User{Email: v.Email, PasswordHash: hash}
	if len(v.Errors) == 0 {
		err = s.db.CreateFirstAdmin(r.Context(), token, u)
		if err != nil {
			if fe := fieldError(err); fe != "" {
				v.Errors[fe] = domain.ErrorMessage(err) + "."
			} else {
				s.renderError(w, r, nil, err)
				return
			}
		}
	}
	if len(v.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, templates.Setup(v))
		return
	}
	s.log.Info("first admin created", "user", u.ID, "email", u.Email)
	if err := s.startSession(w, r, u, "Welcome! Your admin account is ready. Create your first webhook to start."); err != nil {
		s.renderError(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// fieldError returns the field an EINVALID or ECONFLICT error is about.
func fieldError(err error) string {
	var e *domain.Error
	if errors.As(err, &e) && (e.Code == domain.EINVALID || e.Code == domain.ECONFLICT) {
		return e.Field
	}
	return ""
}
