package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestStatsCommandPrintsTheAPIsBucketsAsATable(t *testing.T) {
	s := startServer(t)
	secret := newStandardSecret()
	l := startListen(t, "--secret", secret)
	out := s.run(t, Endpoints, "create", "--endpoint-url", "http://"+l.addr+"/in", "--events", "orders/*", "--name", "Shop", "--secret", secret)
	id := regexp.MustCompile(`endpoint (wbh_\S+) created`).FindStringSubmatch(out)[1]
	for range 3 {
		s.run(t, Send, "--topic", "orders/placed")
	}
	var points struct {
		Data []struct {
			Attempts  int64
			Succeeded int64
		}
	}
	waitFor(t, "3 attempts in the statistics", func() bool {
		points.Data = nil
		json.Unmarshal([]byte(s.run(t, Stats, "--endpoint", id, "--interval", "minute", "--since", "5m", "--output", "json")), &points)
		var n int64
		for _, p := range points.Data {
			n += p.Attempts
		}
		return n == 3
	})
	if len(points.Data) < 5 || len(points.Data) > 6 {
		t.Errorf("%d minute points over 5 minutes", len(points.Data))
	}

	table := s.run(t, Stats, "--interval", "hour", "--since", "3h")
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	if len(lines) < 5 || !strings.Contains(lines[0], "START (UTC)") || !strings.Contains(lines[0], "P95 MS") {
		t.Fatalf("stats table:\n%s", table)
	}
	total := strings.Fields(lines[len(lines)-1])
	if total[0] != "total" || total[1] != "3" || total[2] != "3" || total[3] != "0" || !strings.Contains(table, "100.0%") {
		t.Errorf("total line %q in\n%s", lines[len(lines)-1], table)
	}
}
