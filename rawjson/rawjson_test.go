package rawjson

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidAgreesWithEncodingJSON(t *testing.T) {
	tests := []string{
		`0`, `-0`, `1.5e+10`, `-12.50E-3`, `"x"`, `true`, `false`, `null`, `{}`, `[]`, ` [ ] `,
		`{"a": [1, {"b": null}], "c": "\u00e9\n\"\\\/\b\f\r\t"}`,
		`[1, "two", [3], {"4": 4}, true, false, null]`,
		"\"\xff invalid utf-8 is accepted, as json.Valid does\"",
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
		strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat("}", 200),
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth),
		strings.Repeat("[", maxNesting) + strings.Repeat("]", maxNesting),
		strings.Repeat("[", maxNesting+1) + strings.Repeat("]", maxNesting+1),
		``, ` `, `01`, `1.`, `.5`, `-`, `1e`, `+1`, `0x10`, `NaN`, `tru`, `nulls`, `"abc`, `"\x"`, `"\u12g4"`,
		"\"tab\tinside\"", `{"a" 1}`, `{"a":}`, `{"a":1,}`, `{,}`, `[1,]`, `[,1]`, `[1 2]`, `{1: 2}`, `{"a":1]`,
		`[1}`, `{} {}`, `[] x`, `"a" "b"`, `{"a":1}}`, `]`, `}`, `[`, `{`, `{"a"`, `{"a":`,
	}
	for _, in := range tests {
		if got, want := Valid([]byte(in)), json.Valid([]byte(in)); got != want {
			t.Errorf("Valid(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLookup(t *testing.T) {
	const doc = ` {"id": 17, "s": "a\"b", "e\u0078": "escaped key", "list": [10, {"k": [true]}, "x"], "o": {"a": {}, "b": []}, "dup": 1, "dup": 2} `
	tests := []struct {
		path []Seg
		want string
		ok   bool
	}{
		{nil, `{"id": 17, "s": "a\"b", "e\u0078": "escaped key", "list": [10, {"k": [true]}, "x"], "o": {"a": {}, "b": []}, "dup": 1, "dup": 2}`, true},
		{[]Seg{{"id", -1}}, `17`, true},
		{[]Seg{{"s", -1}}, `"a\"b"`, true},
		{[]Seg{{"ex", -1}}, `"escaped key"`, true},
		{[]Seg{{"list", -1}, {"1", 1}, {"k", -1}, {"0", 0}}, `true`, true},
		{[]Seg{{"list", -1}, {"2", 2}}, `"x"`, true},
		{[]Seg{{"list", -1}, {"3", 3}}, ``, false},
		{[]Seg{{"list", -1}, {"k", -1}}, ``, false},
		{[]Seg{{"o", -1}, {"b", -1}}, `[]`, true},
		{[]Seg{{"o", -1}, {"c", -1}}, ``, false},
		{[]Seg{{"id", -1}, {"x", -1}}, ``, false},
		{[]Seg{{"dup", -1}}, `1`, true},
		{[]Seg{{"missing", -1}}, ``, false},
	}
	for _, tt := range tests {
		steps := 0
		got, ok := Lookup([]byte(doc), tt.path, &steps)
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%v) = %s, %v; want %s, %v", tt.path, got, ok, tt.want, tt.ok)
		}
		if len(tt.path) > 0 && (steps <= 0 || steps > (len(doc)+8*MemberSteps)*len(tt.path)) {
			t.Errorf("Lookup(%v) counted %d steps", tt.path, steps)
		}
	}
}

func TestAppendStringRoundTrips(t *testing.T) {
	tests := []string{
		"", "plain", `"quoted" \back\slash`, "</script>&<>", "ctl \x00\x01\x1f\x7f \n\r\t",
		"\u2028\u2029", "é 日本語 🎉", "\xff\xfe", "a\xe2\x82", "\xed\xa0\x80",
	}
	for _, s := range tests {
		out := AppendString([]byte("x"), s)
		if out[0] != 'x' || !json.Valid(out[1:]) || !utf8.Valid(out) {
			t.Errorf("AppendString(%q) = %s, not valid JSON in UTF-8", s, out)
			continue
		}
		var got string
		if err := json.Unmarshal(out[1:], &got); err != nil {
			t.Fatal(err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); utf8.ValidString(s) && got != want {
			t.Errorf("AppendString(%q) decodes to %q", s, got)
		}
		if b := AppendString(nil, []byte(s)); string(b) != string(out[1:]) {
			t.Errorf("AppendString of bytes = %s, of string %s", b, out[1:])
		}
	}
}

func TestNumberLen(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"0", 1}, {"-0", 2}, {"01", 1}, {"12.5e-3x", 7}, {"1.", 1}, {"1e", 1}, {"-", 0}, {"x", 0}, {"", 0}, {"-1 ", 2},
	}
	for _, tt := range tests {
		if got := NumberLen(tt.in); got != tt.want {
			t.Errorf("NumberLen(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestUnquoteAgreesWithEncodingJSON(t *testing.T) {
	tests := []string{
		`""`, `"plain"`, `"a\"b\\c\/d"`, `"\b\f\n\r\t"`, `"\u00e9\u00E9 \u0000 \u2028"`,
		`"\ud83c\udf89 pair"`, `"\ud83c lone high"`, `"\udf89 lone low"`, `"\ud83c\u0041 high then not low"`,
		`"\ud83c\ud83c\udf89 high, pair"`, `"é 日本語 \"🎉\""`,
	}
	for _, in := range tests {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := Unquote([]byte(in)); got != want {
			t.Errorf("Unquote(%s) = %q, want %q", in, got, want)
		}
		if !keyIs([]byte(in), want) || keyIs([]byte(in), want+"x") || want != "" && keyIs([]byte(in), want[1:]) {
			t.Errorf("keyIs(%s) does not match exactly %q", in, want)
		}
	}
}

func TestLookupPastEscapedNamesAllocatesNothing(t *testing.T) {
	doc := []byte(`{` + strings.Repeat(`"\u0061":0,`, 1000) + `"b":1}`)
	allocs := testing.AllocsPerRun(10, func() {
		steps := 0
		if v, ok := Lookup(doc, []Seg{{Key: "b", Index: -1}}, &steps); !ok || string(v) != "1" {
			t.Fatalf("Lookup = %s, %v", v, ok)
		}
	})
	if allocs != 0 {
		t.Errorf("Lookup allocates %v times, want 0", allocs)
	}
}

// FuzzValid checks Valid against json.Valid, that Lookup never panics on
// what Valid accepts, and that Unquote decodes strings as encoding/json
// does. The seed corpus is in testdata/fuzz/FuzzValid.
func FuzzValid(f *testing.F) {
	f.Add([]byte(`{"a": [1, {"b": "\u00e9"}], "c": null}`), "a")
	f.Add([]byte(`"\ud83c\udf89 \ud83c \"x\""`), "")
	f.Fuzz(func(t *testing.T, b []byte, key string) {
		got, want := Valid(b), json.Valid(b)
		if got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid = %v", b, got, want)
		}
		if !got {
			return
		}
		steps := 0
		v, ok := Lookup(b, []Seg{{Key: key, Index: 0}, {Key: "0", Index: 0}}, &steps)
		if ok && !json.Valid(v) {
			t.Fatalf("Lookup(%q) = %q, not a JSON value", b, v)
		}
		// encoding/json also replaces invalid UTF-8, which Unquote keeps.
		if tok := TrimSpace(b); tok[0] == '"' && utf8.Valid(tok) {
			var want string
			json.Unmarshal(tok, &want)
			if got := Unquote(tok); got != want {
				t.Fatalf("Unquote(%s) = %q, want %q", tok, got, want)
			}
			if !keyIs(tok, want) {
				t.Fatalf("keyIs(%s, %q) = false", tok, want)
			}
		}
	})
}

var benchDoc = []byte(`{"id": "prod_123", "name": "Widget \"deluxe\"", "price": 12.5, "tags": ["a", "b", "c"],
 "customer": {"id": 42, "email": "ann@example.com", "address": {"street": "Main St 1", "city": "Amsterdam"}},
 "items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}], "notes": "` + strings.Repeat("lorem ipsum ", 60) + `"}`)

func BenchmarkValid(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for b.Loop() {
		if !Valid(benchDoc) {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkEncodingJSONValid(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(benchDoc) {
			b.Fatal("invalid")
		}
	}
}

func TestWalkStructure(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// each visited byte as c@depth
		{`{"a":[1,{"b":"}]\","}]}`, `{@1 :@1 [@2 1@2 ,@2 {@3 :@3 }@2 ]@1 }@0`},
		{` [ ] `, ` @0 [@1  @1 ]@0  @0`},
		{`]]`, `]@0 ]@0`},
		{`"unterminated {`, ``},
	} {
		var got []string
		WalkStructure(tc.in, func(i int, c byte, depth int) {
			if tc.in[i] != c {
				t.Errorf("%q: index %d is %q, visit got %q", tc.in, i, tc.in[i], c)
			}
			got = append(got, fmt.Sprintf("%c@%d", c, depth))
		})
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("%q: visited %q, want %q", tc.in, s, tc.want)
		}
	}
}
