package service

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store"
)

// auditRecords returns every stored audit record, newest first.
func (f *fixture) auditRecords(t *testing.T) []store.AuditRecord {
	t.Helper()
	recs, next, err := f.db.AuditRecords(context.Background(), store.AuditFilter{Limit: 250})
	if err != nil || next != "" {
		t.Fatalf("audit records: %v (next %q)", err, next)
	}
	return recs
}

func TestEveryWriteLeavesOneAuditRecord(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e := f.create(t, f.a)
	_, dlv, err := f.db.CreateTestDelivery(ctx, e, "ping", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	key := Actor{ID: "key_01", TenantID: "OU1", Addr: "2001:db8::7"}
	var created domain.Endpoint
	steps := []struct {
		name       string
		actor      Actor
		call       func(Actor) error
		action     string
		objectType string
		objectID   func() string
		detail     string
	}{
		{"create", f.a, func(a Actor) error {
			created = domain.Endpoint{URL: "https://example.com/2", Topics: []string{"*"}, Enabled: true}
			return f.svc.CreateEndpoint(ctx, a, &created)
		}, AuditWebhookCreated, "webhook", func() string { return created.ID }, ""},
		{"update", key, func(a Actor) error {
			_, err := f.svc.UpdateEndpoint(ctx, a, e.ID, func(e *domain.Endpoint) error {
				e.URL, e.Topics = "https://example.com/new", []string{"orders/*", "users/*"}
				return nil
			})
			return err
		}, AuditWebhookUpdated, "webhook", func() string { return e.ID }, "url, events"},
		{"disable", f.a, func(a Actor) error { _, err := f.svc.DisableEndpoint(ctx, a, e.ID); return err },
			AuditWebhookDisabled, "webhook", func() string { return e.ID }, ""},
		{"enable", f.a, func(a Actor) error { _, err := f.svc.EnableEndpoint(ctx, a, e.ID); return err },
			AuditWebhookEnabled, "webhook", func() string { return e.ID }, ""},
		{"reveal secret", key, func(a Actor) error { _, err := f.svc.RevealSecret(ctx, a, e.ID); return err },
			AuditSecretRevealed, "webhook", func() string { return e.ID }, ""},
		{"reveal credentials", f.a, func(a Actor) error { _, err := f.svc.RevealCredentials(ctx, a, e.ID); return err },
			AuditCredentialsRevealed, "webhook", func() string { return e.ID }, ""},
		{"rotate", f.a, func(a Actor) error { _, err := f.svc.RotateSecret(ctx, a, e.ID, "", time.Hour); return err },
			AuditSecretRotated, "webhook", func() string { return e.ID }, ""},
		{"test", key, func(a Actor) error { _, _, err := f.svc.TestEndpoint(ctx, a, e.ID, nil); return err },
			AuditWebhookTested, "webhook", func() string { return e.ID }, "succeeded, HTTP 200"},
		{"recover", f.a, func(a Actor) error {
			_, err := f.svc.Recover(ctx, a, e.ID, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			return err
		}, AuditWebhookRecovered, "webhook", func() string { return e.ID }, "0 deliveries failed since 2026-01-02T03:04:05Z"},
		{"redeliver", key, func(a Actor) error { _, err := f.svc.Redeliver(ctx, a, dlv.ID); return err },
			AuditDeliveryRedelivered, "delivery", func() string { return dlv.ID }, ""},
		{"delete", f.a, func(a Actor) error { return f.svc.DeleteEndpoint(ctx, a, created.ID) },
			AuditWebhookDeleted, "webhook", func() string { return created.ID }, ""},
	}
	seen := len(f.auditRecords(t))
	for _, st := range steps {
		if err := st.call(st.actor); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		recs := f.auditRecords(t)
		if len(recs) != seen+1 {
			t.Fatalf("%s left %d audit records, want 1", st.name, len(recs)-seen)
		}
		seen = len(recs)
		r := recs[0]
		want := store.AuditRecord{ID: r.ID, At: r.At, TenantID: "OU1", ActorID: st.actor.ID, ActorKind: actorKind(st.actor.ID),
			Action: st.action, ObjectType: st.objectType, ObjectID: st.objectID(), ClientAddr: st.actor.Addr, Detail: st.detail}
		if r != want {
			t.Errorf("%s recorded\n%+v, want\n%+v", st.name, r, want)
		}
		if !strings.HasPrefix(r.ID, "aud_") || time.Since(r.At) > time.Minute {
			t.Errorf("%s: record id %s at %s", st.name, r.ID, r.At)
		}
	}
	if k := actorKind(key.ID); k != ActorAPIKey || actorKind("usr_x") != ActorUser || actorKind("prt_x") != ActorPortal {
		t.Errorf("actor kinds: key %q", k)
	}
}

func TestAuditRecordsHoldNoSecrets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e := &domain.Endpoint{URL: "https://example.com/hook", Topics: []string{"*"}, Enabled: true,
		Headers:  map[string]string{"X-Api-Token": "header-value-1"},
		Metadata: map[string]string{"token": "metadata-value-1"}}
	if err := f.svc.CreateEndpoint(ctx, f.a, e); err != nil {
		t.Fatal(err)
	}
	secrets := []string{e.Secret, "header-value-1", "metadata-value-1", "header-value-2", "metadata-value-2"}
	if _, err := f.svc.RevealSecret(ctx, f.a, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RevealCredentials(ctx, f.a, e.ID); err != nil {
		t.Fatal(err)
	}
	rotated, err := f.svc.RotateSecret(ctx, f.a, e.ID, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, rotated.Secret)
	const chosen = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secrets = append(secrets, chosen)
	if _, err := f.svc.UpdateEndpoint(ctx, f.a, e.ID, func(e *domain.Endpoint) error {
		e.Headers = map[string]string{"X-Api-Token": "header-value-2"}
		e.Metadata = map[string]string{"token": "metadata-value-2"}
		e.Secret = chosen
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	recs := f.auditRecords(t)
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5", len(recs))
	}
	if recs[0].Detail != "secret, headers, metadata" {
		t.Errorf("update detail = %q, want the changed fields' names", recs[0].Detail)
	}
	stored, _ := json.Marshal(recs)
	for _, s := range secrets {
		if strings.Contains(string(stored), strings.TrimPrefix(s, "whsec_")) {
			t.Errorf("a secret value reached the audit log: %s", s)
		}
		if strings.Contains(f.log.String(), strings.TrimPrefix(s, "whsec_")) {
			t.Errorf("a secret value reached the audit log line: %s", s)
		}
	}
}

func TestAnAuditRecordTheStoreRefusesIsLoggedAndTheActionStands(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hooks.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var log bytes.Buffer
	svc := New(db, &fakeEngine{}, slog.New(slog.NewJSONHandler(&log, nil)))
	a := Actor{ID: "usr_a", TenantID: domain.DefaultTenant, Addr: "192.0.2.1"}
	e := &domain.Endpoint{URL: "https://example.com/hook", Topics: []string{"*"}, Enabled: true}
	if err := svc.CreateEndpoint(ctx, a, e); err != nil {
		t.Fatal(err)
	}
	// Make the insert fail, behind the store's back, without touching
	// the endpoints.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `DROP TABLE audit_log`); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DisableEndpoint(ctx, a, e.ID); err != nil {
		t.Fatalf("the action failed with its record: %v", err)
	}
	got, err := db.EndpointByID(ctx, domain.DefaultTenant, e.ID)
	if err != nil || got.Enabled {
		t.Fatalf("endpoint after disable = %+v, %v", got, err)
	}
	out := log.String()
	if !strings.Contains(out, `"level":"ERROR","msg":"audit record not stored","action":"webhook.disabled"`) ||
		!strings.Contains(out, `"msg":"audit","action":"webhook.disabled"`) {
		t.Errorf("the refused record is not in the log:\n%s", out)
	}
}
