package web

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"

	"hooks/domain"
	"hooks/static"
	"hooks/store"
	"hooks/templates"
)

// uiRoutes registers the backoffice pages. Every route goes through
// securityHeaders and http.CrossOriginProtection (CSRF: a browser's
// cross-site POST is refused), and all but login and setup through signedIn.
func (s *Server) uiRoutes() {
	s.ui = s.newUIState()
	page := func(pattern string, access int, h uiHandler) { s.uiHandle(pattern, s.signedIn(access, h)) }

	s.uiHandle("GET /login", http.HandlerFunc(s.loginPage))
	s.uiHandle("POST /login", http.HandlerFunc(s.login))
	s.uiHandle("GET /setup", http.HandlerFunc(s.setupPage))
	s.uiHandle("POST /setup", http.HandlerFunc(s.setup))
	page("POST /logout", accessSelf, s.logout)
	page("POST /tenant", accessSelf, s.switchTenant)

	page("GET /{$}", accessRead, s.dashboard)
	for _, p := range s.sharedPages() {
		page(p.pattern, p.access, p.h)
	}
	page("GET /events", accessRead, s.eventsPage)
	page("POST /events", accessWrite, s.sendEventForm)
	page("GET /events/{id}", accessRead, s.eventPage)
	s.userRoutes(page)
	s.apiKeyRoutes(page)
	s.auditRoutes(page)
	s.eventTypeRoutes(page)
	s.portalRoutes()

	s.mux.Handle("GET /static/", securityHeaders(static.Handler()))
	// Anything else is a UI 404 (the API has its own JSON catch-all).
	s.mux.Handle("/", securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c *uiRequest
		if sess, err := s.session(r); err == nil {
			c, _ = s.sessionUser(r.Context(), sess)
		}
		s.renderStatus(w, r, c, http.StatusNotFound, "")
	})))
}

// uiPage is a page or action of the web UI.
type uiPage struct {
	pattern string
	access  int
	h       uiHandler
}

// sharedPages are the pages the backoffice and the customer portal both
// serve, the portal's under /portal: the same handlers and templates, which
// take their links from uiRequest.path and templates' link. A page added
// here is in the portal too (and in both authorization matrices).
func (s *Server) sharedPages() []uiPage {
	return []uiPage{
		{"GET /webhooks", accessRead, s.webhooksPage},
		{"GET /webhooks/new", accessWrite, s.newWebhookPage},
		{"POST /webhooks", accessWrite, s.createWebhookForm},
		{"GET /webhooks/{id}", accessRead, s.webhookPage},
		{"GET /webhooks/{id}/edit", accessWrite, s.editWebhookPage},
		{"POST /webhooks/{id}", accessWrite, s.updateWebhookForm},
		{"GET /webhooks/{id}/delete", accessWrite, s.deleteWebhookPage},
		{"POST /webhooks/{id}/delete", accessWrite, s.deleteWebhookForm},
		{"POST /webhooks/{id}/enable", accessWrite, s.enableWebhookForm},
		{"POST /webhooks/{id}/disable", accessWrite, s.disableWebhookForm},
		{"POST /webhooks/{id}/test", accessWrite, s.testWebhookForm},
		{"POST /webhooks/filter-preview", accessWrite, s.filterPreviewForm},
		{"POST /webhooks/{id}/filter-preview", accessWrite, s.filterPreviewForm},
		{"POST /webhooks/{id}/secret/reveal", accessWrite, s.revealSecretForm},
		{"POST /webhooks/{id}/secret/rotate", accessWrite, s.rotateSecretForm},
		{"POST /webhooks/{id}/credentials/reveal", accessWrite, s.revealCredentialsForm},
		{"GET /webhooks/{id}/recover", accessRead, s.recoverPage},
		{"POST /webhooks/{id}/recover", accessWrite, s.recoverForm},
		{"GET /webhooks/{id}/deliveries", accessRead, s.webhookDeliveriesPage},
		{"GET /deliveries", accessRead, s.deliveriesPage},
		{"GET /deliveries/{id}", accessRead, s.deliveryPage},
		{"POST /deliveries/{id}/redeliver", accessWrite, s.redeliverForm},
		{"GET /event-types", accessRead, s.eventTypesPage},
		{"GET /event-types/{name}", accessRead, s.eventTypePage},
	}
}

func (s *Server) uiHandle(pattern string, h http.Handler) {
	s.ui.patterns = append(s.ui.patterns, pattern)
	s.mux.Handle(pattern, securityHeaders(s.ui.csrf.Handler(h)))
}

// UIRoutes lists the patterns of the web UI's routes, as registered, so
// tests can check every one of them (the authorization matrix).
func (s *Server) UIRoutes() []string { return slices.Clone(s.ui.patterns) }

// page returns the layout's view model for a signed-in request.
func (s *Server) page(r *http.Request, c *uiRequest, title string, nav templates.NavItem) templates.Page {
	p := templates.Page{Title: title, Nav: nav, Dev: s.cfg.Dev, Now: time.Now(), Flash: c.flash}
	if c.portal != nil {
		b := c.portal.brand
		p.Base, p.Dev = portalPrefix, false
		p.Portal = &templates.Portal{Name: b.Name, LogoURL: b.LogoURL, SignedIn: c.portal.session != nil}
		if p.Portal.SignedIn {
			p.User = templates.CurrentUser{Role: c.portal.session.Role, CanWrite: c.canWrite()}
			p.Tenant = c.tenant
		}
		return p
	}
	if c.user != nil {
		p.User = templates.CurrentUser{Email: c.user.Email, Role: c.user.Role, IsAdmin: c.user.IsAdmin(), CanWrite: c.canWrite()}
		p.Tenant = c.tenant
		if c.unbound() {
			if tenants, err := s.db.Tenants(r.Context()); err == nil && len(tenants) > 1 {
				for _, t := range tenants {
					p.Tenants = append(p.Tenants, t.ID)
				}
			}
		}
	}
	return p
}

// maxPageBytes bounds the HTML of one page. The templates bound what stored
// values can add to a page (templates.MaxPageShownBytes), so real pages stay
// far below this; it is the backstop that keeps a page nobody bounded from
// holding the server's memory.
const maxPageBytes = 4 << 20

// errPageTooLarge is what a page that outgrows maxPageBytes fails with.
var errPageTooLarge = errors.New("page larger than the limit")

// pageBuffer collects a page's HTML up to maxPageBytes, then fails.
type pageBuffer struct{ bytes.Buffer }

func (b *pageBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > maxPageBytes {
		return 0, errPageTooLarge
	}
	return b.Buffer.Write(p)
}

// render writes comp as an HTML page. It renders into a buffer first, so a
// failure halfway becomes a clean error page rather than half a page; the
// buffer is capped, so no page can hold more than maxPageBytes of memory.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, comp templ.Component) {
	var buf pageBuffer
	if err := comp.Render(r.Context(), &buf); err != nil {
		s.log.Error("render page", "path", r.URL.Path, "err", err)
		if errors.Is(err, errPageTooLarge) {
			// Fail closed, with a page that says why (a small one: this
			// cannot recurse).
			p := templates.Page{Title: "Page too large", Dev: s.cfg.Dev, Now: time.Now()}
			s.render(w, r, http.StatusInternalServerError, templates.Error(templates.ErrorPage{Page: p,
				Status: http.StatusInternalServerError, Message: "This page is too large to show."}))
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError shows err as an error page (or as the API's JSON error to a
// script that asked for JSON), with the status its code maps to.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, c *uiRequest, err error) {
	if wantsJSON(r) {
		s.writeError(w, r, err)
		return
	}
	status := errorStatus(domain.ErrorCode(err))
	msg := domain.ErrorMessage(err)
	if status >= 500 {
		s.log.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
		if status == http.StatusInternalServerError {
			msg = ""
		}
	}
	s.renderStatus(w, r, c, status, sentence(msg))
}

// sentence turns a store message ("webhook x not found") into one that
// reads well on its own on a page ("Webhook x not found.").
func sentence(msg string) string {
	if msg == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, ")") {
		msg += "."
	}
	return msg
}

// renderStatus shows the error page for status with an optional message.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, c *uiRequest, status int, msg string) {
	if wantsJSON(r) {
		var body errorBody
		body.Error.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
		body.Error.Message = msg
		if msg == "" {
			body.Error.Message = http.StatusText(status)
		}
		writeJSON(w, status, body)
		return
	}
	if c == nil {
		c = s.anonymous(r)
	}
	p := s.page(r, c, http.StatusText(status), templates.NavNone)
	s.render(w, r, status, templates.Error(templates.ErrorPage{Page: p, Status: status, Message: msg}))
}

// wantsJSON reports whether a script (app.js) asked for a JSON answer.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// parseForm reads a posted form, turning a body that is too large into a
// user-facing error.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		if _, ok := err.(*http.MaxBytesError); ok || strings.Contains(err.Error(), "too large") {
			return domain.Errorf(domain.ETOOLARGE, "the form is too large")
		}
		return domain.Errorf(domain.EINVALID, "the form could not be read")
	}
	return nil
}

// pageCursor reads ?cursor=, where NewestPage means the first page.
func pageCursor(r *http.Request) string {
	c := r.URL.Query().Get("cursor")
	if c == store.NewestPage {
		return ""
	}
	return c
}

// uiPageSize is the number of rows per page of the UI's lists.
const uiPageSize = 50
