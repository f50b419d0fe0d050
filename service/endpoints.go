package service

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"hooks/delivery"
	"hooks/domain"
)

// MaxEndpointsPerTenant bounds the endpoints one tenant may register.
const MaxEndpointsPerTenant = 1000

// DefaultSecretGrace is how long a rotated-out secret keeps signing.
const DefaultSecretGrace = 24 * time.Hour

// MaxSecretGrace bounds the grace period a rotation may ask for.
const MaxSecretGrace = 7 * 24 * time.Hour

// UserDisabledReason is the reason shown for an endpoint that a person or a
// program disabled (rather than hooks, after failures).
const UserDisabledReason = domain.UserDisabledReason

// CreateEndpoint validates e, fills in its defaults and stores it as a new
// endpoint of a's tenant.
func (s *Service) CreateEndpoint(ctx context.Context, a Actor, e *domain.Endpoint) error {
	e.TenantID = a.TenantID
	if err := domain.ValidateEndpoint(e, s.engine.Checks()); err != nil {
		return err
	}
	n, err := s.db.CountEndpoints(ctx, a.TenantID)
	if err != nil {
		return err
	}
	if n >= s.maxEndpoints {
		return domain.Errorf(domain.ELIMIT, "tenant %s has %d webhooks, the most allowed", a.TenantID, s.maxEndpoints)
	}
	if err := s.db.CreateEndpoint(ctx, e); err != nil {
		return err
	}
	s.audit(ctx, a, AuditWebhookCreated, e.ID)
	return nil
}

// Endpoint returns a's endpoint id.
func (s *Service) Endpoint(ctx context.Context, a Actor, id string) (*domain.Endpoint, error) {
	return s.db.EndpointByID(ctx, a.TenantID, id)
}

// UpdateEndpoint applies change to a's endpoint id, validates the result and
// saves it. change returns an error to refuse the change; nothing is saved
// then. Deliveries that waited for a disabled endpoint may go once it is
// enabled again, so the engine is woken.
func (s *Service) UpdateEndpoint(ctx context.Context, a Actor, id string, change func(*domain.Endpoint) error) (*domain.Endpoint, error) {
	e, err := s.db.EndpointByID(ctx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	before := cloneEndpoint(e)
	if err := change(e); err != nil {
		return nil, err
	}
	if err := domain.ValidateEndpoint(e, s.engine.Checks()); err != nil {
		return nil, err
	}
	if err := s.db.UpdateEndpoint(ctx, e); err != nil {
		return nil, err
	}
	changed := strings.Join(changedFields(before, e), ", ")
	if changed == "" {
		changed = "nothing changed"
	}
	s.auditDetail(ctx, a, AuditWebhookUpdated, e.ID, changed)
	s.engine.ForgetEndpoint(e.ID) // a broker connection of the old configuration closes
	if e.Enabled {
		s.engine.Wake()
	}
	return e, nil
}

// SetEnabled records on e that it was enabled or disabled by a person now,
// or leaves it as it is when it already is so.
func (s *Service) SetEnabled(e *domain.Endpoint, enabled bool) {
	if e.Enabled == enabled && e.ID != "" {
		return
	}
	e.Enabled = enabled
	e.DisabledReason, e.DisabledAt = "", time.Time{}
	if !enabled {
		e.DisabledReason, e.DisabledAt = UserDisabledReason, s.now().UTC()
	}
}

// EnableEndpoint enables a's endpoint id; its waiting deliveries may go now.
// It is not validated again: enabling must work for an endpoint saved under
// rules that have changed since (a --dev URL, say); a PATCH checks it all.
func (s *Service) EnableEndpoint(ctx context.Context, a Actor, id string) (*domain.Endpoint, error) {
	e, err := s.db.EndpointByID(ctx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	s.SetEnabled(e, true)
	if err := s.db.UpdateEndpoint(ctx, e); err != nil {
		return nil, err
	}
	s.audit(ctx, a, AuditWebhookEnabled, e.ID)
	s.engine.Wake()
	return e, nil
}

// DisableEndpoint disables a's endpoint id: it receives nothing until it is
// enabled again.
func (s *Service) DisableEndpoint(ctx context.Context, a Actor, id string) (*domain.Endpoint, error) {
	e, err := s.db.EndpointByID(ctx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	if err := s.db.DisableEndpoint(ctx, a.TenantID, id, UserDisabledReason); err != nil {
		return nil, err
	}
	s.audit(ctx, a, AuditWebhookDisabled, e.ID)
	return e, nil
}

// DeleteEndpoint removes a's endpoint id with its deliveries and attempts.
func (s *Service) DeleteEndpoint(ctx context.Context, a Actor, id string) error {
	if err := s.db.DeleteEndpoint(ctx, a.TenantID, id); err != nil {
		return err
	}
	s.engine.ForgetEndpoint(id)
	s.audit(ctx, a, AuditWebhookDeleted, id)
	return nil
}

// RevealSecret returns a's endpoint id, whose Secret the caller is about to
// show, and records who saw it.
func (s *Service) RevealSecret(ctx context.Context, a Actor, id string) (*domain.Endpoint, error) {
	e, err := s.db.EndpointByID(ctx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, a, AuditSecretRevealed, e.ID)
	return e, nil
}

// RevealCredentials returns a's endpoint id, whose extra header and
// metadata values the caller is about to show in clear, and records who saw
// them.
func (s *Service) RevealCredentials(ctx context.Context, a Actor, id string) (*domain.Endpoint, error) {
	e, err := s.db.EndpointByID(ctx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, a, AuditCredentialsRevealed, e.ID)
	return e, nil
}

// RotateSecret gives every signing scheme of a's endpoint id a new secret
// (newSecret, or a generated one; newSecret only with one scheme). Where
// the scheme can carry two signatures (Standard Webhooks v1 and v1a) the
// old secret keeps signing for grace; elsewhere it stops at once, and
// Rotations says so.
func (s *Service) RotateSecret(ctx context.Context, a Actor, id, newSecret string, grace time.Duration) (*domain.Endpoint, error) {
	if grace < 0 || grace > MaxSecretGrace {
		return nil, domain.FieldErrorf("graceSeconds", "graceSeconds must be between 0 and 604800 (7 days)")
	}
	e, err := s.db.EndpointByID(ctx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	schemes := e.Schemes()
	if newSecret != "" && len(schemes) > 1 {
		return nil, domain.FieldErrorf("secret", "this webhook signs with %d schemes: leave secret empty and hooks generates a new secret for each", len(schemes))
	}
	old := make([]string, len(schemes))
	for i := range schemes {
		old[i] = schemes[i].Secret
		schemes[i].Secret = "" // validation generates a new one
	}
	schemes[0].Secret = newSecret
	e.SetSchemes(schemes)
	if err := domain.ValidateEndpoint(e, s.engine.Checks()); err != nil {
		return nil, err
	}
	schemes = e.Schemes()
	until := s.now().Add(grace).UTC()
	for i := range schemes {
		sc := &schemes[i]
		sc.PreviousSecret, sc.PreviousSecretUntil = "", time.Time{}
		if grace > 0 && domain.KeepsPreviousSecret(sc.Scheme) {
			sc.PreviousSecret, sc.PreviousSecretUntil = old[i], until
		}
	}
	e.SetSchemes(schemes)
	if err := s.db.UpdateEndpoint(ctx, e); err != nil {
		return nil, err
	}
	s.audit(ctx, a, AuditSecretRotated, e.ID)
	return e, nil
}

// Rotation says what a rotation did to one scheme's secret.
type Rotation struct {
	Scheme string
	// Name and Value are what may be shown of the new secret: "secret" and
	// the secret, or "publicKey" and the public key of a v1a private key.
	Name, Value string
	// PreviousValidUntil is when the old secret stops signing; zero when
	// it stopped at once, and Note then says why.
	PreviousValidUntil time.Time
	Note               string
}

// Rotations describes, per signing scheme, the endpoint that RotateSecret
// returned.
func Rotations(e *domain.Endpoint) []Rotation {
	var out []Rotation
	for _, sc := range e.Schemes() {
		r := Rotation{Scheme: sc.Scheme}
		r.Name, r.Value = sc.Shown()
		switch {
		case sc.PreviousSecret != "":
			r.PreviousValidUntil = sc.PreviousSecretUntil
		case sc.Scheme == domain.SchemeJWT:
			r.Note = "The old secret stopped working now; the jwt scheme signs with the tenant's signing keys, not with this secret."
		case domain.KeepsPreviousSecret(sc.Scheme):
			r.Note = "The old secret stopped working now: no grace period was asked for."
		default:
			r.Note = "The old secret stopped working now: this scheme carries one signature."
		}
		out = append(out, r)
	}
	return out
}

// TestExample names an event type's example for Test URL to send: the
// example at Index of a's type Type.
type TestExample struct {
	Type  string
	Index int
}

// TestEndpoint sends a signed test event to a's endpoint id now (Test
// URL): a ping, or the example that ex names.
func (s *Service) TestEndpoint(ctx context.Context, a Actor, id string, ex *TestExample) (*domain.Endpoint, *delivery.TestResult, error) {
	e, err := s.db.EndpointByID(ctx, a.TenantID, id)
	if err != nil {
		return nil, nil, err
	}
	var te delivery.TestEvent
	if ex != nil {
		t, err := s.db.EventType(ctx, a.TenantID, ex.Type)
		if err != nil {
			return nil, nil, err
		}
		if ex.Index < 0 || ex.Index >= len(t.Examples) {
			return nil, nil, domain.FieldErrorf("example", "event type %s has %d examples; example %d does not exist", t.Name, len(t.Examples), ex.Index)
		}
		te = delivery.TestEvent{Topic: t.Name, Data: t.Examples[ex.Index]}
	}
	res, err := s.engine.SendTest(ctx, e, te)
	if err != nil {
		return nil, nil, err
	}
	outcome := "failed"
	if res.Success {
		outcome = "succeeded"
	}
	if res.StatusCode != 0 {
		outcome += fmt.Sprintf(", HTTP %d", res.StatusCode)
	}
	if ex != nil {
		outcome += fmt.Sprintf(", example %d of %s", ex.Index, ex.Type)
	}
	s.auditDetail(ctx, a, AuditWebhookTested, e.ID, outcome)
	return e, res, nil
}

// cloneEndpoint copies e deeply enough for changedFields to compare.
func cloneEndpoint(e *domain.Endpoint) *domain.Endpoint {
	c := *e
	c.Topics, c.SubTopics = slices.Clone(e.Topics), slices.Clone(e.SubTopics)
	c.Headers, c.Metadata = maps.Clone(e.Headers), maps.Clone(e.Metadata)
	c.AlsoSigning = slices.Clone(e.AlsoSigning)
	c.Destination = e.Destination.Clone()
	return &c
}

// changedFields names, as the API spells them, the fields of an endpoint
// that differ between before and after, for the audit record of an update.
// Only names: header, metadata and secret values are never in the record.
func changedFields(before, after *domain.Endpoint) []string {
	var out []string
	field := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	field("name", before.Name != after.Name)
	field("url", before.URL != after.URL)
	field("destination", !before.Destination.Equal(after.Destination))
	field("events", !slices.Equal(before.Topics, after.Topics))
	field("subTopics", !slices.Equal(before.SubTopics, after.SubTopics))
	field("isEnabled", before.Enabled != after.Enabled)
	field("signing", !slices.EqualFunc(before.Schemes(), after.Schemes(), func(a, b domain.SchemeSecrets) bool { return a.Signing == b.Signing }))
	field("secret", !slices.EqualFunc(before.Schemes(), after.Schemes(), func(a, b domain.SchemeSecrets) bool { return a.Secret == b.Secret }))
	field("headers", !maps.Equal(before.Headers, after.Headers))
	field("envelope", before.Envelope != after.Envelope)
	field("retry", !before.Retry.Equal(after.Retry))
	field("timeoutSeconds", before.Timeout != after.Timeout)
	field("rateLimit", before.RateLimit != after.RateLimit)
	field("metadata", !maps.Equal(before.Metadata, after.Metadata))
	return out
}
