package filter

import (
	"strconv"
	"strings"
)

// Match reports whether the event in d matches f.
func (f *Filter) Match(d *Doc) bool {
	if len(d.nodes) == 0 {
		return false
	}
	return matchAll(f.root, d, 0)
}

// matchAll reports whether the value at v (-1: missing) meets every
// condition of a filter object. On a list, see matchList.
func matchAll(conds []cond, d *Doc, v int32) bool {
	if v >= 0 && d.nodes[v].kind == kArray {
		return matchList(conds, d, v)
	}
	for i := range conds {
		if !conds[i].match(d, v) {
			return false
		}
	}
	return true
}

// matchList is matchAll on the list at v. $exists, $neq, $nin and $not are
// about the list as a whole (a list exists; $neq is "no element is
// equal"); the other conditions must all hold for one element. An element
// that is itself a list is not opened at this level, so a match goes no
// deeper into the event than the filter goes.
func matchList(conds []cond, d *Doc, v int32) bool {
	perElement := false
	for i := range conds {
		if !conds[i].onWhole() {
			perElement = true
		} else if !conds[i].match(d, v) {
			return false
		}
	}
	if !perElement {
		return true
	}
	end := d.nodes[v].end
next:
	for e := v + 1; e < end; e = d.nodes[e].end {
		for i := range conds {
			if !conds[i].onWhole() && !conds[i].match(d, e) {
				continue next
			}
		}
		return true
	}
	return false
}

// onWhole reports whether c is about a list as a whole rather than about
// its elements.
func (c *cond) onWhole() bool {
	return c.op == opExists || c.op == opNeq || c.op == opNin || c.op == opNot
}

// match reports whether the value at v meets c. A list reaches it only for
// the conditions that are about a whole list, or as an element of a list
// (where it is compared as a value, and has no members).
func (c *cond) match(d *Doc, v int32) bool {
	switch c.op {
	case opMember:
		m := int32(-1)
		if v >= 0 && d.nodes[v].kind == kObject {
			m = d.member(v, c.key)
		}
		return matchAll(c.sub, d, m)
	case opAnd:
		for _, sub := range c.list {
			if !matchAll(sub, d, v) {
				return false
			}
		}
		return true
	case opOr:
		for _, sub := range c.list {
			if matchAll(sub, d, v) {
				return true
			}
		}
		return false
	case opNot:
		return !matchAll(c.sub, d, v)
	case opExists:
		return (v >= 0) == c.val.b
	case opNeq:
		return !c.any(d, v, opEq)
	case opNin:
		return !c.any(d, v, opIn)
	}
	return v >= 0 && c.test(&d.nodes[v], c.op)
}

// any reports whether the value at v, or any element of it when it is a
// list, passes the comparison o with c's operand.
func (c *cond) any(d *Doc, v int32, o op) bool {
	if v < 0 {
		return false
	}
	n := &d.nodes[v]
	if n.kind != kArray {
		return c.test(n, o)
	}
	for e := v + 1; e < n.end; e = d.nodes[e].end {
		if c.test(&d.nodes[e], o) {
			return true
		}
	}
	return false
}

// test reports whether n passes the comparison o with c's operand. Values
// of different types fail every comparison.
func (c *cond) test(n *node, o op) bool {
	switch o {
	case opEq:
		return equal(&c.val, n)
	case opIn:
		switch n.kind {
		case kString:
			_, ok := c.set.strs[n.str]
			return ok
		case kNumber:
			f, ok := number(n)
			_, in := c.set.nums[f]
			return ok && in
		case kBool:
			return n.b && c.set.true || !n.b && c.set.false
		case kNull:
			return c.set.null
		}
		return false
	case opStartsWith:
		return n.kind == kString && strings.HasPrefix(n.str, c.val.s)
	case opEndsWith:
		return n.kind == kString && strings.HasSuffix(n.str, c.val.s)
	}
	cmp, ok := compare(&c.val, n)
	if !ok {
		return false
	}
	switch o {
	case opGt:
		return cmp > 0
	case opGte:
		return cmp >= 0
	case opLt:
		return cmp < 0
	default: // opLte
		return cmp <= 0
	}
}

func equal(want *scalar, n *node) bool {
	if want.kind != n.kind {
		return false
	}
	switch n.kind {
	case kString:
		return n.str == want.s
	case kNumber:
		f, ok := number(n)
		return ok && f == want.n
	case kBool:
		return n.b == want.b
	}
	return true // null
}

// compare orders n against want (n > want is 1): numbers as numbers,
// strings as strings, anything else not at all.
func compare(want *scalar, n *node) (int, bool) {
	if want.kind != n.kind {
		return 0, false
	}
	switch n.kind {
	case kString:
		return strings.Compare(n.str, want.s), true
	case kNumber:
		f, ok := number(n)
		switch {
		case !ok:
			return 0, false
		case f > want.n:
			return 1, true
		case f < want.n:
			return -1, true
		}
		return 0, true
	}
	return 0, false
}

// number returns the value of a number node. A number too large for a
// double is ±Inf, as in JavaScript.
func number(n *node) (float64, bool) {
	f, err := strconv.ParseFloat(n.str, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return f, true
}
