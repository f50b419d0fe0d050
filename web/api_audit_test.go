package web

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"hooks/service"
)

type auditList = listJSON[auditJSON]

func TestAuditLogAPIRecordsWritesAndKeepsToTheTenant(t *testing.T) {
	s := newTestServer(t, devPolicy)
	ctx := context.Background()
	for _, id := range []string{"acme", "rival"} {
		mustStatus(t, s.do("PUT", "/api/v1/tenants/"+id, s.key, nil, nil), 201)
	}
	acme, acmeKey, err := s.db.CreateAPIKey(ctx, "acme", "acme deploys")
	if err != nil {
		t.Fatal(err)
	}
	_, rivalKey, err := s.db.CreateAPIKey(ctx, "rival", "rival")
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	ours := s.createWebhook(acmeKey, map[string]any{"url": rcv.srv.URL, "events": []string{"orders/*"}})
	theirs := s.createWebhook(rivalKey, map[string]any{"url": rcv.srv.URL, "events": []string{"orders/*"}})
	mustStatus(t, s.do("PATCH", "/api/v1/webhooks/"+ours.ID, acmeKey, map[string]any{"name": "Orders", "headers": map[string]string{"X-Token": "t0p"}}, nil), 200)
	mustStatus(t, s.do("GET", "/api/v1/webhooks/"+ours.ID+"/secret", acmeKey, nil, nil), 200)
	// Producers' events are the data plane: not audited.
	mustStatus(t, s.do("POST", "/api/v1/events", acmeKey, map[string]string{"topic": "orders/placed"}, nil), 202)

	var got auditList
	mustStatus(t, s.do("GET", "/api/v1/audit-log", acmeKey, nil, &got), 200)
	if len(got.Data) != 3 || got.NextCursor != "" {
		t.Fatalf("acme's key sees %+v, want its 3 records", got)
	}
	wantActions := []string{service.AuditSecretRevealed, service.AuditWebhookUpdated, service.AuditWebhookCreated}
	for i, r := range got.Data {
		if r.Action != wantActions[i] || r.ActorID != acme.ID || r.ActorKind != "api_key" || r.ActorName != "acme deploys" ||
			r.TenantID != "acme" || r.ObjectType != "webhook" || r.ObjectID != ours.ID || r.ClientAddr != "127.0.0.1" {
			t.Errorf("record %d = %+v", i, r)
		}
	}
	if got.Data[1].Detail != "name, headers" {
		t.Errorf("update detail = %q, want the changed fields", got.Data[1].Detail)
	}

	mustStatus(t, s.do("GET", "/api/v1/audit-log", s.key, nil, &got), 200)
	// Every tenant's: acme's 3, rival's 1 and the 2 tenants created.
	if len(got.Data) != 6 || got.Data[5].Action != service.AuditTenantCreated {
		t.Errorf("the all-tenant key sees %+v, want every tenant's 6 records", got.Data)
	}
	mustStatus(t, s.do("GET", "/api/v1/audit-log", s.key, nil, &got, "X-Tenant-ID", "rival"), 200)
	if len(got.Data) != 1 || got.Data[0].ObjectID != theirs.ID {
		t.Errorf("the all-tenant key naming rival sees %+v", got.Data)
	}
	mustStatus(t, s.do("GET", "/api/v1/audit-log", rivalKey, nil, nil, "X-Tenant-ID", "acme"), 403)

	filtered := func(q url.Values) []auditJSON {
		t.Helper()
		var l auditList
		mustStatus(t, s.do("GET", "/api/v1/audit-log?"+q.Encode(), s.key, nil, &l), 200)
		return l.Data
	}
	if d := filtered(url.Values{"actor": {acme.ID}}); len(d) != 3 {
		t.Errorf("actor filter: %d records", len(d))
	}
	if d := filtered(url.Values{"object": {theirs.ID}}); len(d) != 1 {
		t.Errorf("object filter: %d records", len(d))
	}
	if d := filtered(url.Values{"objectId": {ours.ID}, "action": {service.AuditWebhookUpdated}}); len(d) != 1 {
		t.Errorf("objectId and action filters: %d records", len(d))
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if d := filtered(url.Values{"from": {future}}); len(d) != 0 {
		t.Errorf("from an hour ahead: %d records", len(d))
	}
	if d := filtered(url.Values{"to": {future}}); len(d) != 6 {
		t.Errorf("to an hour ahead: %d records", len(d))
	}

	var seen []string
	cursor := ""
	for {
		var page auditList
		mustStatus(t, s.do("GET", "/api/v1/audit-log?limit=3&cursor="+cursor, s.key, nil, &page), 200)
		for _, r := range page.Data {
			seen = append(seen, r.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 6 || !slices.IsSortedFunc(seen, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("paging by 3 gave %v, want 6 records, newest first", seen)
	}
	mustStatus(t, s.do("GET", "/api/v1/audit-log?limit=251", s.key, nil, nil), 422)
	mustStatus(t, s.do("GET", "/api/v1/audit-log?from=yesterday", s.key, nil, nil), 422)
}
