package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"hooks/delivery"
	"hooks/domain"
	"hooks/store"
)

const uiPassword = "correct horse battery"

// uiDev makes the server a --dev one: loopback receivers and cookies
// without Secure, since tests speak plain http.
func uiDev(dc *delivery.Config, wc *Config) {
	devPolicy(dc, wc)
	wc.Dev = true
}

// uiClient is a browser-like client: it keeps cookies and does not follow
// redirects, so tests see each 302/303.
type uiClient struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newUIClient(t *testing.T, s *testServer) *uiClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &uiClient{t: t, base: s.http.URL, hc: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// uiResponse is an answer with its body parsed as HTML.
type uiResponse struct {
	*http.Response
	body string
	doc  *goquery.Document
}

func (c *uiClient) do(method, path string, form url.Values, headers ...string) *uiResponse {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(data)))
	if err != nil {
		c.t.Fatal(err)
	}
	return &uiResponse{Response: resp, body: string(data), doc: doc}
}

func (c *uiClient) get(path string) *uiResponse { return c.do(http.MethodGet, path, nil) }

func (c *uiClient) post(path string, form url.Values, headers ...string) *uiResponse {
	if form == nil {
		form = url.Values{}
	}
	return c.do(http.MethodPost, path, form, headers...)
}

// want fails the test unless the response has status (and, for
// redirects, a Location starting with location).
func (r *uiResponse) want(t *testing.T, status int, location string) *uiResponse {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; page: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, pageText(r.doc))
	}
	if location != "" && !strings.HasPrefix(r.Header.Get("Location"), location) {
		t.Fatalf("%s %s: Location %q, want %q…", r.Request.Method, r.Request.URL.Path, r.Header.Get("Location"), location)
	}
	return r
}

func pageText(doc *goquery.Document) string {
	s := strings.Join(strings.Fields(doc.Find("main").Text()), " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// addUIUser creates a user with uiPassword.
func addUIUser(t *testing.T, db *store.DB, email, role, tenant string) *store.User {
	t.Helper()
	hash, err := store.HashPassword(uiPassword)
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{Email: email, PasswordHash: hash, Role: role, TenantID: tenant}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// login signs c in as email.
func (c *uiClient) login(email string) {
	c.t.Helper()
	c.post("/login", url.Values{"email": {email}, "password": {uiPassword}}).want(c.t, http.StatusSeeOther, "/")
}

// uiReceiver is an endpoint that answers every request with status and body.
type uiReceiver struct {
	srv    *httptest.Server
	status atomic.Int32
	body   atomic.Value
	hits   atomic.Int32
}

func newUIReceiver(t *testing.T, status int, body string) *uiReceiver {
	r := &uiReceiver{}
	r.status.Store(int32(status))
	r.body.Store(body)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		r.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(r.status.Load()))
		io.WriteString(w, r.body.Load().(string))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// addUIWebhook stores an enabled endpoint of tenant pointing at url.
func addUIWebhook(t *testing.T, s *testServer, tenant, name, url string, topics ...string) *domain.Endpoint {
	t.Helper()
	w := &domain.Endpoint{TenantID: tenant, Name: name, URL: url, Topics: topics, Enabled: true}
	if err := s.engine.ValidateWebhook(w); err != nil {
		t.Fatal(err)
	}
	if err := s.db.CreateEndpoint(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

// waitUIDelivery waits until the delivery has status.
func waitUIDelivery(t *testing.T, s *testServer, tenant, id, status string) *domain.Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := s.db.DeliveryByID(context.Background(), tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == status {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s is %s, want %s", id, d.Status, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
