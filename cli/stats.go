package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"hooks/client"
)

// Stats is "hooks stats": delivery statistics over time from a running
// server, as GET /api/v1/stats returns them.
func Stats(ctx context.Context, args []string, stdout, stderr io.Writer, version string) error {
	var a apiFlags
	var q client.StatsQuery
	var from, to string
	var since time.Duration
	fs := newFlagSet("hooks stats", stderr)
	a.define(fs)
	fs.StringVar(&q.WebhookID, "endpoint", "", "only this endpoint's attempts (wbh_…); default: the whole tenant's")
	fs.StringVar(&q.Interval, "interval", "hour", "bucket width: minute, hour or day")
	fs.DurationVar(&since, "since", 0, "the window ends now and starts this long ago (e.g. 6h); default: an hour of minutes, a day of hours or 30 days")
	fs.StringVar(&from, "from", "", "start of the window, RFC 3339 (instead of --since)")
	fs.StringVar(&to, "to", "", "end of the window, RFC 3339; default: now")
	if _, err := Parse(fs, args); err != nil {
		return err
	}
	for _, t := range []struct {
		name, value string
		dst         *time.Time
	}{{"from", from, &q.From}, {"to", to, &q.To}} {
		if t.value == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.value)
		if err != nil {
			return usageError(stderr, "--%s must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z", t.name)
		}
		*t.dst = v
	}
	if since > 0 {
		if q.To.IsZero() {
			q.To = time.Now()
		}
		q.From = q.To.Add(-since)
	}
	c, err := a.client(stderr, version)
	if err != nil {
		return err
	}
	points, err := c.Stats(ctx, q)
	if err != nil {
		return err
	}
	if a.output == "json" {
		return writeJSON(stdout, map[string]any{"data": points})
	}
	writeStatsTable(stdout, points, q.Interval)
	return nil
}

// writeStatsTable prints points as a table, times in UTC like the API's
// buckets, with a total line.
func writeStatsTable(w io.Writer, points []client.StatsPoint, interval string) {
	layout := "2006-01-02 15:04"
	if interval == "day" {
		layout = time.DateOnly
	}
	ms := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	rate := func(ok, n int64) string {
		if n == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(ok)/float64(n))
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "START (UTC)\tATTEMPTS\tOK\tFAILED\tTIMEOUT\tNETWORK\t4XX\t5XX\tOTHER\tSUCCESS\tP50 MS\tP95 MS\t")
	total := client.StatsPoint{FailedBy: map[string]int64{}}
	for _, p := range points {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", p.Start.UTC().Format(layout), p.Attempts, p.Succeeded, p.Failed,
			p.FailedBy["timeout"], p.FailedBy["network"], p.FailedBy["4xx"], p.FailedBy["5xx"], p.FailedBy["other"],
			rate(p.Succeeded, p.Attempts), ms(p.P50Ms), ms(p.P95Ms))
		total.Attempts += p.Attempts
		total.Succeeded += p.Succeeded
		total.Failed += p.Failed
		for class, n := range p.FailedBy {
			total.FailedBy[class] += n
		}
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\t\t\n", total.Attempts, total.Succeeded, total.Failed,
		total.FailedBy["timeout"], total.FailedBy["network"], total.FailedBy["4xx"], total.FailedBy["5xx"], total.FailedBy["other"],
		rate(total.Succeeded, total.Attempts))
	tw.Flush()
	// Right-aligned cells end in padding; lines should not.
	for line := range strings.Lines(buf.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
}
