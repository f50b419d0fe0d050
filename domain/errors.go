package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes, one per kind of failure a caller may act on. The web layer
// maps them to HTTP statuses in one place.
const (
	EINVALID      = "invalid"       // the input is wrong; the message says how
	ENOTFOUND     = "not_found"     // no such object (or not the caller's)
	ECONFLICT     = "conflict"      // the object exists already
	EUNAUTHORIZED = "unauthorized"  // no or bad credentials
	EFORBIDDEN    = "forbidden"     // credentials fine, action not allowed
	ETOOLARGE     = "too_large"     // a size limit was exceeded
	ELIMIT        = "limit_reached" // a count limit was reached
	EUNAVAILABLE  = "unavailable"   // the database can't take writes right now
	EINTERNAL     = "internal"      // a bug or an unexpected failure
	// ESCHEMA: an event's data does not match its event type's JSON
	// Schema; Details lists each violation.
	ESCHEMA = "schema_violation"
)

// Error is an application error: a code a program can switch on and a
// message that is safe to show a user.
type Error struct {
	Code    string
	Message string
	// Field names the input at fault in the API's terms: a top-level field
	// ("url", "signing") or a path into one ("signing.encoding",
	// "retry.maxAttempts"). Forms map it to their inputs.
	Field string
	// Details lists the problems one by one when there are several, each
	// at a JSON pointer into the request body ("/data/customer/email"),
	// e.g. every place an event's data breaks its type's schema.
	Details []Detail
	Err     error // the underlying cause, for logs only
}

// Detail is one problem of several that an Error reports: where, as a
// JSON pointer (RFC 6901) into the request body, and what.
type Detail struct {
	Path    string
	Message string
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// TopField returns the top-level field of e.Field: "signing" for
// "signing.encoding" and for "signing[1].header".
func (e *Error) TopField() string {
	if i := strings.IndexAny(e.Field, ".["); i >= 0 {
		return e.Field[:i]
	}
	return e.Field
}

// Errorf returns an *Error with code and a formatted, user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error about one input field, named by
// its API path.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// EINTERNAL when there is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err, hiding internal details.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
