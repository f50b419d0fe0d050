package envelope

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"hooks/rawjson"
)

// TemplateError reports what is wrong with a template and where. It wraps
// ErrInvalid.
type TemplateError struct {
	Offset int    // byte offset in the template
	Line   int    // 1-based line
	Column int    // 1-based column, in characters
	Path   string // where in the JSON document, such as $.Delivery.ID
	Msg    string // what is wrong
}

// Error returns the whole report, fit to show to whoever wrote the template.
func (e *TemplateError) Error() string {
	return fmt.Sprintf("%s: template line %d, column %d (at %s): %s", ErrInvalid, e.Line, e.Column, e.Path, e.Msg)
}

// Unwrap returns ErrInvalid.
func (e *TemplateError) Unwrap() error { return ErrInvalid }

type nodeKind uint8

const (
	nodeLiteral nodeKind = iota // lit, JSON that needs no rendering
	nodeValue                   // "{{ pipe }}"
	nodeText                    // a string with tags among text
	nodeObject
	nodeArray
	nodeIf
)

// node is one value of a compiled template.
type node struct {
	kind      nodeKind
	lit       []byte
	pipe      *pipeline
	parts     []part
	members   []member
	elems     []*node
	cond      *cond
	then, els *node
}

// part is a run of text, already escaped for JSON, or a tag.
type part struct {
	text string
	pipe *pipeline
}

// member is an object member; key holds its name encoded, with the colon.
type member struct {
	key []byte
	val *node
}

// mayOmit reports whether n can render as nothing.
func (n *node) mayOmit() bool {
	return n.kind == nodeIf && (n.els == nil || n.then.mayOmit() || n.els.mayOmit())
}

// template is a compiled template.
type template struct {
	root     *node
	usesData bool
}

// tparser parses a template's JSON, keeping track of positions so that an
// error can say where the problem is.
type tparser struct {
	src      string
	pos      int
	path     []string // the JSON path to the value being parsed
	usesData bool
}

func parseTemplate(src string) (*template, error) {
	p := &tparser{src: src}
	if strings.TrimSpace(src) == "" {
		return nil, p.errorf(0, "the template is empty; write the JSON body to send")
	}
	if len(src) > MaxTemplateSize {
		return nil, p.errorf(0, "the template is %d bytes; the limit is %d", len(src), MaxTemplateSize)
	}
	root, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.src) {
		return nil, p.errorf(p.pos, "unexpected %q after the end of the template's JSON value", rest(p.src[p.pos:]))
	}
	if root.mayOmit() {
		return nil, p.errorf(0, "the top-level $if needs an $else, because the body can't be left out")
	}
	return &template{root: root, usesData: p.usesData}, nil
}

func (p *tparser) errorf(off int, format string, args ...any) *TemplateError {
	off = min(off, len(p.src))
	before := p.src[:off]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	var b strings.Builder
	b.WriteByte('$')
	for _, k := range p.path {
		if k != "" && k[0] == '[' || isName(k) {
			if k[0] != '[' {
				b.WriteByte('.')
			}
			b.WriteString(k)
		} else {
			b.WriteString("[" + strconv.Quote(k) + "]")
		}
	}
	return &TemplateError{Offset: off, Line: line, Column: col, Path: b.String(), Msg: fmt.Sprintf(format, args...)}
}

// isName reports whether k can follow a dot in a path.
func isName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !isSegByte(k[i]) {
			return false
		}
	}
	return true
}

func (p *tparser) space() {
	for p.pos < len(p.src) && rawjson.IsSpace(p.src[p.pos]) {
		p.pos++
	}
}

func (p *tparser) value(depth int) (*node, error) {
	p.space()
	if p.pos >= len(p.src) {
		return nil, p.errorf(p.pos, "unexpected end of the template; a value is missing")
	}
	start := p.pos
	switch c := p.src[p.pos]; {
	case c == '{' || c == '[':
		if depth >= MaxDepth {
			return nil, p.errorf(p.pos, "objects and arrays nest deeper than %d levels", MaxDepth)
		}
		if c == '{' {
			return p.object(depth + 1)
		}
		return p.array(depth + 1)
	case c == '"':
		s, escaped, err := p.str()
		if err != nil {
			return nil, err
		}
		return p.stringNode(s, start, escaped)
	case c == '-' || isDigit(c):
		n := rawjson.NumberLen(p.src[p.pos:])
		if n == 0 {
			return nil, p.errorf(p.pos, "%q is not a JSON number", rest(p.src[p.pos:]))
		}
		p.pos += n
		return &node{kind: nodeLiteral, lit: []byte(p.src[start:p.pos])}, nil
	}
	for _, kw := range []string{"true", "false", "null"} {
		if strings.HasPrefix(p.src[p.pos:], kw) {
			p.pos += len(kw)
			return &node{kind: nodeLiteral, lit: []byte(kw)}, nil
		}
	}
	return nil, p.errorf(p.pos, "unexpected %q; a template is a JSON document (strings in double quotes)", rest(p.src[p.pos:]))
}

// str reads the JSON string at p.pos and reports whether it held escapes.
func (p *tparser) str() (string, bool, error) {
	start := p.pos
	escaped := false
	for i := start + 1; i < len(p.src); i++ {
		switch c := p.src[i]; {
		case c == '\\':
			escaped = true
			i++
		case c == '"':
			p.pos = i + 1
			if !escaped {
				return p.src[start+1 : i], false, nil
			}
			var s string
			if err := json.Unmarshal([]byte(p.src[start:p.pos]), &s); err != nil {
				return "", false, p.errorf(start, "invalid escape in string")
			}
			return s, true, nil
		case c < 0x20:
			return "", false, p.errorf(i, "a string can't hold a control character or line break; write \\n")
		}
	}
	return "", false, p.errorf(start, "string is missing its closing quote")
}

func (p *tparser) object(depth int) (*node, error) {
	n := &node{kind: nodeObject}
	start := p.pos
	p.pos++
	seen := make(map[string]bool)
	var c *cond
	var then, els *node
	for p.space(); p.pos < len(p.src) && p.src[p.pos] != '}'; {
		if len(n.members) > 0 || c != nil || then != nil || els != nil {
			if p.src[p.pos] != ',' {
				return nil, p.errorf(p.pos, "want ',' or '}' after an object member")
			}
			p.pos++
			p.space()
		}
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return nil, p.errorf(p.pos, "want a member name in double quotes")
		}
		keyAt := p.pos
		key, _, err := p.str()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, p.errorf(keyAt, "duplicate member %q", key)
		}
		seen[key] = true
		if strings.Contains(key, "{{") {
			return nil, p.errorf(keyAt, "member names are plain text; {{ }} is only allowed in values")
		}
		p.space()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.errorf(p.pos, "want ':' after the member name %q", key)
		}
		p.pos++
		p.path = append(p.path, key)
		switch key {
		case "$if":
			c, err = p.condition()
		case "$then":
			then, err = p.value(depth)
		case "$else":
			els, err = p.value(depth)
		default:
			var v *node
			if v, err = p.value(depth); err == nil {
				n.members = append(n.members, member{key: append(rawjson.AppendString(nil, key), ':'), val: v})
			}
		}
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		p.space()
	}
	if p.pos >= len(p.src) {
		return nil, p.errorf(start, "object is missing its closing '}'")
	}
	p.pos++
	switch {
	case c != nil && len(n.members) > 0:
		return nil, p.errorf(start, "a $if object holds only $if, $then and $else, not %q", unquoteKey(n.members[0].key))
	case c != nil && then == nil:
		return nil, p.errorf(start, "$if needs a $then value")
	case c != nil:
		return &node{kind: nodeIf, cond: c, then: then, els: els}, nil
	case then != nil || els != nil:
		return nil, p.errorf(start, "$then and $else need a $if condition")
	}
	return fold(n), nil
}

func unquoteKey(key []byte) string {
	return rawjson.Unquote(key[:len(key)-1])
}

func (p *tparser) array(depth int) (*node, error) {
	n := &node{kind: nodeArray}
	start := p.pos
	p.pos++
	for p.space(); p.pos < len(p.src) && p.src[p.pos] != ']'; p.space() {
		if len(n.elems) > 0 {
			if p.src[p.pos] != ',' {
				return nil, p.errorf(p.pos, "want ',' or ']' after an array element")
			}
			p.pos++
		}
		p.path = append(p.path, "["+strconv.Itoa(len(n.elems))+"]")
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		n.elems = append(n.elems, v)
	}
	if p.pos >= len(p.src) {
		return nil, p.errorf(start, "array is missing its closing ']'")
	}
	p.pos++
	return fold(n), nil
}

// fold turns an object or array of literals into one literal.
func fold(n *node) *node {
	lit := []byte{}
	switch n.kind {
	case nodeObject:
		lit = append(lit, '{')
		for i, m := range n.members {
			if m.val.kind != nodeLiteral {
				return n
			}
			if i > 0 {
				lit = append(lit, ',')
			}
			lit = append(append(lit, m.key...), m.val.lit...)
		}
		lit = append(lit, '}')
	case nodeArray:
		lit = append(lit, '[')
		for i, el := range n.elems {
			if el.kind != nodeLiteral {
				return n
			}
			if i > 0 {
				lit = append(lit, ',')
			}
			lit = append(lit, el.lit...)
		}
		lit = append(lit, ']')
	}
	return &node{kind: nodeLiteral, lit: lit}
}

// stringNode compiles the string s that starts at byte start of the source.
func (p *tparser) stringNode(s string, start int, escaped bool) (*node, error) {
	// at maps an offset in s to one in the source; with escapes in the
	// string the two don't line up, so errors point at the string.
	at := func(i int) int {
		if escaped {
			return start
		}
		return start + 1 + i
	}
	var parts []part
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			parts = append(parts, part{text: s[i:]})
			break
		}
		if j > 0 {
			parts = append(parts, part{text: s[i : i+j]})
		}
		open := i + j
		end := tagEnd(s, open+2)
		if end < 0 {
			return nil, p.errorf(at(open), "{{ is missing its closing }}")
		}
		pipe, err := p.expr(s[open+2:end], at(open+2), escaped)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part{pipe: pipe})
		i = end + 2
	}
	switch {
	case len(parts) == 0:
		return &node{kind: nodeLiteral, lit: []byte(`""`)}, nil
	case len(parts) == 1 && parts[0].pipe == nil:
		return &node{kind: nodeLiteral, lit: rawjson.AppendString(nil, s)}, nil
	case len(parts) == 1:
		return &node{kind: nodeValue, pipe: parts[0].pipe}, nil
	}
	for i := range parts {
		if parts[i].pipe == nil {
			parts[i].text = string(rawjson.AppendEscaped(nil, parts[i].text))
		}
	}
	return &node{kind: nodeText, parts: parts}, nil
}

// tagEnd returns the index of the }} that closes a tag whose expression
// starts at s[i], skipping quoted literals, or -1.
func tagEnd(s string, i int) int {
	var quote byte
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0 && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			return i
		}
	}
	return -1
}

// expr compiles the expression of a tag, which starts at byte off of the source.
func (p *tparser) expr(src string, off int, escaped bool) (*pipeline, error) {
	ep := &exprParser{s: src}
	pl, err := ep.pipeline()
	if err == nil {
		err = ep.end()
	}
	if err != nil {
		return nil, p.exprError(err, off, escaped)
	}
	p.usesData = p.usesData || ep.usesData
	return &pl, nil
}

// condition compiles the string value of a $if.
func (p *tparser) condition() (*cond, error) {
	p.space()
	start := p.pos
	if p.pos >= len(p.src) || p.src[p.pos] != '"' {
		return nil, p.errorf(p.pos, "$if wants a condition in a string, such as \"event.topic == 'orders/placed'\"")
	}
	s, escaped, err := p.str()
	if err != nil {
		return nil, err
	}
	off := start + 1
	if escaped {
		off = start
	}
	// Braces are optional around a condition; people will write them.
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{{") && strings.HasSuffix(t, "}}") && len(t) >= 4 {
		if !escaped {
			off += strings.Index(s, "{{") + 2
		}
		s = t[2 : len(t)-2]
	}
	ep := &exprParser{s: s}
	c, err := ep.cond()
	if err != nil {
		return nil, p.exprError(err, off, escaped)
	}
	p.usesData = p.usesData || ep.usesData
	return c, nil
}

func (p *tparser) exprError(err error, off int, escaped bool) error {
	var ee *exprError
	if !errors.As(err, &ee) {
		return p.errorf(off, "%v", err)
	}
	if !escaped {
		off += ee.off
	}
	return p.errorf(off, "%s", ee.msg)
}
