package envelope

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"hooks/rawjson"
)

// maxEventData is the largest event data ingest accepts: the API refuses
// request bodies over 1 MiB, and the data is most of one.
const maxEventData = 1 << 20

// hostileCase is a template and an event built to make one render as costly
// as the validator allows.
type hostileCase struct {
	name string
	tmpl string
	data []byte
}

// fillArray returns a template that is an array of elem, repeated as often
// as MaxTemplateSize allows: the widest template of that element.
func fillArray(elem string) string {
	n := (MaxTemplateSize - 2) / (len(elem) + 1)
	return "[" + strings.Repeat(elem+",", n-1) + elem + "]"
}

// nestIf returns cond nested depth levels deep in $then members.
func nestIf(cond string, depth int) string {
	return strings.Repeat(`{"$if":"`+cond+`","$then":`, depth) + "1" + strings.Repeat(`,"$else":0}`, depth)
}

// stringData returns {"s":"…"}, the string made of unit repeated to fill
// maxEventData.
func stringData(unit string) []byte {
	n := (maxEventData - len(`{"s":""}`)) / len(unit)
	return []byte(`{"s":"` + strings.Repeat(unit, n) + `"}`)
}

// hostileCases are the costliest templates found for a 1 MiB event: each
// makes every operation it can repeat work on the whole event, on data
// that takes the slow path of that operation.
func hostileCases() []hostileCase {
	// Escapes force the slow path of unquoting; é and U+2028 that of
	// escaping and of case mapping.
	escaped := stringData(`\"a\u00e9`)
	unicode := stringData(`Éé\u2028ǅ`)
	control := stringData(`\u0001`)
	// Many short members with escaped names: a lookup of a name that is
	// not there compares against every one of them.
	keys := `{` + strings.Repeat(`"\u0061":0,`, (maxEventData-20)/len(`"\u0061":0,`)) + `"b":0}`
	// A number as long as the event, which comparisons parse.
	number := `{"n":` + strings.Repeat("1", maxEventData-10) + `}`
	// Nesting as deep as ingest lets through (encoding/json's 10,000),
	// then padding: the slow path of checking and skipping.
	deep := `{"a":` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `,"b":[` + strings.Repeat("0,", (maxEventData-20000)/2-20) + `0],"c":0}`
	return []hostileCase{
		{"31-deep $if comparing 1 MiB strings", nestIf("event.data.s == event.data.s", MaxDepth-1), escaped},
		{"wide $if comparing 1 MiB strings", fillArray(`{"$if":"event.data.s==event.data.s","$then":1}`), escaped},
		{"wide upper on 1 MiB of text", fillArray(`{"$if":"event.data.s|upper","$then":1}`), unicode},
		{"wide json on 1 MiB of control characters", fillArray(`{"$if":"event.data.s|json|json","$then":1}`), control},
		{"wide missing member among escaped names", fillArray(`{"$if":"event.data.x","$then":1}`), []byte(keys)},
		{"wide comparisons of a 1 MiB number", fillArray(`{"$if":"event.data.n==1","$then":1}`), []byte(number)},
		{"wide lookups past deep nesting", fillArray(`{"$if":"event.data.c","$then":1}`), []byte(deep)},
		{"wide text of 1 MiB strings", fillArray(`"{{event.data.s|lower}}"`), unicode},
	}
}

// hostileScope returns a delivery of data.
func hostileScope(data []byte) *Scope {
	s := testScope()
	s.Event.Data = data
	return s
}

// BenchmarkWorstTemplate renders each hostile template on a 1 MiB event
// with the default limits; the slowest case is the most that any template
// can cost one delivery. Run it with
//
//	go test -run '^$' -bench WorstTemplate -benchtime 20x ./delivery/envelope
func BenchmarkWorstTemplate(b *testing.B) {
	for _, c := range hostileCases() {
		b.Run(c.name, func(b *testing.B) {
			e := mustCompile(b, Spec{Type: KindTemplate, Template: c.tmpl})
			s := hostileScope(c.data)
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Render(nil, s); err != nil && !errors.Is(err, ErrBudget) && !errors.Is(err, ErrTooLarge) {
					b.Fatal(err)
				}
			}
		})
	}
}

// bytesAllocated returns how many bytes f allocates.
func bytesAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileTemplatesStayWithinBudget renders each hostile template on a
// 1 MiB event and checks that it stops within the step budget, having
// allocated little. Before comparisons and copies were charged by size,
// the 31-deep $if rendered in full (62 comparisons of 1 MiB strings, 94 MB
// allocated) and lookups past escaped names allocated 1 GB.
func TestHostileTemplatesStayWithinBudget(t *testing.T) {
	if DefaultMaxSteps > 8<<20 {
		t.Errorf("DefaultMaxSteps = %d; a render may cost a few milliseconds, not more", DefaultMaxSteps)
	}
	// One operation can overshoot the budget before it is counted: a lookup
	// passing the whole event, or the output check of an escaped value.
	const overshoot = maxEventData * (1 + rawjson.MemberSteps/2 + textWeight)
	// The output, its growth by doubling, and a few values decoded whole.
	const maxAlloc = 12 << 20
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			e := mustCompile(t, Spec{Type: KindTemplate, Template: c.tmpl})
			s := hostileScope(c.data)
			var steps int
			var err error
			n := bytesAllocated(func() { _, steps, err = e.renderSteps(nil, s) })
			if err != nil && !errors.Is(err, ErrBudget) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Render: %v", err)
			}
			if steps > DefaultMaxSteps+overshoot {
				t.Errorf("charged %d steps; the budget is %d", steps, DefaultMaxSteps)
			}
			if n > maxAlloc {
				t.Errorf("allocated %d bytes, want at most %d", n, maxAlloc)
			}
			t.Logf("%d steps, %d bytes allocated: %v", steps, n, err)
		})
	}
}

func TestDeepComparisonOfLargeStringsExceedsBudget(t *testing.T) {
	c := hostileCases()[0]
	e := mustCompile(t, Spec{Type: KindTemplate, Template: c.tmpl})
	_, steps, err := e.renderSteps(nil, hostileScope(c.data))
	if !errors.Is(err, ErrBudget) {
		t.Fatalf("Render error = %v, want ErrBudget", err)
	}
	if !strings.HasPrefix(err.Error(), "envelope template: budget exceeded") {
		t.Errorf("error %q does not say what happened", err)
	}
	// Each level compares two 1 MiB strings: charged at least that much,
	// the budget runs out within a few levels, not 31.
	if levels := steps / (2 * textWeight * len(c.data)); levels > 3 {
		t.Errorf("the budget allowed %d levels", levels)
	}
}

// TestProviderTemplatesRenderLargestEvent checks that the budget leaves
// room for the shipped templates on the largest event, with members they
// look for missing so that each lookup passes the whole event.
func TestProviderTemplatesRenderLargestEvent(t *testing.T) {
	item := `{"sku": "A-1234567", "qty": 2, "price": 12.5, "name": "Widget \"deluxe\" é", "tags": ["a", "b"]},`
	data := `{"id": 17, "items": [` + strings.Repeat(item, (maxEventData-100)/len(item)-1) + strings.TrimSuffix(item, ",") + `], "note": "x"}`
	for name, tmpl := range map[string]string{"pepperi": PepperiTemplate, "alphatouch": AlphaTouchTemplate} {
		t.Run(name, func(t *testing.T) {
			e := mustCompile(t, Spec{Type: KindTemplate, Template: tmpl})
			s := hostileScope([]byte(data))
			if _, steps, err := e.renderSteps(nil, s); err != nil {
				t.Fatalf("Render of a %d-byte event: %v (%d steps)", len(data), err, steps)
			}
		})
	}
}
