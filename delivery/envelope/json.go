package envelope

import (
	"encoding/json"
	"unicode/utf8"
)

// This file holds the JSON primitives that rendering needs: encoding a string
// and finding a member inside the event's data without decoding all of it,
// which keeps a lookup free of allocations.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string.
func appendString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// appendEscaped appends s escaped for use between the quotes of a JSON
// string. Invalid UTF-8 becomes U+FFFD. U+2028 and U+2029 are escaped too,
// because JavaScript engines before ES2019 end a string at them. HTML
// characters are not escaped: the body is JSON for a receiver, and whatever
// shows it in a page escapes it there.
func appendEscaped[S ~string | ~[]byte](dst []byte, s S) []byte {
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

// The functions below scan JSON that json.Valid has accepted. They still
// check every index, so that a mistake costs a wrong answer, not a panic.

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// stringEnd returns the index just after the string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just after the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		// Brackets need not be matched by kind: the input is valid JSON.
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
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
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !isSpace(b[i]) {
		i++
	}
	return i
}

// trimSpace returns b without leading and trailing white space.
func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// lookup returns the value at segs inside the JSON value v, and adds the
// number of bytes it scanned to *steps. It takes the first of duplicate
// members.
func lookup(v []byte, segs []seg, steps *int) ([]byte, bool) {
	v = trimSpace(v)
	for _, sg := range segs {
		if len(v) == 0 {
			return nil, false
		}
		var i int
		found := false
		switch v[0] {
		case '{':
			for i = skipSpace(v, 1); i < len(v) && v[i] == '"'; {
				keyEnd := stringEnd(v, i)
				match := keyIs(v[i:keyEnd], sg.key)
				i = skipSpace(v, keyEnd) + 1 // the colon
				i = skipSpace(v, i)
				end := valueEnd(v, i)
				if match {
					*steps += end
					v, found = v[i:end], true
					break
				}
				i = skipSpace(v, end)
				if i >= len(v) || v[i] != ',' {
					break
				}
				i = skipSpace(v, i+1)
			}
		case '[':
			if sg.index < 0 {
				return nil, false
			}
			i = skipSpace(v, 1)
			for n := 0; i < len(v) && v[i] != ']'; n++ {
				end := valueEnd(v, i)
				if n == sg.index {
					*steps += end
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
			*steps += i
			return nil, false
		}
	}
	return v, true
}

// keyIs reports whether the JSON string tok holds name.
func keyIs(tok []byte, name string) bool {
	if len(tok) < 2 {
		return false
	}
	inner := tok[1 : len(tok)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			return json.Unmarshal(tok, &s) == nil && s == name
		}
	}
	return string(inner) == name
}

// unquote returns the text of the JSON string tok.
func unquote(tok []byte) string {
	if len(tok) < 2 {
		return ""
	}
	inner := tok[1 : len(tok)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			json.Unmarshal(tok, &s) // tok comes from valid JSON
			return s
		}
	}
	return string(inner)
}

// numberEnd returns the index just after the JSON number at the start of s,
// or 0 if s does not start with one.
func numberEnd(s string) int {
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

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
