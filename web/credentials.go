package web

import (
	"hooks/domain"
	"net/http"
	"strings"
	"unicode/utf8"
)

// An endpoint's extra header values and metadata values are credentials
// as often as not (X-Api-Key, AlphaTouch's api_key). Every page and API
// answer shows them masked; an admin's reveal, which is audited, shows
// them in clear (GET /api/v1/webhooks/{id}/credentials, and the Reveal
// button of the webhook page).

// maskPrefix starts every masked value.
const maskPrefix = "••••"

// maskValue hides a header or metadata value. A value of 16 characters or
// more keeps its last four, so that a person can tell which key is set
// without the mask giving away much of it; a shorter one is all dots.
func maskValue(v string) string {
	n := utf8.RuneCountInString(v)
	if n < 16 {
		return maskPrefix
	}
	i := len(v)
	for range 4 {
		_, size := utf8.DecodeLastRuneInString(v[:i])
		i -= size
	}
	return maskPrefix + v[i:]
}

// maskValues returns m with every value masked.
func maskValues(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = maskValue(v)
	}
	return out
}

// unmaskValues is how an edit keeps what it did not change: a value that
// is the mask of the stored value under the same key (header names compare
// as HTTP does when headers is true) stands for that stored value. Another
// value that looks masked is refused, since storing the dots would
// silently break the receiver; field names the form or API field.
func unmaskValues(field string, submitted, stored map[string]string, headers bool) (map[string]string, error) {
	if submitted == nil {
		return nil, nil
	}
	byKey := stored
	if headers {
		byKey = make(map[string]string, len(stored))
		for k, v := range stored {
			byKey[http.CanonicalHeaderKey(k)] = v
		}
	}
	out := make(map[string]string, len(submitted))
	for k, v := range submitted {
		out[k] = v
		if !strings.HasPrefix(v, maskPrefix) {
			continue
		}
		key := k
		if headers {
			key = http.CanonicalHeaderKey(k)
		}
		old, ok := byKey[key]
		if !ok || maskValue(old) != v {
			return nil, domain.FieldErrorf(field, "the value of %s is masked (%s); enter the value itself, or leave the masked value of an existing %s as it was to keep it", k, v, field)
		}
		out[k] = old
	}
	return out, nil
}

// credentialsJSON is the answer of GET /api/v1/webhooks/{id}/credentials.
type credentialsJSON struct {
	Headers        map[string]string `json:"headers"`
	Metadata       map[string]string `json:"metadata"`
	DestinationURL string            `json:"destinationUrl,omitempty"` // a broker URL with its credentials
}

// getWebhookCredentials reveals an endpoint's extra header and metadata
// values, the one API answer that shows them in clear. Every API key may
// (API keys have no roles yet; each can read the signing secret too), and
// every reveal is audited.
func (s *Server) getWebhookCredentials(w http.ResponseWriter, r *http.Request, c *caller) error {
	hook, err := s.svc.RevealCredentials(r.Context(), c.actor(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, credentialsJSON{Headers: hook.Headers, Metadata: hook.Metadata, DestinationURL: hook.Destination.URL})
	return nil
}

// revealCredentialsForm shows the webhook page with the extra header and
// metadata values in clear: the admin-only Reveal of that page.
func (s *Server) revealCredentialsForm(w http.ResponseWriter, r *http.Request, c *uiRequest) error {
	h, err := s.svc.RevealCredentials(r.Context(), c.actor(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, credentialsJSON{Headers: h.Headers, Metadata: h.Metadata, DestinationURL: h.Destination.URL})
		return nil
	}
	return s.renderWebhookDetail(w, r, c, nil, webhookReveal{credentials: true})
}
