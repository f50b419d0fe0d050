package filter_test

import (
	"errors"
	"strings"
	"testing"

	"hooks/domain/filter"
)

// order is the event most cases match against.
const order = `{
	"order": {"id": "ord_1", "total": 120.5, "count": 3, "status": "paid", "paid": true, "coupon": null,
		"placedAt": "2026-12-03T10:00:00Z", "tags": ["vip", "gift"], "scores": [1, 5, 9],
		"items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1, "options": {"color": "red"}}],
		"customer": {"email": "ann@example.com", "address": {"country": "SE"}}},
	"empty": [], "big": 1e400, "esc": "tab\there \u00e9", "a.b": 1, "nested": [[1, 2], [3]]}`

func match(t *testing.T, f, data string) bool {
	t.Helper()
	flt, err := filter.Compile([]byte(f))
	if err != nil {
		t.Fatalf("Compile(%s): %v", f, err)
	}
	var d filter.Doc
	if err := d.Reset("orders/placed", "shop:se", []byte(data)); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	return flt.Match(&d)
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		filter string
		want   bool
	}{
		{"empty filter matches all", `{}`, true},
		// Top-level members.
		{"topic equal", `{"topic": "orders/placed"}`, true},
		{"topic not equal", `{"topic": "orders/cancelled"}`, false},
		{"topic startsWith", `{"topic": {"$startsWith": "orders/"}}`, true},
		{"subTopic endsWith", `{"subTopic": {"$endsWith": ":se"}}`, true},
		{"data exists", `{"data": {"$exists": true}}`, true},
		// $eq and the plain-value shorthand, by type.
		{"string eq", `{"data": {"order": {"status": "paid"}}}`, true},
		{"string eq explicit", `{"data": {"order": {"status": {"$eq": "paid"}}}}`, true},
		{"string eq other", `{"data": {"order": {"status": "open"}}}`, false},
		{"number eq", `{"data": {"order": {"count": 3}}}`, true},
		{"number eq other notation", `{"data": {"order": {"count": 3.0e0}}}`, true},
		{"number eq float", `{"data": {"order": {"total": 120.5}}}`, true},
		{"bool eq", `{"data": {"order": {"paid": true}}}`, true},
		{"bool eq false", `{"data": {"order": {"paid": false}}}`, false},
		{"null eq explicit null", `{"data": {"order": {"coupon": null}}}`, true},
		{"null does not match missing", `{"data": {"order": {"nothing": null}}}`, false},
		{"escaped string", `{"data": {"esc": "tab\there é"}}`, true},
		{"dotted key is one member", `{"data": {"a.b": 1}}`, true},
		// $neq.
		{"neq differs", `{"data": {"order": {"status": {"$neq": "open"}}}}`, true},
		{"neq same", `{"data": {"order": {"status": {"$neq": "paid"}}}}`, false},
		{"neq missing", `{"data": {"order": {"nothing": {"$neq": "x"}}}}`, true},
		{"neq other type", `{"data": {"order": {"count": {"$neq": "3"}}}}`, true},
		// Ordering, numbers.
		{"gt", `{"data": {"order": {"total": {"$gt": 100}}}}`, true},
		{"gt equal", `{"data": {"order": {"total": {"$gt": 120.5}}}}`, false},
		{"gte equal", `{"data": {"order": {"total": {"$gte": 120.5}}}}`, true},
		{"lt", `{"data": {"order": {"total": {"$lt": 200}}}}`, true},
		{"lt equal", `{"data": {"order": {"total": {"$lt": 120.5}}}}`, false},
		{"lte equal", `{"data": {"order": {"total": {"$lte": 120.5}}}}`, true},
		{"range", `{"data": {"order": {"total": {"$gte": 100, "$lt": 121}}}}`, true},
		{"range outside", `{"data": {"order": {"total": {"$gte": 100, "$lt": 120}}}}`, false},
		{"huge number is infinity", `{"data": {"big": {"$gt": 1e300}}}`, true},
		// Ordering, strings.
		{"string gt", `{"data": {"order": {"status": {"$gt": "open"}}}}`, true},
		{"time as string gte", `{"data": {"order": {"placedAt": {"$gte": "2026-12-01T00:00:00Z"}}}}`, true},
		{"time as string lt", `{"data": {"order": {"placedAt": {"$lt": "2026-12-01T00:00:00Z"}}}}`, false},
		// Type mismatches never match, never fail.
		{"number op on string", `{"data": {"order": {"status": {"$gt": 1}}}}`, false},
		{"string op on number", `{"data": {"order": {"total": {"$gt": "1"}}}}`, false},
		{"string eq on number", `{"data": {"order": {"count": "3"}}}`, false},
		{"number eq on bool", `{"data": {"order": {"paid": 1}}}`, false},
		{"gt on bool", `{"data": {"order": {"paid": {"$gte": 0}}}}`, false},
		{"gt on object", `{"data": {"order": {"$gt": 0}}}`, false},
		{"startsWith on number", `{"data": {"order": {"count": {"$startsWith": "3"}}}}`, false},
		{"eq on object", `{"data": {"order": {"customer": "x"}}}`, false},
		{"member of a string", `{"data": {"order": {"status": {"x": 1}}}}`, false},
		{"member of a string missing", `{"data": {"order": {"status": {"x": {"$exists": false}}}}}`, true},
		// $in and $nin.
		{"in", `{"data": {"order": {"status": {"$in": ["paid", "shipped"]}}}}`, true},
		{"in none", `{"data": {"order": {"status": {"$in": ["open", "shipped"]}}}}`, false},
		{"in numbers", `{"data": {"order": {"count": {"$in": [1, 3.0]}}}}`, true},
		{"in mixed types", `{"data": {"order": {"count": {"$in": ["3", true, null]}}}}`, false},
		{"in bool", `{"data": {"order": {"paid": {"$in": [true]}}}}`, true},
		{"in null", `{"data": {"order": {"coupon": {"$in": [null]}}}}`, true},
		{"in empty", `{"data": {"order": {"status": {"$in": []}}}}`, false},
		{"nin", `{"data": {"order": {"status": {"$nin": ["open"]}}}}`, true},
		{"nin member", `{"data": {"order": {"status": {"$nin": ["paid"]}}}}`, false},
		{"nin missing", `{"data": {"order": {"nothing": {"$nin": ["paid"]}}}}`, true},
		{"nin empty", `{"data": {"order": {"status": {"$nin": []}}}}`, true},
		// $exists.
		{"exists", `{"data": {"order": {"coupon": {"$exists": true}}}}`, true},
		{"exists missing", `{"data": {"order": {"nothing": {"$exists": true}}}}`, false},
		{"not exists missing", `{"data": {"order": {"nothing": {"$exists": false}}}}`, true},
		{"not exists present", `{"data": {"order": {"id": {"$exists": false}}}}`, false},
		{"exists empty list", `{"data": {"empty": {"$exists": true}}}`, true},
		{"missing parent", `{"data": {"nope": {"deeper": {"$exists": false}}}}`, true},
		{"missing parent eq", `{"data": {"nope": {"deeper": 1}}}`, false},
		// Missing fields: only $exists false, $neq, $nin (and $not) match.
		{"missing eq", `{"data": {"order": {"nothing": "x"}}}`, false},
		{"missing gt", `{"data": {"order": {"nothing": {"$gt": 0}}}}`, false},
		{"missing in", `{"data": {"order": {"nothing": {"$in": ["x"]}}}}`, false},
		{"missing startsWith", `{"data": {"order": {"nothing": {"$startsWith": ""}}}}`, false},
		{"missing not", `{"data": {"order": {"nothing": {"$not": {"$eq": "x"}}}}}`, true},
		// $startsWith, $endsWith.
		{"startsWith", `{"data": {"order": {"customer": {"email": {"$endsWith": "@example.com"}}}}}`, true},
		{"startsWith no", `{"data": {"order": {"id": {"$startsWith": "inv_"}}}}`, false},
		{"startsWith empty", `{"data": {"order": {"id": {"$startsWith": ""}}}}`, true},
		// Nesting.
		{"deep", `{"data": {"order": {"customer": {"address": {"country": "SE"}}}}}`, true},
		{"deep other", `{"data": {"order": {"customer": {"address": {"country": "NO"}}}}}`, false},
		{"member and operator together", `{"data": {"order": {"$exists": true, "status": "paid"}}}`, true},
		// Lists: any element.
		{"list eq any", `{"data": {"order": {"tags": "gift"}}}`, true},
		{"list eq none", `{"data": {"order": {"tags": "sale"}}}`, false},
		{"list gt any", `{"data": {"order": {"scores": {"$gt": 8}}}}`, true},
		{"list gt none", `{"data": {"order": {"scores": {"$gt": 9}}}}`, false},
		{"list range per element", `{"data": {"order": {"scores": {"$gt": 1, "$lt": 5}}}}`, false},
		{"list range per element via and", `{"data": {"order": {"scores": {"$and": [{"$gt": 1}, {"$lt": 5}]}}}}`, false},
		{"list in", `{"data": {"order": {"tags": {"$in": ["sale", "vip"]}}}}`, true},
		{"list startsWith", `{"data": {"order": {"tags": {"$startsWith": "gi"}}}}`, true},
		{"list neq means none equal", `{"data": {"order": {"tags": {"$neq": "vip"}}}}`, false},
		{"list neq none equal", `{"data": {"order": {"tags": {"$neq": "sale"}}}}`, true},
		{"list nin means none in", `{"data": {"order": {"tags": {"$nin": ["vip"]}}}}`, false},
		{"list of objects member", `{"data": {"order": {"items": {"sku": "B-7"}}}}`, true},
		{"list of objects member none", `{"data": {"order": {"items": {"sku": "C-1"}}}}`, false},
		{"list of objects same element", `{"data": {"order": {"items": {"sku": "B-7", "qty": 1}}}}`, true},
		{"list of objects not same element", `{"data": {"order": {"items": {"sku": "B-7", "qty": 2}}}}`, false},
		{"list of objects deep", `{"data": {"order": {"items": {"options": {"color": "red"}}}}}`, true},
		{"list of objects some lacks member", `{"data": {"order": {"items": {"options": {"$exists": false}}}}}`, true},
		{"no element has", `{"data": {"order": {"items": {"$not": {"sku": "A-1"}}}}}`, false},
		{"empty list eq", `{"data": {"empty": 1}}`, false},
		{"empty list member", `{"data": {"empty": {"x": {"$exists": false}}}}`, false},
		{"list of lists is one level", `{"data": {"nested": 1}}`, false},
		// $and, $or, $not.
		{"and", `{"$and": [{"topic": "orders/placed"}, {"data": {"order": {"paid": true}}}]}`, true},
		{"and one false", `{"$and": [{"topic": "orders/placed"}, {"data": {"order": {"paid": false}}}]}`, false},
		{"or", `{"$or": [{"topic": "x"}, {"data": {"order": {"status": "paid"}}}]}`, true},
		{"or none", `{"$or": [{"topic": "x"}, {"topic": "y"}]}`, false},
		{"not", `{"$not": {"topic": "x"}}`, true},
		{"not true", `{"$not": {"topic": "orders/placed"}}`, false},
		{"not operator", `{"data": {"order": {"status": {"$not": {"$in": ["open", "void"]}}}}}`, true},
		{"nested logic", `{"data": {"order": {"$or": [{"total": {"$gte": 1000}}, {"$and": [{"paid": true}, {"tags": "vip"}]}]}}}`, true},
		{"double not", `{"$not": {"$not": {"topic": "orders/placed"}}}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := match(t, tc.filter, order); got != tc.want {
				t.Errorf("%s = %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
}

func TestMatchWithoutSubTopicOrData(t *testing.T) {
	f, err := filter.Compile([]byte(`{"subTopic": {"$exists": false}, "data": {"$exists": false}}`))
	if err != nil {
		t.Fatal(err)
	}
	var d filter.Doc
	if err := d.Reset("ping", "", nil); err != nil {
		t.Fatal(err)
	}
	if !f.Match(&d) {
		t.Error("an event without sub-topic and data has neither member")
	}
	if err := d.Reset("ping", "x", []byte(`{}`)); err != nil || f.Match(&d) {
		t.Errorf("with both: Match = true, err %v", err)
	}
}

func TestMatchScalarData(t *testing.T) {
	for data, want := range map[string]bool{`5`: true, `[1, 7]`: true, `"5"`: false, `null`: false, `[]`: false} {
		if got := match(t, `{"data": {"$gte": 5}}`, data); got != want {
			t.Errorf("data %s: %v, want %v", data, got, want)
		}
	}
}

func TestResetRefusesInvalidData(t *testing.T) {
	f, _ := filter.Compile([]byte(`{"data": {"$exists": false}, "topic": "t"}`))
	var d filter.Doc
	for _, data := range []string{`{`, `{"a":}`, `[1,]`, `01`, `"\x"`, `tru`, `{"a":1}x`, `{"a" 1}`, `[1 2]`, "\"a\x01\""} {
		if err := d.Reset("t", "", []byte(data)); !errors.Is(err, filter.ErrNotJSON) {
			t.Errorf("Reset(%q) = %v, want ErrNotJSON", data, err)
		}
		if !f.Match(&d) {
			t.Errorf("after Reset(%q) failed, the event should have no data", data)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct{ filter, want string }{
		{`[]`, `must be a JSON object`},
		{`"x"`, `must be a JSON object`},
		{`{"a": 1`, `not valid JSON`},
		{`{"a": 1} {}`, `text follows it`},
		{`{"data": {"order": {"total": {"$gte": true}}}}`, `data.order.total.$gte: must be a number or string`},
		{`{"data": {"order": {"total": {"$gt": {}}}}}`, `data.order.total.$gt: must be a number or string`},
		{`{"data": {"x": {"$regex": "a"}}}`, `data.x.$regex: unknown operator (want one of $eq,`},
		{`{"$nor": []}`, `$nor: unknown operator`},
		{`{"data": {"x": {"$eq": [1]}}}`, `data.x.$eq: must be a string, number, boolean or null`},
		{`{"data": {"x": {"$neq": {"a": 1}}}}`, `data.x.$neq: must be a string, number, boolean or null`},
		{`{"data": {"x": {"$in": "a"}}}`, `data.x.$in: must be a list`},
		{`{"data": {"x": {"$in": [1, [2]]}}}`, `data.x.$in[1]: must be a string, number, boolean or null`},
		{`{"data": {"x": {"$nin": [{}]}}}`, `data.x.$nin[0]: must be`},
		{`{"data": {"x": {"$exists": 1}}}`, `data.x.$exists: must be true or false`},
		{`{"data": {"x": {"$startsWith": 1}}}`, `data.x.$startsWith: must be a string`},
		{`{"data": {"x": {"$endsWith": null}}}`, `data.x.$endsWith: must be a string`},
		{`{"$and": {}}`, `$and: must be a list of 1 to 256 filter objects`},
		{`{"$or": []}`, `$or: must be a list of 1 to 256 filter objects`},
		{`{"$or": [{"topic": "a"}, 3]}`, `$or[1]: must be a filter object`},
		{`{"$or": [{"topic": "a"}, {"data": {"x": {"$lt": null}}}]}`, `$or[1].data.x.$lt: must be a number or string`},
		{`{"$not": "x"}`, `$not: must be a filter object`},
		{`{"data": {"tags": ["a", "b"]}}`, `data.tags: a list is not a value to compare; use {"$in"`},
		{`{"data": {}}`, `data: an empty object is no condition`},
		{`{"data": {"a": 1, "a": 2}}`, `data.a: appears twice`},
		{`{"data": {"a.b": {"$gt": false}}}`, `data["a.b"].$gt: must be a number or string`},
		{`{"data": {"": {"$gt": false}}}`, `data[""].$gt: must be a number or string`},
	} {
		_, err := filter.Compile([]byte(tc.filter))
		var fe *filter.Error
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%s) = %v, want an *Error containing %q", tc.filter, err, tc.want)
		}
	}
}

func TestCompileBounds(t *testing.T) {
	deep := strings.Repeat(`{"a":`, filter.MaxDepth+1) + "1" + strings.Repeat("}", filter.MaxDepth+1)
	many := `{"data":{` + strings.Repeat(`"$or":[{"a":1}],`, 0)
	for i := 0; i <= filter.MaxConditions; i++ {
		if i > 0 {
			many += ","
		}
		many += `"k` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + itoa(i) + `":1`
	}
	many += "}}"
	longIn := `{"data":{"x":{"$in":[` + strings.TrimSuffix(strings.Repeat("1,", filter.MaxList+1), ",") + `]}}}`
	huge := `{"data":{"x":"` + strings.Repeat("a", filter.MaxBytes) + `"}}`
	spread := `{"$and":[` + strings.TrimSuffix(strings.Repeat(`{"a":1,"b":2},`, filter.MaxConditions/2), ",") + `]}`
	for name, tc := range map[string]struct{ filter, want string }{
		"depth":               {deep, "nested more than 12 levels deep"},
		"members":             {many, "at most 128 conditions"},
		"conditions in lists": {spread, "at most 128 conditions"},
		"in list":             {longIn, "at most 256 elements"},
		"size":                {huge, "longer than 16384 bytes"},
	} {
		_, err := filter.Compile([]byte(tc.filter))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Compile = %v, want %q", name, err, tc.want)
		}
	}
	ok := strings.Repeat(`{"a":`, filter.MaxDepth-1) + "1" + strings.Repeat("}", filter.MaxDepth-1)
	if _, err := filter.Compile([]byte(ok)); err != nil {
		t.Errorf("a filter %d levels deep: %v", filter.MaxDepth-1, err)
	}
}

func itoa(i int) string {
	return strings.TrimLeft(string([]byte{byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10)}), "0")
}

func TestStringIsCompact(t *testing.T) {
	f, err := filter.Compile([]byte("{ \"topic\" : \"a\",\n \"data\": {\"x\": 1.50} }"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.String(); got != `{"topic":"a","data":{"x":1.50}}` {
		t.Errorf("String() = %s", got)
	}
}

// TestDocReuse checks that a Doc reset for another event forgets the first.
func TestDocReuse(t *testing.T) {
	f, _ := filter.Compile([]byte(`{"data": {"a": 1}}`))
	var d filter.Doc
	d.Reset("t", "", []byte(`{"a": 1, "b": [1, 2, {"c": 3}]}`))
	if !f.Match(&d) {
		t.Fatal("first event should match")
	}
	d.Reset("t", "", []byte(`{"b": 1}`))
	if f.Match(&d) {
		t.Fatal("second event should not match")
	}
	var zero filter.Doc
	if f.Match(&zero) {
		t.Fatal("the zero Doc matches nothing")
	}
}
