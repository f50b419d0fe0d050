package web

import (
	"bytes"
	"encoding/json"
	"hooks/domain"
	"hooks/service"
	"io"
	"net/http"
	"strconv"
	"time"
)

// webhookJSON is a webhook as the API shows it.
type webhookJSON struct {
	ID             string             `json:"id"`
	Name           string             `json:"name"`
	URL            string             `json:"url"`
	Destination    domain.Destination `json:"destination"` // url credentials masked
	Events         []string           `json:"events"`
	SubTopics      []string           `json:"subTopics"`
	Filter         json.RawMessage    `json:"filter"` // null when there is none
	IsEnabled      bool               `json:"isEnabled"`
	DisabledReason string             `json:"disabledReason,omitempty"`
	DisabledAt     *time.Time         `json:"disabledAt,omitempty"`
	PausedUntil    *time.Time         `json:"pausedUntil,omitempty"` // the receiver asked for a pause (429/503 with Retry-After)
	Signing        signingJSON        `json:"signing"`
	Headers        map[string]string  `json:"headers"` // values masked: GET …/credentials reveals them
	Envelope       domain.Envelope    `json:"envelope"`
	Retry          domain.RetryPolicy `json:"retry"`
	TimeoutSeconds int                `json:"timeoutSeconds"`
	RateLimit      int                `json:"rateLimit"`
	Metadata       map[string]string  `json:"metadata"` // values masked, as headers
	CreatedAt      time.Time          `json:"createdAt"`
	UpdatedAt      time.Time          `json:"updatedAt"`
	// On create only: the secret (or, for v1a, the public key) with one
	// scheme, or each scheme's with several, as GET …/secret answers.
	Secret    string       `json:"secret,omitempty"`
	PublicKey string       `json:"publicKey,omitempty"`
	Secrets   []secretJSON `json:"secrets,omitempty"`
}

// signingJSON is an endpoint's signing schemes, as the API shows and takes
// them: an object when there is one, as the API always answered, and a
// list when there are several. Input may use either form.
type signingJSON []domain.Signing

func (s signingJSON) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]domain.Signing(s))
}

func (s *signingJSON) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		var list []domain.Signing
		if err := dec.Decode(&list); err != nil {
			return domain.FieldErrorf("signing", "signing must be a scheme object or a list of them: %v", err)
		}
		if len(list) == 0 {
			return domain.FieldErrorf("signing", "signing needs at least one scheme")
		}
		*s = list
		return nil
	}
	var one domain.Signing
	if err := dec.Decode(&one); err != nil {
		return domain.FieldErrorf("signing", "signing must be a scheme object or a list of them: %v", err)
	}
	*s = signingJSON{one}
	return nil
}

// secretJSON is one scheme's secret, or its public key for v1a.
type secretJSON struct {
	Scheme    string `json:"scheme"`
	Secret    string `json:"secret,omitempty"`
	PublicKey string `json:"publicKey,omitempty"`
}

// secretsAnswer is what GET …/secret answers, and what create adds:
// {"secret"} or {"publicKey"} for one scheme, {"secrets":[…]} for several.
func secretsAnswer(w *domain.Endpoint) (secret, publicKey string, secrets []secretJSON) {
	schemes := w.Schemes()
	for _, sc := range schemes {
		name, value := sc.Shown()
		sj := secretJSON{Scheme: sc.Scheme}
		if name == "publicKey" {
			sj.PublicKey = value
		} else {
			sj.Secret = value
		}
		secrets = append(secrets, sj)
	}
	if len(schemes) == 1 {
		return secrets[0].Secret, secrets[0].PublicKey, nil
	}
	return "", "", secrets
}

func toWebhookJSON(w *domain.Endpoint) webhookJSON {
	out := webhookJSON{
		ID: w.ID, Name: w.Name, URL: w.URL, Destination: w.Destination.Masked(), Events: w.Topics, SubTopics: w.SubTopics, IsEnabled: w.Enabled,
		DisabledReason: w.DisabledReason, Signing: webhookSigning(w), Headers: maskValues(w.Headers), Envelope: w.Envelope, Retry: w.Retry,
		TimeoutSeconds: int(w.Timeout / time.Second), RateLimit: w.RateLimit, Metadata: maskValues(w.Metadata),
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
	}
	if w.Filter != "" {
		out.Filter = json.RawMessage(w.Filter)
	}
	if !w.DisabledAt.IsZero() {
		out.DisabledAt = &w.DisabledAt
	}
	if w.PausedUntil.After(time.Now()) {
		out.PausedUntil = &w.PausedUntil
	}
	return out
}

func webhookSigning(w *domain.Endpoint) signingJSON {
	out := signingJSON{w.Signing}
	for _, s := range w.AlsoSigning {
		out = append(out, s.Signing)
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
	Destination    *domain.Destination `json:"destination"`
	Events         *[]string           `json:"events"`
	SubTopics      *[]string           `json:"subTopics"`
	Filter         json.RawMessage     `json:"filter"` // absent: unchanged; null or {}: none
	IsEnabled      *bool               `json:"isEnabled"`
	Signing        *signingJSON        `json:"signing"`
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
	if in.Destination != nil {
		d := in.Destination.Clone()
		u, err := domain.UnmaskURL(d.URL, w.Destination.URL)
		if err != nil {
			return err
		}
		d.URL = u
		w.Destination = d
	}
	set(&w.Secret, in.Secret)
	if in.Events != nil {
		w.Topics = *in.Events
	}
	if in.SubTopics != nil {
		w.SubTopics = *in.SubTopics
	}
	if in.Filter != nil {
		w.Filter = string(in.Filter)
		if w.Filter == "null" {
			w.Filter = ""
		}
	}
	if in.IsEnabled != nil {
		svc.SetEnabled(w, *in.IsEnabled)
	}
	if in.Signing != nil {
		setSigning(w, *in.Signing, in.Secret != nil)
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

// setSigning gives w the schemes of list. A scheme that w already had
// keeps its secrets (the first of that name, in order), so that adding
// Standard Webhooks beside a legacy HMAC header leaves the HMAC secret as
// receivers know it; a new scheme gets a new secret on validation, since
// secrets of different schemes have different shapes. keepFirst keeps the
// first scheme's secret as the request set it.
func setSigning(w *domain.Endpoint, list []domain.Signing, keepFirst bool) {
	old := w.Schemes()
	used := make([]bool, len(old))
	schemes := make([]domain.SchemeSecrets, len(list))
	for i, opts := range list {
		schemes[i].Signing = opts
		if opts.Scheme == "" {
			opts.Scheme = domain.SchemeStandard
		}
		for j, o := range old {
			if !used[j] && o.Scheme == opts.Scheme && w.ID != "" {
				used[j] = true
				schemes[i].Secret, schemes[i].PreviousSecret, schemes[i].PreviousSecretUntil = o.Secret, o.PreviousSecret, o.PreviousSecretUntil
				break
			}
		}
	}
	if keepFirst {
		schemes[0].Secret = w.Secret
	}
	w.SetSchemes(schemes)
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in webhookInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.URL == nil && (in.Destination == nil || in.Destination.IsHTTP()) {
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
	out.Secret, out.PublicKey, out.Secrets = secretsAnswer(hook)
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
	secret, publicKey, secrets := secretsAnswer(hook)
	switch {
	case secrets != nil:
		writeJSON(w, http.StatusOK, map[string]any{"secrets": secrets})
	case publicKey != "":
		writeJSON(w, http.StatusOK, map[string]string{"publicKey": publicKey})
	default:
		writeJSON(w, http.StatusOK, map[string]string{"secret": secret})
	}
	return nil
}

// rotationJSON says what a rotation did to one scheme's secret.
type rotationJSON struct {
	Scheme                  string     `json:"scheme,omitempty"` // with several schemes
	Secret                  string     `json:"secret,omitempty"`
	PublicKey               string     `json:"publicKey,omitempty"`
	PreviousSecretValid     bool       `json:"previousSecretValid"`
	PreviousSecretExpiresAt *time.Time `json:"previousSecretExpiresAt,omitempty"`
	Note                    string     `json:"note,omitempty"`
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
	var out []rotationJSON
	for _, r := range service.Rotations(hook) {
		rj := rotationJSON{Scheme: r.Scheme, PreviousSecretValid: !r.PreviousValidUntil.IsZero(), Note: r.Note}
		if r.Name == "publicKey" {
			rj.PublicKey = r.Value
		} else {
			rj.Secret = r.Value
		}
		if rj.PreviousSecretValid {
			rj.PreviousSecretExpiresAt = &r.PreviousValidUntil
		}
		out = append(out, rj)
	}
	if len(out) == 1 {
		out[0].Scheme = ""
		writeJSON(w, http.StatusOK, out[0])
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"secrets": out})
	return nil
}

// testWebhook sends a ping, or with a body {"eventType","example"} the
// example at that index (default 0) of the caller's event type.
func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	var ex *service.TestExample
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return domain.Errorf(domain.ETOOLARGE, "the body could not be read: %v", err)
	}
	if len(bytes.TrimSpace(body)) > 0 {
		var in struct {
			EventType string `json:"eventType"`
			Example   int    `json:"example"`
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if in.EventType != "" {
			ex = &service.TestExample{Type: in.EventType, Index: in.Example}
		}
	}
	_, res, err := s.svc.TestEndpoint(r.Context(), c.actor(), r.PathValue("id"), ex)
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
