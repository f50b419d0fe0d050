package service

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// fakeEngine counts wake-ups and vets URLs like a --dev engine would,
// without the network.
type fakeEngine struct {
	wakes    atomic.Int32
	waiters  *delivery.Waiters
	lastTest delivery.TestEvent // what the last SendTest was asked to send
}

func (f *fakeEngine) Wake() { f.wakes.Add(1) }

func (f *fakeEngine) ForgetEndpoint(string) {}

func (f *fakeEngine) Checks() domain.Checks {
	return domain.Checks{
		URL: func(raw string) (string, error) {
			if !strings.HasPrefix(raw, "https://") {
				return "", errors.New("the URL must start with https://")
			}
			return raw, nil
		},
		Template:     func(string) error { return nil },
		HeaderPrefix: "X-Hooks-",
	}
}

func (f *fakeEngine) SendTest(ctx context.Context, e *domain.Endpoint, te delivery.TestEvent) (*delivery.TestResult, error) {
	f.lastTest = te
	return &delivery.TestResult{Success: true, StatusCode: 200}, nil
}

type fixture struct {
	svc    *Service
	db     *store.DB
	engine *fakeEngine
	log    *bytes.Buffer
	a, b   Actor // actors of two tenants
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, id := range []string{"OU1", "OU2"} {
		if _, err := db.PutTenant(ctx, &domain.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{db: db, engine: &fakeEngine{}, log: &bytes.Buffer{},
		a: Actor{ID: "usr_a", TenantID: "OU1", Addr: "192.0.2.1"}, b: Actor{ID: "usr_b", TenantID: "OU2", Addr: "192.0.2.2"}}
	f.svc = New(db, f.engine, slog.New(slog.NewJSONHandler(f.log, nil)))
	return f
}

func (f *fixture) create(t *testing.T, a Actor) *domain.Endpoint {
	t.Helper()
	e := &domain.Endpoint{URL: "https://example.com/hook", Topics: []string{"orders/*"}, Enabled: true}
	if err := f.svc.CreateEndpoint(context.Background(), a, e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEveryUseCaseStaysInTheActorsTenant(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	theirs := f.create(t, f.b)
	_, dlv, err := f.db.CreateTestDelivery(ctx, theirs, "ping", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	f.log.Reset()
	calls := map[string]func() error{
		"Endpoint": func() error { _, err := f.svc.Endpoint(ctx, f.a, theirs.ID); return err },
		"UpdateEndpoint": func() error {
			_, err := f.svc.UpdateEndpoint(ctx, f.a, theirs.ID, func(*domain.Endpoint) error { return nil })
			return err
		},
		"EnableEndpoint":    func() error { _, err := f.svc.EnableEndpoint(ctx, f.a, theirs.ID); return err },
		"DisableEndpoint":   func() error { _, err := f.svc.DisableEndpoint(ctx, f.a, theirs.ID); return err },
		"DeleteEndpoint":    func() error { return f.svc.DeleteEndpoint(ctx, f.a, theirs.ID) },
		"RevealSecret":      func() error { _, err := f.svc.RevealSecret(ctx, f.a, theirs.ID); return err },
		"RevealCredentials": func() error { _, err := f.svc.RevealCredentials(ctx, f.a, theirs.ID); return err },
		"RotateSecret":      func() error { _, err := f.svc.RotateSecret(ctx, f.a, theirs.ID, "", time.Hour); return err },
		"TestEndpoint":      func() error { _, _, err := f.svc.TestEndpoint(ctx, f.a, theirs.ID, nil); return err },
		"Recover":           func() error { _, err := f.svc.Recover(ctx, f.a, theirs.ID, time.Time{}); return err },
		"Redeliver":         func() error { _, err := f.svc.Redeliver(ctx, f.a, dlv.ID); return err },
	}
	for name, call := range calls {
		if err := call(); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("%s on another tenant's object = %v, want not found", name, err)
		}
	}
	if _, err := f.db.EndpointByID(ctx, "OU2", theirs.ID); err != nil {
		t.Errorf("the other tenant's endpoint is gone: %v", err)
	}
	if f.log.Len() != 0 {
		t.Errorf("refused calls were audited: %s", f.log)
	}
}

func TestCreateEndpointStopsAtTheLimit(t *testing.T) {
	f := newFixture(t)
	f.svc.maxEndpoints = 2
	f.create(t, f.a)
	f.create(t, f.a)
	err := f.svc.CreateEndpoint(context.Background(), f.a, &domain.Endpoint{URL: "https://example.com", Topics: []string{"*"}})
	if domain.ErrorCode(err) != domain.ELIMIT {
		t.Fatalf("third endpoint = %v, want limit_reached", err)
	}
	f.create(t, f.b) // the limit is per tenant
}

func TestNewWorkWakesTheEngine(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e := f.create(t, f.a)
	wakes := func() int32 { return f.engine.wakes.Load() }
	if wakes() != 0 {
		t.Fatalf("creating an endpoint woke the engine %d times", wakes())
	}
	// Ingest hands new deliveries to a running engine, or tells it of
	// those it stored due (store.Handoff.Due): the service has no part.
	if _, err := f.svc.PostEvents(ctx, f.a, []*domain.Event{{Topic: "orders/placed"}}); err != nil || wakes() != 0 {
		t.Fatalf("PostEvents: %v, %d wakes, want none", err, wakes())
	}
	if _, err := f.svc.DisableEndpoint(ctx, f.a, e.ID); err != nil || wakes() != 0 {
		t.Fatalf("DisableEndpoint: %v, %d wakes, want none", err, wakes())
	}
	if _, err := f.svc.EnableEndpoint(ctx, f.a, e.ID); err != nil || wakes() != 1 {
		t.Fatalf("EnableEndpoint: %v, %d wakes", err, wakes())
	}
	if _, err := f.svc.Recover(ctx, f.a, e.ID, time.Time{}); err != nil || wakes() != 2 {
		t.Fatalf("Recover: %v, %d wakes", err, wakes())
	}
}

func TestPostEventsStoresForTheActorsTenant(t *testing.T) {
	f := newFixture(t)
	f.create(t, f.a)
	ev := &domain.Event{TenantID: "OU2", Topic: "orders/placed"}
	if _, err := f.svc.PostEvents(context.Background(), f.a, []*domain.Event{ev}); err != nil {
		t.Fatal(err)
	}
	if ev.TenantID != "OU1" || ev.DeliveryCount != 1 || string(ev.Payload) != "{}" {
		t.Fatalf("event = %+v, want OU1's, one delivery, data {}", ev)
	}
}

func TestSecretRevealAndRotationAreAudited(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e := f.create(t, f.a)
	if _, err := f.svc.RevealSecret(ctx, f.a, e.ID); err != nil {
		t.Fatal(err)
	}
	rotated, err := f.svc.RotateSecret(ctx, f.a, e.ID, "", DefaultSecretGrace)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.PreviousSecret != e.Secret || rotated.Secret == e.Secret {
		t.Fatalf("rotation kept %q as previous and set %q, want the old secret kept", rotated.PreviousSecret, rotated.Secret)
	}
	log := f.log.String()
	for _, want := range []string{`"action":"` + AuditSecretRevealed + `"`, `"action":"` + AuditSecretRotated + `"`, `"actor":"usr_a"`, `"remote":"192.0.2.1"`} {
		if !strings.Contains(log, want) {
			t.Errorf("audit log lacks %s:\n%s", want, log)
		}
	}
	if strings.Contains(log, e.Secret) || strings.Contains(log, rotated.Secret) {
		t.Error("a secret reached the audit log")
	}
	if _, err := f.svc.RotateSecret(ctx, f.a, e.ID, "", 8*24*time.Hour); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("an 8-day grace = %v, want invalid", err)
	}
}

// TestRotateKeepsThePreviousSecretOnlyWhereTheHeaderCarriesTwo: Standard
// Webhooks v1 and v1a keep the old secret for the grace period; HMAC
// switches at once and Rotations says so.
func TestRotateKeepsThePreviousSecretOnlyWhereTheHeaderCarriesTwo(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2026, 12, 4, 7, 0, 0, 0, time.UTC)
	f.svc = New(f.db, f.engine, slog.New(slog.NewJSONHandler(f.log, nil)), WithClock(func() time.Time { return now }))
	ctx := context.Background()
	e := &domain.Endpoint{URL: "https://example.com/hook", Topics: []string{"*"}, Enabled: true,
		Signing: domain.Signing{Scheme: domain.SchemeHMAC},
		AlsoSigning: []domain.SchemeSecrets{{Signing: domain.Signing{Scheme: domain.SchemeStandard}},
			{Signing: domain.Signing{Scheme: domain.SchemeStandardV1a}}}}
	if err := f.svc.CreateEndpoint(ctx, f.a, e); err != nil {
		t.Fatal(err)
	}
	before := e.Schemes()
	if _, err := f.svc.RotateSecret(ctx, f.a, e.ID, "a-chosen-secret", time.Hour); err == nil {
		t.Error("a chosen secret was accepted for three schemes")
	}
	got, err := f.svc.RotateSecret(ctx, f.a, e.ID, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	after := got.Schemes()
	for i, s := range after {
		if s.Secret == before[i].Secret {
			t.Errorf("%s: secret not rotated", s.Scheme)
		}
	}
	if after[0].PreviousSecret != "" || !after[0].PreviousSecretUntil.IsZero() {
		t.Errorf("hmac kept its previous secret: %+v", after[0])
	}
	for _, s := range after[1:] {
		if len(s.Secrets(now.Add(59*time.Minute))) != 2 || len(s.Secrets(now.Add(61*time.Minute))) != 1 {
			t.Errorf("%s: previous secret %q until %v, want signing for one hour", s.Scheme, s.PreviousSecret, s.PreviousSecretUntil)
		}
	}
	for i, s := range after {
		if s.PreviousSecret != "" && s.PreviousSecret != before[i].Secret {
			t.Errorf("%s: previous secret is not the old one", s.Scheme)
		}
	}
	r := Rotations(got)
	if r[0].Note == "" || !r[0].PreviousValidUntil.IsZero() || r[1].Note != "" || !r[1].PreviousValidUntil.Equal(now.Add(time.Hour)) {
		t.Errorf("Rotations = %+v", r)
	}
	if r[2].Name != "publicKey" || !strings.HasPrefix(r[2].Value, "whpk_") {
		t.Errorf("v1a rotation shows %s %q, want its public key", r[2].Name, r[2].Value)
	}
	stored, err := f.db.EndpointByID(ctx, f.a.TenantID, e.ID)
	if err != nil || stored.AlsoSigning[1].PreviousSecret != before[2].Secret {
		t.Errorf("stored: %+v, %v", stored, err)
	}
}

// Waiters returns the waiters of an engine that never runs, if the test
// set them: they are never told of an outcome.
func (f *fakeEngine) Waiters() *delivery.Waiters { return f.waiters }
