package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hooks/domain"
	"hooks/service"
	"hooks/store"
)

// TestUIWritesAreAuditedAndShownToAdmins drives the backoffice as an
// admin, checks that each action left exactly one record naming the user
// and their address, and that Settings → Audit log shows them in words,
// filters and pages them, and keeps a tenant's admin to the tenant.
func TestUIWritesAreAuditedAndShownToAdmins(t *testing.T) {
	s := newTestServer(t, uiDev)
	ctx := context.Background()
	if _, err := s.db.PutTenant(ctx, &domain.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	admin := addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	addUIUser(t, s.db, "viewer@example.com", store.RoleViewer, domain.DefaultTenant)
	addUIUser(t, s.db, "acme-admin@example.com", store.RoleAdmin, "acme")
	rcv := newUIReceiver(t, 200, `{"ok":true}`)
	w := addUIWebhook(t, s, domain.DefaultTenant, "Orders", rcv.srv.URL, "orders/*")

	c := newUIClient(t, s)
	c.login("admin@example.com")
	steps := []struct {
		path, action string
		status       int
	}{
		{"/webhooks/" + w.ID + "/disable", service.AuditWebhookDisabled, 303},
		{"/webhooks/" + w.ID + "/enable", service.AuditWebhookEnabled, 303},
		{"/webhooks/" + w.ID + "/secret/reveal", service.AuditSecretRevealed, 200},
		{"/webhooks/" + w.ID + "/secret/rotate", service.AuditSecretRotated, 303},
		{"/webhooks/" + w.ID + "/test", service.AuditWebhookTested, 303},
	}
	for i, st := range steps {
		c.post(st.path, nil).want(t, st.status, "")
		recs, _, err := s.db.AuditRecords(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != i+1 {
			t.Fatalf("after POST %s: %d records, want %d", st.path, len(recs), i+1)
		}
		r := recs[0]
		if r.Action != st.action || r.ActorID != admin.ID || r.ActorKind != "user" || r.ActorName != admin.Email ||
			r.TenantID != domain.DefaultTenant || r.ObjectType != "webhook" || r.ObjectID != w.ID || r.ClientAddr != "127.0.0.1" {
			t.Errorf("after POST %s: %+v", st.path, r)
		}
	}
	secret, err := s.db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if err != nil {
		t.Fatal(err)
	}

	page := c.get("/settings/audit-log").want(t, 200, "")
	rows := page.doc.Find("#audit-table tbody tr")
	if rows.Length() != len(steps) {
		t.Fatalf("the page shows %d rows, want %d", rows.Length(), len(steps))
	}
	first := strings.Join(strings.Fields(rows.First().Text()), " ")
	for _, want := range []string{"admin@example.com", "Sent a test", "Orders", "succeeded, HTTP 200", "127.0.0.1"} {
		if !strings.Contains(first, want) {
			t.Errorf("the newest row %q lacks %q", first, want)
		}
	}
	if href, _ := rows.First().Find("a").Attr("href"); href != "/webhooks/"+w.ID {
		t.Errorf("the object links to %q", href)
	}
	if strings.Contains(page.body, secret.Secret) || strings.Contains(page.body, secret.PreviousSecret) {
		t.Error("a secret is on the audit log page")
	}
	if page.doc.Find(`.settings-tab[aria-current="page"]`).Text() != "Audit log" {
		t.Error("the Audit log tab is not the current one")
	}

	filtered := c.get("/settings/audit-log?action="+service.AuditWebhookDisabled).want(t, 200, "")
	if n := filtered.doc.Find("#audit-table tbody tr").Length(); n != 1 {
		t.Errorf("the action filter shows %d rows, want 1", n)
	}
	if n := c.get("/settings/audit-log?actor="+admin.ID+"&object="+w.ID).want(t, 200, "").doc.Find("#audit-table tbody tr").Length(); n != len(steps) {
		t.Errorf("the actor and object filters show %d rows", n)
	}
	if n := c.get("/settings/audit-log?object=wbh_none").want(t, 200, "").doc.Find("#audit-table tbody tr").Length(); n != 0 {
		t.Errorf("another object's filter shows %d rows", n)
	}
	c.get("/settings/audit-log?from=yesterday").want(t, 422, "")

	// 60 older records page by 50, with links both ways.
	old := time.Now().Add(-48 * time.Hour)
	for i := range 60 {
		if err := s.db.InsertAuditRecord(ctx, &store.AuditRecord{At: old.Add(time.Duration(i) * time.Second), TenantID: "acme",
			ActorID: "key_x", ActorKind: "api_key", Action: service.AuditWebhookDeleted, ObjectType: "webhook",
			ObjectID: fmt.Sprintf("wbh_%02d", i), ClientAddr: "192.0.2.9"}); err != nil {
			t.Fatal(err)
		}
	}
	page = c.get("/settings/audit-log").want(t, 200, "")
	older, ok := page.doc.Find(`.pager a[rel="next"]`).Attr("href")
	if page.doc.Find("#audit-table tbody tr").Length() != 50 || !ok {
		t.Fatalf("the first page has %d rows and older link %q", page.doc.Find("#audit-table tbody tr").Length(), older)
	}
	page = c.get(older).want(t, 200, "")
	if n := page.doc.Find("#audit-table tbody tr").Length(); n != 15 || page.doc.Find(`.pager a[rel="prev"]`).Length() != 1 {
		t.Errorf("the second page has %d rows, want 15, and a link to the newer page", n)
	}
	if n := c.get("/settings/audit-log?tenant=acme").want(t, 200, "").doc.Find("#audit-table tbody tr").Length(); n != 50 {
		t.Errorf("the tenant filter shows %d rows, want a page of acme's", n)
	}

	// An admin of acme sees acme's records only; a viewer is refused.
	acme := newUIClient(t, s)
	acme.login("acme-admin@example.com")
	page = acme.get("/settings/audit-log").want(t, 200, "")
	if strings.Contains(page.body, w.ID) || page.doc.Find("#audit-table tbody tr").Length() != 50 {
		t.Error("acme's admin sees the default tenant's records")
	}
	if page.doc.Find("#f-tenant").Length() != 0 {
		t.Error("acme's admin is offered a tenant filter")
	}
	viewer := newUIClient(t, s)
	viewer.login("viewer@example.com")
	viewer.get("/settings/audit-log").want(t, 403, "")
}
