package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"hooks/domain"
	"hooks/store"
	"hooks/templates"
)

// The customer portal: a product's own customers manage their endpoints
// from the product's "Settings → Webhooks", in pages served here under
// /portal, which the product links to or frames. A product mints a
// one-time link with its API key (POST /api/v1/portal/sessions); the link's
// first GET trades it for a cookie scoped to /portal. The pages are the
// backoffice's own (sharedPages) with the portal's session, links and
// clothes; nothing else of the backoffice is reachable with that cookie,
// and the backoffice and the API never read it.

const portalPrefix = "/portal"

// PortalConfig is the customer portal's part of Config.
type PortalConfig struct {
	// FrameAncestors is the CSP frame-ancestors source list of portal
	// pages, e.g. "https://app.example.com"; "" means 'none'. When set,
	// the portal cookie is SameSite=None; Secure; Partitioned, so that it
	// is sent inside the product's iframe.
	FrameAncestors string
	// Brand is the server-wide look; a tenant's own fields override it.
	Brand domain.PortalBrand
}

// CheckFrameAncestors checks a --portal-frame-ancestors value: sources
// separated by spaces, none of which could end the CSP directive.
func CheckFrameAncestors(v string) error {
	if strings.ContainsAny(v, ";,\r\n\"") {
		return fmt.Errorf("portal frame ancestors %q: list sources separated by spaces, e.g. 'self' https://app.example.com", v)
	}
	return nil
}

// framed reports whether another site may frame the portal.
func (c PortalConfig) framed() bool {
	return strings.TrimSpace(c.FrameAncestors) != "" && strings.TrimSpace(c.FrameAncestors) != "'none'"
}

// csp is the portal's Content-Security-Policy: the backoffice's, with the
// configured frame ancestors, and images from any https origin (the
// product's logo).
func (c PortalConfig) csp() string {
	ancestors := "'none'"
	if c.framed() {
		ancestors = strings.Join(strings.Fields(c.FrameAncestors), " ")
	}
	csp := strings.Replace(contentSecurityPolicy, "frame-ancestors 'none'", "frame-ancestors "+ancestors, 1)
	return strings.Replace(csp, "img-src 'self' data:", "img-src 'self' data: https:", 1)
}

// portalVisit is a customer-portal request: its session (nil before one
// exists) and the tenant's look.
type portalVisit struct {
	session *store.PortalSession
	brand   domain.PortalBrand
}

// productName is how pages refer to the product that minted the link.
func (v *portalVisit) productName() string {
	if v.brand.Name != "" {
		return v.brand.Name
	}
	return "the app that gave you this link"
}

// Portal session value key.
const sessPortalID = "prt"

// portalRoutes registers the portal: the shared pages under /portal, the
// link, the theme and a 404 of its own, all with the portal's CSP, and the
// same CSRF protection as the backoffice.
func (s *Server) portalRoutes() {
	handle := func(pattern string, h http.Handler) {
		s.ui.portalPatterns = append(s.ui.portalPatterns, pattern)
		s.mux.Handle(pattern, framedHeaders(s.cfg.Portal.csp(), s.ui.csrf.Handler(h)))
	}
	for _, p := range s.sharedPages() {
		method, path, _ := strings.Cut(p.pattern, " ")
		handle(method+" "+portalPrefix+path, s.guard(p.access, s.portalRequest, s.portalSignedOut, p.h))
	}
	handle("GET /portal/{$}", s.guard(accessRead, s.portalRequest, s.portalSignedOut, func(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
		http.Redirect(w, r, portalPrefix+"/webhooks", http.StatusFound)
		return nil
	}))
	handle("GET /portal/{token}", http.HandlerFunc(s.redeemPortalLink))
	handle("GET /portal/theme.css", http.HandlerFunc(s.portalTheme))
	handle("POST /portal/sign-out", s.guard(accessSelf, s.portalRequest, s.portalSignedOut, s.portalSignOut))
	s.mux.Handle("/portal/", framedHeaders(s.cfg.Portal.csp(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.portalRequest(r)
		if err != nil || c == nil {
			c = s.anonymous(r)
		}
		s.renderStatus(w, r, c, http.StatusNotFound, "")
	})))
}

// PortalRoutes lists the patterns of the customer portal's routes, as
// registered, so tests can check every one of them.
func (s *Server) PortalRoutes() []string { return append([]string(nil), s.ui.portalPatterns...) }

// portalCookieStore returns the portal's session store: the backoffice's
// keys, but its own cookie name and path, so that neither side ever reads
// the other's cookie (the name is part of what the cookie's MAC covers).
func (s *Server) portalCookieStore(ctx context.Context) (*sessions.CookieStore, error) {
	if _, err := s.cookieStore(ctx); err != nil {
		return nil, err
	}
	return s.ui.portalCookies, nil
}

// portalCookieName is the portal cookie's name for these options.
func portalCookieName(o *sessions.Options) string {
	if o.Secure {
		return "__Secure-hooks_portal"
	}
	return "hooks_portal"
}

// newPortalCookieStore is a store for the portal cookie under the session
// keys.
func (s *Server) newPortalCookieStore(authKey, encKey []byte) *sessions.CookieStore {
	cs := sessions.NewCookieStore(authKey, encKey)
	cs.Options = &sessions.Options{Path: portalPrefix, MaxAge: int(domain.PortalSessionLifetime / time.Second), HttpOnly: true,
		Secure: s.ui.secure, SameSite: http.SameSiteLaxMode}
	if s.cfg.Portal.framed() {
		// Inside the product's iframe the portal is a third party: only a
		// SameSite=None cookie is sent, which browsers take only Secure,
		// and Partitioned (CHIPS) keeps it working where third-party
		// cookies are blocked, keyed to the product's site.
		cs.Options.SameSite, cs.Options.Secure, cs.Options.Partitioned = http.SameSiteNoneMode, true, true
	}
	cs.MaxAge(cs.Options.MaxAge)
	return cs
}

// portalRequest is the request's portal session, or nil when it has none
// (no cookie, a session past domain.PortalSessionLifetime, a tenant gone).
func (s *Server) portalRequest(r *http.Request) (*uiRequest, error) {
	cs, err := s.portalCookieStore(r.Context())
	if err != nil {
		return nil, err
	}
	sess, err := cs.Get(r, portalCookieName(cs.Options))
	if err != nil {
		return nil, nil
	}
	id, _ := sess.Values[sessPortalID].(string)
	if id == "" {
		return nil, nil
	}
	ps, err := s.db.PortalSessionByID(r.Context(), id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if ps.UsedAt.IsZero() || time.Since(ps.UsedAt) > domain.PortalSessionLifetime {
		return nil, nil
	}
	t, err := s.db.TenantByID(r.Context(), ps.TenantID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &uiRequest{portal: &portalVisit{session: ps, brand: t.Portal.Or(s.cfg.Portal.Brand)}, tenant: ps.TenantID, sess: sess}, nil
}

// anonymous is the uiRequest of a request nobody signed in for: a portal
// one, in the server-wide clothes, for the portal's paths.
func (s *Server) anonymous(r *http.Request) *uiRequest {
	if r.URL.Path == portalPrefix || strings.HasPrefix(r.URL.Path, portalPrefix+"/") {
		return &uiRequest{portal: &portalVisit{brand: s.cfg.Portal.Brand}}
	}
	return &uiRequest{}
}

// portalSignedOut answers a portal page asked for without a portal session.
func (s *Server) portalSignedOut(w http.ResponseWriter, r *http.Request) {
	c := s.anonymous(r)
	s.renderPortalGone(w, r, c, http.StatusUnauthorized, "Your session has ended",
		"Open Webhooks again from "+c.portal.productName()+" to continue.")
}

func (s *Server) renderPortalGone(w http.ResponseWriter, r *http.Request, c *uiRequest, status int, heading, msg string) {
	if wantsJSON(r) {
		s.renderStatus(w, r, c, status, msg)
		return
	}
	v := templates.PortalGonePage{Page: s.page(r, c, heading, templates.NavNone), Heading: heading, Message: msg}
	s.render(w, r, status, templates.PortalGone(v))
}

// redeemPortalLink trades a portal link's token for a portal session, once.
func (s *Server) redeemPortalLink(w http.ResponseWriter, r *http.Request) {
	ps, err := s.db.RedeemPortalToken(r.Context(), r.PathValue("token"))
	if domain.ErrorCode(err) == domain.EUNAUTHORIZED {
		c := s.anonymous(r)
		s.renderPortalGone(w, r, c, http.StatusGone, "This link has been used or has expired",
			"Each link opens the portal once. Ask "+c.portal.productName()+" for a new one.")
		return
	}
	if err != nil {
		s.renderError(w, r, nil, err)
		return
	}
	cs, err := s.portalCookieStore(r.Context())
	if err != nil {
		s.renderError(w, r, nil, err)
		return
	}
	// A fresh session: nothing of an earlier one (another tenant's, a
	// planted cookie) carries over.
	sess, err := cs.New(r, portalCookieName(cs.Options))
	if sess == nil {
		s.renderError(w, r, nil, err)
		return
	}
	clear(sess.Values)
	sess.Values[sessPortalID] = ps.ID
	if err := sess.Save(r, w); err != nil {
		s.renderError(w, r, nil, err)
		return
	}
	s.log.Info("portal link used", "portal_session", ps.ID, "tenant", ps.TenantID, "role", ps.Role,
		"client", clientAddr(r, s.cfg.TrustedProxies).String())
	http.Redirect(w, r, portalPrefix+"/webhooks", http.StatusSeeOther)
}

// portalSignOut ends the request's portal session: its row goes, so the
// cookie opens nothing wherever it was copied to, and the cookie is dropped.
func (s *Server) portalSignOut(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	if err := s.db.EndPortalSession(r.Context(), c.portal.session.ID); err != nil {
		return err
	}
	clear(c.sess.Values)
	c.sess.Options.MaxAge = -1
	if err := c.sess.Save(r, w); err != nil {
		return err
	}
	s.log.Info("portal session ended", "portal_session", c.portal.session.ID, "tenant", c.portal.session.TenantID)
	c.portal.session = nil
	s.renderPortalGone(w, r, c, http.StatusOK, "You are signed out",
		"Open Webhooks again from "+c.portal.productName()+" to come back.")
	return nil
}

// portalTheme is the accent colour of the request's tenant (or the
// server-wide one) as CSS custom properties. It is a stylesheet of its own
// because the CSP allows no inline style.
func (s *Server) portalTheme(w http.ResponseWriter, r *http.Request) {
	brand := s.cfg.Portal.Brand
	if c, err := s.portalRequest(r); err == nil && c != nil {
		brand = c.portal.brand
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	if brand.Accent == "" || brand.Validate("") != nil {
		return
	}
	fmt.Fprint(w, themeCSS(brand.Accent))
}

// themeCSS overrides the stylesheet's accent variables, light and dark,
// with accent (#rrggbb, validated); the text on it is white or near-black,
// whichever contrasts more.
func themeCSS(accent string) string {
	on := "#ffffff"
	if relativeLuminance(accent) > 0.4 {
		on = "#0c0e12"
	}
	vars := fmt.Sprintf("--accent: %[1]s; --accent-hover: color-mix(in srgb, %[1]s 85%%, #000); "+
		"--accent-soft: color-mix(in srgb, %[1]s 12%%, var(--surface, #fff)); --accent-text: color-mix(in srgb, %[1]s 75%%, #000); "+
		"--on-accent: %[2]s;", accent, on)
	dark := fmt.Sprintf("--accent: %[1]s; --accent-hover: color-mix(in srgb, %[1]s 80%%, #fff); "+
		"--accent-soft: color-mix(in srgb, %[1]s 22%%, #000); --accent-text: color-mix(in srgb, %[1]s 60%%, #fff); "+
		"--on-accent: %[2]s;", accent, on)
	return ":root { " + vars + " }\n@media (prefers-color-scheme: dark) { :root { " + dark + " } }\n"
}

// relativeLuminance is the WCAG relative luminance of a #rrggbb colour.
func relativeLuminance(hex string) float64 {
	var l float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += weight * c
	}
	return l
}
