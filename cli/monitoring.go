package cli

import (
	"fmt"
	"io"

	"hooks/metrics"
)

// monitoring is "hooks monitoring dashboard|alerts": it prints the Grafana
// dashboard or the Prometheus alerting rules that ship with this build, so
// they always match the metrics it exports.
func monitoring(args []string, stdout, stderr io.Writer) error {
	var out []byte
	switch {
	case len(args) == 1 && args[0] == "dashboard":
		out = metrics.Dashboard
	case len(args) == 1 && args[0] == "alerts":
		out = metrics.Alerts
	default:
		fmt.Fprintln(stderr, "usage: hooks monitoring dashboard|alerts")
		return ErrUsage
	}
	_, err := stdout.Write(out)
	return err
}
