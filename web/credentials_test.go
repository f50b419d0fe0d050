package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store"
)

// Credentials an endpoint carries in its extra headers and metadata: long
// enough that the mask keeps their last four characters.
const (
	testHeaderKey = "hk_live_headerCredential9A1b"
	testMetaKey   = "ak_live_metadataCredential7Z3y"
)

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log lines whose msg is msg.
func (b *logBuffer) lines(msg string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(b.buf.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// withLog sends the web server's log to b as JSON lines.
func withLog(b *logBuffer) serverOption {
	return func(_ *delivery.Config, wc *Config) { wc.Logger = slog.New(slog.NewJSONHandler(b, nil)) }
}

// addCredentialWebhook stores an endpoint with a credential in an extra
// header and one in metadata.
func addCredentialWebhook(t *testing.T, s *testServer, url string) *domain.Endpoint {
	t.Helper()
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, Name: "AlphaTouch", URL: url, Topics: []string{"orders/*"}, Enabled: true,
		Headers: map[string]string{"X-Api-Key": testHeaderKey, "X-Region": "eu"}, Metadata: map[string]string{"api_key": testMetaKey}}
	if err := s.engine.ValidateWebhook(w); err != nil {
		t.Fatal(err)
	}
	if err := s.db.CreateEndpoint(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

// checkMasked fails when text shows a credential, or lacks its mask.
func checkMasked(t *testing.T, where, text string) {
	t.Helper()
	for _, v := range []string{testHeaderKey, testMetaKey} {
		if strings.Contains(text, v) {
			t.Errorf("%s shows %q in clear", where, v)
		}
		if want := "••••" + v[len(v)-4:]; !strings.Contains(text, want) {
			t.Errorf("%s lacks the mask %q", where, want)
		}
	}
}

// formValues reads the fields of the form that sel finds, as a browser
// would submit them unchanged.
func formValues(doc *goquery.Document, sel string) url.Values {
	v := url.Values{}
	form := doc.Find(sel)
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		name, _ := in.Attr("name")
		typ, _ := in.Attr("type")
		if (typ == "checkbox" || typ == "radio") && in.AttrOr("checked", "\x00") == "\x00" {
			return
		}
		v.Add(name, in.AttrOr("value", ""))
	})
	form.Find("textarea[name]").Each(func(_ int, ta *goquery.Selection) {
		v.Add(ta.AttrOr("name", ""), ta.Text())
	})
	form.Find("select[name]").Each(func(_ int, s *goquery.Selection) {
		v.Add(s.AttrOr("name", ""), s.Find("option[selected]").AttrOr("value", ""))
	})
	return v
}

func TestViewerSeesCredentialsMasked(t *testing.T) {
	s := newTestServer(t, uiDev)
	w := addCredentialWebhook(t, s, "http://127.0.0.1:1/hook")
	addUIUser(t, s.db, "viewer@example.com", store.RoleViewer, domain.DefaultTenant)
	c := newUIClient(t, s)
	c.login("viewer@example.com")

	page := c.get("/webhooks/"+w.ID).want(t, http.StatusOK, "")
	checkMasked(t, "the webhook page for a viewer", page.body)
	if strings.Contains(page.body, "/credentials/reveal") {
		t.Error("a viewer is offered the Reveal of header and metadata values")
	}
	c.post("/webhooks/"+w.ID+"/credentials/reveal", nil).want(t, http.StatusForbidden, "")
}

func TestAdminRevealsCredentialsAudited(t *testing.T) {
	var log logBuffer
	s := newTestServer(t, uiDev, withLog(&log))
	w := addCredentialWebhook(t, s, "http://127.0.0.1:1/hook")
	admin := addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	addUIUser(t, s.db, "viewer@example.com", store.RoleViewer, domain.DefaultTenant)
	viewer := newUIClient(t, s)
	viewer.login("viewer@example.com")
	viewer.post("/webhooks/"+w.ID+"/credentials/reveal", nil).want(t, http.StatusForbidden, "")
	if n := len(log.lines("audit")); n != 0 {
		t.Fatalf("a refused reveal logged %d audit lines", n)
	}

	c := newUIClient(t, s)
	c.login("admin@example.com")
	page := c.get("/webhooks/"+w.ID).want(t, http.StatusOK, "")
	checkMasked(t, "the webhook page for an admin", page.body)
	if page.doc.Find(`form[action="/webhooks/`+w.ID+`/credentials/reveal"] button`).Length() != 1 {
		t.Fatal("an admin has no Reveal of header and metadata values")
	}
	revealed := c.post("/webhooks/"+w.ID+"/credentials/reveal", nil).want(t, http.StatusOK, "")
	for _, v := range []string{"X-Api-Key: " + testHeaderKey, "api_key=" + testMetaKey} {
		if !strings.Contains(revealed.doc.Find(".kv-line").Text(), v) {
			t.Errorf("the revealed page lacks %q", v)
		}
	}
	lines := log.lines("audit")
	if len(lines) != 1 {
		t.Fatalf("%d audit lines after one reveal, want 1", len(lines))
	}
	l := lines[0]
	if l["action"] != "webhook.credentials.revealed" || l["actor"] != admin.ID || l["webhook"] != w.ID ||
		l["tenant"] != domain.DefaultTenant || l["remote"] != "127.0.0.1" {
		t.Errorf("audit line %v", l)
	}

	// The API reveal is audited the same way, with the key as actor.
	var creds credentialsJSON
	mustStatus(t, s.do("GET", "/api/v1/webhooks/"+w.ID+"/credentials", s.key, nil, &creds), 200)
	if creds.Headers["X-Api-Key"] != testHeaderKey || creds.Metadata["api_key"] != testMetaKey {
		t.Errorf("API credentials = %+v", creds)
	}
	if lines := log.lines("audit"); len(lines) != 2 || !strings.HasPrefix(lines[1]["actor"].(string), "key_") {
		t.Errorf("audit lines after the API reveal: %v", lines)
	}
}

// Saving the edit form as shown, masked values and all, keeps the stored
// values; a new value replaces one; a masked value under a new name is
// refused rather than stored as dots.
func TestEditFormKeepsMaskedCredentials(t *testing.T) {
	s := newTestServer(t, uiDev)
	w := addCredentialWebhook(t, s, "http://127.0.0.1:1/hook")
	addUIUser(t, s.db, "admin@example.com", store.RoleAdmin, "")
	c := newUIClient(t, s)
	c.login("admin@example.com")

	edit := c.get("/webhooks/"+w.ID+"/edit").want(t, http.StatusOK, "")
	checkMasked(t, "the edit form", edit.body)
	form := formValues(edit.doc, "form[data-webhook-form]")
	if form.Get("headers") == "" || form.Get("url") == "" {
		t.Fatalf("edit form fields: %v", form)
	}
	form.Set("name", "AlphaTouch v2")
	c.post("/webhooks/"+w.ID, form).want(t, http.StatusSeeOther, "/webhooks/"+w.ID)
	got, err := s.db.EndpointByID(context.Background(), domain.DefaultTenant, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "AlphaTouch v2" || got.Headers["X-Api-Key"] != testHeaderKey || got.Headers["X-Region"] != "eu" ||
		got.Metadata["api_key"] != testMetaKey {
		t.Fatalf("after saving the form as shown: %q, headers %v, metadata %v", got.Name, got.Headers, got.Metadata)
	}

	form.Set("metadata", "api_key=ak_new\nother="+"••••"+testMetaKey[len(testMetaKey)-4:])
	r := c.post("/webhooks/"+w.ID, form).want(t, http.StatusUnprocessableEntity, "")
	if !strings.Contains(r.doc.Find("#f-metadata-error").Text(), "masked") {
		t.Errorf("no error for a masked value under a new key: %s", pageText(r.doc))
	}
	form.Set("metadata", "api_key=ak_new")
	c.post("/webhooks/"+w.ID, form).want(t, http.StatusSeeOther, "/webhooks/"+w.ID)
	got, _ = s.db.EndpointByID(context.Background(), domain.DefaultTenant, w.ID)
	if got.Metadata["api_key"] != "ak_new" || len(got.Metadata) != 1 || got.Headers["X-Api-Key"] != testHeaderKey {
		t.Fatalf("after changing the metadata: headers %v, metadata %v", got.Headers, got.Metadata)
	}
}

func TestAPIMasksCredentials(t *testing.T) {
	s := newTestServer(t, devPolicy)
	created := s.createWebhook(s.key, map[string]any{"url": "http://127.0.0.1:1/hook", "events": []string{"orders/*"},
		"headers": map[string]string{"X-Api-Key": testHeaderKey}, "metadata": map[string]string{"api_key": testMetaKey}})

	var list listJSON[webhookJSON]
	mustStatus(t, s.do("GET", "/api/v1/webhooks", s.key, nil, &list), 200)
	raw, _ := json.Marshal(list)
	checkMasked(t, "GET /api/v1/webhooks", string(raw))
	var one webhookJSON
	mustStatus(t, s.do("GET", "/api/v1/webhooks/"+created.ID, s.key, nil, &one), 200)
	raw, _ = json.Marshal(one)
	checkMasked(t, "GET /api/v1/webhooks/{id}", string(raw))

	// PATCH with the masked map as GET showed it keeps the values.
	var patched webhookJSON
	mustStatus(t, s.do("PATCH", "/api/v1/webhooks/"+created.ID, s.key, map[string]any{"name": "renamed",
		"headers": one.Headers, "metadata": one.Metadata}, &patched), 200)
	raw, _ = json.Marshal(patched)
	checkMasked(t, "the PATCH answer", string(raw))
	stored, err := s.db.EndpointByID(context.Background(), domain.DefaultTenant, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Headers["X-Api-Key"] != testHeaderKey || stored.Metadata["api_key"] != testMetaKey {
		t.Fatalf("after a PATCH of the masked values: headers %v, metadata %v", stored.Headers, stored.Metadata)
	}
	// A masked value under another key is refused, not stored as dots.
	resp := s.do("PATCH", "/api/v1/webhooks/"+created.ID, s.key, map[string]any{
		"headers": map[string]string{"X-Other": one.Headers["X-Api-Key"]}}, nil)
	mustStatus(t, resp, 422)
}
