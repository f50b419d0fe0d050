package metrics

import _ "embed"

// Dashboard is hooks' Grafana dashboard (grafana-dashboard.json), shipped
// in the binary: "hooks monitoring dashboard" prints it for import.
//
//go:embed grafana-dashboard.json
var Dashboard []byte

// Alerts are hooks' Prometheus alerting rules (alerts.yml), shipped in the
// binary: "hooks monitoring alerts" prints them for rule_files.
//
//go:embed alerts.yml
var Alerts []byte
