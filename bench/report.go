package bench

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"hooks/store"
)

// WriteTable prints the result as a two-column table.
func (r *Result) WriteTable(w io.Writer) error {
	c := r.Config
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", name, fmt.Sprintf(format, args...))
	}
	if c.Baseline {
		r.writeBaselineTable(row)
		return tw.Flush()
	}

	target := r.Target
	if r.Target == "in-process" {
		backend := "SQLite"
		if store.IsPostgresURL(c.DB) {
			backend = "PostgreSQL"
		}
		receiver := "receiver on loopback"
		if c.Destination != "" {
			receiver = "consumer of the broker"
		}
		target = fmt.Sprintf("in-process server (%s, %d workers), %s", backend, c.Workers, receiver)
	}
	row("target", "%s, %d CPUs", target, r.CPUs)
	if r.Tracing != "" {
		row("tracing", "on: every span exported over OTLP/HTTP to %s (OTEL_* variables)", r.Tracing)
	}
	if c.Destination != "" {
		row("destination", "%s at %s, every endpoint; consumed in this process", c.Destination, redactURL(c.BrokerURL))
	}
	endpoints := fmt.Sprintf("fan-out %d", c.Fanout)
	if c.FailEndpoints > 0 {
		endpoints += fmt.Sprintf(" + %d answering 500", c.FailEndpoints)
	}
	if c.HangEndpoints > 0 {
		endpoints += fmt.Sprintf(" + %d hanging (timeout %s)", c.HangEndpoints, c.Timeout)
	}
	how := "1 event per request"
	if c.Batch > 1 {
		how = fmt.Sprintf("batches of %d", c.Batch)
	}
	rate := "as fast as accepted"
	if c.Rate > 0 {
		rate = count(uint64(c.Rate)) + " events/s"
	}
	if c.Backlog > 0 {
		row("load", "backlog of %s deliveries queued with the receiver down, then drained; %s, %s, %d B payload",
			count(uint64(c.Backlog)), endpoints, how, c.PayloadBytes)
	} else {
		length := c.Duration.String()
		if c.Events > 0 {
			length = count(uint64(c.Events)) + " events"
		}
		row("load", "%s, %s, %s, %s, %d B payload, %d connections", length, endpoints, rate, how, c.PayloadBytes, c.Concurrency)
	}
	if len(c.Signing) > 0 {
		row("signing", "%s on every endpoint", strings.Join(c.Signing, " + "))
	}
	if c.Filter != "" {
		row("filter", "%s on every endpoint", c.Filter)
	}
	row("", "")

	row("events accepted", "%s in %s = %s/s", count(r.EventsAccepted), secs(r.Posting), perSec(r.EventsAccepted, r.Posting))
	if c.Backlog > 0 {
		row("backlog pending", "%s deliveries, RSS %s", count(r.BacklogDeliveries), mib(r.RSSFull))
		row("drain (receiver back)", "%s deliveries in %s = %s/s", count(r.Completed), secs(r.DrainTime), perSec(r.Completed, r.DrainTime))
		row("order (oldest first)", "each first attempt was created p50 %s, p99 %s, max %s before the newest delivered so far",
			ms(r.Behind.Quantile(0.5)), ms(r.Behind.Quantile(0.99)), ms(r.Behind.Max()))
	} else {
		what := "2xx, attempt recorded"
		if r.Target != "in-process" {
			what = "2xx at the receiver"
		}
		row("deliveries completed", "%s in %s = %s/s  (%s)", count(r.Completed), secs(r.Elapsed), perSec(r.Completed, r.Elapsed), what)
		row("latency post→first attempt", "%s", spread(r.Latency))
	}
	row("API ingest request", "p50 %s  p99 %s  max %s", ms(r.Ingest.Quantile(0.5)), ms(r.Ingest.Quantile(0.99)), ms(r.Ingest.Max()))
	for _, p := range r.Probes {
		when := ""
		if p.Name != "" {
			when = " (" + p.Name + ")"
		}
		for _, h := range []struct {
			name string
			h    *Histogram
		}{{"API list deliveries", &p.List}, {"API create event", &p.Create}} {
			if h.h.Count() > 0 {
				row(h.name+when, "p50 %s  p99 %s  max %s  (%s probes)", ms(h.h.Quantile(0.5)), ms(h.h.Quantile(0.99)),
					ms(h.h.Max()), count(h.h.Count()))
			}
		}
	}
	errs := r.APIErrors + r.ProbeErrors + r.Missing + r.Duplicates + r.BadSigs
	detail := fmt.Sprintf("API %s, missing %s, duplicate %s, bad signature %s (%s checked)",
		count(r.APIErrors+r.ProbeErrors), count(r.Missing), count(r.Duplicates), count(r.BadSigs), count(r.Verified+r.BadSigs))
	row("errors", "%s  (%s)", count(errs), detail)
	if c.FailEndpoints > 0 || c.HangEndpoints > 0 {
		row("bad endpoints", "%s attempts answered 500, %s left hanging", count(r.Answered500), count(r.Hung))
	}
	if r.Retrying > 0 {
		row("waiting for retry", "%s deliveries attempted while the receiver was down", count(r.Retrying))
	}
	if r.FirstError != "" {
		row("first error", "%s", r.FirstError)
	}
	if r.Target == "in-process" {
		row("peak RSS", "%s  (whole process: server, receiver and load)", mib(r.PeakRSS))
		if r.CPU > 0 && r.Completed > 0 {
			row("CPU", "%s (whole process)", r.cpuPer("delivery"))
		}
	}
	return tw.Flush()
}

// spread formats h's median, p90, p99 and maximum.
func spread(h *Histogram) string {
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s", ms(h.Quantile(0.5)), ms(h.Quantile(0.9)), ms(h.Quantile(0.99)), ms(h.Max()))
}

// cpuPer formats the run's CPU time, the cores it kept busy, and its
// share per completed unit (a delivery, or the baseline's request).
func (r *Result) cpuPer(unit string) string {
	return fmt.Sprintf("%s in %s = %.2f cores; %.0f µs per %s", secs(r.CPU), secs(r.Elapsed),
		r.CPU.Seconds()/r.Elapsed.Seconds(), float64(r.CPU.Microseconds())/float64(r.Completed), unit)
}

// count formats n with thousands separators.
func count(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func perSec(n uint64, d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return count(uint64(float64(n)/d.Seconds() + 0.5))
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// ms formats a latency with a sensible precision.
func ms(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// redactURL hides the password of a broker URL in the report.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}
