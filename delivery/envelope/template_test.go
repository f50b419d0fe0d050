package envelope

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRenderTemplate(t *testing.T) {
	tests := []struct {
		name string
		tmpl string
		edit func(*Scope)
		want string
	}{
		{
			name: "literals are compacted",
			tmpl: "{\n  \"a\": [1, true, null, \"x\", -1.5e3],\n  \"b\": {}, \"c\": []\n}",
			want: `{"a":[1,true,null,"x",-1.5e3],"b":{},"c":[]}`,
		},
		{
			name: "escapes in the template are kept",
			tmpl: `{"a\"b": "line\nbreak \u00e9 \/"}`,
			want: `{"a\"b":"line\nbreak é /"}`,
		},
		{
			name: "event fields",
			tmpl: `{"id": "{{ event.id }}", "topic": "{{event.topic}}", "tenant": "{{ event.tenantId }}", "at": "{{ event.triggeredAt }}", "sub": "{{ event.subTopic }}"}`,
			want: `{"id":"evt_1","topic":"product/updated","tenant":"OU1243","at":"2026-03-01T09:00:00.123456789Z","sub":null}`,
		},
		{
			name: "delivery fields",
			tmpl: `{"id": "{{ delivery.id }}", "c": "{{ delivery.createdAt }}", "u": "{{ delivery.updatedAt }}", "n": "{{ delivery.attempt }}"}`,
			want: `{"id":"dlv_1","c":"2026-03-01T09:00:01Z","u":"2026-03-01T09:00:02.5Z","n":2}`,
		},
		{
			name: "zero time is missing",
			tmpl: `["{{ delivery.updatedAt }}", "at {{ delivery.updatedAt }}"]`,
			edit: func(s *Scope) { s.Delivery.UpdatedAt = time.Time{} },
			want: `[null,"at "]`,
		},
		{
			name: "endpoint and metadata",
			tmpl: `["{{ endpoint.id }}", "{{ endpoint.name }}", "{{ metadata.region }}", "{{ metadata['api_key'] }}", "{{ metadata.missing }}", "{{ metadata }}"]`,
			want: `["wbh_1","Shop","EU","KEY",null,{"api_key":"KEY","companyId":"232455","region":"EU"}]`,
		},
		{
			name: "data values keep their JSON",
			tmpl: `{"c": "{{ event.data.customer }}", "id": "{{ event.data.id }}", "price": "{{ event.data.price }}", "nothing": "{{ event.data.nothing }}", "odd": "{{ event.data.customer['odd key'] }}"}`,
			want: `{"c":{"id": "c_9", "first-name": "Ann", "odd key": true},"id":17,"price":12.50,"nothing":null,"odd":true}`,
		},
		{
			name: "data paths",
			tmpl: `["{{ event.data.tags.1 }}", "{{ event.data.tags[0] }}", "{{ event.data.customer.first-name }}", "{{ event.data.nope.deeper }}", "{{ event.data.tags.2 }}", "{{ event.data.name.x }}"]`,
			want: `["b","a","Ann",null,null,null]`,
		},
		{
			name: "data that is an array",
			tmpl: `["{{ event.data.1.id }}", "{{ event.data[0] }}"]`,
			edit: func(s *Scope) { s.Event.Data = []byte(` [ {"id": 1} , {"id": 2} ] `) },
			want: `[2,{"id": 1}]`,
		},
		{
			name: "data keys with escapes",
			tmpl: `"{{ event.data.ab }}"`,
			edit: func(s *Scope) { s.Event.Data = []byte(`{"a\"": 0, "a\u0062": 1}`) },
			want: `1`,
		},
		{
			name: "first of duplicate data members",
			tmpl: `"{{ event.data.a }}"`,
			edit: func(s *Scope) { s.Event.Data = []byte(`{"a": 1, "a": 2}`) },
			want: `1`,
		},
		{
			name: "no data",
			tmpl: `{"d": "{{ event.data }}", "id": "{{ event.data.id }}", "t": "<{{ event.data }}>"}`,
			edit: func(s *Scope) { s.Event.Data = nil },
			want: `{"d":null,"id":null,"t":"<>"}`,
		},
		{
			name: "text",
			tmpl: `"{{ event.topic }} #{{ event.data.id }} by {{ metadata.missing }}, {{ delivery.attempt }}@{{ delivery.createdAt }} {{ event.data.nothing }}"`,
			want: `"product/updated #17 by , 2@2026-03-01T09:00:01Z "`,
		},
		{
			name: "text of JSON values",
			tmpl: `["x={{ event.data.tags }}", "{{ event.data.zero }} {{ event.data.customer['odd key'] }}"]`,
			want: `["x=[\"a\", \"b\"]","0 true"]`,
		},
		{
			name: "text of data strings stays escaped",
			tmpl: `["<{{ event.data.s }}>", "{{ event.data.s | upper }}"]`,
			edit: func(s *Scope) { s.Event.Data = []byte(`{"s": "say \"hi\" \u00e9 </script>"}`) },
			want: `["<say \"hi\" \u00e9 </script>>","SAY \"HI\" É </SCRIPT>"]`,
		},
		{
			name: "literal braces",
			tmpl: `["{{ '{{' }} not a tag }}", "}} alone", "{{ \"}}\" }}"]`,
			want: `["{{ not a tag }}","}} alone","}}"]`,
		},
		{
			name: "literals in tags",
			tmpl: `["{{ 'it\\'s' }}", "{{ 42 }}", "{{ -0.5 }}", "{{ true }}", "{{ null }}", "{{ '' }}"]`,
			want: `["it's",42,-0.5,true,null,""]`,
		},
		{
			name: "case filters",
			tmpl: `{"l": "{{ metadata.region | lower }}", "u": "{{ event.data.name | upper }}", "m": "{{ metadata.missing | upper }}"}`,
			want: `{"l":"eu","u":"WIDGET","m":null}`,
		},
		{
			name: "split and trim",
			tmpl: `{"s0": "{{ event.topic | split '/' 0 }}", "s1": "{{ event.topic | split '/' 1 }}", "s-1": "{{ event.topic | split '/' -1 }}", "s-2": "{{ event.topic | split '/' -2 }}", "s9": "{{ event.topic | split '/' 9 }}", "s-9": "{{ event.topic | split '/' -9 }}", "tp": "{{ event.topic | trimPrefix 'product/' }}", "ts": "{{ event.topic | trimSuffix 'd' }}"}`,
			want: `{"s0":"product","s1":"updated","s-1":"updated","s-2":"product","s9":null,"s-9":null,"tp":"updated","ts":"product/update"}`,
		},
		{
			name: "split of a sub-topic",
			tmpl: `["{{ event.subTopic | split ':' 0 }}", "{{ event.subTopic | split ':' 1 | split '/' -1 }}"]`,
			edit: func(s *Scope) { s.Event.SubTopic = "product:adv/adv-120" },
			want: `["product","adv-120"]`,
		},
		{
			name: "default",
			tmpl: `{"a": "{{ event.subTopic | default 'none' }}", "b": "{{ metadata.x | default 0 }}", "c": "{{ event.data.empty | default event.topic }}", "d": "{{ event.data.nothing | default true }}", "e": "{{ event.data.zero | default 5 }}", "f": "{{ metadata.missing | upper | default 'x' }}"}`,
			want: `{"a":"none","b":0,"c":"product/updated","d":true,"e":0,"f":"x"}`,
		},
		{
			name: "string, number and json",
			tmpl: `{"s": "{{ event.data.id | string }}", "n": "{{ metadata.companyId | number }}", "nn": "{{ metadata.region | number }}", "nd": "{{ metadata.region | number | default metadata.region }}", "nk": "{{ event.data.price | number }}", "j": "{{ event.data.tags | json }}", "jm": "{{ metadata.missing | json }}", "ja": "{{ delivery.attempt | json }}"}`,
			want: `{"s":"17","n":232455,"nn":null,"nd":"EU","nk":12.50,"j":"[\"a\", \"b\"]","jm":null,"ja":"2"}`,
		},
		{
			name: "conditional members",
			tmpl: `{"a": {"$if": "event.data.id == 17", "$then": "yes"}, "b": {"$if": "event.data.id != 17", "$then": "no"}, "c": {"$if": "metadata.missing", "$then": 1, "$else": 2}}`,
			want: `{"a":"yes","c":2}`,
		},
		{
			name: "conditional array elements",
			tmpl: `[{"$if": "event.data.zero", "$then": "zero"}, {"$if": "!event.data.zero", "$then": "nonzero"}, 1, {"$if": "event.data.empty", "$then": 3}]`,
			want: `["nonzero",1]`,
		},
		{
			name: "omitted first and all members",
			tmpl: `[{"a": {"$if": "false", "$then": 1}, "b": 2}, {"a": {"$if": "null", "$then": 1}}, [{"$if": "0", "$then": 1}]]`,
			want: `[{"b":2},{},[]]`,
		},
		{
			name: "nested conditional omits",
			tmpl: `{"a": {"$if": "true", "$then": {"$if": "false", "$then": 1}}, "b": {"$if": "true", "$then": {"x": "{{ event.id }}"}}}`,
			want: `{"b":{"x":"evt_1"}}`,
		},
		{
			name: "condition in braces",
			tmpl: `{"a": {"$if": "{{ event.topic == 'product/updated' }}", "$then": true}}`,
			want: `{"a":true}`,
		},
		{
			name: "top-level conditional with else",
			tmpl: `{"$if": "event.data.id == '17'", "$then": "string", "$else": "number"}`,
			want: `"number"`,
		},
		{
			name: "comparisons",
			tmpl: `[{"$if": "delivery.createdAt == '2026-03-01T09:00:01Z'", "$then": "time"}, {"$if": "delivery.attempt == 2.0", "$then": "attempt"}, {"$if": "event.data.price == 12.5", "$then": "price"}, {"$if": "metadata.missing == null", "$then": "missing"}, {"$if": "event.data.customer['odd key'] == true", "$then": "bool"}, {"$if": "event.data.tags == event.data.tags", "$then": "raw"}, {"$if": "event.data.name | lower == 'widget'", "$then": "filtered"}]`,
			want: `["time","attempt","price","missing","bool","raw","filtered"]`,
		},
		{
			name: "truth",
			tmpl: `[{"$if": "event.data.tags", "$then": "array"}, {"$if": "event.data.customer", "$then": "object"}, {"$if": "event.data.name", "$then": "string"}, {"$if": "event.data.price", "$then": "number"}, {"$if": "metadata", "$then": "metadata"}, {"$if": "delivery.createdAt", "$then": "time"}, {"$if": "'0'", "$then": "text 0"}, {"$if": "event.subTopic", "$then": "no sub-topic"}]`,
			want: `["array","object","string","number","metadata","time","text 0"]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustCompile(t, Spec{Type: KindTemplate, Template: tt.tmpl})
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

func TestValidateTemplateErrors(t *testing.T) {
	tests := []struct {
		name      string
		tmpl      string
		msg       string // a part of the message
		line, col int
		path      string
	}{
		{"empty", "  ", "template is empty", 1, 1, "$"},
		{"too large", `"` + strings.Repeat("x", MaxTemplateSize) + `"`, "the limit is 65536", 1, 1, "$"},
		{"unknown root", `{"id": "{{ evnt.id }}"}`, `unknown name "evnt" in "evnt.id" (want event, delivery, endpoint or metadata)`, 1, 12, "$.id"},
		{"unknown field", "{\n  \"a\": 1,\n  \"b\": \"{{ event.idd }}\"\n}", `unknown name "event.idd" (want event.id, event.topic, event.subTopic, event.tenantId, event.triggeredAt, event.data)`, 3, 12, "$.b"},
		{"field in the wrong case", `"x {{ event.subtopic }}"`, "did you mean event.subTopic?", 1, 7, "$"},
		{"endpoint metadata", `"{{ endpoint.metadata.key }}"`, "its metadata is metadata.<key>", 1, 5, "$"},
		{"root alone", `"{{ delivery }}"`, "delivery is not a value; name one of its fields", 1, 5, "$"},
		{"field of a field", `"{{ event.id.x }}"`, `event.id has no fields, so "event.id.x" names nothing`, 1, 5, "$"},
		{"field of metadata", `"{{ metadata.a.b }}"`, `metadata values are text`, 1, 5, "$"},
		{"nested position", `{"Delivery": {"ID": "{{ delivery.idd }}"}}`, `unknown name "delivery.idd"`, 1, 25, "$.Delivery.ID"},
		{"array position", `[1, "{{ x }}"]`, `unknown name "x"`, 1, 9, "$[1]"},
		{"odd key position", `{"api key": ["{{ x }}"]}`, `unknown name "x"`, 1, 18, `$["api key"][0]`},
		{"unknown filter", `"{{ event.id | capitalize }}"`, `unknown filter "capitalize" (want default, lower`, 1, 16, "$"},
		{"missing filter", `"{{ event.id | }}"`, `missing filter name after |`, 1, 16, "$"},
		{"split without separator", `"{{ event.topic | split }}"`, `split needs a quoted string, as in split '/' 0`, 1, 25, "$"},
		{"split without part", `"{{ event.topic | split '/' }}"`, `split needs a part number`, 1, 29, "$"},
		{"split with empty separator", `"{{ event.topic | split '' 0 }}"`, `separator that is not empty`, 1, 19, "$"},
		{"default without value", `"{{ event.topic | default }}"`, `missing a name or value`, 1, 27, "$"},
		{"two names", `"{{ event.id event.topic }}"`, `unexpected "event.topic"`, 1, 14, "$"},
		{"unclosed tag", `"{{ event.id"`, `{{ is missing its closing }}`, 1, 2, "$"},
		{"unclosed literal", `"{{ 'abc }}"`, `{{ is missing its closing }}`, 1, 2, "$"},
		{"empty tag", `"{{ }}"`, `missing a name or value`, 1, 5, "$"},
		{"bad name after dot", `"{{ event. }}"`, `missing a name after '.'`, 1, 10, "$"},
		{"unclosed bracket", `"{{ event.data['a' }}"`, `missing ] after [`, 1, 15, "$"},
		{"escapes point at the string", `{"a": "\n{{ evnt }}"}`, `unknown name "evnt"`, 1, 7, "$.a"},
		{"trailing comma", `{"a": 1,}`, "want a member name in double quotes", 1, 9, "$"},
		{"missing colon", `{"a" 1}`, "want ':' after the member name \"a\"", 1, 6, "$"},
		{"unclosed object", `{"a": 1`, "object is missing its closing '}'", 1, 1, "$"},
		{"missing comma", `[1 2]`, "want ',' or ']' after an array element", 1, 4, "$"},
		{"single quotes", `{'a': 1}`, "want a member name in double quotes", 1, 2, "$"},
		{"not JSON", `{"a": undefined}`, `unexpected "undefined}"`, 1, 7, "$.a"},
		{"bad number", `[01]`, `want ',' or ']'`, 1, 3, "$"},
		{"trailing content", `{"a": 1} {}`, "after the end of the template's JSON value", 1, 10, "$"},
		{"unterminated string", `["abc`, "string is missing its closing quote", 1, 2, "$[0]"},
		{"line break in string", "[\"a\nb\"]", "can't hold a control character", 1, 4, "$[0]"},
		{"duplicate member", `{"a": 1, "a": 2}`, `duplicate member "a"`, 1, 10, "$"},
		{"tag in member name", `{"{{ event.id }}": 1}`, "member names are plain text", 1, 2, "$"},
		{"if without then", `[{"$if": "true"}]`, "$if needs a $then value", 1, 2, "$[0]"},
		{"if with other members", `[{"$if": "true", "$then": 1, "x": 2}]`, `holds only $if, $then and $else, not "x"`, 1, 2, "$[0]"},
		{"then without if", `{"a": {"$then": 1}}`, "$then and $else need a $if condition", 1, 7, "$.a"},
		{"if not a string", `[{"$if": true, "$then": 1}]`, "$if wants a condition in a string", 1, 10, "$[0].$if"},
		{"if with bad name", `[{"$if": "event.topik == 'x'", "$then": 1}]`, `unknown name "event.topik"`, 1, 11, "$[0].$if"},
		{"if with not and compare", `[{"$if": "!event.id == 'x'", "$then": 1}]`, "a condition is !x or x == y, not both", 1, 21, "$[0].$if"},
		{"if with trailing text", `[{"$if": "event.id = 'x'", "$then": 1}]`, `unexpected "= 'x'"`, 1, 20, "$[0].$if"},
		{"top-level if without else", `{"$if": "true", "$then": 1}`, "top-level $if needs an $else", 1, 1, "$"},
		{"top-level if that may omit", `{"$if": "true", "$then": {"$if": "false", "$then": 1}, "$else": 2}`, "top-level $if needs an $else", 1, 1, "$"},
		{"too deep", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), "nest deeper than 32 levels", 1, 33, "$" + strings.Repeat("[0]", MaxDepth)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Spec{Type: KindTemplate, Template: tt.tmpl}
			err := s.Validate()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("Validate = %T, want *TemplateError", err)
			}
			if !strings.Contains(te.Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", te.Msg, tt.msg)
			}
			if te.Line != tt.line || te.Column != tt.col || te.Path != tt.path {
				t.Errorf("position = line %d, column %d, %s; want line %d, column %d, %s (%v)", te.Line, te.Column, te.Path, tt.line, tt.col, tt.path, err)
			}
			if _, err := Compile(s); !errors.Is(err, ErrInvalid) {
				t.Errorf("Compile = %v, want the same error as Validate", err)
			}
		})
	}
}

func TestTemplateErrorMessage(t *testing.T) {
	s := Spec{Type: KindTemplate, Template: "{\n \"Delivery\": {\"ID\": \"{{ dlivery.id }}\"}}"}
	want := `invalid envelope: template line 2, column 25 (at $.Delivery.ID): unknown name "dlivery" in "dlivery.id" (want event, delivery, endpoint or metadata)`
	if err := s.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate =\n%v\nwant\n%s", err, want)
	}
}

func TestValidateAcceptsAnyMetadataKey(t *testing.T) {
	for _, tmpl := range []string{
		`"{{ metadata.anything }}"`,
		`"{{ metadata['with space'] }}"`,
		`"{{ metadata[\"a.b\"] }}"`,
		`"{{ metadata.Ünïcode }}"`,
	} {
		s := Spec{Type: KindTemplate, Template: tmpl}
		if err := s.Validate(); err != nil {
			t.Errorf("Validate(%s) = %v", tmpl, err)
		}
	}
}
