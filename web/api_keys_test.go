package web

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func TestAPIKeysAreShownOnceAndScoped(t *testing.T) {
	s := newTestServer(t, devPolicy)
	mustStatus(t, s.do("PUT", "/api/v1/tenants/acme", s.key, nil, nil), 201)

	var created apiKeyJSON
	mustStatus(t, s.do("POST", "/api/v1/api-keys", s.key, map[string]string{"name": "checkout", "tenantId": "acme", "scope": "publish"}, &created), 201)
	if !strings.HasPrefix(created.Key, "hk_") || !strings.HasPrefix(created.Key, created.Prefix) || created.Scope != "publish" ||
		created.TenantID == nil || *created.TenantID != "acme" || created.LastUsedAt != nil {
		t.Fatalf("created = %+v", created)
	}

	// The publish key posts events and nothing else.
	mustStatus(t, s.do("POST", "/api/v1/events", created.Key, map[string]string{"topic": "orders/placed"}, nil), 202)
	resp := s.do("GET", "/api/v1/webhooks", created.Key, nil, nil)
	mustStatus(t, resp, 403)

	// The list never shows a key again, and now shows its last use.
	resp = s.do("GET", "/api/v1/api-keys", s.key, nil, nil)
	body, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(body), created.Key) {
		t.Fatal("the key list shows a key")
	}
	var list listJSON[apiKeyJSON]
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	var found *apiKeyJSON
	for i := range list.Data {
		if list.Data[i].ID == created.ID {
			found = &list.Data[i]
		}
	}
	if found == nil || found.Prefix != created.Prefix || found.LastUsedAt == nil || found.Key != "" {
		t.Fatalf("listed = %+v", found)
	}

	// Revoked, it answers 401 at once.
	mustStatus(t, s.do("DELETE", "/api/v1/api-keys/"+created.ID, s.key, nil, nil), 204)
	mustStatus(t, s.do("POST", "/api/v1/events", created.Key, map[string]string{"topic": "orders/placed"}, nil), 401)
	mustStatus(t, s.do("DELETE", "/api/v1/api-keys/"+created.ID, s.key, nil, nil), 404)
}

func TestATenantKeyManagesOnlyItsTenantsKeys(t *testing.T) {
	s := newTestServer(t, devPolicy)
	for _, id := range []string{"acme", "rival"} {
		mustStatus(t, s.do("PUT", "/api/v1/tenants/"+id, s.key, nil, nil), 201)
	}
	var acmeAdmin, rivalKey apiKeyJSON
	mustStatus(t, s.do("POST", "/api/v1/api-keys", s.key, map[string]string{"name": "acme admin", "tenantId": "acme", "scope": "admin"}, &acmeAdmin), 201)
	mustStatus(t, s.do("POST", "/api/v1/api-keys", s.key, map[string]string{"name": "rival", "tenantId": "rival", "scope": "read"}, &rivalKey), 201)

	var own apiKeyJSON
	mustStatus(t, s.do("POST", "/api/v1/api-keys", acmeAdmin.Key, map[string]string{"name": "acme reader", "scope": "read"}, &own), 201)
	if own.TenantID == nil || *own.TenantID != "acme" {
		t.Fatalf("a tenant key made %+v, want a key of its tenant", own)
	}
	mustStatus(t, s.do("POST", "/api/v1/api-keys", acmeAdmin.Key, map[string]string{"name": "x", "tenantId": "rival", "scope": "read"}, nil), 403)
	mustStatus(t, s.do("DELETE", "/api/v1/api-keys/"+rivalKey.ID, acmeAdmin.Key, nil, nil), 404)
	mustStatus(t, s.do("POST", "/api/v1/api-keys", own.Key, map[string]string{"name": "x", "scope": "read"}, nil), 403) // read may not create

	var list listJSON[apiKeyJSON]
	mustStatus(t, s.do("GET", "/api/v1/api-keys", acmeAdmin.Key, nil, &list), 200)
	for _, k := range list.Data {
		if k.TenantID == nil || *k.TenantID != "acme" {
			t.Errorf("a tenant key lists %+v", k)
		}
	}
	var bad errorBody
	mustStatus(t, s.do("POST", "/api/v1/api-keys", s.key, map[string]string{"name": "x", "scope": "write"}, &bad), 422)
	if bad.Error.Code != "invalid_scope" {
		t.Errorf("bad scope error = %+v", bad.Error)
	}
}
