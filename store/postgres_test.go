package store

import (
	"strings"
	"testing"
)

func TestRebindPlaceholders(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"none", `SELECT 1`, `SELECT 1`},
		{"in order", `SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{"numbered", `UPDATE t SET a = ?3, b = ?10 WHERE id = ?1`, `UPDATE t SET a = $3, b = $10 WHERE id = $1`},
		{"string literal", `SELECT '?', ? FROM t WHERE x = 'it''s ?'`, `SELECT '?', $1 FROM t WHERE x = 'it''s ?'`},
		{"quoted name", `SELECT "a?" FROM t WHERE b = ?`, `SELECT "a?" FROM t WHERE b = $1`},
		{"comment", "-- what's this? nothing\nSELECT ?", "-- what's this? nothing\nSELECT $1"},
		{"cast", `SELECT json_array_elements_text(?::json)`, `SELECT json_array_elements_text($1::json)`},
		{"unterminated", `SELECT ? 'x?`, `SELECT $1 'x?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rebind(tt.in); got != tt.want {
				t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzRebind checks that rebinding only ever replaces placeholders: the
// text outside them is kept, and no `?` is left outside quotes.
func FuzzRebind(f *testing.F) {
	for _, s := range []string{`SELECT ?`, `a = ?3 AND b = '?'`, "-- ?\n?", `"?" ?`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := rebind(q)
		if !strings.Contains(q, "?") {
			if got != q {
				t.Fatalf("rebind changed %q without placeholders to %q", q, got)
			}
			return
		}
		strip := func(s string) string {
			return strings.Map(func(r rune) rune {
				if r == '?' || r == '$' || (r >= '0' && r <= '9') {
					return -1
				}
				return r
			}, s)
		}
		if strip(got) != strip(q) {
			t.Fatalf("rebind(%q) = %q changed more than placeholders", q, got)
		}
	})
}
