package web

import (
	"encoding/json"
	"hooks/domain"
	"hooks/service"
	"net/http"
	"strconv"
	"time"
)

// webhookJSON is a webhook as the API shows it.
type webhookJSON struct {
	ID             string             `json:"id"`
	Name           string             `json:"name"`
	URL            string             `json:"url"`
	Events         []string           `json:"events"`
	SubTopics      []string           `json:"subTopics"`
	IsEnabled      bool               `json:"isEnabled"`
	DisabledReason string             `json:"disabledReason,omitempty"`
	DisabledAt     *time.Time         `json:"disabledAt,omitempty"`
	Signing        domain.Signing     `json:"signing"`
	Headers        map[string]string  `json:"headers"` // values masked: GET …/credentials reveals them
	Envelope       domain.Envelope    `json:"envelope"`
	Retry          domain.RetryPolicy `json:"retry"`
	TimeoutSeconds int                `json:"timeoutSeconds"`
	RateLimit      int                `json:"rateLimit"`
	Metadata       map[string]string  `json:"metadata"` // values masked, as headers
	CreatedAt      time.Time          `json:"createdAt"`
	UpdatedAt      time.Time          `json:"updatedAt"`
	Secret         string             `json:"secret,omitempty"` // on create only
}

func toWebhookJSON(w *domain.Endpoint) webhookJSON {
	out := webhookJSON{
		ID: w.ID, Name: w.Name, URL: w.URL, Events: w.Topics, SubTopics: w.SubTopics, IsEnabled: w.Enabled,
		DisabledReason: w.DisabledReason, Signing: w.Signing, Headers: maskValues(w.Headers), Envelope: w.Envelope, Retry: w.Retry,
		TimeoutSeconds: int(w.Timeout / time.Second), RateLimit: w.RateLimit, Metadata: maskValues(w.Metadata),
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
	}
	if !w.DisabledAt.IsZero() {
		out.DisabledAt = &w.DisabledAt
	}
	return out
}

// envelopeInput accepts an envelope as an object or, for short, as its
// type name: "envelope": "standard".
type envelopeInput domain.Envelope

func (e *envelopeInput) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		*e = envelopeInput{Type: name}
		return nil
	}
	var v struct {
		Type     string `json:"type"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return domain.FieldErrorf("envelope", `envelope must be "raw", "standard" or {"type":"template","template":"..."}`)
	}
	*e = envelopeInput(v)
	return nil
}

// webhookInput is the body of create and PATCH: nil fields are left as
// they are (PATCH) or take their defaults (create).
type webhookInput struct {
	Name           *string             `json:"name"`
	URL            *string             `json:"url"`
	Events         *[]string           `json:"events"`
	SubTopics      *[]string           `json:"subTopics"`
	IsEnabled      *bool               `json:"isEnabled"`
	Signing        *domain.Signing     `json:"signing"`
	Secret         *string             `json:"secret"`
	Headers        *map[string]string  `json:"headers"`
	Envelope       *envelopeInput      `json:"envelope"`
	Retry          *domain.RetryPolicy `json:"retry"`
	TimeoutSeconds *int                `json:"timeoutSeconds"`
	RateLimit      *int                `json:"rateLimit"`
	Metadata       *map[string]string  `json:"metadata"`
}

// apply copies the fields that in sets onto w. headers and metadata
// replace the whole map, as before; a value sent back masked, as GET shows
// it, keeps the stored value under its key.
func (in *webhookInput) apply(w *domain.Endpoint, svc *service.Service) error {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&w.Name, in.Name)
	set(&w.URL, in.URL)
	set(&w.Secret, in.Secret)
	if in.Events != nil {
		w.Topics = *in.Events
	}
	if in.SubTopics != nil {
		w.SubTopics = *in.SubTopics
	}
	if in.IsEnabled != nil {
		svc.SetEnabled(w, *in.IsEnabled)
	}
	if in.Signing != nil {
		if in.Signing.Scheme != w.Signing.Scheme && in.Secret == nil && w.ID != "" {
			// Standard Webhooks secrets and the others have different shapes.
			w.Secret = ""
		}
		w.Signing = *in.Signing
	}
	if in.Headers != nil {
		h, err := unmaskValues("headers", *in.Headers, w.Headers, true)
		if err != nil {
			return err
		}
		w.Headers = h
	}
	if in.Envelope != nil {
		w.Envelope = domain.Envelope(*in.Envelope)
	}
	if in.Retry != nil {
		w.Retry = *in.Retry
	}
	if in.TimeoutSeconds != nil {
		w.Timeout = time.Duration(*in.TimeoutSeconds) * time.Second
		if *in.TimeoutSeconds <= 0 {
			w.Timeout = -1 // rejected by validation rather than defaulted
		}
	}
	if in.RateLimit != nil {
		w.RateLimit = *in.RateLimit
	}
	if in.Metadata != nil {
		m, err := unmaskValues("metadata", *in.Metadata, w.Metadata, false)
		if err != nil {
			return err
		}
		w.Metadata = m
	}
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in webhookInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.URL == nil {
		return domain.FieldErrorf("url", "url is required")
	}
	if in.Events == nil {
		return domain.FieldErrorf("events", "events is required: the topics this endpoint receives, e.g. [\"orders/*\"]")
	}
	hook := &domain.Endpoint{Enabled: true}
	if err := in.apply(hook, s.svc); err != nil {
		return err
	}
	if err := s.svc.CreateEndpoint(r.Context(), c.actor(), hook); err != nil {
		return err
	}
	out := toWebhookJSON(hook)
	out.Secret = hook.Secret
	w.Header().Set("Location", "/api/v1/webhooks/"+hook.ID)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	hook, err := s.db.EndpointByID(r.Context(), c.tenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWebhookJSON(hook))
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, c *caller) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	hooks, next, err := s.db.Endpoints(r.Context(), c.tenantID, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	data := make([]webhookJSON, len(hooks))
	for i, h := range hooks {
		data[i] = toWebhookJSON(h)
	}
	writeJSON(w, http.StatusOK, listJSON[webhookJSON]{Data: data, NextCursor: next})
	return nil
}

func (s *Server) patchWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in webhookInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	hook, err := s.svc.UpdateEndpoint(r.Context(), c.actor(), r.PathValue("id"), func(e *domain.Endpoint) error {
		return in.apply(e, s.svc)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWebhookJSON(hook))
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.svc.DeleteEndpoint(r.Context(), c.actor(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getWebhookSecret(w http.ResponseWriter, r *http.Request, c *caller) error {
	hook, err := s.svc.RevealSecret(r.Context(), c.actor(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": hook.Secret})
	return nil
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Secret       string `json:"secret"`
		GraceSeconds *int   `json:"graceSeconds"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	grace := service.DefaultSecretGrace
	if in.GraceSeconds != nil {
		grace = time.Duration(*in.GraceSeconds) * time.Second
	}
	hook, err := s.svc.RotateSecret(r.Context(), c.actor(), r.PathValue("id"), in.Secret, grace)
	if err != nil {
		return err
	}
	out := map[string]any{"secret": hook.Secret}
	if hook.PreviousSecret != "" {
		out["previousSecretExpiresAt"] = hook.PreviousSecretUntil
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	_, res, err := s.svc.TestEndpoint(r.Context(), c.actor(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) recoverWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Since *time.Time `json:"since"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Since == nil {
		return domain.FieldErrorf("since", "since is required: redeliver failed deliveries created at or after this RFC 3339 time")
	}
	n, err := s.svc.Recover(r.Context(), c.actor(), r.PathValue("id"), *in.Since)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"count": n})
	return nil
}

// listJSON is the shape of every list answer.
type listJSON[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"nextCursor"`
}

// pageLimit reads ?limit= (1-250, default 50).
func pageLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 250 {
		return 0, domain.FieldErrorf("limit", "limit must be a number from 1 to 250")
	}
	return n, nil
}
