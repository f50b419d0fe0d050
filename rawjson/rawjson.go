// Package rawjson holds the JSON primitives that rendering an envelope needs
// on its hot path: checking that event data is JSON, finding a member inside
// it without decoding it, and encoding strings. All of them work on the bytes
// in place and none allocates in the common case, which encoding/json can't
// promise.
package rawjson

import (
	"bytes"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string.
func AppendString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	dst = AppendEscaped(dst, s)
	return append(dst, '"')
}

// AppendEscaped appends s escaped for use between the quotes of a JSON
// string. Invalid UTF-8 becomes U+FFFD. U+2028 and U+2029 are escaped too,
// because JavaScript engines before ES2019 end a string at them. HTML
// characters are not escaped: the body is JSON for a receiver, and whatever
// shows it in a page escapes it there.
func AppendEscaped[S ~string | ~[]byte](dst []byte, s S) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		// Converting at most 4 bytes for a call that keeps no reference
		// does not allocate.
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}

// IsSpace reports whether c is JSON white space.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// NumberLen returns the length of the JSON number at the start of s, or 0
// if s does not start with one.
func NumberLen[S ~string | ~[]byte](s S) int {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return 0
	}
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		for i += 2; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for i = j + 1; i < len(s) && isDigit(s[i]); i++ {
			}
		}
	}
	return i
}

// maxDepth is the nesting that Valid keeps track of in its frame; deeper
// documents grow the stack on the heap. maxNesting is the deepest that
// encoding/json accepts. (Handing deep documents to json.Valid made a 1 MiB
// event nested 9,990 deep cost 4 ns a byte to check, ten times as much.)
const (
	maxDepth   = 64
	maxNesting = 10000
)

// Valid reports whether b is one JSON value, as json.Valid does (which,
// like it, does not check the UTF-8 inside strings), several times faster.
func Valid(b []byte) bool {
	var frame [maxDepth]byte
	stack := frame[:0] // the open '{' and '['
	depth := 0
	i := skipSpace(b, 0)
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return false
		}
		closed := true
		switch c := b[i]; c {
		case '{', '[':
			if depth == maxNesting {
				return false
			}
			stack = append(stack[:depth], c)
			depth++
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				depth--
				i++
			} else if c == '{' {
				if i = member(b, i); i < 0 {
					return false
				}
				closed = false
			} else {
				closed = false
			}
		case '"':
			if i = stringEnd(b, i); i < 0 {
				return false
			}
		case 't':
			if !bytes.HasPrefix(b[i:], []byte("true")) {
				return false
			}
			i += 4
		case 'f':
			if !bytes.HasPrefix(b[i:], []byte("false")) {
				return false
			}
			i += 5
		case 'n':
			if !bytes.HasPrefix(b[i:], []byte("null")) {
				return false
			}
			i += 4
		default:
			n := NumberLen(b[i:])
			if n == 0 {
				return false
			}
			i += n
		}
		if !closed {
			continue
		}
		// A value ended at b[i]: close containers until one continues.
		for {
			i = skipSpace(b, i)
			if depth == 0 {
				return i == len(b)
			}
			if i >= len(b) {
				return false
			}
			open := stack[depth-1]
			if b[i] == open+2 {
				depth--
				i++
				continue
			}
			if b[i] != ',' {
				return false
			}
			i = skipSpace(b, i+1)
			if open == '{' {
				if i = member(b, i); i < 0 {
					return false
				}
			}
			break
		}
	}
}

// member checks the `"name":` of an object member at b[i] and returns the
// index of its value, or -1.
func member(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	if i = stringEnd(b, i); i < 0 {
		return -1
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return skipSpace(b, i+1)
}

// stringEnd checks the JSON string at b[i] and returns the index just after
// it, or -1.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+6 > len(b) {
					return -1
				}
				for _, h := range b[i+2 : i+6] {
					if !isDigit(h) && (h|0x20 < 'a' || h|0x20 > 'f') {
						return -1
					}
				}
				i += 5
			default:
				return -1
			}
		}
	}
	return -1
}

// The functions below skip over JSON that Valid has accepted. They still
// check every index, so that invalid input costs a wrong answer, not a panic.

// skipString returns the index just after the string that starts at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); {
		// IndexByte is vectorised; most strings hold no quote to escape.
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		k := i
		for k > 0 && b[k-1] == '\\' {
			k--
		}
		i++
		if (i-1-k)%2 == 0 {
			return i
		}
	}
	return len(b)
}

// skipValue returns the index just after the value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		// Brackets need not be matched by kind: the input is valid JSON.
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !IsSpace(b[i]) {
		i++
	}
	return i
}

// TrimSpace returns b without leading and trailing white space.
func TrimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && IsSpace(b[i]) {
		i++
	}
	for j > i && IsSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// MemberSteps is what Lookup charges for passing one member or element, on
// top of its bytes: passing 1 MiB of members such as "\u0061":0 took 2 to
// 4 ns a byte, where long members take a tenth of that, so a step stays
// about a nanosecond's work either way.
const MemberSteps = 16

// Seg is one step of a path into a JSON value.
type Seg struct {
	Key   string // the object member's name
	Index int    // the array index when Key is a non-negative integer, else -1
}

// Lookup returns the value at path inside the valid JSON value v, and adds
// the work it did to *steps: a step per byte scanned and MemberSteps per
// member or element passed. Of duplicate members, it takes the first.
func Lookup(v []byte, path []Seg, steps *int) ([]byte, bool) {
	v = TrimSpace(v)
	for _, sg := range path {
		if len(v) == 0 {
			return nil, false
		}
		var i int
		found := false
		n := 0 // members passed
		switch v[0] {
		case '{':
			for i = skipSpace(v, 1); i < len(v) && v[i] == '"'; {
				keyEnd := skipString(v, i)
				match := keyIs(v[i:keyEnd], sg.Key)
				i = skipSpace(v, keyEnd) + 1 // the colon
				i = skipSpace(v, i)
				end := skipValue(v, i)
				if match {
					*steps += end + n*MemberSteps
					v, found = v[i:end], true
					break
				}
				n++
				i = skipSpace(v, end)
				if i >= len(v) || v[i] != ',' {
					break
				}
				i = skipSpace(v, i+1)
			}
		case '[':
			if sg.Index < 0 {
				return nil, false
			}
			i = skipSpace(v, 1)
			for ; i < len(v) && v[i] != ']'; n++ {
				end := skipValue(v, i)
				if n == sg.Index {
					*steps += end + n*MemberSteps
					v, found = v[i:end], true
					break
				}
				i = skipSpace(v, end)
				if i >= len(v) || v[i] != ',' {
					break
				}
				i = skipSpace(v, i+1)
			}
		}
		if !found {
			*steps += i + n*MemberSteps
			return nil, false
		}
	}
	return v, true
}

// keyIs reports whether the JSON string tok holds name. It decodes escapes
// as it compares rather than through encoding/json: a hostile event of 1 MiB
// of short members with escaped names made a lookup that compared against
// each of them allocate 1 GB and take a second; this takes a millisecond
// and allocates nothing.
func keyIs(tok []byte, name string) bool {
	if len(tok) < 2 {
		return false
	}
	inner := tok[1 : len(tok)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner) == name
	}
	var buf [utf8.UTFMax]byte
	j := 0
	for i := 0; i < len(inner); {
		if inner[i] != '\\' {
			if j >= len(name) || name[j] != inner[i] {
				return false
			}
			i, j = i+1, j+1
			continue
		}
		var r rune
		r, i = unescape(inner, i)
		enc := utf8.AppendRune(buf[:0], r)
		if !strings.HasPrefix(name[j:], string(enc)) {
			return false
		}
		j += len(enc)
	}
	return j == len(name)
}

// Unquote returns the text of the JSON string tok, from valid JSON.
func Unquote(tok []byte) string {
	if len(tok) < 2 {
		return ""
	}
	inner := tok[1 : len(tok)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner)
	}
	return string(AppendUnquoted(make([]byte, 0, len(inner)), tok))
}

// AppendUnquoted appends the text of the JSON string tok, from valid JSON,
// to dst. Escapes are decoded as encoding/json decodes them (a lone
// surrogate becomes U+FFFD); other bytes are copied as they are. It costs
// about a nanosecond a byte, where encoding/json took ten.
func AppendUnquoted(dst, tok []byte) []byte {
	if len(tok) < 2 {
		return dst
	}
	inner := tok[1 : len(tok)-1]
	for i := 0; i < len(inner); {
		k := bytes.IndexByte(inner[i:], '\\')
		if k < 0 {
			return append(dst, inner[i:]...)
		}
		dst = append(dst, inner[i:i+k]...)
		var r rune
		r, i = unescape(inner, i+k)
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// unescape decodes the escape at b[i], which is a backslash, and returns
// its rune and the index just after it. A \u escape of a surrogate pair
// takes both halves; a lone or broken half is U+FFFD. An escape cut short
// (only in invalid JSON) is U+FFFD too.
func unescape(b []byte, i int) (rune, int) {
	if i+1 >= len(b) {
		return utf8.RuneError, len(b)
	}
	switch c := b[i+1]; c {
	case 'b':
		return '\b', i + 2
	case 'f':
		return '\f', i + 2
	case 'n':
		return '\n', i + 2
	case 'r':
		return '\r', i + 2
	case 't':
		return '\t', i + 2
	case 'u':
		r, ok := hex4(b, i+2)
		if !ok {
			return utf8.RuneError, min(i+6, len(b))
		}
		i += 6
		if utf16.IsSurrogate(r) {
			if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
				if r2, ok := hex4(b, i+2); ok {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						return dec, i + 6
					}
				}
			}
			return utf8.RuneError, i
		}
		return r, i
	default: // '"', '\\', '/'
		return rune(c), i + 2
	}
}

// hex4 decodes the four hex digits at b[i].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, h := range b[i : i+4] {
		switch {
		case isDigit(h):
			h -= '0'
		case 'a' <= h|0x20 && h|0x20 <= 'f':
			h = (h | 0x20) - 'a' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(h)
	}
	return r, true
}

// WalkStructure calls visit for every byte of s outside string literals,
// with its index and the nesting depth there: an opening bracket counts as
// inside what it opens, a closing one as outside what it closes (never
// below 0). It treats s as JSON text without checking it, so that callers
// can measure or cut a document in one pass that allocates nothing.
func WalkStructure[S ~string | ~[]byte](s S, visit func(i int, c byte, depth int)) {
	depth := 0
	inString, escaped := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth = max(depth-1, 0)
		}
		visit(i, c, depth)
	}
}
