package envelope

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"time"

	"hooks/rawjson"
)

type valueKind uint8

const (
	vMissing  valueKind = iota // absent from the scope
	vNull                      // a literal null
	vBool                      // b
	vNumber                    // s holds a JSON number
	vString                    // s
	vInt                       // n, for delivery.attempt
	vTime                      // t
	vRaw                       // raw holds a JSON value from the event's data
	vMetadata                  // the endpoint's metadata
)

// value is what an expression evaluates to. Values from the event's data
// stay JSON text (raw) until a filter or a comparison needs them decoded, so
// that copying them into the body costs no allocation.
type value struct {
	kind valueKind
	b    bool
	n    int
	s    string
	t    time.Time
	raw  []byte
	md   map[string]string // for vMetadata
}

func stringValue(s string) value {
	if s == "" {
		return value{}
	}
	return value{kind: vString, s: s}
}

func timeValue(t time.Time) value {
	if t.IsZero() {
		return value{}
	}
	return value{kind: vTime, t: t}
}

// rawValue turns literals from the data into plain values so that only
// strings, numbers, objects and arrays stay raw.
func rawValue(raw []byte) value {
	switch raw[0] {
	case 'n':
		return value{kind: vNull}
	case 't', 'f':
		return value{kind: vBool, b: raw[0] == 't'}
	}
	return value{kind: vRaw, raw: raw}
}

// isEmpty reports whether v is missing, null or the empty string, the values
// that default replaces.
func (v value) isEmpty() bool {
	switch v.kind {
	case vMissing, vNull:
		return true
	case vString:
		return v.s == ""
	case vRaw:
		return string(v.raw) == `""`
	}
	return false
}

// truth reports whether v holds as a condition.
func (v value) truth() bool {
	switch v.kind {
	case vBool:
		return v.b
	case vInt:
		return v.n != 0
	case vNumber:
		f, _ := strconv.ParseFloat(v.s, 64)
		return f != 0
	case vRaw:
		switch c := v.raw[0]; {
		case c == '"':
			return len(v.raw) > 2 // any escape holds a character
		case c == '-' || isDigit(c):
			return v.norm().truth()
		}
		return true
	case vMetadata:
		return true
	case vTime:
		return true
	}
	return !v.isEmpty()
}

// textWeight is what one byte of a value costs, in steps, when it is read
// as text or written encoded: decoding escapes, case mapping, escaping and
// parsing numbers took 2 to 7 ns a byte on the reference machine, where
// scanning and copying, charged a step a byte, take 0.1 to 2.
const textWeight = 4

// size returns a lower bound of the bytes that v's JSON or text takes, which
// is also about the work of decoding, comparing or copying it. Rendering
// charges it to the budget before doing that work.
func (v value) size() int {
	switch v.kind {
	case vString, vNumber:
		return len(v.s)
	case vRaw:
		return len(v.raw)
	case vMetadata:
		n := 2
		for k, x := range v.md {
			n += len(k) + len(x)
		}
		return n
	}
	return 1
}

// norm decodes a raw string or number from the data and turns a time into
// its text, for comparisons and filters.
func (v value) norm() value {
	switch v.kind {
	case vRaw:
		switch c := v.raw[0]; {
		case c == '"':
			return value{kind: vString, s: rawjson.Unquote(v.raw)}
		case c == '-' || isDigit(c):
			return value{kind: vNumber, s: string(v.raw)}
		}
	case vTime:
		return value{kind: vString, s: v.text()}
	case vInt:
		return value{kind: vNumber, s: strconv.Itoa(v.n)}
	}
	return v
}

// equal compares values for == and !=.
func equal(a, b value) bool {
	a, b = a.norm(), b.norm()
	if a.kind == vMissing {
		a.kind = vNull
	}
	if b.kind == vMissing {
		b.kind = vNull
	}
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case vNull, vMetadata:
		return true
	case vBool:
		return a.b == b.b
	case vString:
		return a.s == b.s
	case vNumber:
		x, errx := strconv.ParseFloat(a.s, 64)
		y, erry := strconv.ParseFloat(b.s, 64)
		return errx == nil && erry == nil && x == y
	}
	return bytes.Equal(a.raw, b.raw)
}

// text returns the string form of v: the text of a string, the JSON of
// anything else, and "" for missing and null.
func (v value) text() string {
	switch v.kind {
	case vString, vNumber:
		return v.s
	case vRaw:
		if v.raw[0] == '"' {
			return rawjson.Unquote(v.raw)
		}
	case vTime:
		return v.t.UTC().Format(time.RFC3339Nano)
	case vMissing, vNull:
		return ""
	}
	return string(v.appendJSON(nil))
}

// appendJSON appends v as a JSON value.
func (v value) appendJSON(dst []byte) []byte {
	switch v.kind {
	case vBool:
		return strconv.AppendBool(dst, v.b)
	case vNumber:
		return append(dst, v.s...)
	case vString:
		return rawjson.AppendString(dst, v.s)
	case vInt:
		return strconv.AppendInt(dst, int64(v.n), 10)
	case vTime:
		dst = append(dst, '"')
		dst = v.t.UTC().AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"')
	case vRaw:
		return append(dst, v.raw...)
	case vMetadata:
		return appendMetadata(dst, v.md)
	}
	return append(dst, null...)
}

// appendText appends the string form of v escaped for use inside a JSON
// string.
func (v value) appendText(dst []byte) []byte {
	switch v.kind {
	case vMissing, vNull:
		return dst
	case vString:
		return rawjson.AppendEscaped(dst, v.s)
	case vTime:
		return v.t.UTC().AppendFormat(dst, time.RFC3339Nano)
	case vRaw:
		if v.raw[0] == '"' {
			// The inside of a JSON string from valid JSON is already
			// escaped as a JSON string needs.
			return append(dst, v.raw[1:len(v.raw)-1]...)
		}
		return rawjson.AppendEscaped(dst, v.raw)
	}
	return rawjson.AppendEscaped(dst, v.appendJSON(nil))
}

// renderer renders one delivery.
type renderer struct {
	scope *Scope
	out   []byte
	start int // len(out) before rendering
	lim   Limits
	steps int
	err   error
}

// step counts n steps of work and reports whether the budget allows more.
// Work on a value is charged before it is done, so that a render stops
// before a costly step rather than after it.
func (r *renderer) step(n int) bool {
	r.steps += n
	if r.steps > r.lim.MaxSteps && r.err == nil {
		r.err = ErrBudget
	}
	return r.err == nil
}

// fits reports whether n more bytes of output stay within the limit.
func (r *renderer) fits(n int) bool {
	if len(r.out)-r.start+n > r.lim.MaxOutput && r.err == nil {
		r.err = ErrTooLarge
	}
	return r.err == nil
}

// operand evaluates a name or a literal.
func (r *renderer) operand(o *operand) value {
	if o.path == nil {
		return o.lit
	}
	r.step(1)
	s := r.scope
	switch o.path.field {
	case fieldEventID:
		return stringValue(s.Event.ID)
	case fieldEventTopic:
		return stringValue(s.Event.Topic)
	case fieldEventSubTopic:
		return stringValue(s.Event.SubTopic)
	case fieldEventTenantID:
		return stringValue(s.Event.TenantID)
	case fieldEventTriggeredAt:
		return timeValue(s.Event.TriggeredAt)
	case fieldEventData:
		if len(s.Event.Data) == 0 {
			return value{}
		}
		raw, ok := rawjson.Lookup(s.Event.Data, o.path.segs, &r.steps)
		if !ok || len(raw) == 0 || !r.step(0) {
			return value{}
		}
		return rawValue(raw)
	case fieldDeliveryID:
		return stringValue(s.Delivery.ID)
	case fieldDeliveryCreatedAt:
		return timeValue(s.Delivery.CreatedAt)
	case fieldDeliveryUpdatedAt:
		return timeValue(s.Delivery.UpdatedAt)
	case fieldDeliveryAttempt:
		return value{kind: vInt, n: s.Delivery.Attempt}
	case fieldEndpointID:
		return stringValue(s.Endpoint.ID)
	case fieldEndpointName:
		return stringValue(s.Endpoint.Name)
	case fieldMetadata:
		return value{kind: vMetadata, md: s.Endpoint.Metadata}
	case fieldMetadataKey:
		if v, ok := s.Endpoint.Metadata[o.path.key]; ok {
			return value{kind: vString, s: v}
		}
	}
	return value{}
}

// pipeline evaluates an operand and applies its filters.
func (r *renderer) pipeline(pl *pipeline) value {
	v := r.operand(&pl.head)
	for i := range pl.filters {
		f := &pl.filters[i]
		if f.kind == filterDefault {
			if v.isEmpty() {
				v = r.operand(&f.arg)
			}
			continue
		}
		if v.kind == vMissing || v.kind == vNull {
			continue
		}
		// Reading the value as text; below, the result it allocates.
		if !r.step(textWeight * v.size()) {
			return value{}
		}
		s := v.text()
		switch f.kind {
		case filterLower:
			v = value{kind: vString, s: strings.ToLower(s)}
		case filterUpper:
			v = value{kind: vString, s: strings.ToUpper(s)}
		case filterSplit:
			v = value{}
			if part, ok := split(s, f.str, f.n); ok {
				v = value{kind: vString, s: part}
			}
		case filterTrimPrefix:
			v = value{kind: vString, s: strings.TrimPrefix(s, f.str)}
		case filterTrimSuffix:
			v = value{kind: vString, s: strings.TrimSuffix(s, f.str)}
		case filterString:
			v = value{kind: vString, s: s}
		case filterNumber:
			switch n := v.norm(); n.kind {
			case vNumber:
				v = n
			case vString:
				t := strings.TrimSpace(n.s)
				v = value{}
				if t != "" && rawjson.NumberLen(t) == len(t) {
					v = value{kind: vNumber, s: t}
				}
			default:
				v = value{}
			}
		case filterJSON:
			v = value{kind: vString, s: string(v.appendJSON(nil))}
		}
		// A value that can't fit in the body is refused now: chained
		// filters such as json could otherwise double it at each step.
		if len(v.s) > r.lim.MaxOutput {
			r.err = ErrTooLarge
			return value{}
		}
		if !r.step(len(v.s)) {
			return value{}
		}
	}
	return v
}

// split returns part n of s cut at sep, counting from the end when n < 0.
func split(s, sep string, n int) (string, bool) {
	if n < 0 {
		for ; n < -1; n++ {
			i := strings.LastIndex(s, sep)
			if i < 0 {
				return "", false
			}
			s = s[:i]
		}
		if i := strings.LastIndex(s, sep); i >= 0 {
			s = s[i+len(sep):]
		}
		return s, true
	}
	for ; n > 0; n-- {
		i := strings.Index(s, sep)
		if i < 0 {
			return "", false
		}
		s = s[i+len(sep):]
	}
	if i := strings.Index(s, sep); i >= 0 {
		s = s[:i]
	}
	return s, true
}

// test reports whether the condition of a $if holds.
// Comparing values decodes and compares them whole, so it is charged
// their size: a 1 MiB string compared with itself used to cost one step.
func (r *renderer) test(c *cond) bool {
	l := r.pipeline(&c.left)
	if c.op == "" {
		cost := 1 // the truth of a string, object or array is in its first bytes
		if l.isNumber() {
			cost = textWeight * l.size()
		}
		return r.step(cost) && l.truth() != c.not
	}
	rv := r.pipeline(&c.right)
	if !r.step(textWeight * (l.size() + rv.size())) {
		return false
	}
	return equal(l, rv) == (c.op == "==")
}

// appendMetadata appends the endpoint's metadata as a JSON object, its keys
// sorted so that the same metadata always renders the same body.
func appendMetadata(dst []byte, md map[string]string) []byte {
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = rawjson.AppendString(dst, k)
		dst = append(dst, ':')
		dst = rawjson.AppendString(dst, md[k])
	}
	return append(dst, '}')
}

// writeCost is the work of writing v to the output: a copy for JSON from
// the event's data, encoding for everything else.
func writeCost(v value, asText bool) int {
	if v.kind == vRaw && (!asText || v.raw[0] == '"') {
		return v.size()
	}
	return textWeight * v.size()
}

// isNumber reports whether v is a number, which its truth parses.
func (v value) isNumber() bool {
	return v.kind == vNumber || v.kind == vRaw && (v.raw[0] == '-' || isDigit(v.raw[0]))
}

// appendValue appends v as a JSON value to the output.
func (r *renderer) appendValue(v value) {
	// Check first, so that a large value is not copied in vain; escaping
	// can make it longer, which the check after catches.
	if r.step(writeCost(v, false)) && r.fits(v.size()) {
		r.out = v.appendJSON(r.out)
		r.fits(0)
	}
}

// render appends node n to the output and reports whether it wrote a value:
// a $if without $else that does not hold writes nothing.
func (r *renderer) render(n *node) bool {
	if !r.step(1) {
		return false
	}
	switch n.kind {
	case nodeLiteral:
		if r.step(len(n.lit)) && r.fits(len(n.lit)) {
			r.out = append(r.out, n.lit...)
		}
	case nodeValue:
		r.appendValue(r.pipeline(n.pipe))
	case nodeText:
		r.out = append(r.out, '"')
		for i := range n.parts {
			pt := &n.parts[i]
			if pt.pipe == nil {
				r.out = append(r.out, pt.text...)
				continue
			}
			v := r.pipeline(pt.pipe)
			if !r.step(writeCost(v, true)) || !r.fits(v.size()) {
				return false
			}
			r.out = v.appendText(r.out)
			if !r.fits(0) {
				return false
			}
		}
		r.out = append(r.out, '"')
	case nodeObject:
		r.out = append(r.out, '{')
		wrote := false
		for i := range n.members {
			m := &n.members[i]
			mark := len(r.out)
			if wrote {
				r.out = append(r.out, ',')
			}
			r.out = append(r.out, m.key...)
			if r.render(m.val) {
				wrote = true
			} else {
				r.out = r.out[:mark]
			}
		}
		r.out = append(r.out, '}')
	case nodeArray:
		r.out = append(r.out, '[')
		wrote := false
		for _, el := range n.elems {
			mark := len(r.out)
			if wrote {
				r.out = append(r.out, ',')
			}
			if r.render(el) {
				wrote = true
			} else {
				r.out = r.out[:mark]
			}
		}
		r.out = append(r.out, ']')
	case nodeIf:
		switch {
		case r.test(n.cond):
			return r.render(n.then)
		case n.els != nil:
			return r.render(n.els)
		}
		return false
	}
	return r.fits(0)
}
