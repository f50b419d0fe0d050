package filter

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// FuzzMatch compiles any filter and matches it against any event data: it
// never panics; a compiled filter's String compiles again to the same
// text; Doc.Reset accepts exactly what encoding/json.Valid does; and Match
// agrees with a plain evaluator of the same conditions over the data as
// encoding/json reads it, which checks the flat Doc and its parser. The
// seeds are the f.Add calls.
func FuzzMatch(f *testing.F) {
	f.Add(`{"data":{"order":{"total":{"$gte":100}}}}`, `{"order":{"total":120}}`)
	f.Add(`{"data":{"items":{"sku":"A","qty":{"$in":[1,2]}}}}`, `{"items":[{"sku":"A","qty":2},{"sku":"B"}]}`)
	f.Add(`{"$or":[{"topic":{"$startsWith":"orders/"}},{"data":{"$not":{"x":null}}}]}`, `[1,"a",null,{"x":null}]`)
	f.Add(`{"data":{"tags":{"$nin":["a"],"$exists":true}}}`, `{"tags":[],"a\u00e9":"\ud83d\ude00"}`)
	f.Fuzz(func(t *testing.T, text, data string) {
		flt, err := Compile([]byte(text))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Compile error %T is not *Error", err)
			}
			return
		}
		again, err := Compile([]byte(flt.String()))
		if err != nil || again.String() != flt.String() {
			t.Fatalf("String() %s does not compile to itself: %v", flt.String(), err)
		}
		var d Doc
		err = d.Reset("orders/placed", "sub", []byte(data))
		if valid := json.Valid([]byte(data)); (err == nil) != (valid || data == "") {
			t.Fatalf("Reset(%q) = %v, json.Valid = %v", data, err, valid)
		}
		got := flt.Match(&d)
		root := jvalue{kind: kObject, keys: []string{"topic", "subTopic"},
			vals: []jvalue{{kind: kString, s: "orders/placed"}, {kind: kString, s: "sub"}}}
		if err == nil && data != "" {
			dec := json.NewDecoder(bytes.NewReader([]byte(data)))
			dec.UseNumber()
			v, err := readValue(dec, "", 0)
			if err != nil {
				return // deeper than MaxDepth or a duplicate member: the plain reader refuses it
			}
			root.keys, root.vals = append(root.keys, "data"), append(root.vals, v)
		}
		if want := refAll(flt.root, &root); got != want {
			t.Fatalf("Match(%s, %s) = %v, plain evaluator says %v", text, data, got, want)
		}
	})
}

// refAll evaluates conds on v (nil: missing) the simple way: the package
// doc's semantics, written again over jvalue.
func refAll(conds []cond, v *jvalue) bool {
	if v == nil || v.kind != kArray {
		for i := range conds {
			if !refOne(&conds[i], v) {
				return false
			}
		}
		return true
	}
	var perElement []cond
	for i := range conds {
		if conds[i].onWhole() {
			if !refOne(&conds[i], v) {
				return false
			}
		} else {
			perElement = append(perElement, conds[i])
		}
	}
	if len(perElement) == 0 {
		return true
	}
	for i := range v.vals {
		ok := true
		for j := range perElement {
			ok = ok && refOne(&perElement[j], &v.vals[i])
		}
		if ok {
			return true
		}
	}
	return false
}

func refOne(c *cond, v *jvalue) bool {
	switch c.op {
	case opMember:
		var m *jvalue
		if v != nil && v.kind == kObject {
			for i, k := range v.keys {
				if k == c.key {
					m = &v.vals[i]
					break
				}
			}
		}
		return refAll(c.sub, m)
	case opAnd, opOr:
		for _, sub := range c.list {
			if refAll(sub, v) != (c.op == opAnd) {
				return c.op != opAnd
			}
		}
		return c.op == opAnd
	case opNot:
		return !refAll(c.sub, v)
	case opExists:
		return (v != nil) == c.val.b
	case opNeq, opNin:
		o := opEq
		if c.op == opNin {
			o = opIn
		}
		if v == nil {
			return true
		}
		if v.kind == kArray {
			for i := range v.vals {
				if refTest(c, &v.vals[i], o) {
					return false
				}
			}
			return true
		}
		return !refTest(c, v, o)
	}
	return v != nil && refTest(c, v, c.op)
}

func refTest(c *cond, v *jvalue, o op) bool {
	num := func() float64 { n, _ := strconv.ParseFloat(v.s, 64); return n }
	if o == opIn {
		for _, s := range setMembers(c.set) {
			if refEqual(s, v, num) {
				return true
			}
		}
		return false
	}
	if o == opEq {
		return refEqual(c.val, v, num)
	}
	if o == opStartsWith || o == opEndsWith {
		if v.kind != kString {
			return false
		}
		if o == opStartsWith {
			return len(v.s) >= len(c.val.s) && v.s[:len(c.val.s)] == c.val.s
		}
		return len(v.s) >= len(c.val.s) && v.s[len(v.s)-len(c.val.s):] == c.val.s
	}
	if v.kind != c.val.kind {
		return false
	}
	var less, more bool
	switch v.kind {
	case kString:
		less, more = v.s < c.val.s, v.s > c.val.s
	case kNumber:
		less, more = num() < c.val.n, num() > c.val.n
	default:
		return false
	}
	switch o {
	case opGt:
		return more
	case opGte:
		return !less
	case opLt:
		return less
	}
	return !more
}

func refEqual(want scalar, v *jvalue, num func() float64) bool {
	if want.kind != v.kind {
		return false
	}
	switch v.kind {
	case kString:
		return v.s == want.s
	case kNumber:
		return num() == want.n
	case kBool:
		return v.b == want.b
	}
	return v.kind == kNull
}

func setMembers(s *set) []scalar {
	var out []scalar
	for k := range s.strs {
		out = append(out, scalar{kind: kString, s: k})
	}
	for n := range s.nums {
		out = append(out, scalar{kind: kNumber, n: n})
	}
	if s.true {
		out = append(out, scalar{kind: kBool, b: true})
	}
	if s.false {
		out = append(out, scalar{kind: kBool})
	}
	if s.null {
		out = append(out, scalar{kind: kNull})
	}
	return out
}
