package envelope

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"hooks/rawjson"
)

// field is a name in the scope of a template.
type field uint8

const (
	fieldEventID field = iota + 1
	fieldEventTopic
	fieldEventSubTopic
	fieldEventTenantID
	fieldEventTriggeredAt
	fieldEventData
	fieldDeliveryID
	fieldDeliveryCreatedAt
	fieldDeliveryUpdatedAt
	fieldDeliveryAttempt
	fieldEndpointID
	fieldEndpointName
	fieldMetadata
	fieldMetadataKey
)

// fieldNames lists the fixed names, in the order that error messages offer them.
var fieldNames = []struct {
	name string
	f    field
}{
	{"event.id", fieldEventID},
	{"event.topic", fieldEventTopic},
	{"event.subTopic", fieldEventSubTopic},
	{"event.tenantId", fieldEventTenantID},
	{"event.triggeredAt", fieldEventTriggeredAt},
	{"event.data", fieldEventData},
	{"delivery.id", fieldDeliveryID},
	{"delivery.createdAt", fieldDeliveryCreatedAt},
	{"delivery.updatedAt", fieldDeliveryUpdatedAt},
	{"delivery.attempt", fieldDeliveryAttempt},
	{"endpoint.id", fieldEndpointID},
	{"endpoint.name", fieldEndpointName},
}

// path is a name in a template, such as event.data.customer.id.
type path struct {
	field field
	key   string        // for fieldMetadataKey
	segs  []rawjson.Seg // for fieldEventData
}

// operand is a name or a literal.
type operand struct {
	path *path // nil for a literal
	lit  value
}

type filterKind uint8

const (
	filterDefault filterKind = iota + 1
	filterLower
	filterUpper
	filterSplit
	filterTrimPrefix
	filterTrimSuffix
	filterString
	filterNumber
	filterJSON
)

var filterNames = map[string]filterKind{
	"default":    filterDefault,
	"lower":      filterLower,
	"upper":      filterUpper,
	"split":      filterSplit,
	"trimPrefix": filterTrimPrefix,
	"trimSuffix": filterTrimSuffix,
	"string":     filterString,
	"number":     filterNumber,
	"json":       filterJSON,
}

const filterList = "default, lower, upper, split, trimPrefix, trimSuffix, string, number or json"

type filter struct {
	kind filterKind
	arg  operand // for default
	str  string  // the separator, prefix or suffix
	n    int     // the part, for split
}

// pipeline is an operand followed by filters.
type pipeline struct {
	head    operand
	filters []filter
}

// cond is the condition of a $if.
type cond struct {
	not   bool
	left  pipeline
	op    string // "", "==" or "!="
	right pipeline
}

// exprError is an error at byte off of an expression.
type exprError struct {
	off int
	msg string
}

func (e *exprError) Error() string { return e.msg }

// exprParser parses the text of one tag or condition.
type exprParser struct {
	s        string
	i        int
	usesData bool // set when the expression refers to event.data
}

func (p *exprParser) errorf(off int, format string, args ...any) error {
	return &exprError{off: off, msg: fmt.Sprintf(format, args...)}
}

func (p *exprParser) space() {
	for p.i < len(p.s) && rawjson.IsSpace(p.s[p.i]) {
		p.i++
	}
}

// end reports an error unless the whole expression has been read.
func (p *exprParser) end() error {
	p.space()
	if p.i < len(p.s) {
		return p.errorf(p.i, "unexpected %q", rest(strings.TrimSpace(p.s[p.i:])))
	}
	return nil
}

// rest abbreviates the unread part of an expression for an error message.
func rest(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

func (p *exprParser) cond() (*cond, error) {
	c := &cond{}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '!' && !strings.HasPrefix(p.s[p.i:], "!=") {
		c.not = true
		p.i++
	}
	var err error
	if c.left, err = p.pipeline(); err != nil {
		return nil, err
	}
	p.space()
	if op := p.s[p.i:min(p.i+2, len(p.s))]; op == "==" || op == "!=" {
		if c.not {
			return nil, p.errorf(p.i, "a condition is !x or x %s y, not both", op)
		}
		c.op = op
		p.i += 2
		if c.right, err = p.pipeline(); err != nil {
			return nil, err
		}
	}
	return c, p.end()
}

func (p *exprParser) pipeline() (pipeline, error) {
	var pl pipeline
	var err error
	if pl.head, err = p.operand(); err != nil {
		return pl, err
	}
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '|' {
			return pl, nil
		}
		p.i++
		p.space()
		at := p.i
		name := p.ident()
		kind, ok := filterNames[name]
		if !ok {
			if name == "" {
				return pl, p.errorf(at, "missing filter name after |")
			}
			return pl, p.errorf(at, "unknown filter %q (want %s)", name, filterList)
		}
		f := filter{kind: kind}
		switch kind {
		case filterDefault:
			if f.arg, err = p.operand(); err != nil {
				return pl, err
			}
		case filterSplit:
			if f.str, err = p.stringArg(name, "split '/' 0"); err != nil {
				return pl, err
			}
			if f.str == "" {
				return pl, p.errorf(at, "split needs a separator that is not empty")
			}
			p.space()
			width := rawjson.NumberLen(p.s[p.i:])
			part, err := strconv.Atoi(p.s[p.i : p.i+width])
			if width == 0 || err != nil {
				return pl, p.errorf(p.i, "split needs a part number after the separator, as in split '/' 0")
			}
			f.n = part
			p.i += width
		case filterTrimPrefix, filterTrimSuffix:
			if f.str, err = p.stringArg(name, name+" 'text'"); err != nil {
				return pl, err
			}
		}
		pl.filters = append(pl.filters, f)
	}
}

// stringArg reads the literal string argument of filter name.
func (p *exprParser) stringArg(name, example string) (string, error) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.errorf(p.i, "%s needs a quoted string, as in %s", name, example)
	}
	return p.stringLit()
}

func (p *exprParser) stringLit() (string, error) {
	start, q := p.i, p.s[p.i]
	var b strings.Builder
	for p.i++; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; c {
		case '\\':
			p.i++
			if p.i < len(p.s) {
				b.WriteByte(p.s[p.i])
			}
		case q:
			p.i++
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return "", p.errorf(start, "string is missing its closing %c", q)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// isSegByte reports whether c may appear in a name after a dot; names in
// event data often hold dashes, dollars and letters beyond ASCII, and array
// indexes are digits.
func isSegByte(c byte) bool {
	return isIdentStart(c) || isDigit(c) || c == '-' || c == '$' || c >= utf8.RuneSelf
}

func (p *exprParser) ident() string {
	start := p.i
	for p.i < len(p.s) && (isIdentStart(p.s[p.i]) || p.i > start && isDigit(p.s[p.i])) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *exprParser) operand() (operand, error) {
	p.space()
	if p.i >= len(p.s) {
		return operand{}, p.errorf(p.i, "missing a name or value")
	}
	c := p.s[p.i]
	switch {
	case c == '\'' || c == '"':
		s, err := p.stringLit()
		return operand{lit: value{kind: vString, s: s}}, err
	case isDigit(c) || c == '-':
		n := rawjson.NumberLen(p.s[p.i:])
		if n == 0 {
			return operand{}, p.errorf(p.i, "%q is not a number", rest(p.s[p.i:]))
		}
		p.i += n
		return operand{lit: value{kind: vNumber, s: p.s[p.i-n : p.i]}}, nil
	case !isIdentStart(c):
		return operand{}, p.errorf(p.i, "unexpected %q; want a name such as event.id, or a literal", rest(p.s[p.i:]))
	}
	start := p.i
	switch root := p.ident(); root {
	case "true", "false":
		return operand{lit: value{kind: vBool, b: root == "true"}}, nil
	case "null":
		return operand{lit: value{kind: vNull}}, nil
	case "event", "delivery", "endpoint", "metadata":
	default:
		return operand{}, p.errorf(start, "unknown name %q in %q (want event, delivery, endpoint or metadata)", root, p.name(start))
	}
	pt, err := p.path(start)
	return operand{path: pt}, err
}

// name returns the dotted name that starts at start, for error messages.
func (p *exprParser) name(start int) string {
	i := start
	for i < len(p.s) && (isSegByte(p.s[i]) || p.s[i] == '.') {
		i++
	}
	return p.s[start:i]
}

// path reads the rest of a name whose root ends at p.i.
func (p *exprParser) path(start int) (*path, error) {
	root := p.s[start:p.i]
	var segs []rawjson.Seg
	for p.i < len(p.s) && (p.s[p.i] == '.' || p.s[p.i] == '[') {
		at := p.i
		if p.s[p.i] == '.' {
			p.i++
			k := p.i
			for p.i < len(p.s) && isSegByte(p.s[p.i]) {
				p.i++
			}
			if k == p.i {
				return nil, p.errorf(at, "missing a name after '.' in %q", p.s[start:p.i])
			}
			segs = append(segs, newSeg(p.s[k:p.i]))
			continue
		}
		p.i++
		p.space()
		var sg rawjson.Seg
		switch {
		case p.i < len(p.s) && (p.s[p.i] == '\'' || p.s[p.i] == '"'):
			s, err := p.stringLit()
			if err != nil {
				return nil, err
			}
			sg = rawjson.Seg{Key: s, Index: -1}
		case p.i < len(p.s) && isDigit(p.s[p.i]):
			k := p.i
			for p.i < len(p.s) && isDigit(p.s[p.i]) {
				p.i++
			}
			sg = newSeg(p.s[k:p.i])
		default:
			return nil, p.errorf(at, "want a quoted name or an index in [ ]")
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ']' {
			return nil, p.errorf(at, "missing ] after [")
		}
		p.i++
		segs = append(segs, sg)
	}
	text := p.s[start:p.i]
	if root == "metadata" {
		switch len(segs) {
		case 0:
			return &path{field: fieldMetadata}, nil
		case 1:
			return &path{field: fieldMetadataKey, key: segs[0].Key}, nil
		}
		return nil, p.errorf(start, "metadata values are text, so %q names nothing; use metadata[\"a.b\"] for a key with a dot", text)
	}
	if len(segs) == 0 {
		return nil, p.errorf(start, "%s is not a value; name one of its fields, such as %s.id", root, root)
	}
	name := root + "." + segs[0].Key
	for _, fn := range fieldNames {
		if fn.name != name {
			continue
		}
		if fn.f == fieldEventData {
			p.usesData = true
			return &path{field: fn.f, segs: segs[1:]}, nil
		}
		if len(segs) > 1 {
			return nil, p.errorf(start, "%s has no fields, so %q names nothing", name, text)
		}
		return &path{field: fn.f}, nil
	}
	return nil, p.errorf(start, "unknown name %q%s", name, suggest(root, name))
}

func newSeg(key string) rawjson.Seg {
	n, err := strconv.Atoi(key)
	if err != nil || n < 0 || key[0] == '+' {
		n = -1
	}
	return rawjson.Seg{Key: key, Index: n}
}

// suggest offers the fields of root for an unknown name, or the one that
// name misspells only in case.
func suggest(root, name string) string {
	var want []string
	for _, fn := range fieldNames {
		if strings.EqualFold(fn.name, name) {
			return fmt.Sprintf("; did you mean %s?", fn.name)
		}
		if strings.HasPrefix(fn.name, root+".") {
			want = append(want, fn.name)
		}
	}
	if root == "endpoint" {
		want = append(want, "(its metadata is metadata.<key>)")
	}
	return " (want " + strings.Join(want, ", ") + ")"
}
