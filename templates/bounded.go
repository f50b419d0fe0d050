package templates

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/a-h/templ"

	"hooks/rawjson"
)

// Pages show stored values that someone else chose: event data posted with
// any API key, and receivers' answers. What one value can cost a page is
// bounded here, so that no stored value makes a page large or slow.
const (
	// MaxPrettyBytes is the largest JSON value that is indented. Webhook
	// payloads are a few KiB; 256 KiB leaves room for big ones, and
	// anything larger (the API accepts 1 MiB) is shown as received.
	MaxPrettyBytes = 256 << 10
	// MaxPrettyDepth is the deepest nesting that is indented. Every level
	// adds two spaces to each line below it, so depth, not size, is what
	// grows the indented text: 20 KB of "[[[[…]]]]" nested 9,999 deep
	// indents to 200 MB. Real documents nest a dozen levels or so.
	MaxPrettyDepth = 64
	// maxIndentedBytes bounds the indented text itself: 256 KiB of short
	// values 64 levels deep would otherwise indent to tens of MB.
	maxIndentedBytes = 1 << 20

	// MaxShownBytes is how much of one stored value a page shows, counted
	// as HTML-escaped bytes: a 64 KiB response body (all hooks keeps)
	// usually fits whole.
	MaxShownBytes = 128 << 10
	// MaxPageShownBytes is how much of all stored values together one page
	// shows, so that a delivery with many attempts stays a page of about
	// a megabyte whatever its bodies and headers are.
	MaxPageShownBytes = 1 << 20
	// maxShownHeaders is how many lines a headers table shows.
	maxShownHeaders = 200
	// headerRowCost is what a table row's markup costs the page beyond
	// its text.
	headerRowCost = 64
)

// formattedBody is a stored body as a page shows it.
type formattedBody struct {
	Text string // indented JSON, or the body as received
	JSON bool   // Text is indented JSON
	Note string // why a JSON-looking body is shown as received, or ""
}

// formatBody indents body when it is a JSON object or array within the
// bounds above, and otherwise returns it as received, with a note when it
// looked like JSON.
func formatBody(body string) formattedBody {
	trimmed := strings.TrimSpace(body)
	if trimmed == "" || (trimmed[0] != '{' && trimmed[0] != '[') {
		return formattedBody{Text: body}
	}
	if len(trimmed) > MaxPrettyBytes {
		return formattedBody{Text: body, Note: "Shown as received: too large to format."}
	}
	// The scan is one pass with no allocation; only a value it clears is
	// validated and indented.
	depth, indented := jsonShape(trimmed)
	if depth > MaxPrettyDepth {
		return formattedBody{Text: body, Note: "Shown as received: nested too deep to format."}
	}
	if indented > maxIndentedBytes {
		return formattedBody{Text: body, Note: "Shown as received: too large to format."}
	}
	if !json.Valid([]byte(trimmed)) {
		return formattedBody{Text: body}
	}
	var buf bytes.Buffer
	buf.Grow(indented)
	if err := json.Indent(&buf, []byte(trimmed), "", "  "); err != nil {
		return formattedBody{Text: body}
	}
	return formattedBody{Text: buf.String(), JSON: true}
}

// PrettyJSON indents s if it is a JSON object or array within
// MaxPrettyBytes and MaxPrettyDepth, and reports whether it did; otherwise
// it returns s unchanged.
func PrettyJSON(s string) (string, bool) {
	f := formatBody(s)
	return f.Text, f.JSON
}

// jsonShape scans JSON text s and returns its deepest nesting and an upper
// bound of its length once indented by json.Indent with two spaces: every
// bracket and comma starts a new line indented by its depth, and every
// colon gains a space. Whitespace between tokens is not counted, as Indent
// drops it. s need not be valid; the numbers are then meaningless.
func jsonShape(s string) (depth, indented int) {
	space, added := 0, 0
	rawjson.WalkStructure(s, func(_ int, c byte, d int) {
		switch c {
		case ' ', '\t', '\n', '\r':
			space++
		case '{', '[':
			depth = max(depth, d)
			added += 1 + 2*d
		case '}', ']', ',':
			added += 1 + 2*d
		case ':':
			added++
		}
	})
	return depth, len(s) - space + added
}

// pageBudget is what a page may still show of stored values, in
// HTML-escaped bytes. The layout puts a fresh one in the context of each
// page it renders.
type pageBudget struct{ left int }

type budgetKey struct{}

// withPageBudget gives ctx a fresh budget of MaxPageShownBytes.
func withPageBudget(ctx context.Context) context.Context {
	return context.WithValue(ctx, budgetKey{}, &pageBudget{left: MaxPageShownBytes})
}

// shownLimit is how many escaped bytes the next value may take: at most
// MaxShownBytes, and what the page has left when there is a budget.
func shownLimit(ctx context.Context) (int, *pageBudget) {
	b, _ := ctx.Value(budgetKey{}).(*pageBudget)
	if b == nil {
		return MaxShownBytes, nil
	}
	return max(min(MaxShownBytes, b.left), 0), b
}

// shownPart returns the start of s that the page shows and charges it to
// the page's budget; more is how many bytes of s are left out.
func shownPart(ctx context.Context, s string) (shown string, more int) {
	limit, b := shownLimit(ctx)
	shown, cost := clipEscaped(s, limit)
	if b != nil {
		b.left -= cost
	}
	return shown, len(s) - len(shown)
}

// clipEscaped returns the longest start of s, cut at a UTF-8 boundary,
// that is at most limit bytes once HTML-escaped, and that escaped size.
func clipEscaped(s string, limit int) (string, int) {
	cost := 0
	for i := 0; i < len(s); i++ {
		c := escapedSize(s[i])
		if cost+c > limit {
			for i > 0 && !utf8.RuneStart(s[i]) {
				i--
			}
			return s[:i], cost
		}
		cost += c
	}
	return s, cost
}

// escapedSize is the length of byte c once escaped as templ escapes text
// and attributes (html.EscapeString).
func escapedSize(c byte) int {
	switch c {
	case '<', '>':
		return 4 // &lt; &gt;
	case '&', '"', '\'':
		return 5 // &amp; &#34; &#39;
	}
	return 1
}

// shownHeaders returns the headers a table shows, their values cut to the
// page's budget, and how many lines it leaves out.
func shownHeaders(ctx context.Context, headers []Header) (shown []Header, hidden int) {
	for i, h := range headers {
		limit, b := shownLimit(ctx)
		if i == maxShownHeaders || limit < headerRowCost+len(h.Name) {
			return shown, len(headers) - i
		}
		name, nameCost := clipEscaped(h.Name, limit)
		value, valueCost := clipEscaped(h.Value, limit-nameCost)
		if len(value) < len(h.Value) {
			value += "…"
		}
		if b != nil {
			b.left -= headerRowCost + nameCost + valueCost
		}
		shown = append(shown, Header{Name: name, Value: value})
	}
	return shown, 0
}

// clipped shows as much of a stored value s as the page's budget allows,
// then how many bytes it leaves out (unread more were not even read). It
// writes no whitespace of its own, as it goes inside <pre>.
func clipped(s string, unread int) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		shown, more := shownPart(ctx, s)
		if _, err := io.WriteString(w, templ.EscapeString(shown)); err != nil {
			return err
		}
		if more+unread == 0 {
			return nil
		}
		_, err := io.WriteString(w, `<span class="clip-note">… `+plural(more+unread, "more byte", "more bytes")+` not shown</span>`)
		return err
	})
}
