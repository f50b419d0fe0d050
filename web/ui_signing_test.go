package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hooks/domain"
	"hooks/store"
)

// TestUIWebhookFormAddsASecondScheme: the form's "Also sign with" adds a
// v1a scheme beside a legacy HMAC header; the page shows v1a's public key
// and never its private key; the edit form shows the second scheme; a
// rotation's flash says that the HMAC secret switched at once.
func TestUIWebhookFormAddsASecondScheme(t *testing.T) {
	s := newTestServer(t, uiDev)
	addUIUser(t, s.db, "ada@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("ada@example.com")
	form := url.Values{"name": {"Pepperi"}, "url": {"http://127.0.0.1:1/hook"}, "events": {"orders/*"},
		"enabled": {"on"}, "signing_scheme": {"hmac-sha256"}, "signing_header": {"X-Pepperi-Signature"}, "signing_encoding": {"hex"},
		"signing_prefix": {"sha256="}, "signing_also": {"standard-webhooks-v1a"}, "envelope": {"raw"}, "retry_schedule": {"exponential"},
		"max_attempts": {"5"}, "retry_on": {"default"}, "timeout": {"5"}}
	r := c.post("/webhooks", form).want(t, http.StatusSeeOther, "/webhooks/wbh_")
	id := strings.TrimPrefix(r.Header.Get("Location"), "/webhooks/")
	h, err := s.db.EndpointByID(context.Background(), domain.DefaultTenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if h.Signing.Header != "X-Pepperi-Signature" || len(h.AlsoSigning) != 1 || h.AlsoSigning[0].Scheme != domain.SchemeStandardV1a {
		t.Fatalf("stored signing %+v, also %+v", h.Signing, h.AlsoSigning)
	}
	private := h.AlsoSigning[0].Secret
	_, public := h.AlsoSigning[0].Shown()

	page := c.get("/webhooks/"+id).want(t, http.StatusOK, "")
	if v, _ := page.doc.Find("input#secret-value-1").Attr("value"); v != public {
		t.Errorf("public key on the page = %q, want %q", v, public)
	}
	if !strings.Contains(page.doc.Find("main").Text(), "Standard Webhooks v1a") {
		t.Error("the page does not name the second scheme")
	}
	var js struct{ Secret string }
	revealed := c.post("/webhooks/"+id+"/secret/reveal?scheme=1", nil, "Accept", "application/json")
	if err := json.Unmarshal([]byte(revealed.body), &js); err != nil || js.Secret != public {
		t.Errorf("reveal of scheme 1 = %s, want the public key", revealed.body)
	}
	noJS := c.post("/webhooks/"+id+"/secret/reveal", nil).want(t, http.StatusOK, "")
	if v, _ := noJS.doc.Find("input#secret-value").Attr("value"); v != h.Secret {
		t.Errorf("revealed HMAC secret %q, want %q", v, h.Secret)
	}
	for _, body := range []string{page.body, revealed.body, noJS.body} {
		if strings.Contains(body, private[5:]) {
			t.Fatal("a page holds the v1a private key")
		}
	}

	edit := c.get("/webhooks/"+id+"/edit").want(t, http.StatusOK, "")
	if v, _ := edit.doc.Find("#f-signing-also option[selected]").Attr("value"); v != domain.SchemeStandardV1a {
		t.Errorf("edit form's second scheme = %q", v)
	}
	form.Set("name", "Pepperi v2")
	c.post("/webhooks/"+id, form).want(t, http.StatusSeeOther, "/webhooks/"+id)
	h2, _ := s.db.EndpointByID(context.Background(), domain.DefaultTenant, id)
	if h2.Secret != h.Secret || len(h2.AlsoSigning) != 1 || h2.AlsoSigning[0].Secret != private {
		t.Fatal("saving the form again changed a secret")
	}

	c.post("/webhooks/"+id+"/secret/rotate", nil).want(t, http.StatusSeeOther, "/webhooks/"+id)
	flash := c.get("/webhooks/" + id).doc.Find(".flash").Text()
	if !strings.Contains(flash, "stopped working now") || !strings.Contains(flash, "24 hours") {
		t.Errorf("rotation flash = %q, want what kept and what stopped", flash)
	}

	form.Set("signing_also", "")
	c.post("/webhooks/"+id, form).want(t, http.StatusSeeOther, "/webhooks/"+id)
	c.post("/webhooks/"+id+"/secret/rotate", nil).want(t, http.StatusSeeOther, "/webhooks/"+id)
	flash = c.get("/webhooks/" + id).doc.Find(".flash").Text()
	if !strings.Contains(flash, "The old secret stopped working now: this scheme carries one signature") {
		t.Errorf("HMAC rotation flash = %q", flash)
	}
}
