// Package eventschema compiles the JSON Schemas of event types and checks
// event data against them, with github.com/santhosh-tekuri/jsonschema.
//
// A schema comes from a tenant's admin and is then applied to every event
// of its topic, so compiling is defensive: the schema's size and nesting
// are bounded, nothing is ever loaded from a URL or a file (a $ref must
// point inside the schema itself), and a schema whose references would
// make one validation walk an exponential number of subschemas is refused.
package eventschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// printer writes the validator's messages in English.
var printer = message.NewPrinter(language.English)

// Bounds of a schema.
const (
	// MaxBytes bounds a schema's JSON.
	MaxBytes = 64 << 10
	// MaxDepth bounds how deeply a schema's JSON nests. 64 levels of JSON
	// are some 30 levels of nested objects in the data: more than any
	// event needs.
	MaxDepth = 64
	// MaxExpanded bounds the subschemas one validation may visit at each
	// place of the data when every $ref is followed (a reference cycle is
	// counted once). Real schemas stay in the hundreds; a few dozen
	// definitions that each reference the next twice reach billions.
	MaxExpanded = 100_000
	// MaxViolations bounds the violations reported for one value.
	MaxViolations = 20
)

// base is the URL the schema is compiled at. It only names the schema in
// the compiler; nothing is fetched from it.
const (
	baseDir = "https://schema.hooks.invalid/"
	base    = baseDir + "event-type.json"
)

// Violation is one place where a value breaks a schema, or a schema breaks
// the rules of JSON Schema.
type Violation struct {
	Path    string // JSON pointer (RFC 6901) into the value; "" is the whole value
	Message string
}

// Error is why a schema was refused: Message says it in one sentence, and
// Violations lists where in the schema, when the schema breaks the
// metaschema.
type Error struct {
	Message    string
	Violations []Violation
}

func (e *Error) Error() string { return e.Message }

// Schema is a compiled schema, safe for concurrent use.
type Schema struct {
	s *jsonschema.Schema
}

// Compile checks and compiles raw, a JSON Schema document. A schema
// without "$schema" is read as draft 2020-12. Formats ("email",
// "date-time", …) are checked, not only annotations. Problems are *Error.
func Compile(raw []byte) (*Schema, error) {
	if len(raw) > MaxBytes {
		return nil, &Error{Message: fmt.Sprintf("the schema is larger than %d bytes", MaxBytes)}
	}
	if err := checkDepth(raw, MaxDepth); err != nil {
		return nil, &Error{Message: "the schema " + err.Error()}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, &Error{Message: "the schema is not valid JSON"}
	}
	if _, ok := doc.(map[string]any); !ok {
		if _, ok := doc.(bool); !ok {
			return nil, &Error{Message: "the schema must be a JSON object (or true or false)"}
		}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(refuseLoader{})
	if err := c.AddResource(base, doc); err != nil {
		return nil, compileError(err)
	}
	s, err := c.Compile(base)
	if err != nil {
		return nil, compileError(err)
	}
	if n := expanded(s, map[*jsonschema.Schema]int{}, map[*jsonschema.Schema]bool{}); n > MaxExpanded {
		return nil, &Error{Message: fmt.Sprintf("the schema's references expand to more than %d subschemas; "+
			"a definition that references another several times, over several levels, makes every event cost that much", MaxExpanded)}
	}
	return &Schema{s: s}, nil
}

// errNoLoading is what the compiler's loader answers for every URL.
var errNoLoading = errors.New("hooks does not load schemas from URLs or files")

// refuseLoader loads nothing: a schema may only reference itself. (The
// compiler's own loader reads files, and an http loader would let a
// schema make the server fetch any URL.) The metaschemas of the drafts
// are built into the compiler and need no loading.
type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) { return nil, errNoLoading }

// compileError turns the compiler's error into an *Error that names the
// problem without the compiler's internal URL.
func compileError(err error) *Error {
	var sv *jsonschema.SchemaValidationError
	if errors.As(err, &sv) {
		var ve *jsonschema.ValidationError
		if errors.As(sv.Err, &ve) {
			vs := violations(ve)
			msg := "the schema is not a valid JSON Schema"
			if len(vs) > 0 {
				msg += ": at " + pathOrRoot(vs[0].Path) + ", " + vs[0].Message
			}
			return &Error{Message: msg, Violations: vs}
		}
	}
	var le *jsonschema.LoadURLError
	if errors.As(err, &le) {
		return &Error{Message: fmt.Sprintf("the schema refers to %s: every $ref must point inside the schema (#/$defs/…), "+
			"and $schema must name a draft (2020-12 when it is left out); %v", clean(le.URL), errNoLoading)}
	}
	return &Error{Message: "the schema does not compile: " + clean(err.Error())}
}

// clean removes the compiler's name for the schema from a message.
func clean(s string) string {
	s = strings.ReplaceAll(s, base+"#", "#")
	s = strings.ReplaceAll(s, "'"+base+"'", "the schema")
	s = strings.ReplaceAll(s, base, "the schema")
	return strings.ReplaceAll(s, baseDir, "")
}

func pathOrRoot(p string) string {
	if p == "" {
		return "the top level"
	}
	return p
}

// Validate checks data, a JSON value, against s. It returns the
// violations, at most MaxViolations, or an error when data is not JSON.
func (s *Schema) Validate(data []byte) ([]Violation, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("data is not valid JSON: %w", err)
	}
	err = s.s.Validate(v)
	if err == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil, err
	}
	vs := violations(ve)
	if len(vs) == 0 {
		vs = []Violation{{Path: "", Message: clean(ve.Error())}}
	}
	return vs, nil
}

// violations flattens a validation error into its leaves: the places
// where the value is wrong and what is wrong there, without repeats,
// ordered by path (the validator visits properties in map order).
func violations(ve *jsonschema.ValidationError) []Violation {
	var out []Violation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(out) >= MaxViolations {
			return
		}
		if len(e.Causes) == 0 {
			v := Violation{Path: pointer(e.InstanceLocation), Message: clean(e.ErrorKind.LocalizedString(printer))}
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	slices.SortStableFunc(out, func(a, b Violation) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// pointer is the JSON pointer of a location's tokens.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

// checkDepth fails when raw nests deeper than max, before anything
// recursive reads it.
func checkDepth(raw []byte, max int) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	depth := 0
	for {
		t, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errors.New("is not valid JSON")
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			if depth++; depth > max {
				return fmt.Errorf("nests deeper than %d levels", max)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// expanded counts the subschemas reachable from s with every reference
// followed, as a validation may visit them: a schema referenced from two
// places counts twice. A reference back into a schema being counted (a
// recursive schema) counts once, since it moves deeper into the data.
// done memoises finished schemas; active holds those being counted.
func expanded(s *jsonschema.Schema, done map[*jsonschema.Schema]int, active map[*jsonschema.Schema]bool) int {
	if s == nil {
		return 0
	}
	if n, ok := done[s]; ok {
		return n
	}
	if active[s] {
		return 1
	}
	active[s] = true
	n := 1
	add := func(c *jsonschema.Schema) {
		if n <= MaxExpanded {
			n += expanded(c, done, active)
		}
	}
	for _, c := range children(s) {
		add(c)
	}
	delete(active, s)
	done[s] = n
	return n
}

// children lists the subschemas that s applies, references included.
func children(s *jsonschema.Schema) []*jsonschema.Schema {
	out := []*jsonschema.Schema{s.Ref, s.RecursiveRef, s.Not, s.If, s.Then, s.Else, s.PropertyNames,
		s.UnevaluatedProperties, s.Contains, s.Items2020, s.UnevaluatedItems, s.ContentSchema}
	if s.DynamicRef != nil {
		out = append(out, s.DynamicRef.Ref)
	}
	out = append(out, s.AllOf...)
	out = append(out, s.AnyOf...)
	out = append(out, s.OneOf...)
	out = append(out, s.PrefixItems...)
	for _, c := range s.Properties {
		out = append(out, c)
	}
	for _, c := range s.PatternProperties {
		out = append(out, c)
	}
	for _, c := range s.DependentSchemas {
		out = append(out, c)
	}
	for _, v := range s.Dependencies {
		if c, ok := v.(*jsonschema.Schema); ok {
			out = append(out, c)
		}
	}
	for _, v := range []any{s.AdditionalProperties, s.AdditionalItems, s.Items} {
		switch v := v.(type) {
		case *jsonschema.Schema:
			out = append(out, v)
		case []*jsonschema.Schema:
			out = append(out, v...)
		}
	}
	return out
}
