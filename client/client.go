// Package client is a small Go client of the hooks REST API, used by the
// hooks command line (send, endpoints, deliveries) and usable by Go
// programs that post events to hooks.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls one hooks server with one API key.
type Client struct {
	BaseURL   string       // e.g. https://hooks.example.com
	Key       string       // an API key, hk_…
	Tenant    string       // sent as X-Tenant-ID when not empty
	HTTP      *http.Client // http.DefaultClient with a 30 s timeout if nil
	UserAgent string
}

// New returns a client of the server at baseURL.
func New(baseURL, key string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Key: key, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Error is an error answer of the API: {"error":{"code","message","field"}}.
type Error struct {
	Status  int    // the HTTP status
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, e.Code)
}

// Webhook is an endpoint as the API shows it.
type Webhook struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	URL            string            `json:"url"`
	Events         []string          `json:"events"`
	SubTopics      []string          `json:"subTopics,omitempty"`
	Filter         json.RawMessage   `json:"filter,omitempty"` // null when there is none
	IsEnabled      bool              `json:"isEnabled"`
	DisabledReason string            `json:"disabledReason,omitempty"`
	Signing        Signing           `json:"signing"`
	Headers        map[string]string `json:"headers,omitempty"`
	TimeoutSeconds int               `json:"timeoutSeconds,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	CreatedAt      time.Time         `json:"createdAt"`
	UpdatedAt      time.Time         `json:"updatedAt"`
	Secret         string            `json:"secret,omitempty"`    // in the answer to create only
	PublicKey      string            `json:"publicKey,omitempty"` // instead of Secret for standard-webhooks-v1a
}

// Signing is an endpoint's signing scheme and options. The API answers a
// list for an endpoint that signs with several schemes: the first is read
// into Signing's own fields, the others into Also.
type Signing struct {
	Scheme   string    `json:"scheme"`
	Header   string    `json:"header,omitempty"`
	Encoding string    `json:"encoding,omitempty"`
	Prefix   string    `json:"prefix,omitempty"`
	Also     []Signing `json:"-"`
}

// UnmarshalJSON reads one scheme object or a list of them.
func (s *Signing) UnmarshalJSON(b []byte) error {
	type plain Signing
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		return json.Unmarshal(b, (*plain)(s))
	}
	var list []plain
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	if len(list) == 0 {
		return errors.New("signing: an empty list")
	}
	*s = Signing(list[0])
	for _, p := range list[1:] {
		s.Also = append(s.Also, Signing(p))
	}
	return nil
}

// NewWebhook is the body of a create request; empty fields take the
// server's defaults.
type NewWebhook struct {
	Name      string          `json:"name,omitempty"`
	URL       string          `json:"url"`
	Events    []string        `json:"events"`
	SubTopics []string        `json:"subTopics,omitempty"`
	Filter    json.RawMessage `json:"filter,omitempty"` // a payload filter (README, Filters)
	Signing   *Signing        `json:"signing,omitempty"`
	Secret    string          `json:"secret,omitempty"`
	Envelope  string          `json:"envelope,omitempty"`
}

// Delivery is one event on its way to one endpoint.
type Delivery struct {
	ID             string     `json:"id"`
	EventID        string     `json:"eventId"`
	WebhookID      string     `json:"webhookId"`
	Topic          string     `json:"topic"`
	SubTopic       string     `json:"subTopic,omitempty"`
	Status         string     `json:"status"`
	AttemptCount   int        `json:"attemptCount"`
	NextAttemptAt  *time.Time `json:"nextAttemptAt"`
	LastStatusCode int        `json:"lastStatusCode"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
}

// Event is what SendEvent posts.
type Event struct {
	Topic    string          `json:"topic"`
	SubTopic string          `json:"subTopic,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// Accepted is the answer to SendEvent.
type Accepted struct {
	ID         string `json:"id"`
	Deliveries int    `json:"deliveries"`
	Replayed   bool   `json:"-"` // the Idempotency-Key was used before: this is the first event
}

// Page is one page of a list and the cursor of the next ("" at the end).
type Page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"nextCursor"`
}

// DeliveryFilter narrows Deliveries; empty fields don't filter.
type DeliveryFilter struct {
	WebhookID, Status, Topic, Cursor string
	Limit                            int
}

// SendEvent posts an event. A non-empty idempotencyKey makes a repeat of
// the same call return the first event instead of storing another.
func (c *Client) SendEvent(ctx context.Context, e Event, idempotencyKey string) (*Accepted, error) {
	h := http.Header{}
	if idempotencyKey != "" {
		h.Set("Idempotency-Key", idempotencyKey)
	}
	var out Accepted
	resp, err := c.do(ctx, http.MethodPost, "/api/v1/events", h, e, &out)
	if err != nil {
		return nil, err
	}
	out.Replayed = resp.Header.Get("Idempotent-Replayed") == "true"
	return &out, nil
}

// Webhooks returns a page of endpoints.
func (c *Client) Webhooks(ctx context.Context, cursor string, limit int) (*Page[Webhook], error) {
	q := url.Values{}
	setQuery(q, "cursor", cursor)
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out Page[Webhook]
	_, err := c.do(ctx, http.MethodGet, "/api/v1/webhooks?"+q.Encode(), nil, nil, &out)
	return &out, err
}

// CreateWebhook registers an endpoint; the answer holds its secret.
func (c *Client) CreateWebhook(ctx context.Context, w NewWebhook) (*Webhook, error) {
	var out Webhook
	_, err := c.do(ctx, http.MethodPost, "/api/v1/webhooks", nil, w, &out)
	return &out, err
}

// SetWebhookEnabled enables or disables an endpoint.
func (c *Client) SetWebhookEnabled(ctx context.Context, id string, enabled bool) (*Webhook, error) {
	var out Webhook
	_, err := c.do(ctx, http.MethodPatch, "/api/v1/webhooks/"+url.PathEscape(id), nil, map[string]bool{"isEnabled": enabled}, &out)
	return &out, err
}

// Deliveries returns a page of deliveries, newest first.
func (c *Client) Deliveries(ctx context.Context, f DeliveryFilter) (*Page[Delivery], error) {
	q := url.Values{}
	setQuery(q, "webhookId", f.WebhookID)
	setQuery(q, "status", f.Status)
	setQuery(q, "topic", f.Topic)
	setQuery(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out Page[Delivery]
	_, err := c.do(ctx, http.MethodGet, "/api/v1/deliveries?"+q.Encode(), nil, nil, &out)
	return &out, err
}

// Redeliver schedules one more attempt of a delivery now.
func (c *Client) Redeliver(ctx context.Context, id string) (*Delivery, error) {
	var out Delivery
	_, err := c.do(ctx, http.MethodPost, "/api/v1/deliveries/"+url.PathEscape(id)+"/redeliver", nil, nil, &out)
	return &out, err
}

func setQuery(q url.Values, name, value string) {
	if value != "" {
		q.Set(name, value)
	}
}

// do sends one request and decodes a 2xx answer into out, or returns an
// *Error for an API error answer.
func (c *Client) do(ctx context.Context, method, path string, h http.Header, in, out any) (*http.Response, error) {
	if c.BaseURL == "" {
		return nil, errors.New("no server URL: pass --url or set HOOKS_URL")
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	if c.Tenant != "" {
		req.Header.Set("X-Tenant-ID", c.Tenant)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("can't reach hooks at %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var eb struct {
			Error *Error `json:"error"`
		}
		if json.Unmarshal(data, &eb) == nil && eb.Error != nil {
			eb.Error.Status = resp.StatusCode
			return resp, eb.Error
		}
		return resp, &Error{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode),
			Message: fmt.Sprintf("%s %s answered %s (is %s a hooks server?)", method, path, resp.Status, c.BaseURL)}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp, fmt.Errorf("decode answer of %s %s: %w", method, path, err)
		}
	}
	return resp, nil
}

// StatsQuery selects what Stats returns. Zero fields take the server's
// defaults: the whole tenant, hourly, over the last day up to now.
type StatsQuery struct {
	WebhookID string
	From, To  time.Time
	Interval  string // minute, hour or day
}

// StatsPoint is what the attempts started in one interval came to.
type StatsPoint struct {
	Start     time.Time        `json:"start"`
	Attempts  int64            `json:"attempts"`
	Succeeded int64            `json:"succeeded"`
	Failed    int64            `json:"failed"`
	FailedBy  map[string]int64 `json:"failedBy"` // timeout, network, 4xx, 5xx, other
	P50Ms     *float64         `json:"p50Ms"`    // nil without attempts
	P95Ms     *float64         `json:"p95Ms"`
}

// Stats returns delivery statistics over time, one point per interval.
func (c *Client) Stats(ctx context.Context, s StatsQuery) ([]StatsPoint, error) {
	q := url.Values{}
	setQuery(q, "webhookId", s.WebhookID)
	setQuery(q, "interval", s.Interval)
	for name, t := range map[string]time.Time{"from": s.From, "to": s.To} {
		if !t.IsZero() {
			q.Set(name, t.UTC().Format(time.RFC3339))
		}
	}
	var out struct {
		Data []StatsPoint `json:"data"`
	}
	_, err := c.do(ctx, http.MethodGet, "/api/v1/stats?"+q.Encode(), nil, nil, &out)
	return out.Data, err
}
