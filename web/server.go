// Package web serves hooks over HTTP: the REST API, the JWKS documents,
// health checks and the backoffice pages.
package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"hooks/delivery"
	"hooks/domain"
	"hooks/metrics"
	"hooks/service"
	"hooks/store"
	"hooks/tracing"
)

// Config tunes a Server. Zero fields take the defaults noted.
type Config struct {
	PublicURL    string // where this server is reached, e.g. https://hooks.example.com
	MaxBodyBytes int64  // largest request body accepted; 1 MiB
	Dev          bool   // development mode: cookies without Secure
	Version      string
	Logger       *slog.Logger
	JWKS         KeySets // the JWT scheme's public keys; empty key sets if nil
	HeaderPrefix string  // the engine's metadata header prefix, shown in the UI; "X-Hooks-"
	// APIRateLimit is the API requests per second allowed per key (bursts
	// of twice as many); 0 means no limit. See DefaultAPIRateLimit.
	APIRateLimit float64
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed when telling clients apart (see clientAddr); none by default.
	TrustedProxies []netip.Prefix

	// Portal configures the customer portal.
	Portal PortalConfig

	// Metrics counts ingested events and, unless MetricsElsewhere, is
	// served at /metrics to a signed-in admin and to requests that carry
	// MetricsToken as a bearer token. Nil turns both off.
	Metrics          *metrics.Metrics
	MetricsElsewhere bool   // /metrics is served on a separate listener
	MetricsToken     string // "": only admins' sessions may scrape

	// Tracer makes spans of posted events (ingest and fan-out); nil is
	// tracing off. A posted traceparent is stored either way.
	Tracer *tracing.Tracer
}

// Server is hooks' HTTP front end.
type Server struct {
	db     *store.DB
	engine *delivery.Engine
	svc    *service.Service // every write goes through it
	cfg    Config
	log    *slog.Logger
	mux    *http.ServeMux

	// wellKnown serves /.well-known/ and /{tenant}/.well-known/ apart from
	// mux: a {tenant} first segment would conflict with every prefix route.
	wellKnown *http.ServeMux

	ui *uiState // the web UI's sessions, login limits and routes

	limiter   *keyLimiter // API requests per key; nil = unlimited
	apiRoutes []string    // every API route pattern, as registered
}

// New returns a Server that reads and writes db and wakes engine when new
// deliveries are stored.
func New(db *store.DB, engine *delivery.Engine, cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	s := &Server{db: db, engine: engine, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), limiter: newKeyLimiter(cfg.APIRateLimit)}
	s.svc = service.New(db, engine, cfg.Logger, service.WithObserver(cfg.Metrics), service.WithTracer(cfg.Tracer))
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Body != nil {
		limit := s.cfg.MaxBodyBytes
		if r.URL.Path == "/api/v1/events/batch" {
			limit = max(limit, MaxBatchBodyBytes)
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	if strings.Contains(r.URL.Path, "/.well-known/") {
		s.wellKnown.ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /api/openapi.json", s.openAPI)
	if s.cfg.Metrics != nil && !s.cfg.MetricsElsewhere {
		s.mux.Handle("GET /metrics", s.metricsAuth(s.cfg.Metrics.Handler()))
	}
	s.jwksRoutes()

	api := func(pattern string, h apiHandler) {
		s.apiRoutes = append(s.apiRoutes, pattern)
		s.mux.Handle(pattern, s.apiAuth(pattern, h))
	}
	api("GET /api/v1/tenants", s.listTenants)
	api("PUT /api/v1/tenants/{id}", s.putTenant)
	api("POST /api/v1/webhooks", s.createWebhook)
	api("GET /api/v1/webhooks", s.listWebhooks)
	api("GET /api/v1/webhooks/{id}", s.getWebhook)
	api("PATCH /api/v1/webhooks/{id}", s.patchWebhook)
	api("DELETE /api/v1/webhooks/{id}", s.deleteWebhook)
	api("GET /api/v1/webhooks/{id}/secret", s.getWebhookSecret)
	api("POST /api/v1/webhooks/{id}/secret/rotate", s.rotateWebhookSecret)
	api("GET /api/v1/webhooks/{id}/credentials", s.getWebhookCredentials)
	api("POST /api/v1/webhooks/{id}/test", s.testWebhook)
	api("POST /api/v1/webhooks/{id}/recover", s.recoverWebhook)
	api("GET /api/v1/webhooks/{id}/deliveries", s.listWebhookDeliveries)
	api("POST /api/v1/events", s.createEvent)
	api("POST /api/v1/events/batch", s.createEventBatch)
	api("GET /api/v1/events", s.listEvents)
	api("GET /api/v1/events/{id}", s.getEvent)
	api("GET /api/v1/deliveries", s.listDeliveries)
	api("GET /api/v1/deliveries/{id}", s.getDelivery)
	api("POST /api/v1/deliveries/{id}/redeliver", s.redeliver)
	api("POST /api/v1/portal/sessions", s.createPortalSession)
	api("GET /api/v1/api-keys", s.listAPIKeys)
	api("POST /api/v1/api-keys", s.createAPIKey)
	api("DELETE /api/v1/api-keys/{id}", s.revokeAPIKey)
	api("GET /api/v1/audit-log", s.listAuditLog)
	api("GET /api/v1/event-types", s.listEventTypes)
	api("PUT /api/v1/event-types/{name}", s.putEventType)
	api("GET /api/v1/event-types/{name}", s.getEventType)
	api("DELETE /api/v1/event-types/{name}", s.deleteEventType)
	api("GET /api/v1/openapi.json", s.tenantOpenAPI)
	api("GET /api/v1/stats", s.getStats)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, domain.Errorf(domain.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path))
	})
	s.uiRoutes()
}

// APIRoutes returns the pattern of every API route ("POST /api/v1/events"),
// in the order registered, so tests can cover each one.
func (s *Server) APIRoutes() []string { return append([]string(nil), s.apiRoutes...) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.cfg.Version})
}
