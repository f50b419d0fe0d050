package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"

	"hooks/metrics"
)

// promqlWords are the identifiers a PromQL expression of the dashboard or
// the alerts may use besides metric names: functions, aggregations,
// keywords, Grafana's label_values, and the label names hooks exports.
var promqlWords = map[string]bool{
	// functions and aggregations
	"rate": true, "irate": true, "increase": true, "delta": true, "sum": true, "max": true, "min": true, "avg": true,
	"count": true, "topk": true, "bottomk": true, "histogram_quantile": true, "clamp_min": true, "clamp_max": true,
	"abs": true, "label_values": true,
	// keywords
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"offset": true, "and": true, "or": true, "unless": true, "bool": true,
	// label names
	"endpoint": true, "outcome": true, "status_class": true, "le": true, "instance": true, "job": true, "state": true,
	"route": true, "version": true,
}

var (
	promqlStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promqlRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promqlVariables = regexp.MustCompile(`\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*`)
	// A number, or a duration such as 15m or 1h30m.
	promqlNumbers    = regexp.MustCompile(`(^|[^A-Za-z0-9_:])[0-9][0-9.]*(?:[eE][+-]?[0-9]+)?(?:[a-z]+[0-9]*)*`)
	promqlIdentifier = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
)

// promqlNames splits a PromQL expression (or a Grafana label_values query)
// into the metric names it reads and the identifiers it uses that are
// neither a metric of hooks (hooks_…, go_…, process_…) nor in promqlWords:
// a simple tokenizer, enough for the expressions hooks ships.
func promqlNames(expr string) (metricNames, unknown []string) {
	s := promqlStrings.ReplaceAllString(expr, " ")
	s = promqlRanges.ReplaceAllString(s, " ")
	s = promqlVariables.ReplaceAllString(s, " ")
	s = promqlNumbers.ReplaceAllString(s, "$1 ")
	for _, id := range promqlIdentifier.FindAllString(s, -1) {
		switch {
		case promqlWords[id]:
		case strings.HasPrefix(id, "hooks_") || strings.HasPrefix(id, "go_") || strings.HasPrefix(id, "process_"):
			metricNames = append(metricNames, id)
		default:
			unknown = append(unknown, id)
		}
	}
	return metricNames, unknown
}

func TestPromQLNamesFindsMetricsAndTypos(t *testing.T) {
	cases := []struct {
		expr             string
		metrics, unknown []string
	}{
		{`sum by (outcome) (rate(hooks_delivery_attempts_total{outcome=~"retrying|failed", endpoint=~"$endpoint"}[$__rate_interval]))`,
			[]string{"hooks_delivery_attempts_total"}, nil},
		{`histogram_quantile(0.95, sum by (le) (rate(hooks_x_bucket[5m]))) > 1e-3`, []string{"hooks_x_bucket"}, nil},
		{`max(hooks_a) / max(hooks_b offset 15m) > 0.25`, []string{"hooks_a", "hooks_b"}, nil},
		{`rate(hoks_typo_total[5m])`, nil, []string{"hoks_typo_total"}},
		{`label_values(hooks_endpoint_delivery_attempts_total, endpoint)`, []string{"hooks_endpoint_delivery_attempts_total"}, nil},
	}
	for _, c := range cases {
		m, u := promqlNames(c.expr)
		if !slices.Equal(m, c.metrics) || !slices.Equal(u, c.unknown) {
			t.Errorf("promqlNames(%s) = %v, %v; want %v, %v", c.expr, m, u, c.metrics, c.unknown)
		}
	}
}

// exportedMetricNames scrapes the /metrics of a running server with
// per-endpoint series on, after a delivery, and returns every sample name
// (histograms as their _bucket, _sum and _count).
func exportedMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	s, _, _ := observedServer(t, metrics.PerEndpoint(10))
	rcv := newReceiver(t)
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}})
	var acc eventAccepted
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"t"}`, &acc), http.StatusAccepted)
	var ev eventJSON
	s.do("GET", "/api/v1/events/"+acc.ID, s.key, nil, &ev)
	s.waitDelivery(ev.Deliveries[0].ID, "succeeded", 10*time.Second)
	names := map[string]bool{}
	waitFor(t, func() bool {
		text := scrape(t, s)
		clear(names)
		for _, line := range strings.Split(text, "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			names[promqlIdentifier.FindString(line)] = true
		}
		// The outcome reaches the metrics just after it is recorded.
		return names["hooks_endpoint_delivery_attempts_total"]
	})
	return names
}

// TestDashboardAndAlertsNameOnlyExportedMetrics loads the Grafana dashboard
// and the Prometheus alerting rules that ship with hooks and checks that
// every query names only metrics that a running hooks (with
// --metrics-per-endpoint) exports, and nothing else unknown.
func TestDashboardAndAlertsNameOnlyExportedMetrics(t *testing.T) {
	exported := exportedMetricNames(t)
	type query struct{ where, expr string }
	var queries []query

	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(metrics.Dashboard, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	if dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatal("grafana-dashboard.json has no uid or no panels")
	}
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			queries = append(queries, query{"dashboard panel " + p.Title, tg.Expr})
		}
	}
	for _, v := range dash.Templating.List {
		if v.Type == "query" {
			queries = append(queries, query{"dashboard variable " + v.Name, v.Definition})
		}
	}

	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(metrics.Alerts, &rules); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("alert rule %q: wants a name, a severity label and a summary", r.Alert)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("alert %s: for: %v", r.Alert, err)
				}
			}
			alerts[r.Alert] = true
			queries = append(queries, query{"alert " + r.Alert, r.Expr})
		}
	}
	// The alerts the issue asks for: queue age, failure ratio,
	// auto-disabled endpoints, writer saturation.
	for _, want := range []string{"HooksQueueFallingBehind", "HooksDeliveryFailureRatioHigh", "HooksEndpointAutoDisabled", "HooksOutcomeWriterSaturated"} {
		if !alerts[want] {
			t.Errorf("alerts.yml has no %s", want)
		}
	}

	for _, q := range queries {
		names, unknown := promqlNames(q.expr)
		if len(names) == 0 {
			t.Errorf("%s: %q names no metric", q.where, q.expr)
		}
		for _, n := range names {
			if !exported[n] {
				t.Errorf("%s: %s is not a metric hooks exports", q.where, n)
			}
		}
		if len(unknown) > 0 {
			t.Errorf("%s: unknown names %v in %q (a typo, or add them to promqlWords)", q.where, unknown, q.expr)
		}
	}
	if len(queries) < 20 {
		t.Errorf("checked %d queries; the dashboard and the alerts have more", len(queries))
	}
}

// TestPerEndpointMetricsOnlyWhenAsked: without PerEndpoint no series
// carries an endpoint label; with it, the delivered endpoint's id does.
func TestPerEndpointMetricsOnlyWhenAsked(t *testing.T) {
	s, _, _ := observedServer(t)
	rcv := newReceiver(t)
	s.createWebhook(s.key, map[string]any{"url": rcv.srv.URL, "events": []string{"*"}})
	mustStatus(t, s.do("POST", "/api/v1/events", s.key, `{"topic":"t"}`, nil), http.StatusAccepted)
	rcv.wait(1, 10*time.Second)
	waitFor(t, func() bool {
		return strings.Contains(scrape(t, s), `hooks_delivery_attempts_total{outcome="succeeded"`)
	})
	if text := scrape(t, s); strings.Contains(text, "endpoint=") || strings.Contains(text, "hooks_endpoint_delivery") {
		t.Error("per-endpoint series without --metrics-per-endpoint")
	}

	exported := exportedMetricNames(t)
	for _, n := range []string{"hooks_endpoint_delivery_attempts_total", "hooks_endpoint_delivery_attempt_duration_seconds_bucket",
		"hooks_endpoints_auto_disabled"} {
		if !exported[n] {
			t.Errorf("%s not exported with per-endpoint metrics on", n)
		}
	}
}
