package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"hooks/domain"
	"hooks/service"
	"hooks/templates"
)

// eventTypeRoutes registers the backoffice's pages that change the event
// catalogue. The list and a type's page are shared with the portal
// (sharedPages), where the catalogue is for reading: it is the product's
// description of what it sends, not the customer's to change.
func (s *Server) eventTypeRoutes(page func(string, int, uiHandler)) {
	page("GET /event-types/new", accessWrite, s.newEventTypePage)
	page("POST /event-types", accessWrite, s.createEventTypeForm)
	page("GET /event-types/{name}/edit", accessWrite, s.editEventTypePage)
	page("POST /event-types/{name}", accessWrite, s.updateEventTypeForm)
	page("GET /event-types/{name}/delete", accessWrite, s.deleteEventTypePage)
	page("POST /event-types/{name}/delete", accessWrite, s.deleteEventTypeForm)
}

func (s *Server) eventTypesPage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	types, err := s.svc.EventTypes(r.Context(), c.actor())
	if err != nil {
		return err
	}
	v := templates.EventTypesPage{Page: s.page(r, c, "Event types", templates.NavEventTypes)}
	for _, t := range types {
		v.Types = append(v.Types, templates.EventTypeRow{Name: t.Name, Description: t.Description, HasSchema: t.Schema != nil,
			Examples: len(t.Examples), UpdatedAt: t.UpdatedAt})
	}
	s.render(w, r, http.StatusOK, templates.EventTypes(v))
	return nil
}

func (s *Server) eventTypePage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	s.popFlash(w, r, c)
	t, err := s.svc.EventType(r.Context(), c.actor(), r.PathValue("name"))
	if err != nil {
		return err
	}
	hooks, _, err := s.db.Endpoints(r.Context(), c.tenant, "", service.MaxEndpointsPerTenant)
	if err != nil {
		return err
	}
	v := templates.EventTypeView{Name: t.Name, Description: t.Description, Schema: indentJSON(string(t.Schema)),
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	for _, ex := range t.Examples {
		v.Examples = append(v.Examples, indentJSON(string(ex)))
	}
	for _, h := range hooks {
		if subscribes(h, t.Name) {
			v.Webhooks = append(v.Webhooks, templates.WebhookRef{ID: h.ID, Name: h.Name})
		}
	}
	s.render(w, r, http.StatusOK, templates.EventTypeDetail(templates.EventTypePage{Page: s.page(r, c, t.Name, templates.NavEventTypes), Type: v}))
	return nil
}

// subscribes reports whether endpoint h receives events of topic.
func subscribes(h *domain.Endpoint, topic string) bool {
	for _, p := range h.Topics {
		if domain.MatchTopic(p, topic) {
			return true
		}
	}
	return false
}

func (s *Server) newEventTypePage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	return s.renderEventTypeForm(w, r, c, http.StatusOK, "", templates.EventTypeForm{}, nil, nil)
}

func (s *Server) editEventTypePage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	t, err := s.svc.EventType(r.Context(), c.actor(), r.PathValue("name"))
	if err != nil {
		return err
	}
	f := templates.EventTypeForm{Name: t.Name, Description: t.Description, Schema: indentJSON(string(t.Schema))}
	if len(t.Examples) > 0 {
		examples, _ := json.Marshal(t.Examples)
		f.Examples = indentJSON(string(examples))
	}
	return s.renderEventTypeForm(w, r, c, http.StatusOK, t.Name, f, nil, nil)
}

func (s *Server) renderEventTypeForm(w http.ResponseWriter, r *http.Request, c *uiRequest, status int, editing string,
	f templates.EventTypeForm, errs templates.FieldErrors, details map[string][]templates.ErrorDetail) error {
	title := "New event type"
	if editing != "" {
		title = "Edit " + editing
	}
	v := templates.EventTypeFormPage{Page: s.page(r, c, title, templates.NavEventTypes), Editing: editing, Form: f, Errors: errs, Details: details}
	s.render(w, r, status, templates.EventTypeFormView(v))
	return nil
}

func (s *Server) createEventTypeForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	return s.saveEventTypeForm(w, r, c, "")
}

func (s *Server) updateEventTypeForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	t, err := s.svc.EventType(r.Context(), c.actor(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return s.saveEventTypeForm(w, r, c, t.Name)
}

// saveEventTypeForm stores the posted form as the type editing, or as a
// new type when editing is "". Problems come back on the form: a message
// under the field and, for a schema or examples that JSON Schema refuses,
// each place at fault.
func (s *Server) saveEventTypeForm(w http.ResponseWriter, r *http.Request, c *uiRequest, editing string) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := templates.EventTypeForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Description: r.PostForm.Get("description"),
		Schema: r.PostForm.Get("schema"), Examples: r.PostForm.Get("examples")}
	if editing != "" {
		f.Name = editing
	}
	errs := templates.FieldErrors{}
	t := &domain.EventType{Name: f.Name, Description: f.Description}
	if schema := strings.TrimSpace(f.Schema); schema != "" {
		t.Schema = json.RawMessage(schema)
	}
	if examples := strings.TrimSpace(f.Examples); examples != "" {
		if err := json.Unmarshal([]byte(examples), &t.Examples); err != nil {
			errs["examples"] = "Enter the examples as a JSON array, e.g. [{\"orderId\": \"o-1042\"}]."
		}
	}
	if editing == "" && f.Name != "" {
		if _, err := s.svc.EventType(r.Context(), c.actor(), f.Name); err == nil {
			errs["name"] = "An event type for this topic exists already: edit it instead."
		} else if domain.ErrorCode(err) != domain.ENOTFOUND {
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderEventTypeForm(w, r, c, http.StatusUnprocessableEntity, editing, f, errs, nil)
	}
	created, err := s.svc.PutEventType(r.Context(), c.actor(), t)
	var se *domain.Error
	switch {
	case err == nil:
	case errors.As(err, &se) && se.Code == domain.EINVALID:
		field := se.TopField()
		if field == "json" || field == "" {
			field = "schema"
		}
		errs[field] = sentence(se.Message)
		var details map[string][]templates.ErrorDetail
		for _, d := range se.Details {
			if details == nil {
				details = map[string][]templates.ErrorDetail{}
			}
			// The form's JSON is the field's value: point into it.
			details[field] = append(details[field], templates.ErrorDetail{Path: strings.TrimPrefix(d.Path, "/"+field), Message: d.Message})
		}
		return s.renderEventTypeForm(w, r, c, http.StatusUnprocessableEntity, editing, f, errs, details)
	default:
		return err
	}
	msg := "Event type " + t.Name + " saved."
	if created {
		msg = "Event type " + t.Name + " created."
	}
	s.redirectFlash(w, r, c, templates.EventTypePath(t.Name), templates.FlashSuccess, msg)
	return nil
}

func (s *Server) deleteEventTypePage(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	t, err := s.svc.EventType(r.Context(), c.actor(), r.PathValue("name"))
	if err != nil {
		return err
	}
	v := templates.DeleteEventTypePage{Page: s.page(r, c, "Delete "+t.Name, templates.NavEventTypes), Name: t.Name, HasSchema: t.Schema != nil}
	s.render(w, r, http.StatusOK, templates.DeleteEventType(v))
	return nil
}

func (s *Server) deleteEventTypeForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	name := r.PathValue("name")
	if err := s.svc.DeleteEventType(r.Context(), c.actor(), name); err != nil {
		return err
	}
	s.redirectFlash(w, r, c, "/event-types", templates.FlashSuccess, "Event type "+name+" deleted.")
	return nil
}
