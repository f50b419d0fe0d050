package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// layerRules say which of hooks' own packages a package may not depend on,
// directly or through others: data flows web → service → store ← delivery,
// everything may use domain, and domain uses nothing of ours; the server's
// packages never reach the commands (cli) or the tools (bench, client,
// listen). A rule names a package and its subpackages.
var layerRules = []struct {
	pkg       string
	forbidden []string
}{
	{"hooks/domain", []string{"hooks/"}},
	// OpenTelemetry glue: a leaf that web, service and delivery call.
	{"hooks/tracing", []string{"hooks/"}},
	{"hooks/store", []string{"hooks/tracing", "hooks/delivery", "hooks/web", "hooks/service", "hooks/templates", "hooks/metrics", "hooks/cli", "hooks/bench", "hooks/client", "hooks/listen"}},
	{"hooks/delivery", []string{"hooks/web", "hooks/service", "hooks/templates", "hooks/metrics", "hooks/cli", "hooks/bench", "hooks/client", "hooks/listen"}},
	{"hooks/templates", []string{"hooks/store", "hooks/delivery", "hooks/service", "hooks/web", "hooks/cli"}},
	{"hooks/service", []string{"hooks/web", "hooks/templates", "hooks/cli", "hooks/bench", "hooks/client", "hooks/listen"}},
	{"hooks/web", []string{"hooks/cli", "hooks/bench", "hooks/client", "hooks/listen"}},
	// The tools a receiver or a load test runs talk to hooks over HTTP only.
	{"hooks/client", []string{"hooks/"}},
	{"hooks/listen", []string{"hooks/"}},
}

// within reports whether pkg is prefix or one of its subpackages.
func within(pkg, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(pkg, prefix)
	}
	return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
}

// layerViolations returns "pkg → dep" for every dependency that a rule
// forbids. deps maps each package to all the packages it depends on.
func layerViolations(deps map[string][]string) []string {
	var out []string
	for pkg, ds := range deps {
		for _, rule := range layerRules {
			if !within(pkg, rule.pkg) {
				continue
			}
			for _, d := range ds {
				for _, f := range rule.forbidden {
					// A package's tests may use its own subpackages' helpers.
					if within(d, f) && !within(d, rule.pkg) {
						out = append(out, pkg+" → "+d)
					}
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestLayersImportOnlyDownward reads every package's dependencies from
// `go list -deps` and fails on an import that goes against the layers.
func TestLayersImportOnlyDownward(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		deps[f[0]] = f[1:]
	}
	for _, want := range []string{"hooks/domain", "hooks/store", "hooks/delivery", "hooks/templates", "hooks/service", "hooks/web"} {
		if _, ok := deps[want]; !ok {
			t.Fatalf("go list did not list %s; the rules name packages that no longer exist", want)
		}
	}
	if v := layerViolations(deps); len(v) > 0 {
		t.Errorf("imports against the layers (see layerRules):\n  %s", strings.Join(v, "\n  "))
	}
}

// TestLayerRulesCatchViolations checks the checker itself on made-up
// dependency lists, so the test above can't pass by checking nothing.
func TestLayerRulesCatchViolations(t *testing.T) {
	tests := []struct {
		name string
		deps map[string][]string
		want []string
	}{
		{"store reaching up", map[string][]string{"hooks/store": {"hooks/domain", "hooks/delivery/sign"}}, []string{"hooks/store → hooks/delivery/sign"}},
		{"delivery importing web", map[string][]string{"hooks/delivery/upkeep": {"hooks/web"}}, []string{"hooks/delivery/upkeep → hooks/web"}},
		{"templates reading store", map[string][]string{"hooks/templates": {"hooks/store"}}, []string{"hooks/templates → hooks/store"}},
		{"domain using anything of ours", map[string][]string{"hooks/domain": {"hooks/static"}}, []string{"hooks/domain → hooks/static"}},
		{"allowed", map[string][]string{"hooks/web": {"hooks/service", "hooks/store", "hooks/domain"}, "hooks/store/storetest": {"hooks/store"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := layerViolations(tt.deps); !slices.Equal(got, tt.want) {
				t.Errorf("layerViolations = %q, want %q", got, tt.want)
			}
		})
	}
}
