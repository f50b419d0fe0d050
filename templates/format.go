package templates

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ExactTimeLayout is how exact timestamps are shown (always UTC).
const ExactTimeLayout = "2006-01-02 15:04:05 UTC"

// RelativeTime describes t relative to now in a few words: "just now",
// "5 min ago", "in 3 h", "Mar 4, 2025". app.js applies the same rules when it
// refreshes <time data-relative> elements.
func RelativeTime(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		if future {
			return "in a few seconds"
		}
		return "just now"
	case d < 90*time.Second:
		s = "1 min"
	case d < time.Hour:
		s = strconv.Itoa(int((d+30*time.Second)/time.Minute)) + " min"
	case d < 24*time.Hour:
		s = strconv.Itoa(int((d+30*time.Minute)/time.Hour)) + " h"
	case d < 30*24*time.Hour:
		s = strconv.Itoa(int((d+12*time.Hour)/(24*time.Hour))) + " d"
	default:
		return t.UTC().Format("Jan 2, 2006")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// ExactTime formats t in UTC with seconds, for tooltips and detail lists.
func ExactTime(t time.Time) string {
	return t.UTC().Format(ExactTimeLayout)
}

// ReceiverAnswer is a receiver's structured reply:
// {"Success":bool,"HTMLResponse":"…","AsyncCallback":{…}}.
type ReceiverAnswer struct {
	Success       *bool
	HTMLResponse  string
	AsyncCallback *AsyncCallback
}

// AsyncCallback is the poll request a receiver may answer with.
type AsyncCallback struct {
	URI               string
	StartAfterSeconds int
	IntervalSeconds   int
}

// ParseReceiverAnswer reads a response body as a receiver answer; ok is false
// when the body has neither Success nor HTMLResponse nor AsyncCallback.
func ParseReceiverAnswer(body string) (a ReceiverAnswer, ok bool) {
	trimmed := strings.TrimSpace(body)
	if !strings.HasPrefix(trimmed, "{") {
		return a, false
	}
	var raw struct {
		Success       *bool          `json:"Success"`
		HTMLResponse  *string        `json:"HTMLResponse"`
		AsyncCallback *AsyncCallback `json:"AsyncCallback"`
	}
	if err := json.Unmarshal([]byte(trimmed), &raw); err != nil {
		return a, false
	}
	if raw.Success == nil && raw.HTMLResponse == nil && raw.AsyncCallback == nil {
		return a, false
	}
	a.Success, a.AsyncCallback = raw.Success, raw.AsyncCallback
	if raw.HTMLResponse != nil {
		a.HTMLResponse = *raw.HTMLResponse
	}
	return a, true
}

// FormatCount prints n with thousands separators: 12,345.
func FormatCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// FormatPercent prints a 0–1 rate as a percentage with at most one decimal,
// never rounding a rate below 1 up to "100%".
func FormatPercent(rate float64) string {
	p := rate * 100
	switch {
	case p >= 100:
		return "100%"
	case p >= 99.95:
		return "99.9%"
	case p == float64(int(p)):
		return strconv.Itoa(int(p)) + "%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// FormatMs prints a duration in milliseconds: "0.4 ms", "183 ms", "1.25 s".
func FormatMs(ms float64) string {
	switch {
	case ms < 10 && ms != float64(int64(ms)):
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	case ms < 10000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	}
	return strconv.FormatFloat(ms/1000, 'f', 1, 64) + " s"
}

// FormatSeconds prints a number of seconds the way retry policies are read:
// "30 s", "5 min", "1 h".
func FormatSeconds(s int) string {
	switch {
	case s > 0 && s%3600 == 0:
		return strconv.Itoa(s/3600) + " h"
	case s > 0 && s%60 == 0:
		return strconv.Itoa(s/60) + " min"
	}
	return strconv.Itoa(s) + " s"
}

// dateTimeLocalLayout is the value format of <input type="datetime-local">.
const dateTimeLocalLayout = "2006-01-02T15:04"

// DateTimeLocal formats t (in UTC) as a datetime-local input value.
func DateTimeLocal(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateTimeLocalLayout)
}

// ParseDateTimeLocal reads a datetime-local input value as UTC. It also
// accepts seconds and RFC 3339, which a hand-edited URL may carry.
func ParseDateTimeLocal(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{dateTimeLocalLayout, "2006-01-02T15:04:05", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time like 2006-01-02T15:04", s)
}

type nowKey struct{}

// withNow records the reference time for relative timestamps in ctx.
func withNow(ctx context.Context, now time.Time) context.Context {
	return context.WithValue(ctx, nowKey{}, now)
}

// nowFrom returns the reference time recorded by the layout, or time.Now().
func nowFrom(ctx context.Context) time.Time {
	if t, ok := ctx.Value(nowKey{}).(time.Time); ok && !t.IsZero() {
		return t
	}
	return time.Now()
}
