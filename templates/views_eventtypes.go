package templates

import (
	"net/url"
	"time"
)

// EventTypesPage is GET /event-types: the tenant's event catalogue.
type EventTypesPage struct {
	Page
	Types []EventTypeRow
}

// EventTypeRow is one type of the catalogue list.
type EventTypeRow struct {
	Name        string
	Description string
	HasSchema   bool
	Examples    int
	UpdatedAt   time.Time
}

// EventTypePage is GET /event-types/{name}.
type EventTypePage struct {
	Page
	Type EventTypeView
}

// EventTypeView is one type as its page shows it, JSON already indented.
type EventTypeView struct {
	Name        string
	Description string
	Schema      string   // indented; "" when the type has none
	Examples    []string // indented
	Webhooks    []WebhookRef
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// EventTypeFormPage is GET /event-types/new and GET /event-types/{name}/edit,
// posting to POST /event-types or POST /event-types/{name}.
type EventTypeFormPage struct {
	Page
	Editing string // the type's name when editing; "" for a new one
	Form    EventTypeForm
	Errors  FieldErrors
	// Details lists, per field, the places at fault (a schema or example
	// violation): a JSON pointer and a message each.
	Details map[string][]ErrorDetail
}

// EventTypeForm holds the event-type form's fields as typed. The HTML
// field name of each is in brackets.
type EventTypeForm struct {
	Name        string // [name] the topic; fixed when editing
	Description string // [description]
	Schema      string // [schema] JSON; empty for none
	Examples    string // [examples] a JSON array
}

// ErrorDetail is one place a form's JSON is wrong.
type ErrorDetail struct {
	Path    string // a JSON pointer into the field's value, e.g. /1/customer/email
	Message string
}

// DeleteEventTypePage is GET /event-types/{name}/delete.
type DeleteEventTypePage struct {
	Page
	Name      string
	HasSchema bool
}

// EventTypePath is the page of type name, relative to the area's base:
// the name is a topic and may hold "/", so it is escaped into one segment.
func EventTypePath(name string) string { return "/event-types/" + url.PathEscape(name) }

// eventTypeFormAction is where the event-type form posts.
func eventTypeFormAction(editing string) string {
	if editing == "" {
		return "/event-types"
	}
	return EventTypePath(editing)
}

// pointerOrTop shows a JSON pointer, "/" for the whole value.
func pointerOrTop(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
