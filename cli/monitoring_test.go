package cli

import (
	"bytes"
	"context"
	"testing"

	"hooks/metrics"
)

func TestMonitoringPrintsTheShippedDashboardAndAlerts(t *testing.T) {
	for arg, want := range map[string][]byte{"dashboard": metrics.Dashboard, "alerts": metrics.Alerts} {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), []string{"monitoring", arg}, nil, &out, &errOut, Build{}); code != 0 || !bytes.Equal(out.Bytes(), want) {
			t.Errorf("hooks monitoring %s: exit %d, %d bytes (want %d); %s", arg, code, out.Len(), len(want), errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"monitoring", "nope"}, nil, &out, &errOut, Build{}); code != 2 {
		t.Errorf("hooks monitoring nope: exit %d, want 2", code)
	}
}
