// Package static holds the web UI's stylesheet, script and icons, embedded in
// the binary so the UI works offline and needs no CDN.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

// FS holds the files served under /static/.
//
//go:embed app.css app.js favicon.svg
var FS embed.FS

// hashes maps each file name to a short hash of its content.
var hashes = func() map[string]string {
	m := map[string]string{}
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := FS.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		m[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return m
}()

// Path returns the URL of the named file with a content hash for cache
// busting: Path("app.css") is "/static/app.css?v=<hash>". A name that is not
// embedded gets no hash.
func Path(name string) string {
	if h, ok := hashes[name]; ok {
		return "/static/" + name + "?v=" + h
	}
	return "/static/" + name
}

// Handler serves FS under /static/ (mount it as mux.Handle("GET /static/",
// static.Handler())). A request whose v matches the file's current hash may
// be cached forever; others are revalidated. Directories are not listed.
func Handler() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(FS))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		h, ok := hashes[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == h {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
