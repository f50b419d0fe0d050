package web

import (
	"encoding/json"
	"net/http"
	"time"

	"hooks/domain"
)

// eventTypeJSON is an event type as the API shows it.
type eventTypeJSON struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Schema      json.RawMessage   `json:"schema"` // null when the type has none
	Examples    []json.RawMessage `json:"examples"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
}

func toEventTypeJSON(t *domain.EventType) eventTypeJSON {
	out := eventTypeJSON{Name: t.Name, Description: t.Description, Schema: t.Schema, Examples: t.Examples,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if out.Schema == nil {
		out.Schema = json.RawMessage("null")
	}
	if out.Examples == nil {
		out.Examples = []json.RawMessage{}
	}
	return out
}

// putEventType creates or replaces the caller's type {name}: 201 when it
// is new, 200 when it replaced one.
func (s *Server) putEventType(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Name        string            `json:"name"` // optional; the path names the type
		Description string            `json:"description"`
		Schema      json.RawMessage   `json:"schema"`
		Examples    []json.RawMessage `json:"examples"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	name := r.PathValue("name")
	if in.Name != "" && in.Name != name {
		return domain.FieldErrorf("name", "the body names %q but the path %q; leave name out or make them equal", in.Name, name)
	}
	t := &domain.EventType{Name: name, Description: in.Description, Schema: in.Schema, Examples: in.Examples}
	created, err := s.svc.PutEventType(r.Context(), c.actor(), t)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, toEventTypeJSON(t))
	return nil
}

func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request, c *caller) error {
	types, err := s.svc.EventTypes(r.Context(), c.actor())
	if err != nil {
		return err
	}
	out := listJSON[eventTypeJSON]{Data: make([]eventTypeJSON, len(types))}
	for i, t := range types {
		out.Data[i] = toEventTypeJSON(t)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getEventType(w http.ResponseWriter, r *http.Request, c *caller) error {
	t, err := s.svc.EventType(r.Context(), c.actor(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toEventTypeJSON(t))
	return nil
}

func (s *Server) deleteEventType(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.svc.DeleteEventType(r.Context(), c.actor(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
