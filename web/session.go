package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/sessions"

	"hooks/domain"
	"hooks/service"
	"hooks/store"
	"hooks/templates"
)

// SessionLifetime is how long a sign-in lasts, whatever the activity: the
// cookie's Max-Age and a server-side check of the sign-in time.
const SessionLifetime = 12 * time.Hour

// contentSecurityPolicy is sent with every UI response: only this origin's
// own scripts, styles and frames, nothing inline, and no framing by others.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Session value keys. Values are plain strings and int64s, which gob
// encodes without registration.
const (
	sessUserID    = "uid"
	sessSignedIn  = "at" // unix milliseconds of the sign-in
	sessTenant    = "tenant"
	sessFlashKind = "fk"
	sessFlashText = "fm"
)

// Settings that hold the cookie keys, generated on the first start so
// restarts keep everyone signed in.
const (
	settingSessionAuthKey = "session_auth_key"
	settingSessionEncKey  = "session_enc_key"
)

// uiState is the web UI's share of the Server: cookie store, login rate
// limits, CSRF protection and the routes it registered.
type uiState struct {
	mu       sync.Mutex
	cookies  *sessions.CookieStore // nil until loaded from settings
	cookie   string                // cookie name
	secure   bool
	limiter  *loginLimiter
	csrf     *http.CrossOriginProtection
	patterns []string

	portalCookies  *sessions.CookieStore // the customer portal's; set with cookies
	portalPatterns []string
}

func (s *Server) newUIState() *uiState {
	ui := &uiState{
		limiter: newLoginLimiter(time.Now),
		csrf:    http.NewCrossOriginProtection(),
		// Secure cookies need https; --dev and a plain-http public URL
		// (a laptop, a test) would otherwise never keep a session.
		secure: !s.cfg.Dev && !strings.HasPrefix(s.cfg.PublicURL, "http://"),
	}
	ui.cookie = "hooks_session"
	if ui.secure {
		// The __Host- prefix makes browsers refuse the cookie unless it is
		// Secure, host-only and for path /, so a sibling subdomain can't
		// plant one.
		ui.cookie = "__Host-hooks_session"
	}
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Scheme != "" && u.Host != "" {
		// Behind a proxy that rewrites Host, the browser's Origin is the
		// public URL, which is as trusted as the Host itself.
		_ = ui.csrf.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	ui.csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderStatus(w, r, nil, http.StatusForbidden, "This request came from another site and was refused. Reload the page and try again.")
	}))
	return ui
}

// cookieStore returns the session store, loading (or on the very first
// start, generating) its keys from the database the first time.
func (s *Server) cookieStore(ctx context.Context) (*sessions.CookieStore, error) {
	ui := s.ui
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if ui.cookies != nil {
		return ui.cookies, nil
	}
	authKey, err := s.db.RandomSetting(ctx, settingSessionAuthKey, 64)
	if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	encKey, err := s.db.RandomSetting(ctx, settingSessionEncKey, 32)
	if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	cs := sessions.NewCookieStore(authKey, encKey)
	// gorilla's defaults leave SameSite unset and HttpOnly off; set all.
	cs.Options = &sessions.Options{Path: "/", MaxAge: int(SessionLifetime / time.Second), HttpOnly: true,
		Secure: ui.secure, SameSite: http.SameSiteLaxMode}
	cs.MaxAge(cs.Options.MaxAge)
	ui.cookies = cs
	ui.portalCookies = s.newPortalCookieStore(authKey, encKey)
	return cs, nil
}

// session returns the request's session; a cookie that doesn't decode
// (expired, keys changed, tampered with) gives a fresh, empty one.
func (s *Server) session(r *http.Request) (*sessions.Session, error) {
	cs, err := s.cookieStore(r.Context())
	if err != nil {
		return nil, err
	}
	sess, err := cs.Get(r, s.ui.cookie)
	if err != nil {
		sess, err = cs.New(r, s.ui.cookie)
		if sess == nil {
			return nil, err
		}
		sess.IsNew = true
	}
	return sess, nil
}

// uiRequest is what a signed-in page handler knows about its request: a
// backoffice user's or a customer-portal session's.
type uiRequest struct {
	user   *store.User  // the signed-in backoffice user; nil in the portal
	portal *portalVisit // set on every customer-portal page, signed in or not
	tenant string       // the tenant the user is looking at
	addr   string       // the client's address (clientAddr), for the audit record
	sess   *sessions.Session
	flash  templates.Flash // popped from the session for this page
}

// actor is the signed-in user, or the portal session, as the service layer
// records it.
func (c *uiRequest) actor() service.Actor {
	if c.portal != nil {
		return service.Actor{ID: c.portal.session.ID, TenantID: c.tenant, Addr: c.addr}
	}
	return service.Actor{ID: c.user.ID, TenantID: c.tenant, Addr: c.addr, AllTenants: c.unbound()}
}

// canWrite reports whether the user may change things: a backoffice admin,
// or a portal session minted with the admin role.
func (c *uiRequest) canWrite() bool {
	if c.portal != nil {
		return c.portal.session != nil && c.portal.session.Role == domain.PortalAdmin
	}
	return c.user.IsAdmin()
}

// unbound reports whether the user may switch tenants.
func (c *uiRequest) unbound() bool { return c.user != nil && c.user.TenantID == "" }

// path is p, a backoffice page such as /webhooks/wbh_1, as the page of the
// area this request is in: the same page under /portal in the portal.
func (c *uiRequest) path(p string) string {
	if c.portal != nil {
		return portalPrefix + p
	}
	return p
}

// uiHandler is a signed-in page or action. It returns an error for
// renderError instead of writing one itself.
type uiHandler func(w http.ResponseWriter, r *http.Request, c *uiRequest) error

// Access levels of UI routes.
const (
	accessRead   = iota // any signed-in user
	accessWrite         // admins only; viewers get 403
	accessSelf          // any signed-in user, for their own session (logout, tenant switch)
	accessManage        // admins bound to no tenant: users and tenants
)

// signedIn wraps h with authentication: no valid session redirects to
// /login (with the page to come back to), a viewer posting an action gets
// 403, and the tenant is settled before h runs.
func (s *Server) signedIn(access int, h uiHandler) http.Handler {
	return s.guard(access, s.backofficeRequest, func(w http.ResponseWriter, r *http.Request) {
		next := ""
		if r.Method == http.MethodGet {
			next = r.URL.RequestURI()
		}
		http.Redirect(w, r, loginURL(next), http.StatusFound)
	}, h)
}

// backofficeRequest is the request's signed-in backoffice user, or nil.
func (s *Server) backofficeRequest(r *http.Request) (*uiRequest, error) {
	sess, err := s.session(r)
	if err != nil {
		return nil, err
	}
	return s.sessionUser(r.Context(), sess)
}

// guard runs h for the request that who signs in, and anon when who finds
// nobody; an action that needs accessWrite from one who may only read gets
// 403. The backoffice and the customer portal differ only in who and anon.
func (s *Server) guard(access int, who func(*http.Request) (*uiRequest, error), anon http.HandlerFunc, h uiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := who(r)
		if err != nil {
			s.renderError(w, r, nil, err)
			return
		}
		if c == nil {
			anon(w, r)
			return
		}
		c.addr = clientAddr(r, s.cfg.TrustedProxies).String()
		if (access == accessWrite || access == accessManage) && !c.canWrite() {
			msg := "Your account is read-only (viewer). Ask an admin to make this change."
			if c.portal != nil {
				msg = "This page is read-only. Ask " + c.portal.productName() + " for a link that lets you make changes."
			}
			s.renderStatus(w, r, c, http.StatusForbidden, msg)
			return
		}
		if access == accessManage && !c.unbound() {
			s.renderStatus(w, r, c, http.StatusForbidden, "Managing users and tenants needs an admin account that is not bound to a tenant.")
			return
		}
		if err := h(w, r, c); err != nil {
			s.renderError(w, r, c, err)
		}
	})
}

// sessionUser returns the signed-in user of sess, or nil when nobody is
// signed in: no user id, a sign-in older than SessionLifetime or than the
// user's last sign-out, or a user that no longer exists or is disabled.
// It reads the user on every request, so disabling one ends their sessions
// at once on every instance.
func (s *Server) sessionUser(ctx context.Context, sess *sessions.Session) (*uiRequest, error) {
	id, _ := sess.Values[sessUserID].(string)
	at, _ := sess.Values[sessSignedIn].(int64)
	if id == "" || time.Since(time.UnixMilli(at)) > SessionLifetime {
		return nil, nil
	}
	u, err := s.db.UserByID(ctx, id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled() || u.Invited() {
		return nil, nil
	}
	out, err := s.db.Setting(ctx, signedOutSetting(u.ID))
	switch {
	case err == nil:
		// A cookie is valid until it expires wherever it was copied to;
		// signing out ends every session that began before it.
		if ms, _ := strconv.ParseInt(string(out), 10, 64); at <= ms {
			return nil, nil
		}
	case domain.ErrorCode(err) != domain.ENOTFOUND:
		return nil, err
	}
	c := &uiRequest{user: u, sess: sess, tenant: u.TenantID}
	if c.tenant == "" {
		c.tenant, _ = sess.Values[sessTenant].(string)
		if c.tenant == "" {
			c.tenant = domain.DefaultTenant
		} else if _, err := s.db.TenantByID(ctx, c.tenant); err != nil {
			c.tenant = domain.DefaultTenant
		}
	}
	return c, nil
}

// endSessions ends every session of the user id that began before now, as
// signing out does, and returns the time it wrote: a session started
// afterwards must begin later (startSessionAfter).
func (s *Server) endSessions(ctx context.Context, id string) (int64, error) {
	at := time.Now().UnixMilli()
	return at, s.db.PutSetting(ctx, signedOutSetting(id), []byte(strconv.FormatInt(at, 10)))
}

// signedOutSetting names the setting that holds when the user last signed
// out, in unix milliseconds.
func signedOutSetting(userID string) string { return "signed_out:" + userID }

// loginURL is /login, with next when there is a page to return to.
func loginURL(next string) string {
	if next == "" || next == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// safeNext returns next if it is a path on this site, else "/": a login
// link must not send the user to another origin.
//
// The test is on what a browser makes of the Location header, not on what
// Go makes of it: browsers drop tabs and newlines anywhere in a URL and
// read a backslash as a slash, so "/\t/evil.example" and "/\\evil.example"
// both become "//evil.example", a link to another host. So next must start
// with exactly one "/", contain no control character and no backslash at
// all, and parse as a path with neither scheme nor host.
func safeNext(next string) string {
	if len(next) == 0 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return next
}

// setFlash stores a one-time message for the next page and saves sess.
func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, sess *sessions.Session, kind templates.FlashKind, msg string) {
	sess.Values[sessFlashKind] = string(kind)
	sess.Values[sessFlashText] = msg
	if err := sess.Save(r, w); err != nil {
		s.log.Warn("save session", "err", err)
	}
}

// popFlash takes the one-time message out of the session, saving it only
// when there was one.
func (s *Server) popFlash(w http.ResponseWriter, r *http.Request, c *uiRequest) {
	msg, _ := c.sess.Values[sessFlashText].(string)
	if msg == "" {
		return
	}
	kind, _ := c.sess.Values[sessFlashKind].(string)
	c.flash = templates.Flash{Kind: templates.FlashKind(kind), Message: msg}
	delete(c.sess.Values, sessFlashText)
	delete(c.sess.Values, sessFlashKind)
	if err := c.sess.Save(r, w); err != nil {
		s.log.Warn("save session", "err", err)
	}
}

// redirectFlash is Post/Redirect/Get with a message for the next page.
func (s *Server) redirectFlash(w http.ResponseWriter, r *http.Request, c *uiRequest, to string, kind templates.FlashKind, msg string) {
	s.setFlash(w, r, c.sess, kind, msg)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// securityHeaders adds the UI's browser protections to every response.
func securityHeaders(h http.Handler) http.Handler {
	return framedHeaders(contentSecurityPolicy, h)
}

// framedHeaders is securityHeaders with csp as the Content-Security-Policy.
// X-Frame-Options says DENY only when csp forbids every frame ancestor: a
// browser that knows both obeys frame-ancestors, but one that knows only
// X-Frame-Options must not be told the opposite.
func framedHeaders(csp string, h http.Handler) http.Handler {
	deny := strings.Contains(csp, "frame-ancestors 'none'")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		if deny {
			hd.Set("X-Frame-Options", "DENY")
		}
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			// Pages show tenant data; keep them out of shared caches and
			// the back button after logout.
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}
