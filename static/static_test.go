package static

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestPathCarriesContentHash(t *testing.T) {
	for _, name := range []string{"app.css", "app.js", "favicon.svg"} {
		if p := Path(name); !regexp.MustCompile(`^/static/` + regexp.QuoteMeta(name) + `\?v=[0-9a-f]{12}$`).MatchString(p) {
			t.Errorf("Path(%q) = %q", name, p)
		}
	}
	if Path("nope.css") != "/static/nope.css" {
		t.Errorf("unknown file got a hash: %q", Path("nope.css"))
	}
}

func TestHandlerCachesHashedURLsForever(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		url, cache, ctype string
		status            int
	}{
		{Path("app.css"), "public, max-age=31536000, immutable", "text/css", 200},
		{"/static/app.js?v=old", "no-cache", "javascript", 200},
		{Path("favicon.svg"), "public, max-age=31536000, immutable", "image/svg+xml", 200},
		{"/static/", "", "", 404},
		{"/static/static.go", "", "", 404},
		{"/static/../static.go", "", "", 404},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.url, nil))
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.url, rec.Code, tc.status)
			continue
		}
		if tc.status != 200 {
			continue
		}
		if got := rec.Header().Get("Cache-Control"); got != tc.cache {
			t.Errorf("%s: Cache-Control %q, want %q", tc.url, got, tc.cache)
		}
		if got := rec.Header().Get("Content-Type"); !strings.Contains(got, tc.ctype) {
			t.Errorf("%s: Content-Type %q", tc.url, got)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", tc.url)
		}
	}
}

func TestScriptHasNoEvalOrInlineStyles(t *testing.T) {
	js, err := FS.ReadFile("app.js")
	if err != nil {
		t.Fatal(err)
	}
	// A strict CSP (no 'unsafe-eval', no 'unsafe-inline' styles) would block these.
	for _, bad := range []string{"eval(", "new Function", ".style.", "setAttribute(\"style\"", "innerHTML", "insertAdjacentHTML"} {
		if strings.Contains(string(js), bad) {
			t.Errorf("app.js uses %q", bad)
		}
	}
}
