package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hooks/domain"
	"hooks/store"
)

func TestUIAPIKeyIsShownOnceAndRevoked(t *testing.T) {
	ctx := context.Background()
	s := newTestServer(t, uiDev)
	if _, err := s.db.PutTenant(ctx, &domain.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	admin := newUIClient(t, s)
	admin.login("admin@example.com")

	r := admin.post("/settings/api-keys", url.Values{"name": {""}, "scope": {"publish"}}).want(t, http.StatusUnprocessableEntity, "")
	if r.doc.Find("#f-name-error").Length() == 0 {
		t.Fatalf("no error next to the name: %s", pageText(r.doc))
	}
	r = admin.post("/settings/api-keys", url.Values{"name": {"checkout"}, "scope": {"publish"}, "tenant": {"acme"}}).want(t, http.StatusOK, "")
	key, _ := r.doc.Find("#key-value").Attr("value")
	if !strings.HasPrefix(key, store.APIKeyPrefix) {
		t.Fatalf("the page shows no new key: %s", pageText(r.doc))
	}
	got, err := s.db.APIKeyBySecret(ctx, key)
	if err != nil || got.Scope != domain.ScopePublish || got.TenantID != "acme" || got.CreatedBy == "" {
		t.Fatalf("stored key %+v, %v", got, err)
	}
	page := admin.get("/settings/api-keys").want(t, http.StatusOK, "")
	table := page.doc.Find("#keys-table").Text()
	if strings.Contains(page.body, key) || !strings.Contains(table, got.Prefix) || !strings.Contains(table, "checkout") {
		t.Fatalf("the list shows the key again, or not its prefix: %s", table)
	}
	admin.post("/settings/api-keys/"+got.ID+"/revoke", nil).want(t, http.StatusSeeOther, "/settings/api-keys")
	mustStatus(t, s.do("POST", "/api/v1/events", key, map[string]string{"topic": "orders/placed"}, nil), http.StatusUnauthorized)
}
