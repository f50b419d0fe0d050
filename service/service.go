// Package service holds every use case that changes hooks' state: create,
// change, enable, disable and delete an endpoint, reveal and rotate its
// secret, test it, redeliver, recover, post events. The JSON API, the
// backoffice and the customer portal all call it, so each rule is written
// once: tenant scope (every lookup is by the actor's tenant), limits, waking
// the engine after new work, and the audit record of who did what.
//
// A handler parses its input, calls one method here, and renders the
// result; nothing here knows about HTTP.
package service

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store"
	"hooks/tracing"
)

// Engine is what the use cases need of the delivery engine.
type Engine interface {
	// Wake tells the engine that work may be due now.
	Wake()
	// Checks returns the rules endpoint validation applies.
	Checks() domain.Checks
	// SendTest sends a signed test event (a ping unless te says
	// otherwise) to e now and reports what came back.
	SendTest(ctx context.Context, e *domain.Endpoint, te delivery.TestEvent) (*delivery.TestResult, error)
	// ForgetEndpoint closes what the engine holds open for endpoint id
	// (a broker connection), which was deleted or changed.
	ForgetEndpoint(id string)
	// Waiters tells of outcomes as the engine records them (wait.go); nil
	// if it does not.
	Waiters() *delivery.Waiters
}

// Observer counts what the use cases did, for metrics. Nil counts nothing.
type Observer interface {
	EventsIngested(n int)
}

// Service runs the use cases against one store and one engine.
type Service struct {
	db     *store.DB
	engine Engine
	obs    Observer
	tracer *tracing.Tracer // nil: tracing off
	log    *slog.Logger
	now    func() time.Time

	maxEndpoints int // per tenant; MaxEndpointsPerTenant

	// Producers waiting for first outcomes (wait.go).
	waiting    atomic.Int64 // requests waiting now
	maxWaiters int64        // MaxWaiters
	// timer and ticker make the wait's deadline and poll clock; tests
	// replace them to drive a wait step by step.
	timer  func(d time.Duration) (<-chan time.Time, func())
	ticker func(d time.Duration) (<-chan time.Time, func())

	schemas *schemaCache // event types' compiled schemas, for ingest (eventtypes.go)
}

// Option configures a Service.
type Option func(*Service)

// WithObserver counts ingested events in o.
func WithObserver(o Observer) Option { return func(s *Service) { s.obs = o } }

// WithTracer makes fan-out spans of posted events with t (nil: tracing
// off).
func WithTracer(t *tracing.Tracer) Option { return func(s *Service) { s.tracer = t } }

// WithClock makes the service read the time from now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns a Service. log receives the audit records.
func New(db *store.DB, engine Engine, log *slog.Logger, opts ...Option) *Service {
	s := &Service{db: db, engine: engine, log: log, now: time.Now, maxEndpoints: MaxEndpointsPerTenant, maxWaiters: MaxWaiters,
		timer: realTimer, ticker: realTicker}
	for _, o := range opts {
		o(s)
	}
	s.schemas = &schemaCache{db: db, now: s.now, log: log}
	return s
}

// Actor is who asks for a use case, and where from.
type Actor struct {
	ID       string // usr_… for a person in the backoffice, key_… for an API key, prt_… for a customer-portal session
	TenantID string // the tenant the actor works in; every object it touches belongs to it
	Addr     string // the client's address, for the audit record
	// AllTenants is set for an actor not bound to one tenant (an all-tenant
	// API key, an unbound backoffice user): it may manage what spans
	// tenants, such as all-tenant API keys.
	AllTenants bool
}
