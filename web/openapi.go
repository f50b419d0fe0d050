package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"hooks/domain"
)

// openAPIDoc is the OpenAPI 3.1 description of the API. It is written by
// hand; TestOpenAPIMatchesTheRouter fails when a route is added, removed
// or renamed without it, and validates it with kin-openapi.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves the API description, for client generators and tools.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*") // a public, credential-free document: let browser tools fetch it
	w.Write(openAPIDoc)
}

// tenantOpenAPI serves the API description with the caller's event
// catalogue added as OpenAPI 3.1 webhooks: one POST per event type, whose
// request body is the event's data (what the raw envelope sends), with
// the type's schema (under components/schemas, as EventType.<name>) and
// examples, so a receiver's team can generate or check handlers from it.
func (s *Server) tenantOpenAPI(w http.ResponseWriter, r *http.Request, c *caller) error {
	types, err := s.svc.EventTypes(r.Context(), c.actor())
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		return fmt.Errorf("read openapi.json: %w", err)
	}
	if info, ok := doc["info"].(map[string]any); ok {
		info["description"] = fmt.Sprintf("%v\n\nThe webhooks section lists the event types of tenant %s: "+
			"each is the data a receiver gets with the raw envelope (the standard envelope wraps it as {type, timestamp, data}).",
			info["description"], c.tenantID)
	}
	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	webhooks := map[string]any{}
	for _, t := range types {
		webhooks[t.Name] = eventTypeOperation(t, schemas)
	}
	doc["webhooks"] = webhooks
	writeJSON(w, http.StatusOK, doc)
	return nil
}

// eventTypeOperation is the OpenAPI path item of one event type. Its
// schema goes into schemas as EventType.<name>, each of its definitions
// ($defs) beside it as EventType.<name>.<definition>, and its references
// are rewritten to point there: a reference inside a JSON Schema is
// relative to that schema, which OpenAPI tools don't know once it sits
// inside a bigger document.
func eventTypeOperation(t *domain.EventType, schemas map[string]any) map[string]any {
	media := map[string]any{"schema": map[string]any{}} // any JSON: the type checks nothing
	if t.Schema != nil {
		var schema any
		_ = json.Unmarshal(t.Schema, &schema) // checked when it was saved
		name := "EventType." + componentName(t.Name)
		if m, ok := schema.(map[string]any); ok {
			delete(m, "$schema") // the document's dialect is 2020-12 too
			for _, key := range []string{"$defs", "definitions"} {
				defs, _ := m[key].(map[string]any)
				for dn, dv := range defs {
					schemas[name+"."+componentName(dn)] = rewriteRefs(dv, name)
				}
				delete(m, key)
			}
		}
		schemas[name] = rewriteRefs(schema, name)
		media["schema"] = map[string]any{"$ref": "#/components/schemas/" + name}
	}
	if len(t.Examples) > 0 {
		examples := map[string]any{}
		for i, ex := range t.Examples {
			examples["example"+strconv.Itoa(i)] = map[string]any{"value": ex}
		}
		media["examples"] = examples
	}
	summary := t.Description
	if i := strings.IndexAny(summary, ".\n"); i >= 0 {
		summary = summary[:i]
	}
	if summary == "" {
		summary = t.Name
	}
	return map[string]any{"post": map[string]any{
		"summary":     summary,
		"description": t.Description,
		"tags":        []string{"Event types"},
		"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": media}},
		"responses":   map[string]any{"2XX": map[string]any{"description": "Received: any 2xx answer counts as delivered."}},
	}}
}

// rewriteRefs points the local references of v, a part of the schema
// published as component name, at where eventTypeOperation put their
// targets.
func rewriteRefs(v any, name string) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if ref, ok := x.(string); ok && k == "$ref" && strings.HasPrefix(ref, "#") {
				v[k] = rewriteRef(ref, name)
				continue
			}
			v[k] = rewriteRefs(x, name)
		}
	case []any:
		for i, x := range v {
			v[i] = rewriteRefs(x, name)
		}
	}
	return v
}

func rewriteRef(ref, name string) string {
	for _, defs := range []string{"#/$defs/", "#/definitions/"} {
		if rest, ok := strings.CutPrefix(ref, defs); ok {
			def, after, _ := strings.Cut(rest, "/")
			def = strings.ReplaceAll(strings.ReplaceAll(def, "~1", "/"), "~0", "~")
			if after != "" {
				after = "/" + after
			}
			return "#/components/schemas/" + name + "." + componentName(def) + after
		}
	}
	return "#/components/schemas/" + name + strings.TrimPrefix(ref, "#")
}

// componentName makes s usable in a component's name, which allows only
// letters, digits, '.', '-' and '_': orders/placed becomes orders_placed.
func componentName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '.' || r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return '_'
	}, s)
}
