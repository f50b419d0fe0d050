package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"hooks/client"
)

// usageError prints why a command line is wrong and returns ErrUsage
// (exit status 2).
func usageError(w io.Writer, format string, args ...any) error {
	fmt.Fprintf(w, format+"\n", args...)
	return ErrUsage
}

// apiFlags are the flags of every command that talks to a running server.
type apiFlags struct {
	url, key, tenant, output string
}

func (a *apiFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&a.url, "url", "http://localhost:8080", "the hooks server")
	fs.StringVar(&a.key, "key", "", "an API key (hooks apikey create)")
	fs.StringVar(&a.tenant, "tenant", "", "act on this tenant (keys not bound to one)")
	fs.StringVar(&a.output, "output", "table", "table or json")
}

func (a *apiFlags) client(stderr io.Writer, version string) (*client.Client, error) {
	if a.output != "table" && a.output != "json" {
		return nil, usageError(stderr, "--output %q: want table or json", a.output)
	}
	if a.key == "" {
		return nil, usageError(stderr, "an API key is required: pass --key or set HOOKS_KEY (create one with: hooks apikey create)")
	}
	c := client.New(a.url, a.key)
	c.Tenant, c.UserAgent = a.tenant, "hooks-cli/"+version
	return c, nil
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func plural[N int | int64](n N, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("NO_COLOR") == ""
}
