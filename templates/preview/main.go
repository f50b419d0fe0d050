// Command preview renders every page of the UI with sample data, for looking
// at the design without a database.
//
//	go run ./templates/preview -addr 127.0.0.1:8089     # browse http://127.0.0.1:8089/
//	go run ./templates/preview -shots /tmp/hooks-ui-shots # full-page PNGs at 1440 and 375 px (needs chromium)
//
// Pages are served with the strict Content-Security-Policy the server sends,
// and -shots fails on any console error, so a CSP violation shows up here.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"hooks/static"
	"hooks/templates"
	"hooks/templates/preview/sample"
)

// csp is the policy the web layer sends with every page.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"

func main() {
	addr := flag.String("addr", "", "serve the pages on this address")
	shots := flag.String("shots", "", "write full-page screenshots of every page to this directory")
	only := flag.String("only", "", "with -shots: only pages whose name contains this")
	flag.Parse()
	if *addr == "" && *shots == "" {
		flag.Usage()
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", cmp(*addr, "127.0.0.1:0"))
	if err != nil {
		log.Fatal(err)
	}
	go func() { log.Fatal(http.Serve(ln, handler())) }()
	base := "http://" + ln.Addr().String()
	if *shots == "" {
		log.Printf("serving on %s/", base)
		select {}
	}
	if err := screenshot(base, *shots, *only); err != nil {
		log.Fatal(err)
	}
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", static.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString("<!DOCTYPE html><title>hooks preview</title><h1>hooks preview</h1><ul>")
		for _, p := range sample.Pages() {
			fmt.Fprintf(&b, `<li><a href="/p/%s">%s</a>`, p.Name, html.EscapeString(p.Name))
		}
		b.WriteString("</ul>")
		w.Header().Set("Content-Security-Policy", csp)
		w.Write([]byte(b.String()))
	})
	mux.HandleFunc("GET /p/{name}", func(w http.ResponseWriter, r *http.Request) {
		for _, p := range sample.Pages() {
			if p.Name == r.PathValue("name") {
				w.Header().Set("Content-Security-Policy", csp)
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				if err := p.Component.Render(r.Context(), w); err != nil {
					log.Print(err)
				}
				return
			}
		}
		http.NotFound(w, r)
	})
	// A page the CSP must refuse, to check that -shots really sees violations.
	mux.HandleFunc("GET /csp-selftest", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Write([]byte(`<!DOCTYPE html><p style="color:red">x</p><script>document.title="ran"</script>`))
	})
	// The two JSON answers app.js expects, so the enhanced flows can be tried.
	mux.HandleFunc("POST /webhooks/{id}/test", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		writeJSON(w, templates.TestResult{Success: false, StatusCode: 503, DurationMs: 1204, ResponseBody: `{"error":"maintenance","retryAfter":120}`, Error: "receiver answered 503 Service Unavailable"})
	})
	mux.HandleFunc("POST /webhooks/{id}/secret/reveal", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// screenshot saves every page at desktop and phone widths, and a few pages
// after their JavaScript enhancements ran. Console errors and warnings (a CSP
// violation is one) are logged.
func screenshot(base, dir, only string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath("chromium"), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		return err
	}
	var mu sync.Mutex
	var problems []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/csp-selftest"), chromedp.Sleep(300*time.Millisecond)); err != nil {
		return err
	}
	mu.Lock()
	seen := len(problems)
	problems = problems[:0]
	mu.Unlock()
	if seen == 0 {
		return fmt.Errorf("the CSP self-test page logged no violation: console capture is not working")
	}
	type shot struct {
		name, page string
		actions    []chromedp.Action[chromedp.Void]
		dark       bool
	}
	var shots []shot
	for _, p := range sample.Pages() {
		shots = append(shots, shot{name: p.Name, page: p.Name})
	}
	shots = append(shots,
		shot{name: "webhook-js-test-reveal", page: "webhook", actions: []chromedp.Action[chromedp.Void]{
			chromedp.Click("#test-form button"), chromedp.Sleep(700 * time.Millisecond),
			chromedp.Click("[data-reveal-form] button"), chromedp.Sleep(300 * time.Millisecond),
		}},
		shot{name: "webhook-new-js-shared-template", page: "webhook-new", actions: []chromedp.Action[chromedp.Void]{
			js(`(() => {
				const s = document.querySelector("#f-signing-scheme");
				s.value = "` + templates.SchemeSharedSecret + `";
				s.dispatchEvent(new Event("change", {bubbles: true}));
				document.querySelector("#f-envelope-template").click();
				const ev = document.querySelector("#f-events");
				for (const [text, key] of [["orders/placed", "Enter"], ["stock/changed", ","]]) {
					ev.value = text;
					ev.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true}));
				}
				ev.value = "orders/*";
				ev.focus();
				return true;
			})()`),
		}},
	)
	shots = append(shots,
		shot{name: "dashboard-dark", page: "dashboard", dark: true},
		shot{name: "delivery-dark", page: "delivery", dark: true},
		shot{name: "delivery-js-html-preview", page: "delivery", actions: []chromedp.Action[chromedp.Void]{
			js(`document.querySelectorAll(".answer details").forEach(d => d.open = true); true`),
		}},
		shot{name: "webhook-edit-errors-dark", page: "webhook-edit-errors", dark: true},
	)
	for _, s := range shots {
		if only != "" && !strings.Contains(s.name, only) {
			continue
		}
		for _, width := range []int64{1440, 375} {
			mu.Lock()
			problems = problems[:0]
			mu.Unlock()
			steps := []chromedp.Action[chromedp.Void]{
				colorScheme(s.dark),
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(base + "/p/" + s.page),
				chromedp.WaitReady("body"),
			}
			steps = append(steps, s.actions...)
			steps = append(steps, chromedp.Sleep(150*time.Millisecond))
			sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
			err := chromedp.Do(sctx, steps...)
			var height float64
			if err == nil {
				// Make the viewport as tall as the page, so sticky and
				// 100vh elements look as they do in a real window.
				height, err = chromedp.Run(sctx, chromedp.Evaluate[float64]("document.documentElement.scrollHeight"))
			}
			if err == nil {
				err = chromedp.Do(sctx, chromedp.EmulateViewport(width, int64(max(height, 900))), chromedp.Sleep(100*time.Millisecond))
			}
			var png []byte
			if err == nil {
				png, err = chromedp.Run(sctx, chromedp.FullScreenshot(100))
			}
			scancel()
			if err != nil {
				return fmt.Errorf("%s at %d px: %w", s.name, width, err)
			}
			file := filepath.Join(dir, fmt.Sprintf("%s-%d.png", s.name, width))
			if err := os.WriteFile(file, png, 0o644); err != nil {
				return err
			}
			mu.Lock()
			for _, p := range problems {
				log.Printf("%s at %d px: %s", s.name, width, p)
			}
			mu.Unlock()
			fmt.Println(file)
		}
	}
	return nil
}

// colorScheme emulates prefers-color-scheme.
func colorScheme(dark bool) chromedp.Action[chromedp.Void] {
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// js runs a script in the page and ignores its value.
func js(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}
