package templates

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func nested(depth int, inner string) string {
	return strings.Repeat("[", depth) + inner + strings.Repeat("]", depth)
}

func TestPrettyJSONStaysWithinItsBounds(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		pretty   bool
		note     string
	}{
		{"deep as allowed", nested(MaxPrettyDepth, "1"), true, ""},
		{"one level deeper", nested(MaxPrettyDepth+1, "1"), false, "nested too deep"},
		{"20 KB nested 9,999 deep", nested(9999, ""), false, "nested too deep"},
		{"deep inside an object", `{"a":` + nested(100, "") + `}`, false, "nested too deep"},
		{"brackets in strings do not nest", `["` + strings.Repeat("[", 100) + `\"["]`, true, ""},
		{"largest formatted", `["` + strings.Repeat("x", MaxPrettyBytes-4) + `"]`, true, ""},
		{"too large", `["` + strings.Repeat("x", MaxPrettyBytes) + `"]`, false, "too large"},
		// 256 KiB of short values 64 levels deep: each line would carry
		// 128 spaces, 16 MB in all.
		{"too large once indented", nested(MaxPrettyDepth, strings.Repeat("1,", 100<<10)+"1"), false, "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := formatBody(tc.in)
			if f.JSON != tc.pretty || !strings.Contains(f.Note, tc.note) || (tc.note == "") != (f.Note == "") {
				t.Fatalf("JSON %v, note %q; want %v, %q", f.JSON, f.Note, tc.pretty, tc.note)
			}
			if !f.JSON && f.Text != tc.in {
				t.Fatalf("not formatted, but shown as %d bytes of %d", len(f.Text), len(tc.in))
			}
			if len(f.Text) > maxIndentedBytes {
				t.Fatalf("formatted to %d bytes", len(f.Text))
			}
		})
	}
}

func TestShownPartChargesThePageBudget(t *testing.T) {
	ctx := withPageBudget(context.Background())
	// Each '"' is 5 bytes once escaped: a value is cut by what it costs.
	quotes := strings.Repeat(`"`, MaxShownBytes)
	shown, more := shownPart(ctx, quotes)
	if len(shown) != MaxShownBytes/5 || more != len(quotes)-len(shown) {
		t.Fatalf("shown %d, more %d; want %d shown", len(shown), more, MaxShownBytes/5)
	}
	for range MaxPageShownBytes / MaxShownBytes {
		shownPart(ctx, strings.Repeat("x", MaxShownBytes))
	}
	if shown, more := shownPart(ctx, "after the budget"); shown != "" || more != len("after the budget") {
		t.Fatalf("after the budget: shown %q, more %d", shown, more)
	}
	// Without a page (a component rendered alone) only the value's cap applies.
	if shown, _ := shownPart(context.Background(), strings.Repeat("x", 2*MaxShownBytes)); len(shown) != MaxShownBytes {
		t.Fatalf("without a budget: shown %d", len(shown))
	}
	// A cut never splits a character.
	euro := strings.Repeat("€", MaxShownBytes)
	if shown, _ := shownPart(context.Background(), euro); !utf8.ValidString(shown) || len(shown) > MaxShownBytes {
		t.Fatalf("cut %d bytes, valid UTF-8 %v", len(shown), utf8.ValidString(shown))
	}
}

func TestBodyShowsCutValuesWithWhatIsLeftOut(t *testing.T) {
	var buf bytes.Buffer
	body := strings.Repeat("x", 3*MaxShownBytes)
	if err := Body("Event data", body, 0, false).Render(withPageBudget(context.Background()), &buf); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > MaxShownBytes+1024 || !strings.Contains(buf.String(), "… 262,144 more bytes not shown") {
		t.Fatalf("%d bytes: …%s", buf.Len(), buf.String()[max(buf.Len()-300, 0):])
	}
}

func FuzzPrettyJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[true,{}]}`, `[]`, `[[[]]]`, ` {"x": "[{\"}"} `, nested(70, ""), `{"a":`, "<p>", `"s"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := PrettyJSON(s)
		if !ok {
			if out != s {
				t.Fatalf("not formatted but changed: %q → %q", s, out)
			}
			return
		}
		trimmed := strings.TrimSpace(s) // as PrettyJSON trims it
		depth, bound := jsonShape(trimmed)
		if !json.Valid([]byte(trimmed)) || depth > MaxPrettyDepth || len(out) > bound || len(out) > maxIndentedBytes {
			t.Fatalf("formatted %q (depth %d) to %d bytes, bound %d", s, depth, len(out), bound)
		}
		var want bytes.Buffer
		if err := json.Indent(&want, []byte(trimmed), "", "  "); err != nil || want.String() != out {
			t.Fatalf("PrettyJSON(%q) = %q, json.Indent gives %q, %v", s, out, want.String(), err)
		}
	})
}
