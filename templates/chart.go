package templates

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Chart geometry, in SVG user units. The SVG scales to its container through
// its viewBox, so the width only fixes the aspect ratio and the label size:
// pages draw a wide variant for desktops and a narrow one for phones, so the
// labels stay readable at both.
const (
	chartWide   = 560.0
	chartNarrow = 340.0
	chartPage   = 1100.0 // a chart across a whole page (the portal's delivery log)
	chartH      = 200.0
	chartLeft   = 50.0
	chartRight  = 6.0
	chartTop    = 10.0
	chartBottom = 26.0
)

// chartTick is one labelled grid line or axis label.
type chartTick struct {
	Pos   float64 // y for the value axis, x for the time axis
	Label string
}

// chartBar is one stacked bar: succeeded at the bottom, failed above it.
type chartBar struct {
	X, W         float64
	OkY, OkH     float64
	FailY, FailH float64
	HitY, HitH   float64 // the hover target: the whole column
	Title        string
}

// barChart is the deliveries-per-bucket chart, ready to draw.
type barChart struct {
	W      float64 // viewBox width
	Bars   []chartBar
	YTicks []chartTick
	XTicks []chartTick
	Max    int
	Total  int
	Unit   string // "minute", "5 minutes", …
}

// lineChart is the latency chart, ready to draw.
type lineChart struct {
	W        float64  // viewBox width
	P50, P95 []string // polyline point lists, one per unbroken run
	Dots     []chartBar
	YTicks   []chartTick
	XTicks   []chartTick
	Empty    bool
}

func plotW(w float64) float64 { return w - chartLeft - chartRight }
func plotH() float64          { return chartH - chartTop - chartBottom }

// niceCeil rounds v up to 1, 2 or 5 × 10ⁿ so that the value axis reads well.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	exp := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*exp {
			return m * exp
		}
	}
	return 10 * exp
}

// valueTicks returns four grid lines from 0 to max.
func valueTicks(max float64, format func(float64) string) []chartTick {
	ticks := make([]chartTick, 0, 5)
	for i := 0; i <= 4; i++ {
		v := max * float64(i) / 4
		ticks = append(ticks, chartTick{Pos: chartTop + plotH() - plotH()*float64(i)/4, Label: format(v)})
	}
	return ticks
}

// timeTicks labels evenly spaced buckets with their UTC start time, about
// one label per 90 units of width.
func timeTicks(starts []time.Time, w float64, center func(i int) float64) []chartTick {
	n := len(starts)
	if n == 0 {
		return nil
	}
	labels := max(int(plotW(w)/90), 2)
	step := (n + labels - 1) / labels
	var ticks []chartTick
	for i := 0; i < n; i += step {
		layout := "15:04"
		if n > 1 && starts[n-1].Sub(starts[0]) > 36*time.Hour {
			layout = "Jan 2"
		}
		ticks = append(ticks, chartTick{Pos: center(i), Label: starts[i].UTC().Format(layout)})
	}
	return ticks
}

func bucketUnit(starts []time.Time) string {
	if len(starts) < 2 {
		return "minute"
	}
	d := starts[1].Sub(starts[0])
	switch {
	case d == time.Minute:
		return "minute"
	case d == time.Hour:
		return "hour"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	}
	return strconv.Itoa(int(d/time.Minute)) + " minutes"
}

func countLabel(v float64) string {
	if v >= 1000 {
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// msLabels returns the value-axis formatter for a latency axis topping at
// top: seconds when the axis reaches a second, milliseconds below.
func msLabels(top float64) func(float64) string {
	if top >= 1000 {
		return func(v float64) string { return strconv.FormatFloat(v/1000, 'f', -1, 64) + " s" }
	}
	return msLabel
}

func msLabel(v float64) string {
	if v >= 1000 {
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + " s"
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + " ms"
}

// newBarChart lays out the stacked deliveries chart.
func newBarChart(buckets []ThroughputBucket, w float64) barChart {
	c := barChart{W: w}
	n := len(buckets)
	starts := make([]time.Time, n)
	for i, b := range buckets {
		starts[i] = b.Start
		if t := b.Succeeded + b.Failed; t > c.Max {
			c.Max = t
		}
		c.Total += b.Succeeded + b.Failed
	}
	c.Unit = bucketUnit(starts)
	top := niceCeil(float64(max(c.Max, 4)))
	c.YTicks = valueTicks(top, countLabel)
	if n == 0 {
		return c
	}
	slot := plotW(w) / float64(n)
	gap := math.Min(slot*0.25, 3)
	scale := plotH() / top
	base := chartTop + plotH()
	for i, b := range buckets {
		okH := float64(b.Succeeded) * scale
		failH := float64(b.Failed) * scale
		x := chartLeft + float64(i)*slot + gap/2
		c.Bars = append(c.Bars, chartBar{
			X: x, W: slot - gap,
			OkY: base - okH, OkH: okH,
			FailY: base - okH - failH, FailH: failH,
			HitY: chartTop, HitH: plotH(),
			Title: b.Start.UTC().Format("15:04") + " UTC: " + FormatCount(b.Succeeded) + " succeeded, " + FormatCount(b.Failed) + " failed",
		})
	}
	c.XTicks = timeTicks(starts, w, func(i int) float64 { return chartLeft + (float64(i)+0.5)*slot })
	return c
}

// newLineChart lays out the p50/p95 latency chart; buckets without attempts
// break the lines instead of dropping them to zero.
func newLineChart(buckets []LatencyBucket, w float64) lineChart {
	c := lineChart{W: w, Empty: true}
	n := len(buckets)
	starts := make([]time.Time, n)
	top := 0.0
	for i, b := range buckets {
		starts[i] = b.Start
		if b.Count > 0 {
			c.Empty = false
			top = math.Max(top, math.Max(b.P50Ms, b.P95Ms))
		}
	}
	top = niceCeil(math.Max(top, 1))
	c.YTicks = valueTicks(top, msLabels(top))
	if n == 0 {
		return c
	}
	slot := plotW(w) / float64(n)
	x := func(i int) float64 { return chartLeft + (float64(i)+0.5)*slot }
	y := func(v float64) float64 { return chartTop + plotH() - v/top*plotH() }
	var p50, p95 []string
	flush := func() {
		if len(p50) > 0 {
			c.P50 = append(c.P50, strings.Join(p50, " "))
			c.P95 = append(c.P95, strings.Join(p95, " "))
		}
		p50, p95 = nil, nil
	}
	for i, b := range buckets {
		if b.Count == 0 {
			flush()
			continue
		}
		p50 = append(p50, svgNum(x(i))+","+svgNum(y(b.P50Ms)))
		p95 = append(p95, svgNum(x(i))+","+svgNum(y(b.P95Ms)))
		c.Dots = append(c.Dots, chartBar{
			X: chartLeft + float64(i)*slot, W: slot, HitY: chartTop, HitH: plotH(),
			OkY: y(b.P50Ms), FailY: y(b.P95Ms),
			Title: b.Start.UTC().Format("15:04") + " UTC: p50 " + FormatMs(b.P50Ms) + ", p95 " + FormatMs(b.P95Ms) + " (" + FormatCount(b.Count) + " attempts)",
		})
	}
	flush()
	c.XTicks = timeTicks(starts, w, x)
	return c
}

// svgNum prints a coordinate with one decimal at most.
func svgNum(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// viewBox is the SVG viewBox of a chart of width w.
func viewBox(w float64) string { return "0 0 " + svgNum(w) + " " + svgNum(chartH) }
