package filter

import (
	"encoding/json"
	"errors"
)

// Doc is an event as filters see it, {"topic", "subTopic", "data"}, parsed
// once so that any number of filters can match it. Its values are one flat
// slice in document order (an object or list is followed by its members),
// and its strings point into one copy of the event's data, so parsing
// allocates almost nothing once a Doc has been used. The zero Doc is empty;
// Reset fills it. A Doc is not safe for concurrent use.
type Doc struct {
	nodes []node
	stack []int32 // open objects and lists, while parsing
}

// node is one value of a Doc.
type node struct {
	kind kind
	b    bool
	end  int32  // index of the next node after this value and its members
	key  string // its name, when it is an object's member
	str  string // a string's value, or a number's text
}

// ErrNotJSON is what Reset returns for data that is not one JSON value.
var ErrNotJSON = errors.New("filter: event data is not valid JSON")

// Reset makes d the event with topic, subTopic and data (JSON; empty for
// none). An empty subTopic is no subTopic member. When data is not valid
// JSON, Reset returns ErrNotJSON and d is the event without data.
func (d *Doc) Reset(topic, subTopic string, data []byte) error {
	d.nodes = append(d.nodes[:0], node{kind: kObject}, node{kind: kString, end: 2, key: "topic", str: topic})
	if subTopic != "" {
		d.nodes = append(d.nodes, node{kind: kString, end: int32(len(d.nodes) + 1), key: "subTopic", str: subTopic})
	}
	var err error
	if len(data) > 0 {
		mark := len(d.nodes)
		if err = d.parse(string(data), "data"); err != nil {
			d.nodes = d.nodes[:mark]
		}
	}
	d.nodes[0].end = int32(len(d.nodes))
	return err
}

// member returns the index of the member key of the object at obj, or -1.
func (d *Doc) member(obj int32, key string) int32 {
	end := d.nodes[obj].end
	for i := obj + 1; i < end; i = d.nodes[i].end {
		if d.nodes[i].key == key {
			return i
		}
	}
	return -1
}

// parse appends the value in s, as a member named key, to d.nodes. It
// accepts exactly what encoding/json.Valid accepts. It does not recurse, so
// data nested however deep costs no stack.
func (d *Doc) parse(s, key string) error {
	const (
		wantValue = iota
		wantKey   // after '{' or an object's ','
		afterValue
	)
	d.stack = d.stack[:0]
	i, state := 0, wantValue
	for {
		i = skipSpace(s, i)
		switch state {
		case wantKey:
			if i >= len(s) || s[i] != '"' {
				return ErrNotJSON
			}
			k, next, ok := readString(s, i)
			if !ok {
				return ErrNotJSON
			}
			i = skipSpace(s, next)
			if i >= len(s) || s[i] != ':' {
				return ErrNotJSON
			}
			key, i, state = k, i+1, wantValue
		case wantValue:
			if i >= len(s) {
				return ErrNotJSON
			}
			at := int32(len(d.nodes))
			n := node{key: key, end: at + 1}
			key = ""
			switch c := s[i]; {
			case c == '{' || c == '[':
				n.kind = kObject
				if c == '[' {
					n.kind = kArray
				}
				d.nodes = append(d.nodes, n)
				d.stack = append(d.stack, at)
				i = skipSpace(s, i+1)
				if i < len(s) && (s[i] == '}' && c == '{' || s[i] == ']' && c == '[') {
					d.stack = d.stack[:len(d.stack)-1]
					i, state = i+1, afterValue
				} else if c == '{' {
					state = wantKey
				}
				continue
			case c == '"':
				str, next, ok := readString(s, i)
				if !ok {
					return ErrNotJSON
				}
				n.kind, n.str, i = kString, str, next
			case c == 't' || c == 'f' || c == 'n':
				lit := "null"
				switch c {
				case 't':
					lit = "true"
				case 'f':
					lit = "false"
				}
				if len(s)-i < len(lit) || s[i:i+len(lit)] != lit {
					return ErrNotJSON
				}
				n.kind, n.b, i = kBool, c == 't', i+len(lit)
				if c == 'n' {
					n.kind = kNull
				}
			default:
				end := numberEnd(s, i)
				if end == i {
					return ErrNotJSON
				}
				n.kind, n.str, i = kNumber, s[i:end], end
			}
			d.nodes = append(d.nodes, n)
			state = afterValue
		case afterValue:
			if len(d.stack) == 0 {
				if i != len(s) {
					return ErrNotJSON
				}
				return nil
			}
			if i >= len(s) {
				return ErrNotJSON
			}
			top := d.stack[len(d.stack)-1]
			object := d.nodes[top].kind == kObject
			switch {
			case s[i] == ',':
				i, state = i+1, wantValue
				if object {
					state = wantKey
				}
			case s[i] == '}' && object || s[i] == ']' && !object:
				d.nodes[top].end = int32(len(d.nodes))
				d.stack = d.stack[:len(d.stack)-1]
				i++
			default:
				return ErrNotJSON
			}
		}
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// readString reads the JSON string that starts at s[i] ('"'), returning its
// value and the index after it. A string without escapes is a slice of s;
// one with escapes is decoded by encoding/json (rare, so its cost is fine).
func readString(s string, i int) (string, int, bool) {
	escaped := false
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			if !escaped {
				return s[i+1 : j], j + 1, true
			}
			var out string
			if json.Unmarshal([]byte(s[i:j+1]), &out) != nil {
				return "", 0, false
			}
			return out, j + 1, true
		case c == '\\':
			escaped = true
			j++
			if j >= len(s) {
				return "", 0, false
			}
			switch s[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s) || !isHex(s[j+1]) || !isHex(s[j+2]) || !isHex(s[j+3]) || !isHex(s[j+4]) {
					return "", 0, false
				}
				j += 4
			default:
				return "", 0, false
			}
		case c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// numberEnd returns the index after the JSON number at s[i], or i when
// there is none.
func numberEnd(s string, i int) int {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case j < len(s) && isDigit(s[j]):
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	default:
		return i
	}
	if j < len(s) && s[j] == '.' {
		j++
		if j >= len(s) || !isDigit(s[j]) {
			return i
		}
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j >= len(s) || !isDigit(s[j]) {
			return i
		}
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	return j
}
