package templates

import (
	"strings"
	"testing"
	"time"
)

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.3: 0.5, 4: 5, 7: 10, 12: 20, 180: 200, 260: 500, 1000: 1000, 1001: 2000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestBarChartStaysInsideThePlot(t *testing.T) {
	start := time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)
	var b []ThroughputBucket
	for i := range 60 {
		b = append(b, ThroughputBucket{Start: start.Add(time.Duration(i) * time.Minute), Succeeded: i * 7, Failed: i % 5})
	}
	for _, w := range []float64{chartWide, chartNarrow} {
		c := newBarChart(b, w)
		if len(c.Bars) != 60 || c.Unit != "minute" || c.Max != 59*7+4 {
			t.Fatalf("bars=%d unit=%q max=%d", len(c.Bars), c.Unit, c.Max)
		}
		for _, bar := range c.Bars {
			if bar.X < chartLeft || bar.X+bar.W > w-chartRight+0.01 || bar.FailY < chartTop-0.01 || bar.OkY+bar.OkH > chartTop+plotH()+0.01 {
				t.Fatalf("bar outside the plot: %+v", bar)
			}
		}
		if last := c.YTicks[len(c.YTicks)-1]; last.Label != "500" || last.Pos != chartTop {
			t.Errorf("top tick = %+v", last)
		}
		if n := len(c.XTicks); n < 2 || n > int(plotW(w)/90)+1 {
			t.Errorf("%d time labels at width %v", n, w)
		}
		if !strings.HasPrefix(c.Bars[0].Title, "15:00 UTC: 0 succeeded, 0 failed") {
			t.Errorf("title = %q", c.Bars[0].Title)
		}
	}
	if c := newBarChart(nil, chartWide); c.Total != 0 || len(c.Bars) != 0 || len(c.YTicks) != 5 {
		t.Errorf("empty chart = %+v", c)
	}
}

func TestLineChartBreaksOnEmptyBuckets(t *testing.T) {
	start := time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)
	var b []LatencyBucket
	for i := range 10 {
		lb := LatencyBucket{Start: start.Add(time.Duration(i) * time.Minute), P50Ms: 40, P95Ms: 1500, Count: 10}
		if i == 4 {
			lb.Count = 0
		}
		b = append(b, lb)
	}
	c := newLineChart(b, chartWide)
	if len(c.P50) != 2 || len(c.P95) != 2 || len(c.Dots) != 9 || c.Empty {
		t.Fatalf("runs=%d/%d dots=%d empty=%v", len(c.P50), len(c.P95), len(c.Dots), c.Empty)
	}
	if got := c.YTicks[len(c.YTicks)-1].Label; got != "2 s" {
		t.Errorf("top latency tick = %q", got)
	}
	if !newLineChart(nil, chartWide).Empty {
		t.Error("no buckets is not empty")
	}
}
