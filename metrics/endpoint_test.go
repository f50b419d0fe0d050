package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"hooks/domain"
	"hooks/store"
)

// TestPerEndpointSeriesStopAtTheLimit: the first endpoints get series of
// their own, every later one is counted under endpoint="_overflow", and
// an endpoint keeps its own series once it has them.
func TestPerEndpointSeriesStopAtTheLimit(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEndpointMetrics(reg, 2)
	outcome := func(id string) {
		e.outcome(store.Outcome{EndpointID: id, Status: domain.StatusSucceeded,
			Attempt: &domain.Attempt{StatusCode: 200, Duration: 10 * time.Millisecond}}, "2xx")
	}
	for _, id := range []string{"ep_a", "ep_b", "ep_c", "ep_a", "ep_d", "ep_c"} {
		outcome(id)
	}
	want := map[string]float64{"ep_a": 2, "ep_b": 1, OverflowEndpoint: 3}
	for id, n := range want {
		if got := testutil.ToFloat64(e.attempts.WithLabelValues(id, domain.StatusSucceeded, "2xx")); got != n {
			t.Errorf("attempts of %s = %v, want %v", id, got, n)
		}
	}
	if n := testutil.CollectAndCount(e.attempts); n != 3 {
		t.Errorf("%d attempt series, want 3 (two endpoints and the overflow)", n)
	}
	if n := testutil.CollectAndCount(e.latency); n != 3 {
		t.Errorf("%d latency histograms, want 3", n)
	}
}
