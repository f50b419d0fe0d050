package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// testData is the event data that most tests render.
const testData = `{"id": 17, "name": "Widget", "tags": ["a", "b"], "customer": {"id": "c_9", "first-name": "Ann", "odd key": true}, "zero": 0, "empty": "", "nothing": null, "price": 12.50}`

// testScope returns a delivery of testData to an endpoint with metadata.
func testScope() *Scope {
	return &Scope{
		Event: Event{
			ID:          "evt_1",
			TenantID:    "OU1243",
			Topic:       "product/updated",
			TriggeredAt: time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("CET", 3600)),
			Data:        []byte(testData),
		},
		Delivery: Delivery{
			ID:        "dlv_1",
			CreatedAt: time.Date(2026, 3, 1, 9, 0, 1, 0, time.UTC),
			UpdatedAt: time.Date(2026, 3, 1, 9, 0, 2, 500000000, time.UTC),
			Attempt:   2,
		},
		Endpoint: Endpoint{
			ID:       "wbh_1",
			Name:     "Shop",
			Metadata: map[string]string{"companyId": "232455", "api_key": "KEY", "region": "EU"},
		},
	}
}

// mustCompile compiles spec or fails the test.
func mustCompile(t testing.TB, spec Spec) *Envelope {
	t.Helper()
	e, err := Compile(spec)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", spec, err)
	}
	return e
}

// mustRender renders s with e, checks that the body is valid JSON, and
// returns it.
func mustRender(t testing.TB, e *Envelope, s *Scope) string {
	t.Helper()
	out, err := e.Render(nil, s)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if !json.Valid(out) {
		t.Fatalf("Render produced invalid JSON: %s", out)
	}
	return string(out)
}

func TestSpecValidateNormalises(t *testing.T) {
	tests := []struct {
		name string
		in   Spec
		want Spec
	}{
		{"empty is raw", Spec{}, Spec{Type: KindRaw}},
		{"raw drops a template", Spec{Type: KindRaw, Template: `{"a":1}`}, Spec{Type: KindRaw}},
		{"standard drops a template", Spec{Type: KindStandard, Template: `{"a":1}`}, Spec{Type: KindStandard}},
		{"template kept as written", Spec{Type: KindTemplate, Template: " {\"a\": 1} "}, Spec{Type: KindTemplate, Template: " {\"a\": 1} "}},
		{"pepperi", Spec{Type: KindTemplate, Template: PepperiTemplate}, Spec{Type: KindTemplate, Template: PepperiTemplate}},
		{"alphatouch", Spec{Type: KindTemplate, Template: AlphaTouchTemplate}, Spec{Type: KindTemplate, Template: AlphaTouchTemplate}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.in
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if s != tt.want {
				t.Errorf("Validate left %+v, want %+v", s, tt.want)
			}
		})
	}
}

func TestSpecValidateRejectsUnknownType(t *testing.T) {
	s := Spec{Type: "Raw"}
	err := s.Validate()
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `unknown type "Raw"`) {
		t.Fatalf("Validate = %v, want ErrInvalid naming the type", err)
	}
}

func TestSpecJSONShape(t *testing.T) {
	b, err := json.Marshal(Spec{Type: KindStandard})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"type":"standard"}`; got != want {
		t.Errorf("json.Marshal = %s, want %s", got, want)
	}
}

func TestRenderRawAppendsDataUnchanged(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"object with spacing", " {\"a\" : [1, 2]}\n"},
		{"not even JSON", "<xml/>"},
		{"empty", ""},
	}
	e := mustCompile(t, Spec{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testScope()
			s.Event.Data = []byte(tt.data)
			out, err := e.Render([]byte("prefix:"), s)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(out), "prefix:"+tt.data; got != want {
				t.Errorf("Render = %q, want %q", got, want)
			}
		})
	}
}

func TestRenderStandard(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Scope)
		want  string
		extra func(t *testing.T, out []byte)
	}{
		{
			name: "timestamp in UTC with nanoseconds",
			want: `{"type":"product/updated","timestamp":"2026-03-01T09:00:00.123456789Z","data":` + testData + `}`,
		},
		{
			name: "empty data is null",
			edit: func(s *Scope) { s.Event.Data = nil },
			want: `{"type":"product/updated","timestamp":"2026-03-01T09:00:00.123456789Z","data":null}`,
		},
		{
			name: "topic is escaped",
			edit: func(s *Scope) { s.Event.Topic = "a\"b</script>\u2028\x01" },
			want: `{"type":"a\"b</script>\u2028\u0001","timestamp":"2026-03-01T09:00:00.123456789Z","data":` + testData + `}`,
		},
	}
	e := mustCompile(t, Spec{Type: KindStandard})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testScope()
			if tt.edit != nil {
				tt.edit(s)
			}
			if got := mustRender(t, e, s); got != tt.want {
				t.Errorf("Render =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestRenderHostileStringsStayValidJSON(t *testing.T) {
	hostile := []string{
		`"}, "admin": true, "x": {"`,
		`</script><script>alert(1)</script>`,
		"line\nbreak\r\ttab \x00 \x1f \x7f",
		"back\\slash \\u0022",
		"\u2028\u2029 é 日本語 🎉",
		"{{ event.id }}",
	}
	tmpl := `{"v": "{{ metadata.h }}", "t": "<{{ metadata.h }}>", "d": "{{ event.data.h }}",
		"dt": "<{{ event.data.h }}>", "u": "{{ event.data.h | upper | lower }}", "j": "{{ event.data | json }}",
		"topic": "{{ event.topic }}", "m": "{{ metadata }}"}`
	for _, kind := range []Kind{KindStandard, KindTemplate} {
		e := mustCompile(t, Spec{Type: kind, Template: tmpl})
		for _, h := range hostile {
			t.Run(string(kind)+"/"+h, func(t *testing.T) {
				s := testScope()
				data, _ := json.Marshal(map[string]string{"h": h})
				s.Event.Data = data
				s.Event.Topic = h
				s.Endpoint.Metadata = map[string]string{"h": h}
				out := mustRender(t, e, s)
				if kind == KindStandard {
					return
				}
				var got map[string]any
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatal(err)
				}
				want := map[string]any{
					"v": h, "t": "<" + h + ">", "d": h, "dt": "<" + h + ">", "u": strings.ToLower(strings.ToUpper(h)),
					"j": string(data), "topic": h, "m": map[string]any{"h": h},
				}
				for k, w := range want {
					if g := got[k]; !jsonEqual(g, w) {
						t.Errorf("%s = %q, want %q", k, g, w)
					}
				}
			})
		}
	}
}

func TestRenderInvalidUTF8BecomesReplacement(t *testing.T) {
	e := mustCompile(t, Spec{Type: KindTemplate, Template: `["{{ metadata.h }}", "x{{ metadata.h }}"]`})
	s := testScope()
	s.Endpoint.Metadata = map[string]string{"h": "a\xffb\xe2\x82"}
	if got, want := mustRender(t, e, s), `["a\ufffdb\ufffd\ufffd","xa\ufffdb\ufffd\ufffd"]`; got != want {
		t.Errorf("Render = %s, want %s", got, want)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestRenderLimits(t *testing.T) {
	big := `{"s": "` + strings.Repeat("x", 1000) + `"}`
	tests := []struct {
		name string
		tmpl string
		lim  Limits
		data string
		want error
	}{
		{"output over the limit", `["{{ event.data }}", "{{ event.data }}"]`, Limits{MaxOutput: 1500}, big, ErrTooLarge},
		{"text over the limit", `"{{ event.data.s }}{{ event.data.s }}"`, Limits{MaxOutput: 1500}, big, ErrTooLarge},
		{"literal over the limit", `"` + strings.Repeat("y", 100) + `"`, Limits{MaxOutput: 50}, big, ErrTooLarge},
		{"step budget", `["{{ event.data.s }}", "{{ event.data.s }}", "{{ event.data.s }}"]`, Limits{MaxSteps: 2500}, big, ErrBudget},
		{"filters that grow a value", `"{{ event.data | json | json | json | json | json | json | split 'x' 1 }}"`, Limits{MaxOutput: 4000}, `["` + strings.Repeat(`\"`, 200) + `"]`, ErrTooLarge},
		{"data that is not JSON", `"{{ event.data }}"`, Limits{}, `{"a":`, ErrInvalidData},
		{"copies are charged by size", `["{{ event.data }}", "{{ event.data }}"]`, Limits{MaxSteps: 3000}, big, ErrBudget},
		{"comparisons are charged by size", `{"$if": "event.data.s == event.data.s", "$then": 1, "$else": 2}`, Limits{MaxSteps: 3000}, big, ErrBudget},
		{"within the limits", `["{{ event.data }}", "{{ event.data }}"]`, Limits{MaxOutput: 2100, MaxSteps: 3100}, big, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := CompileLimits(Spec{Type: KindTemplate, Template: tt.tmpl}, tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			s := testScope()
			s.Event.Data = []byte(tt.data)
			dst := []byte("keep")
			out, err := e.Render(dst, s)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Render error = %v, want %v", err, tt.want)
			}
			if err != nil && string(out) != "keep" {
				t.Errorf("Render returned %q on error, want dst unchanged", out)
			}
		})
	}
}

func TestRenderConcurrentUse(t *testing.T) {
	e := mustCompile(t, Spec{Type: KindTemplate, Template: PepperiTemplate})
	want := mustRender(t, e, testScope())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var buf []byte
			for range 200 {
				out, err := e.Render(buf[:0], testScope())
				if err != nil || string(out) != want {
					t.Errorf("Render = %s, %v", out, err)
					return
				}
				buf = out
			}
		})
	}
	wg.Wait()
}

func TestRenderAllocations(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
	}{
		{"raw", Spec{Type: KindRaw}},
		{"standard", Spec{Type: KindStandard}},
		{"pepperi template", Spec{Type: KindTemplate, Template: PepperiTemplate}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustCompile(t, tt.spec)
			s := testScope()
			buf := make([]byte, 0, 4096)
			allocs := testing.AllocsPerRun(100, func() {
				if _, err := e.Render(buf[:0], s); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("Render allocates %v times per call, want 0", allocs)
			}
		})
	}
}
