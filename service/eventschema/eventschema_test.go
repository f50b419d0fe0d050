package eventschema_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooks/service/eventschema"
)

// orderSchema is a real event schema: nested objects, required fields, an
// enum, formats, a $defs reference and a pattern.
const orderSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["id", "status", "customer", "lines"],
  "properties": {
    "id": {"type": "string", "pattern": "^ord_[0-9]+$"},
    "status": {"enum": ["placed", "paid", "shipped"]},
    "placedAt": {"type": "string", "format": "date-time"},
    "customer": {
      "type": "object",
      "required": ["email"],
      "properties": {
        "email": {"type": "string", "format": "email"},
        "address": {"$ref": "#/$defs/address"}
      }
    },
    "lines": {"type": "array", "minItems": 1, "items": {
      "type": "object", "required": ["sku", "qty"],
      "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}
    }}
  },
  "$defs": {"address": {"type": "object", "required": ["country"], "properties": {"country": {"type": "string", "minLength": 2, "maxLength": 2}}}}
}`

func mustCompile(t *testing.T, raw string) *eventschema.Schema {
	t.Helper()
	s, err := eventschema.Compile([]byte(raw))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

func TestValidateRealSchema(t *testing.T) {
	s := mustCompile(t, orderSchema)
	tests := []struct {
		name string
		data string
		want []string // "path: message fragment"
	}{
		{"valid", `{"id":"ord_1","status":"paid","placedAt":"2026-12-04T10:00:00Z","customer":{"email":"a@example.com","address":{"country":"NL"}},"lines":[{"sku":"x","qty":2}]}`, nil},
		{"missing required", `{"id":"ord_1","status":"paid","customer":{"email":"a@example.com"}}`, []string{": lines"}},
		{"enum", `{"id":"ord_1","status":"lost","customer":{"email":"a@example.com"},"lines":[{"sku":"x","qty":1}]}`, []string{"/status: "}},
		{"nested format", `{"id":"ord_1","status":"paid","customer":{"email":"not an email"},"lines":[{"sku":"x","qty":1}]}`, []string{"/customer/email: "}},
		{"date-time format", `{"id":"ord_1","status":"paid","placedAt":"yesterday","customer":{"email":"a@example.com"},"lines":[{"sku":"x","qty":1}]}`, []string{"/placedAt: "}},
		{"through $ref", `{"id":"ord_1","status":"paid","customer":{"email":"a@example.com","address":{"country":"NLD"}},"lines":[{"sku":"x","qty":1}]}`, []string{"/customer/address/country: "}},
		{"array item", `{"id":"ord_1","status":"paid","customer":{"email":"a@example.com"},"lines":[{"sku":"x","qty":1},{"sku":"y","qty":0}]}`, []string{"/lines/1/qty: "}},
		{"several", `{"id":"x","status":"paid","customer":{},"lines":[]}`, []string{"/customer: email", "/id: ", "/lines: "}},
		{"wrong type at the top", `[1,2]`, []string{": "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := s.Validate([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != len(tt.want) {
				t.Fatalf("violations = %+v, want %d like %q", vs, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				path, frag, _ := strings.Cut(w, ": ")
				if vs[i].Path != path || !strings.Contains(vs[i].Message, frag) || vs[i].Message == "" {
					t.Errorf("violation %d = %+v, want path %q and a message with %q", i, vs[i], path, frag)
				}
			}
		})
	}
}

func TestPointerEscapesKeys(t *testing.T) {
	s := mustCompile(t, `{"properties":{"a/b":{"properties":{"c~d":{"type":"string"}}}}}`)
	vs, err := s.Validate([]byte(`{"a/b":{"c~d":1}}`))
	if err != nil || len(vs) != 1 || vs[0].Path != "/a~1b/c~0d" {
		t.Fatalf("violations = %+v, %v; want path /a~1b/c~0d", vs, err)
	}
}

func TestCompileNamesTheProblem(t *testing.T) {
	tests := []struct{ name, schema, want string }{
		{"not JSON", `{"type":`, "not valid JSON"},
		{"not an object", `"string"`, "must be a JSON object"},
		{"bad type", `{"type":"strng"}`, "/type"},
		{"bad minimum", `{"properties":{"total":{"minimum":"ten"}}}`, "/properties/total/minimum"},
		{"dangling local ref", `{"$ref":"#/$defs/nope"}`, "#/$defs/nope"},
		{"bad regex", `{"pattern":"(["}`, "/pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eventschema.Compile([]byte(tt.schema))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile(%s) = %v, want an error naming %q", tt.schema, err, tt.want)
			}
			if strings.Contains(err.Error(), "hooks.invalid") {
				t.Errorf("error shows the compiler's internal URL: %v", err)
			}
		})
	}
}

// TestHostileSchemasAreRefused: a schema is applied to every event of its
// topic on every instance, so one that is huge, nests without end, makes
// the server fetch or read anything, or multiplies validation work
// through references is refused when it is saved, quickly.
func TestHostileSchemasAreRefused(t *testing.T) {
	var fetched atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		w.Write([]byte(`{"type":"string"}`))
	}))
	defer srv.Close()
	secret := filepath.Join(t.TempDir(), "local.json")
	os.WriteFile(secret, []byte(`{"type":"string"}`), 0o600)

	// bomb: 40 definitions, each referencing the next twice: 2^40
	// subschemas for one value, in 3 KB.
	var defs []string
	for i := range 40 {
		defs = append(defs, fmt.Sprintf(`"d%d":{"anyOf":[{"$ref":"#/$defs/d%d"},{"$ref":"#/$defs/d%d"}]}`, i, i+1, i+1))
	}
	defs = append(defs, `"d40":{"type":"string"}`)
	bomb := `{"$ref":"#/$defs/d0","$defs":{` + strings.Join(defs, ",") + `}}`

	tests := []struct{ name, schema, want string }{
		{"huge", `{"description":"` + strings.Repeat("x", eventschema.MaxBytes) + `"}`, "larger than"},
		{"deeply nested", strings.Repeat(`{"items":`, 1000) + `{}` + strings.Repeat(`}`, 1000), "nests deeper"},
		{"remote $ref", `{"$ref":"` + srv.URL + `/schema.json"}`, "must point inside the schema"},
		{"remote $schema", `{"$schema":"` + srv.URL + `/meta.json"}`, "schema"},
		{"file $ref", `{"$ref":"file://` + secret + `"}`, "must point inside the schema"},
		{"relative $ref", `{"$ref":"other.json"}`, "must point inside the schema"},
		{"reference bomb", bomb, "expand to more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := eventschema.Compile([]byte(tt.schema))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile = %v, want an error with %q", err, tt.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("refusing took %v", d)
			}
		})
	}
	if n := fetched.Load(); n != 0 {
		t.Errorf("the compiler fetched %d URLs", n)
	}
}

// TestRecursiveSchemaIsAllowed: a reference cycle (a tree of categories)
// is a normal schema, not a bomb.
func TestRecursiveSchemaIsAllowed(t *testing.T) {
	s := mustCompile(t, `{"$defs":{"node":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},
		"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},"$ref":"#/$defs/node"}`)
	vs, err := s.Validate([]byte(`{"name":"a","children":[{"name":"b","children":[{"children":[]}]}]}`))
	if err != nil || len(vs) != 1 || vs[0].Path != "/children/0/children/0" {
		t.Fatalf("violations = %+v, %v", vs, err)
	}
}

// BenchmarkValidateOrder is the ingest cost of one event of a typed topic:
// parsing its data and checking it against a real schema.
func BenchmarkValidateOrder(b *testing.B) {
	s, err := eventschema.Compile([]byte(orderSchema))
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(`{"id":"ord_1","status":"paid","placedAt":"2026-12-04T10:00:00Z","customer":{"email":"a@example.com","address":{"country":"NL"}},"lines":[{"sku":"x","qty":2},{"sku":"y","qty":1}]}`)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if vs, err := s.Validate(data); err != nil || len(vs) > 0 {
			b.Fatal(vs, err)
		}
	}
}

// BenchmarkCompileOrder is what the cache saves per event.
func BenchmarkCompileOrder(b *testing.B) {
	for b.Loop() {
		if _, err := eventschema.Compile([]byte(orderSchema)); err != nil {
			b.Fatal(err)
		}
	}
}
