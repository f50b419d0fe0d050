package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"hooks/domain"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// errorStatus maps an application error code to its HTTP status. This is
// the one place where store errors become HTTP.
func errorStatus(code string) int {
	switch code {
	case domain.EINVALID, domain.ESCHEMA:
		return http.StatusUnprocessableEntity
	case domain.ENOTFOUND:
		return http.StatusNotFound
	case domain.ECONFLICT:
		return http.StatusConflict
	case domain.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case domain.EFORBIDDEN:
		return http.StatusForbidden
	case domain.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case domain.ELIMIT:
		return http.StatusTooManyRequests
	case domain.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// apiErrorCode is the code a client sees: field errors get a specific one
// ("invalid_url"), others the store code.
func apiErrorCode(err error) string {
	var e *domain.Error
	if errors.As(err, &e) {
		if e.Code == domain.EINVALID && e.Field != "" {
			return "invalid_" + snake(e.TopField())
		}
		return e.Code
	}
	return domain.EINTERNAL
}

func snake(s string) string {
	var b strings.Builder
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fieldDetail names the exact input at fault, for clients that point at
// it: a field path into the request body ("signing.encoding"), or, for an
// error with several problems (a schema violation), a JSON pointer to each
// ("/data/customer/email").
type fieldDetail struct {
	Field   string `json:"field,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

type errorBody struct {
	Error struct {
		Code    string        `json:"code"`
		Message string        `json:"message"`
		Field   string        `json:"field,omitempty"`
		Details []fieldDetail `json:"details,omitempty"`
	} `json:"error"`
}

// writeError answers with {"error":{"code","message"}}, plus "field" and
// "details" for invalid input. Internal details go to the log, never to
// the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := domain.ErrorCode(err)
	status := errorStatus(code)
	var body errorBody
	body.Error.Code = apiErrorCode(err)
	body.Error.Message = domain.ErrorMessage(err)
	var se *domain.Error
	if errors.As(err, &se) {
		body.Error.Field = se.TopField()
		switch {
		case len(se.Details) > 0:
			for _, d := range se.Details {
				body.Error.Details = append(body.Error.Details, fieldDetail{Path: d.Path, Message: d.Message})
			}
		case se.Code == domain.EINVALID && se.Field != "":
			body.Error.Details = []fieldDetail{{Field: se.Field, Message: se.Message}}
		}
	}
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	if err := enc.Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}

// decodeJSON reads one JSON object from r's body into v. Every way a body
// can be wrong becomes a client error: syntax, wrong types, unknown fields,
// trailing data, and size (413).
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() || dec.Decode(&struct{}{}) != io.EOF {
			return &domain.Error{Code: domain.EINVALID, Field: "json", Message: "the body must hold a single JSON object"}
		}
		return nil
	}
	var maxErr *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var se *domain.Error
	switch {
	case errors.As(err, &maxErr):
		return domain.Errorf(domain.ETOOLARGE, "the body is larger than %d bytes", maxErr.Limit)
	case errors.As(err, &se):
		return se
	case errors.Is(err, io.EOF):
		return &domain.Error{Code: domain.EINVALID, Field: "json", Message: "the body is empty; send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &domain.Error{Code: domain.EINVALID, Field: "json", Message: "the body is not complete JSON"}
	case errors.As(err, &syntaxErr):
		return &domain.Error{Code: domain.EINVALID, Field: "json", Message: fmt.Sprintf("the body is not valid JSON (at byte %d)", syntaxErr.Offset)}
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return &domain.Error{Code: domain.EINVALID, Field: "json", Message: "the body must be a JSON object"}
		}
		return &domain.Error{Code: domain.EINVALID, Field: "json", Message: fmt.Sprintf("field %s must be %s, not %s", field, jsonTypeName(typeErr.Type.Kind().String()), typeErr.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return &domain.Error{Code: domain.EINVALID, Field: "json", Message: "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")}
	}
	return &domain.Error{Code: domain.EINVALID, Field: "json", Message: "the body could not be read as JSON: " + err.Error()}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a number"
}
