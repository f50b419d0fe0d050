// Package filter is the language of webhook payload filters: a JSON object
// matched against an event seen as {"topic", "subTopic", "data"}.
//
// A filter object is a conjunction of conditions on one value, at first the
// event itself. A key that starts with '$' is an operator on that value; any
// other key is a member of it, and its value is a filter on that member (a
// plain value is short for {"$eq": value}), so nesting follows the event's
// own structure:
//
//	{"topic": "orders/placed", "data": {"order": {"total": {"$gte": 100}}}}
//
// Semantics, precisely:
//   - Numbers compare as numbers (IEEE 754 doubles, as in JavaScript),
//     strings as strings (byte order, which is Unicode code point order, so
//     RFC 3339 UTC times compare in time order), booleans and null only for
//     equality. Values of different types are never equal and never ordered:
//     {"$gt": 5} does not match "7", and nothing is an error at match time.
//   - A filter object on a list matches when one element meets all of its
//     conditions: {"items": {"sku": "A", "qty": 2}} needs one item with both,
//     and {"scores": {"$gt": 1, "$lt": 5}} one score between. Except for
//     $exists, $neq, $nin and $not, which are about the list as a whole:
//     $neq and $nin are exactly the negations of $eq and $in, so on a list
//     they match when no element is equal, and $exists is true of a list,
//     even an empty one. Lists in lists are not opened at the same level.
//   - A missing member (or a member of something that is not an object)
//     matches only $exists: false, $neq, $nin, and $not of a filter that it
//     does not match. null is a value: {"x": null} matches an explicit null
//     only. An event without a sub-topic has no subTopic member.
//   - $and and $or take a non-empty list of filter objects on the same value,
//     $not one filter object.
//   - A key is matched literally: "a.b" is a member named "a.b", not a path.
//     Members whose names start with '$' can't be addressed.
//
// Compile bounds a filter (MaxBytes, MaxDepth, MaxConditions, MaxList), so a
// match costs at most the number of conditions times the size of the event.
package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Bounds on a filter, so that a hostile one can't cost much to compile or
// to match.
const (
	MaxBytes      = 16 << 10 // of the filter's JSON text
	MaxDepth      = 12       // objects and lists nested in the filter
	MaxConditions = 128      // operators and members, all levels together
	MaxList       = 256      // elements of a $in, $nin, $and or $or list
)

// Error is a filter that does not compile. Path says where, in the
// filter's own terms ("data.order.total.$gte", "$or[1].topic"); it is empty
// when the problem is the filter as a whole.
type Error struct {
	Path    string
	Message string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// Filter is a compiled filter. It is immutable and safe for concurrent use.
type Filter struct {
	root []cond
	text string
}

// String returns the filter as compact JSON text, members in the order they
// were written.
func (f *Filter) String() string { return f.text }

type op uint8

const (
	opMember op = iota
	opAnd
	opOr
	opNot
	opExists
	opEq
	opNeq
	opGt
	opGte
	opLt
	opLte
	opIn
	opNin
	opStartsWith
	opEndsWith
)

var operators = map[string]op{
	"$and": opAnd, "$or": opOr, "$not": opNot, "$exists": opExists, "$eq": opEq, "$neq": opNeq,
	"$gt": opGt, "$gte": opGte, "$lt": opLt, "$lte": opLte, "$in": opIn, "$nin": opNin,
	"$startsWith": opStartsWith, "$endsWith": opEndsWith,
}

const operatorList = "$eq, $neq, $gt, $gte, $lt, $lte, $in, $nin, $exists, $startsWith, $endsWith, $and, $or, $not"

// cond is one condition on a value. Which fields are set depends on op.
type cond struct {
	op   op
	key  string   // opMember: the member's name
	sub  []cond   // opMember, opNot: a filter object (a conjunction)
	list [][]cond // opAnd, opOr
	val  scalar   // comparisons; opExists: val.b
	set  *set     // opIn, opNin
}

// kind is the type of a JSON value.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kObject
	kArray
)

// scalar is a comparison's operand.
type scalar struct {
	kind kind
	b    bool
	n    float64
	s    string
}

// set is the list of a $in or $nin, indexed by type.
type set struct {
	strs        map[string]struct{}
	nums        map[float64]struct{}
	true, false bool
	null        bool
}

// Compile parses and checks a filter. Its errors are *Error.
func Compile(text []byte) (*Filter, error) {
	if len(text) > MaxBytes {
		return nil, &Error{Message: fmt.Sprintf("longer than %d bytes", MaxBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	v, err := readValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Message: "not one JSON object: text follows it"}
	}
	if v.kind != kObject {
		return nil, &Error{Message: "must be a JSON object, e.g. {\"data\": {\"status\": \"paid\"}}"}
	}
	c := compiler{}
	root, err := c.object(v, "", true)
	if err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, text); err != nil {
		return nil, &Error{Message: "not valid JSON"} // readValue accepted it; unreachable
	}
	return &Filter{root: root, text: compact.String()}, nil
}

// jvalue is the filter's JSON as read, members in order.
type jvalue struct {
	kind kind
	b    bool
	s    string // string, or number text
	keys []string
	vals []jvalue // members' values, or elements
}

// readValue reads one JSON value from dec, refusing duplicate members and
// nesting deeper than MaxDepth.
func readValue(dec *json.Decoder, path string, depth int) (jvalue, error) {
	tok, err := dec.Token()
	if err != nil {
		return jvalue{}, &Error{Path: path, Message: "not valid JSON: " + jsonMessage(err)}
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= MaxDepth {
			return jvalue{}, &Error{Path: path, Message: fmt.Sprintf("nested more than %d levels deep", MaxDepth)}
		}
		if t == '[' {
			v := jvalue{kind: kArray}
			for dec.More() {
				if len(v.vals) == MaxList {
					return jvalue{}, &Error{Path: path, Message: fmt.Sprintf("a list in a filter has at most %d elements", MaxList)}
				}
				e, err := readValue(dec, index(path, len(v.vals)), depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.vals = append(v.vals, e)
			}
			_, err := dec.Token()
			return v, jsonError(path, err)
		}
		v := jvalue{kind: kObject}
		for dec.More() {
			if len(v.keys) == MaxConditions {
				return jvalue{}, &Error{Path: path, Message: fmt.Sprintf("a filter has at most %d conditions", MaxConditions)}
			}
			tok, err := dec.Token()
			if err != nil {
				return jvalue{}, jsonError(path, err)
			}
			key := tok.(string) // the decoder allows only strings here
			for _, k := range v.keys {
				if k == key {
					return jvalue{}, &Error{Path: member(path, key), Message: "appears twice"}
				}
			}
			e, err := readValue(dec, member(path, key), depth+1)
			if err != nil {
				return jvalue{}, err
			}
			v.keys, v.vals = append(v.keys, key), append(v.vals, e)
		}
		_, err := dec.Token()
		return v, jsonError(path, err)
	case string:
		return jvalue{kind: kString, s: t}, nil
	case json.Number:
		return jvalue{kind: kNumber, s: string(t)}, nil
	case bool:
		return jvalue{kind: kBool, b: t}, nil
	default:
		return jvalue{kind: kNull}, nil
	}
}

func jsonError(path string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Path: path, Message: "not valid JSON: " + jsonMessage(err)}
}

func jsonMessage(err error) string {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end"
	}
	return err.Error()
}

// compiler turns a read filter into conditions, counting them.
type compiler struct{ n int }

// object compiles a filter object at path: the conjunction of its members.
// Only the whole filter may be empty ({} matches every event).
func (c *compiler) object(v jvalue, path string, root bool) ([]cond, error) {
	if len(v.keys) == 0 && !root {
		return nil, &Error{Path: path, Message: `an empty object is no condition; remove it, or write {"$exists": true}`}
	}
	out := make([]cond, 0, len(v.keys))
	for i, key := range v.keys {
		p := member(path, key)
		if c.n++; c.n > MaxConditions {
			return nil, &Error{Path: p, Message: fmt.Sprintf("a filter has at most %d conditions", MaxConditions)}
		}
		cd, err := c.condition(key, v.vals[i], p)
		if err != nil {
			return nil, err
		}
		out = append(out, cd)
	}
	return out, nil
}

// condition compiles one member of a filter object: an operator and its
// operand, or a member name and the filter on that member.
func (c *compiler) condition(key string, v jvalue, path string) (cond, error) {
	if !strings.HasPrefix(key, "$") {
		switch v.kind {
		case kObject:
			sub, err := c.object(v, path, false)
			return cond{op: opMember, key: key, sub: sub}, err
		case kArray:
			return cond{}, &Error{Path: path, Message: `a list is not a value to compare; use {"$in": [...]} to match one of several values`}
		}
		val, _ := scalarOf(v)
		return cond{op: opMember, key: key, sub: []cond{{op: opEq, val: val}}}, nil
	}
	o, ok := operators[key]
	if !ok {
		return cond{}, &Error{Path: path, Message: "unknown operator (want one of " + operatorList + ")"}
	}
	cd := cond{op: o}
	switch o {
	case opAnd, opOr:
		if v.kind != kArray || len(v.vals) == 0 || len(v.vals) > MaxList {
			return cond{}, &Error{Path: path, Message: fmt.Sprintf("must be a list of 1 to %d filter objects", MaxList)}
		}
		for i, e := range v.vals {
			p := index(path, i)
			if e.kind != kObject {
				return cond{}, &Error{Path: p, Message: "must be a filter object"}
			}
			sub, err := c.object(e, p, false)
			if err != nil {
				return cond{}, err
			}
			cd.list = append(cd.list, sub)
		}
	case opNot:
		if v.kind != kObject {
			return cond{}, &Error{Path: path, Message: "must be a filter object"}
		}
		sub, err := c.object(v, path, false)
		if err != nil {
			return cond{}, err
		}
		cd.sub = sub
	case opExists:
		if v.kind != kBool {
			return cond{}, &Error{Path: path, Message: "must be true or false"}
		}
		cd.val = scalar{kind: kBool, b: v.b}
	case opEq, opNeq:
		val, ok := scalarOf(v)
		if !ok {
			return cond{}, &Error{Path: path, Message: "must be a string, number, boolean or null"}
		}
		cd.val = val
	case opGt, opGte, opLt, opLte:
		if v.kind != kNumber && v.kind != kString {
			return cond{}, &Error{Path: path, Message: "must be a number or string"}
		}
		cd.val, _ = scalarOf(v)
	case opStartsWith, opEndsWith:
		if v.kind != kString {
			return cond{}, &Error{Path: path, Message: "must be a string"}
		}
		cd.val, _ = scalarOf(v)
	case opIn, opNin:
		if v.kind != kArray || len(v.vals) > MaxList {
			return cond{}, &Error{Path: path, Message: fmt.Sprintf("must be a list of at most %d strings, numbers, booleans or nulls", MaxList)}
		}
		cd.set = &set{}
		for i, e := range v.vals {
			val, ok := scalarOf(e)
			if !ok {
				return cond{}, &Error{Path: index(path, i), Message: "must be a string, number, boolean or null"}
			}
			cd.set.add(val)
		}
	}
	return cd, nil
}

// scalarOf returns v as an operand, or false for an object or a list.
func scalarOf(v jvalue) (scalar, bool) {
	switch v.kind {
	case kNumber:
		n, _ := strconv.ParseFloat(v.s, 64) // out of range is ±Inf, as JavaScript has it
		return scalar{kind: kNumber, n: n}, true
	case kString:
		return scalar{kind: kString, s: v.s}, true
	case kBool:
		return scalar{kind: kBool, b: v.b}, true
	case kNull:
		return scalar{kind: kNull}, true
	}
	return scalar{}, false
}

func (s *set) add(v scalar) {
	switch v.kind {
	case kString:
		if s.strs == nil {
			s.strs = map[string]struct{}{}
		}
		s.strs[v.s] = struct{}{}
	case kNumber:
		if s.nums == nil {
			s.nums = map[float64]struct{}{}
		}
		s.nums[v.n] = struct{}{}
	case kBool:
		if v.b {
			s.true = true
		} else {
			s.false = true
		}
	case kNull:
		s.null = true
	}
}

// member returns path extended by a member name: a.b, or a["x.y"] for a
// name that would read as more than one step.
func member(path, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\" \t\r\n") {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// index returns path extended by a list index: a[2].
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
