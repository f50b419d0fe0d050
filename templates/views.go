// Package templates renders the hooks web UI: one templ component per page,
// each taking a view model defined in this file. View models carry values
// that are already simple to print (strings, ints, times, bools), so the
// package depends on neither the store nor the web handlers.
package templates

import "time"

// Page is what every page's layout needs. Each page's view model embeds it.
type Page struct {
	// Title is the page's <title> (the layout appends "· hooks").
	Title string
	// User is the signed-in user; the zero value means nobody is signed in,
	// which gives the bare layout without navigation.
	User CurrentUser
	// Tenant is the id of the tenant the user is looking at.
	Tenant string
	// Tenants lists the tenants an unbound admin may switch to. Empty hides
	// the switcher (POST /tenant, field "tenant").
	Tenants []string
	// Flash is a one-time message shown above the content; empty Message hides it.
	Flash Flash
	// Nav is the highlighted navigation item.
	Nav NavItem
	// Dev shows the "development mode" banner (plain http and private targets allowed).
	Dev bool
	// Now is the reference time for relative timestamps; zero means time.Now().
	Now time.Time
	// Base prefixes every link of the page's content: "" in the backoffice,
	// "/portal" in the customer portal.
	Base string
	// Portal dresses the page as the customer portal; nil in the backoffice.
	Portal *Portal
}

// Portal is the customer portal as a page shows it: in the product's
// clothes (the accent colour comes from /portal/theme.css), with nothing of
// the backoffice or of other tenants.
type Portal struct {
	Name     string // the product's name; "" shows none
	LogoURL  string // https URL of the product's logo; "" shows none
	SignedIn bool   // false gives the bare layout (an expired link, an error)
}

// CurrentUser is the signed-in user as the header shows them.
type CurrentUser struct {
	Email    string
	Role     string // "admin" or "viewer"
	IsAdmin  bool
	CanWrite bool // false hides every state-changing button and form
}

// FlashKind is the tone of a flash message.
type FlashKind string

// Flash kinds.
const (
	FlashSuccess FlashKind = "success"
	FlashError   FlashKind = "error"
	FlashInfo    FlashKind = "info"
)

// Flash is a one-time message shown after an action (post/redirect/get).
type Flash struct {
	Kind    FlashKind
	Message string
}

// NavItem names an entry of the main navigation.
type NavItem string

// Navigation items.
const (
	NavNone       NavItem = ""
	NavDashboard  NavItem = "dashboard"
	NavWebhooks   NavItem = "webhooks"
	NavDeliveries NavItem = "deliveries"
	NavEvents     NavItem = "events"
	NavSettings   NavItem = "settings"    // Webhooks, Users, API keys, Tenants, Audit log
	NavEventTypes NavItem = "event-types" // the event catalogue: a Settings tab, and a tab of the portal
)

// SettingsTab names a page of the Settings area; the Settings entry of the
// main navigation leads to its tabs, as "Settings → Webhooks" does in the
// products whose customers use hooks.
type SettingsTab string

// The Settings area's tabs.
const (
	TabWebhooks   SettingsTab = "webhooks"
	TabUsers      SettingsTab = "users"
	TabAPIKeys    SettingsTab = "api-keys"
	TabTenants    SettingsTab = "tenants"
	TabAuditLog   SettingsTab = "audit-log"
	TabEventTypes SettingsTab = "event-types"
)

// settingsTabs lists the Settings tabs in order: where each leads and
// whether only an admin sees it.
var settingsTabs = []struct {
	Tab       SettingsTab
	Label     string
	Href      string
	AdminOnly bool
}{
	{TabWebhooks, "Webhooks", "/webhooks", false},
	{TabEventTypes, "Event types", "/event-types", false},
	{TabUsers, "Users", "/settings/users", true},
	{TabAPIKeys, "API keys", "/settings/api-keys", true},
	{TabTenants, "Tenants", "/settings/tenants", true},
	{TabAuditLog, "Audit log", "/settings/audit-log", true},
}

// FieldErrors maps a form field's name (its HTML name attribute) to a
// message shown next to it. The key "" holds a message for the whole form.
type FieldErrors map[string]string

// Header is one HTTP header line, in the order it was sent or received.
type Header struct {
	Name  string
	Value string
}

// Signing schemes, as the signing_scheme field and WebhookView.Scheme spell them
// (the same names as delivery/sign).
const (
	SchemeStandard     = "standard-webhooks"
	SchemeStandardV1a  = "standard-webhooks-v1a"
	SchemeHMAC         = "hmac-sha256"
	SchemeSharedSecret = "shared-secret"
	SchemeJWT          = "jwt"
)

// Delivery statuses, as the store and the status filter spell them.
var DeliveryStatuses = []string{"pending", "retrying", "succeeded", "failed", "awaiting_callback", "cancelled"}

// LoginPage is GET /login. The form posts email, password and next to POST /login.
type LoginPage struct {
	Page
	Email string // what the user typed, kept after a failed attempt
	Next  string // a local path to return to after login; empty = "/"
	Error string // e.g. "Wrong email or password." or a rate-limit message
}

// SetupPage is GET /setup?token=T, the one-time creation of the first admin.
// The form posts token, email, password and password_confirm to POST /setup.
type SetupPage struct {
	Page
	Token  string
	Email  string
	Errors FieldErrors // keys: "", "email", "password", "password_confirm"
}

// ErrorPage is shown for 403, 404, 500 and other failures.
type ErrorPage struct {
	Page
	Status  int    // HTTP status code
	Message string // optional safe detail; empty uses a friendly default per status
}

// DashboardPage is GET /.
type DashboardPage struct {
	Page
	// Range is the chart window, "1h" or "24h"; the page links to /?range=1h and /?range=24h.
	Range       string
	Stats       DashboardStats
	Throughput  []ThroughputBucket // oldest first, evenly spaced
	Latency     []LatencyBucket    // oldest first, same buckets as Throughput
	Attention   []AttentionItem    // failing or auto-disabled endpoints
	HasWebhooks bool               // false shows the first-run empty state
}

// DashboardStats are the KPI tiles.
type DashboardStats struct {
	DeliveriesLastHour int
	DeliveriesLastDay  int
	// SuccessRate is succeeded ÷ finished attempts over the last 24 h, 0–1;
	// shown as "—" when Finished is 0.
	SuccessRate float64
	Finished    int
	P50Ms       float64 // attempt latency percentiles over the last hour
	P95Ms       float64
	Pending     int // deliveries waiting for their next attempt
}

// ThroughputBucket is one bar of the deliveries chart.
type ThroughputBucket struct {
	Start     time.Time
	Succeeded int
	Failed    int
}

// LatencyBucket is one point of the latency chart; Count 0 leaves a gap.
type LatencyBucket struct {
	Start time.Time
	P50Ms float64
	P95Ms float64
	Count int
}

// AttentionItem is an endpoint that is failing or was disabled automatically.
type AttentionItem struct {
	WebhookID      string
	Name           string
	URL            string
	Disabled       bool   // auto-disabled (else: failing but still enabled)
	Reason         string // e.g. "20 consecutive failures: connection refused"
	SuccessRate    float64
	LastFailureAt  time.Time
	FailedLastHour int
}

// WebhooksPage is GET /webhooks.
type WebhooksPage struct {
	Page
	Webhooks    []WebhookRow
	OlderCursor string // non-empty shows "Next →" (?cursor=)
	NewerCursor string
}

// WebhookRow is one line of the webhooks list.
type WebhookRow struct {
	ID             string
	Name           string
	URL            string
	Topics         []string
	Enabled        bool
	DisabledReason string // set when hooks disabled the endpoint itself
	SuccessRate    float64
	Attempts       int // finished attempts behind SuccessRate (last 24 h); 0 = "No traffic"
	LastAttemptAt  time.Time
	LastStatusCode int
}

// WebhookFormPage is GET /webhooks/new (ID empty, posts to POST /webhooks)
// and GET /webhooks/{id}/edit (posts to POST /webhooks/{id}); also re-rendered
// with Errors and the submitted Form after a failed POST.
type WebhookFormPage struct {
	Page
	ID          string
	Form        WebhookForm
	Errors      FieldErrors // keys are the form field names listed on WebhookForm
	KnownTopics []string
	JWKSURL     string // shown as a hint for the JWT scheme
	// Preview is the answer of "Try it against recent events" without
	// JS: the form comes back with it under the Filter field.
	Preview *FilterPreview
	// Catalog is the tenant's event types, offered as checkboxes
	// [catalog_events] beside the free topics field.
	Catalog []CatalogTopic
}

// FilterPreview is what a filter makes of the tenant's recent events of
// the form's topics (POST /webhooks/filter-preview and
// /webhooks/{id}/filter-preview; app.js renders the same JSON).
type FilterPreview struct {
	Events  []FilterPreviewEvent `json:"events"`
	Matched int                  `json:"matched"`
	// Error is the filter's error, as saving would show it ("" when it
	// compiles); Events is empty then.
	Error string `json:"error,omitempty"`
}

// FilterPreviewEvent is one recent event and whether the filter matches it.
type FilterPreviewEvent struct {
	ID          string    `json:"id"`
	Topic       string    `json:"topic"`
	SubTopic    string    `json:"subTopic,omitempty"`
	TriggeredAt time.Time `json:"triggeredAt"`
	Matched     bool      `json:"matched"`
	URL         string    `json:"url"` // the event's page
}

// CatalogTopic is one event type as the webhook form offers it.
type CatalogTopic struct {
	Name        string
	Description string
}

// WebhookForm holds the webhook form's fields exactly as typed, so a form
// with errors comes back unchanged. The HTML field name of each is in brackets;
// WebhookFormFromValues reads them.
type WebhookForm struct {
	Name        string // [name]
	URL         string // [url] the HTTP destination's URL
	Destination DestinationForm
	Events      string // [events] topics, one per line (commas also split); see SplitList
	// CatalogEvents [catalog_events] are the topics ticked in the event
	// catalogue; Events holds the others (patterns, uncatalogued topics).
	CatalogEvents []string
	SubTopics     string // [sub_topics] one per line; empty = all
	Filter        string // [filter] a payload filter, JSON; empty = none
	Enabled       bool   // [enabled] checkbox, value "on"

	Scheme          string // [signing_scheme] one of the Scheme* constants
	SignatureHeader string // [signing_header] hmac-sha256 and shared-secret
	Encoding        string // [signing_encoding] "hex" or "base64" (hmac-sha256)
	Prefix          string // [signing_prefix] e.g. "sha256=" (hmac-sha256)
	// AlsoScheme [signing_also] is a second scheme that signs the same
	// requests ("" for none); AlsoHeader [signing_also_header] its header,
	// for hmac-sha256 (hex) and shared-secret.
	AlsoScheme string
	AlsoHeader string
	// MoreSchemes counts the schemes past the second, set through the API:
	// the form keeps them as they are.
	MoreSchemes int
	// Secret [secret] is never rendered back; SecretEntered says one was
	// typed, so the form can ask for it again after a validation error.
	Secret        string
	SecretEntered bool

	HeaderPrefix string // [header_prefix] metadata header prefix, e.g. "X-Hooks-"
	Envelope     string // [envelope] "raw", "standard" or "template"
	Template     string // [template] used when Envelope is "template"

	RetrySchedule string // [retry_schedule] "exponential" or "fixed"
	RetryInterval string // [retry_interval] seconds
	MaxAttempts   string // [max_attempts]
	RetryOn       string // [retry_on] "default" (network, timeout, 408, 429, 5xx), "non2xx" or "custom"
	RetryTokens   string // [retry_on_tokens] with "custom": tokens such as "403, 5xx, timeout, network"
	Timeout       string // [timeout] seconds, 1–30
	RateLimit     string // [rate_limit] requests per second; empty = unlimited
	Headers       string // [headers] "Name: value" per line
	Metadata      string // [metadata] "key=value" per line
}

// WebhookDetailPage is GET /webhooks/{id}, and the answer of the no-JS
// POST /webhooks/{id}/secret/reveal (with Secret.Revealed set).
type WebhookDetailPage struct {
	Page
	Webhook    WebhookView
	Secret     SecretView
	Test       *TestResult   // the last Test URL result to show; nil = none
	Deliveries []DeliveryRow // the most recent few, newest first
	// Throughput and Latency chart the last 24 hours by hour, oldest first.
	Throughput []ThroughputBucket
	Latency    []LatencyBucket
	// TestExamples are the event types' examples Test URL may send instead
	// of a ping: those of the topics the endpoint subscribes to.
	TestExamples []TestExample
}

// TestExample is one option of Test URL's event select: its value is the
// form field example ("<index>:<type>").
type TestExample struct {
	Value string
	Label string
}

// WebhookView is one endpoint's configuration, for display.
type WebhookView struct {
	ID             string
	Name           string
	URL            string // for a broker destination, its target without credentials
	Destination    DestinationView
	Topics         []string
	SubTopics      []string
	Enabled        bool
	DisabledReason string // non-empty when hooks disabled it automatically
	DisabledAt     time.Time

	Scheme          string // one of the Scheme* constants
	SignatureHeader string
	Encoding        string
	Prefix          string
	HeaderPrefix    string
	Also            []SigningView // the schemes past the first

	Envelope string // "raw", "standard" or "template"
	Template string

	RetrySchedule string // "exponential" or "fixed"
	RetryInterval int    // seconds
	MaxAttempts   int
	RetryOnNon2xx bool
	RetryTokens   []string  // the retryOn list, when set as one (RetryOnNon2xx is then false)
	PausedUntil   time.Time // the receiver asked for a pause (429/503 with Retry-After) until then
	Timeout       int       // seconds
	RateLimit     int       // per second; 0 = unlimited
	Headers       []Header  // values masked unless CredentialsRevealed
	Metadata      []Header
	// CredentialsRevealed is set on the answer of an admin's
	// POST /webhooks/{id}/credentials/reveal: Headers and Metadata are in clear.
	CredentialsRevealed bool

	SuccessRate   float64 // last 24 h, with Attempts behind it
	Attempts      int
	LastAttemptAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// SecretView is the signing secret card. The secret itself is only present
// after an explicit reveal.
type SecretView struct {
	Revealed string // the current secret; empty shows a mask
	// PublicKey is set for Standard Webhooks v1a, whose private key never
	// leaves hooks: the card shows the public key instead.
	PublicKey string
	// PreviousExpiresAt is when the secret replaced by the last rotation stops
	// being used; zero hides the note.
	PreviousExpiresAt time.Time
	// Also are the secrets of the schemes past the first, in order.
	Also []SecretView
	// Index is the scheme's place in the endpoint's list (0 for the first),
	// Scheme and Header what it is: the reveal form names the index.
	Index  int
	Scheme string
	Header string
	// SwitchesAtOnce says that a rotation replaces some scheme's secret at
	// once (HMAC, shared secret: their header holds one signature).
	SwitchesAtOnce bool
}

// SigningView is one signing scheme beyond an endpoint's first, for display.
type SigningView struct {
	Scheme   string // one of the Scheme* constants
	Header   string
	Encoding string
	Prefix   string
}

// TestResult is the outcome of POST /webhooks/{id}/test. Its JSON form is what
// app.js expects from that route with Accept: application/json.
type TestResult struct {
	Success      bool   `json:"success"`
	StatusCode   int    `json:"statusCode"`
	DurationMs   int64  `json:"durationMs"`
	ResponseBody string `json:"responseBody"`
	Error        string `json:"error"`
}

// DeliveryRow is one delivery in a table, and the summary of the delivery page.
type DeliveryRow struct {
	ID             string // dlv_…, sent as <prefix>Webhook-Id
	EventID        string
	WebhookID      string // the endpoint (wbh_…)
	EndpointName   string
	EndpointURL    string
	Topic          string
	SubTopic       string
	Status         string // one of DeliveryStatuses
	Attempts       int
	LastStatusCode int // 0 = none yet or a network error
	NextAttemptAt  time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// DeliveriesPage is GET /deliveries (Webhook nil) and GET /webhooks/{id}/deliveries.
// The filter form is a GET to the same path with status, topic, from and to.
type DeliveriesPage struct {
	Page
	Webhook     *WebhookRef
	Filter      DeliveryFilter
	Errors      FieldErrors // keys: "from", "to", "status"
	Deliveries  []DeliveryRow
	OlderCursor string // opaque; non-empty shows "Older →" (?cursor=…&filters)
	NewerCursor string // opaque; non-empty shows "← Newer"
	KnownTopics []string
	// Throughput, when set, charts the last 24 hours above the log (the
	// customer portal, which has no dashboard).
	Throughput []ThroughputBucket
}

// WebhookRef names an endpoint in a breadcrumb or a heading.
type WebhookRef struct {
	ID   string
	Name string
}

// DeliveryFilter holds the filter fields as typed. From and To are
// datetime-local values ("2006-01-02T15:04") in UTC; see ParseDateTimeLocal.
type DeliveryFilter struct {
	Status string // [status] "" = all
	Topic  string // [topic]
	From   string // [from]
	To     string // [to]
}

// DeliveryPage is GET /deliveries/{id}.
type DeliveryPage struct {
	Page
	Delivery DeliveryRow
	Attempts []AttemptView // newest first
	// AttemptCount is how many attempts the delivery has: more than
	// Attempts when the page leaves older ones out.
	AttemptCount int
}

// AttemptView is one HTTP attempt of a delivery.
type AttemptView struct {
	ID                     string
	Trigger                string // scheduled, manual, test, recover or callback
	StatusCode             int    // 0 = no response
	DurationMs             int64
	Error                  string
	RequestURL             string
	RequestHeaders         []Header // secret values already redacted by the server
	RequestHeadersOmitted  int      // header lines the server did not read
	RequestBody            string
	RequestBodySize        int // the whole stored body's length, when RequestBody may be only its start; 0 = whole
	ResponseHeaders        []Header
	ResponseHeadersOmitted int
	ResponseBody           string
	ResponseBodySize       int  // as RequestBodySize
	ResponseTruncated      bool // hooks kept only the start of what the receiver sent
	StartedAt              time.Time
}

// EventsPage is GET /events, with the "Send test event" form (POST /events).
type EventsPage struct {
	Page
	Events      []EventRow
	OlderCursor string
	NewerCursor string
	Form        SendEventForm
	Errors      FieldErrors // keys: "topic", "sub_topic", "data"
	KnownTopics []string
}

// EventRow is one event in the events list.
type EventRow struct {
	ID          string
	Topic       string
	SubTopic    string
	Deliveries  int // fan-out: deliveries created for this event
	Succeeded   int
	Failed      int
	TriggeredAt time.Time
}

// SendEventForm is the test event form, as typed.
type SendEventForm struct {
	Topic    string // [topic]
	SubTopic string // [sub_topic]
	Data     string // [data] JSON
}

// EventPage is GET /events/{id}.
type EventPage struct {
	Page
	Event      EventView
	Deliveries []DeliveryRow
}

// EventView is one event, for display.
type EventView struct {
	ID             string
	Topic          string
	SubTopic       string
	IdempotencyKey string
	Payload        string
	TriggeredAt    time.Time
}

// DeleteWebhookPage is GET /webhooks/{id}/delete; it confirms with POST /webhooks/{id}/delete.
type DeleteWebhookPage struct {
	Page
	Webhook WebhookRef
	URL     string
	Pending int // deliveries not finished yet, which deleting cancels
}

// RecoverPage is GET /webhooks/{id}/recover?since=…; it confirms with
// POST /webhooks/{id}/recover and the field since (datetime-local, UTC).
type RecoverPage struct {
	Page
	Webhook WebhookRef
	Since   string // datetime-local value, as typed or defaulted
	Count   int    // failed deliveries since Since that will be redelivered
	Errors  FieldErrors
}

// PortalGonePage is the customer portal's answer to a link that can't be
// used (any more) or a session that ended.
type PortalGonePage struct {
	Page
	Heading string
	Message string
}
