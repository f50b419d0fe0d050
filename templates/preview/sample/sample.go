// Package sample holds realistic view models for every page, shared by the
// templates tests and the preview program.
package sample

import (
	"fmt"
	"time"

	"github.com/a-h/templ"

	"hooks/templates"
)

// Now is the reference time of every sample.
var Now = time.Date(2025, 3, 14, 15, 42, 10, 0, time.UTC)

// Topics are the known topics of the sample tenant.
var Topics = []string{"orders/placed", "orders/updated", "orders/cancelled", "products/updated", "stock/changed", "customers/created", "order-created"}

// Admin is a signed-in, unbound admin who can switch tenants.
func Admin(title string, nav templates.NavItem) templates.Page {
	return templates.Page{
		Title:   title,
		User:    templates.CurrentUser{Email: "maria.jensen@acme.example", Role: "admin", IsAdmin: true, CanWrite: true},
		Tenant:  "OU1243",
		Tenants: []string{"OU1243", "OU2077", "OU3310"},
		Nav:     nav,
		Now:     Now,
	}
}

// Viewer is a read-only user bound to one tenant.
func Viewer(title string, nav templates.NavItem) templates.Page {
	return templates.Page{
		Title:  title,
		User:   templates.CurrentUser{Email: "support@acme.example", Role: "viewer"},
		Tenant: "OU1243",
		Nav:    nav,
		Now:    Now,
	}
}

func ago(d time.Duration) time.Time { return Now.Add(-d) }

// Login is the sign-in page after a failed attempt.
func Login(withError bool) templates.LoginPage {
	v := templates.LoginPage{Page: templates.Page{Title: "Sign in", Now: Now}, Next: "/webhooks"}
	if withError {
		v.Email = "maria.jensen@acme.example"
		v.Error = "Wrong email or password."
	}
	return v
}

// Setup is the first-admin page with validation errors.
func Setup(withErrors bool) templates.SetupPage {
	v := templates.SetupPage{Page: templates.Page{Title: "Set up hooks", Now: Now}, Token: "st_7Q2mV9xK4pL0aZ8cR1"}
	if withErrors {
		v.Email = "maria.jensen@acme"
		v.Errors = templates.FieldErrors{
			"email":            "Enter a full email address, like name@example.com.",
			"password_confirm": "The passwords don't match.",
		}
	}
	return v
}

// Error is a not-found page for a signed-in user.
func Error(status int) templates.ErrorPage {
	return templates.ErrorPage{Page: Admin("Not found", templates.NavNone), Status: status}
}

// Dashboard is a busy hour with one failing and one auto-disabled endpoint.
func Dashboard() templates.DashboardPage {
	v := templates.DashboardPage{Page: Admin("Dashboard", templates.NavDashboard), Range: "1h", HasWebhooks: true}
	start := Now.Truncate(time.Minute).Add(-59 * time.Minute)
	total, fails := 0, 0
	for i := 0; i < 60; i++ {
		ok := 180 + (i*37)%90 + 40*((i/12)%2)
		fail := 0
		if i%7 == 3 {
			fail = 6 + i%5
		}
		if i > 44 && i < 50 {
			fail = 30 + 6*(i-44)
		}
		total += ok + fail
		fails += fail
		t := start.Add(time.Duration(i) * time.Minute)
		v.Throughput = append(v.Throughput, templates.ThroughputBucket{Start: t, Succeeded: ok, Failed: fail})
		p50 := 42 + float64((i*13)%17)
		p95 := 160 + float64((i*29)%60)
		if i > 44 && i < 50 {
			p95 = 900 + float64(i-44)*180
		}
		count := ok + fail
		if i == 20 {
			count = 0
		}
		v.Latency = append(v.Latency, templates.LatencyBucket{Start: t, P50Ms: p50, P95Ms: p95, Count: count})
	}
	v.Stats = templates.DashboardStats{
		DeliveriesLastHour: total,
		DeliveriesLastDay:  total*21 + 4211,
		SuccessRate:        0.9876,
		Finished:           total * 21,
		P50Ms:              48,
		P95Ms:              212,
		Pending:            37,
	}
	v.Attention = []templates.AttentionItem{
		{WebhookID: "wbh_01JP8Z3K5Q2W9EXAMPLE0003", Name: "eWarehousing stock", URL: "https://api.ewarehousing.example/v2/hooks/stock", Disabled: true,
			Reason: "Disabled after 50 consecutive failures: dial tcp 203.0.113.40:443: connect: connection refused", SuccessRate: 0, LastFailureAt: ago(26 * time.Minute), FailedLastHour: 12},
		{WebhookID: "wbh_01JP8Z3K5Q2W9EXAMPLE0002", Name: "Shopify inventory", URL: "https://hooks.shop.example/inventory",
			Reason: "31% of attempts failed in the last hour: 503 Service Unavailable", SuccessRate: 0.69, LastFailureAt: ago(3 * time.Minute), FailedLastHour: 184},
	}
	return v
}

// Webhooks is a list with every state.
func Webhooks() templates.WebhooksPage {
	return templates.WebhooksPage{
		Page: Admin("Webhooks", templates.NavWebhooks),
		Webhooks: []templates.WebhookRow{
			{ID: "wbh_01JP8Z3K5Q2W9EXAMPLE0001", Name: "Pepperi order sync", URL: "https://integrations.pepperi.example/webhooks/hooks/receive", Topics: []string{"orders/placed", "orders/updated", "orders/cancelled"}, Enabled: true, SuccessRate: 0.998, Attempts: 18231, LastAttemptAt: ago(12 * time.Second), LastStatusCode: 200},
			{ID: "wbh_01JP8Z3K5Q2W9EXAMPLE0002", Name: "Shopify inventory", URL: "https://hooks.shop.example/inventory", Topics: []string{"stock/changed", "products/updated"}, Enabled: true, SuccessRate: 0.69, Attempts: 4120, LastAttemptAt: ago(3 * time.Minute), LastStatusCode: 503},
			{ID: "wbh_01JP8Z3K5Q2W9EXAMPLE0003", Name: "eWarehousing stock", URL: "https://api.ewarehousing.example/v2/hooks/stock", Topics: []string{"stock/changed"}, Enabled: false, DisabledReason: "50 consecutive failures: connection refused", SuccessRate: 0, Attempts: 50, LastAttemptAt: ago(26 * time.Minute)},
			{ID: "wbh_01JP8Z3K5Q2W9EXAMPLE0004", Name: "AlphaTouch CRM", URL: "https://crm.alphatouch.example/api/v1/webhook?source=hooks&account=acme-retail-group", Topics: []string{"customers/created", "orders/placed", "orders/updated", "orders/cancelled", "products/updated"}, Enabled: true, SuccessRate: 0.951, Attempts: 932, LastAttemptAt: ago(2 * time.Hour), LastStatusCode: 200},
			{ID: "wbh_01JP8Z3K5Q2W9EXAMPLE0005", Name: "Shopery storefront", URL: "https://shopery.example/hooks", Topics: []string{"order-created"}, Enabled: false},
		},
		OlderCursor: "c2",
	}
}

// WebhooksEmpty is the first-run list.
func WebhooksEmpty() templates.WebhooksPage {
	return templates.WebhooksPage{Page: Admin("Webhooks", templates.NavWebhooks)}
}

// WebhookNew is the create form with its defaults.
func WebhookNew() templates.WebhookFormPage {
	return templates.WebhookFormPage{Page: Admin("Create webhook", templates.NavWebhooks), Form: templates.NewWebhookForm(), KnownTopics: Topics, JWKSURL: "https://hooks.acme.example/OU1243/.well-known/jwks.json"}
}

// WebhookEditErrors is the edit form coming back with errors.
func WebhookEditErrors() templates.WebhookFormPage {
	f := templates.NewWebhookForm()
	f.Name = "Pepperi order sync"
	f.URL = "http://10.0.0.12/hooks"
	f.Events = "orders/placed\norders/updated\n"
	f.Scheme = templates.SchemeHMAC
	f.SignatureHeader = "X-Pepperi-Signature"
	f.Prefix = "sha256="
	f.SecretEntered = true
	f.Envelope = "template"
	f.Template = "{\n  \"ID\": {{ .Event.ID }},\n  \"Data\": {{ .Event.Data }\n}"
	f.Timeout = "45"
	f.Metadata = "api_key=ak_live_123\ncompany 42"
	return templates.WebhookFormPage{
		Page:        Admin("Edit webhook", templates.NavWebhooks),
		ID:          "wbh_01JP8Z3K5Q2W9EXAMPLE0001",
		Form:        f,
		KnownTopics: Topics,
		Errors: templates.FieldErrors{
			"url":      "Use an https:// URL with a public address (private addresses are only allowed in --dev).",
			"template": "Line 3: unclosed placeholder “{{ .Event.Data }”.",
			"timeout":  "Enter a number of seconds from 1 to 30.",
			"metadata": "Line 2: want key=value.",
		},
	}
}

// Webhook is one endpoint's configuration.
func Webhook() templates.WebhookView {
	return templates.WebhookView{
		ID: "wbh_01JP8Z3K5Q2W9EXAMPLE0001", Name: "Pepperi order sync", URL: "https://integrations.pepperi.example/webhooks/hooks/receive",
		Topics: []string{"orders/placed", "orders/updated", "orders/cancelled"}, SubTopics: []string{"product:adv/adv-120"},
		Enabled: true, Scheme: templates.SchemeHMAC, SignatureHeader: "X-Pepperi-Signature", Encoding: "hex", Prefix: "sha256=", HeaderPrefix: "X-Hooks-",
		Envelope: "template", Template: "{\n  \"ID\": {{ .Event.ID }},\n  \"Data\": {{ .Event.Data }}\n}",
		RetrySchedule: "exponential", RetryInterval: 30, MaxAttempts: 10, Timeout: 5, RateLimit: 50,
		Headers:     []templates.Header{{Name: "X-Api-Version", Value: "2"}},
		Metadata:    []templates.Header{{Name: "company_id", Value: "30011"}},
		SuccessRate: 0.998, Attempts: 18231, LastAttemptAt: ago(12 * time.Second),
		CreatedAt: ago(41 * 24 * time.Hour), UpdatedAt: ago(3 * 24 * time.Hour),
	}
}

// WebhookDetail is the endpoint page; revealed adds the secret and a test result.
func WebhookDetail(revealed bool) templates.WebhookDetailPage {
	v := templates.WebhookDetailPage{Page: Admin("Pepperi order sync", templates.NavWebhooks), Webhook: Webhook(), Deliveries: Deliveries().Deliveries[:6]}
	v.Secret.PreviousExpiresAt = Now.Add(20 * time.Hour)
	start := Now.Truncate(time.Hour).Add(-23 * time.Hour)
	for i := range 24 {
		ok, fail := 900+(i*137)%400, 0
		if i == 17 || i == 18 {
			fail = 120 + 40*(i-17)
		}
		t := start.Add(time.Duration(i) * time.Hour)
		v.Throughput = append(v.Throughput, templates.ThroughputBucket{Start: t, Succeeded: ok, Failed: fail})
		v.Latency = append(v.Latency, templates.LatencyBucket{Start: t, P50Ms: 40 + float64((i*13)%15), P95Ms: 150 + float64((i*29)%70), Count: ok + fail})
	}
	if revealed {
		v.Secret.Revealed = "9f1c7e0b5a2d48c6b3e1f0a7d2c5b8e4"
		v.Test = &templates.TestResult{Success: true, StatusCode: 200, DurationMs: 143, ResponseBody: `{"Success":true,"Message":"pong"}`}
		v.Flash = templates.Flash{Kind: templates.FlashSuccess, Message: "Test ping delivered: 200 OK in 143 ms."}
	}
	return v
}

// WebhookDisabled is an auto-disabled endpoint seen by a viewer.
func WebhookDisabled() templates.WebhookDetailPage {
	w := Webhook()
	w.ID, w.Name, w.URL = "wbh_01JP8Z3K5Q2W9EXAMPLE0003", "eWarehousing stock", "https://api.ewarehousing.example/v2/hooks/stock"
	w.Enabled, w.DisabledReason, w.DisabledAt = false, "50 consecutive failures. Last error: dial tcp 203.0.113.40:443: connect: connection refused", ago(26*time.Minute)
	w.Scheme, w.SignatureHeader, w.Encoding, w.Prefix = templates.SchemeHMAC, "X-Hmac-SHA256", "base64", ""
	w.Envelope, w.Template, w.SuccessRate, w.Attempts = "raw", "", 0, 50
	w.SubTopics, w.Headers, w.Metadata = nil, nil, nil
	return templates.WebhookDetailPage{Page: Viewer(w.Name, templates.NavWebhooks), Webhook: w}
}

// Deliveries is the tenant-wide log, first page.
func Deliveries() templates.DeliveriesPage {
	statuses := []string{"succeeded", "succeeded", "failed", "retrying", "succeeded", "awaiting_callback", "succeeded", "pending", "cancelled", "succeeded", "succeeded", "failed"}
	codes := []int{200, 204, 500, 503, 200, 202, 200, 0, 0, 201, 200, 410}
	endpoints := []string{"Pepperi order sync", "AlphaTouch CRM", "Shopify inventory", "Shopify inventory", "Pepperi order sync", "Pepperi order sync", "AlphaTouch CRM", "eWarehousing stock", "Shopery storefront", "Pepperi order sync", "AlphaTouch CRM", "Shopify inventory"}
	topics := []string{"orders/placed", "customers/created", "stock/changed", "products/updated", "orders/updated", "orders/placed", "orders/cancelled", "stock/changed", "order-created", "orders/updated", "orders/placed", "stock/changed"}
	v := templates.DeliveriesPage{Page: Admin("Deliveries", templates.NavDeliveries), KnownTopics: Topics, OlderCursor: "c2", NewerCursor: ""}
	for i, s := range statuses {
		attempts := 1
		switch s {
		case "failed":
			attempts = 10
		case "retrying":
			attempts = 3
		case "pending":
			attempts = 0
		}
		sub := ""
		if i%4 == 1 {
			sub = "product:adv/adv-120"
		}
		v.Deliveries = append(v.Deliveries, templates.DeliveryRow{
			ID: fmt.Sprintf("dlv_01JPA4M7ZK3R8T%012d", 5120-i*7), EventID: fmt.Sprintf("evt_01JPA4M7ZJ9QX%013d", 881-i),
			WebhookID: fmt.Sprintf("wbh_01JP8Z3K5Q2W9EXAMPLE%04d", 1+i%5), EndpointName: endpoints[i], Topic: topics[i], SubTopic: sub,
			Status: s, Attempts: attempts, LastStatusCode: codes[i],
			CreatedAt: ago(time.Duration(i*i*47+9) * time.Second), UpdatedAt: ago(time.Duration(i*31) * time.Second),
		})
	}
	return v
}

// DeliveriesFiltered is one endpoint's log filtered to failures.
func DeliveriesFiltered() templates.DeliveriesPage {
	v := Deliveries()
	v.Page = Admin("Deliveries · Shopify inventory", templates.NavWebhooks)
	v.Webhook = &templates.WebhookRef{ID: "wbh_01JP8Z3K5Q2W9EXAMPLE0002", Name: "Shopify inventory"}
	v.Filter = templates.DeliveryFilter{Status: "failed", Topic: "stock/changed", From: "2025-03-14T00:00"}
	v.Deliveries = []templates.DeliveryRow{v.Deliveries[2], v.Deliveries[11]}
	v.NewerCursor = "c1"
	return v
}

// DeliveriesEmpty is a filtered log with no result.
func DeliveriesEmpty() templates.DeliveriesPage {
	v := Deliveries()
	v.Deliveries, v.OlderCursor = nil, ""
	v.Filter = templates.DeliveryFilter{Status: "cancelled", To: "2025-03-01T00:00", From: "2025-03-02T00:00"}
	v.Errors = templates.FieldErrors{"to": "“To” is before “From”."}
	return v
}

// Delivery is a delivery that failed, then succeeded on a manual redeliver.
func Delivery() templates.DeliveryPage {
	d := Deliveries().Deliveries[0]
	d.Attempts, d.Status, d.EndpointURL = 3, "succeeded", "https://integrations.pepperi.example/webhooks/hooks/receive"
	d.NextAttemptAt = time.Time{}
	req := []templates.Header{
		{Name: "Content-Type", Value: "application/json"},
		{Name: "User-Agent", Value: "hooks/1.0"},
		{Name: "X-Hooks-Topic", Value: "orders/placed"},
		{Name: "X-Hooks-Tenant-Id", Value: "OU1243"},
		{Name: "X-Hooks-Webhook-Id", Value: d.ID},
		{Name: "X-Hooks-Triggered-At", Value: "2025-03-14T15:40:58.123456789Z"},
		{Name: "X-Pepperi-Signature", Value: "[redacted]"},
	}
	body := `{"ID":"evt_01JPA4M7ZJ9QX0000000000881","Delivery":{"ID":"` + d.ID + `","CreatedAt":"2025-03-14T15:40:58Z","UpdatedAt":"2025-03-14T15:41:40Z"},"CompanyID":"OU1243","TriggeredBy":"orders/placed","Data":{"order":{"id":1042,"lines":[{"sku":"ADV-120","qty":2,"price":49.75}],"total":99.5,"currency":"EUR"}}}`
	resH := []templates.Header{{Name: "Content-Type", Value: "application/json; charset=utf-8"}, {Name: "Date", Value: "Fri, 14 Mar 2025 15:41:40 GMT"}, {Name: "Server", Value: "nginx"}}
	return templates.DeliveryPage{
		Page:     Admin("Delivery "+d.ID, templates.NavDeliveries),
		Delivery: d,
		Attempts: []templates.AttemptView{
			{ID: "att_01JPA4N2C8W3", Trigger: "manual", StatusCode: 200, DurationMs: 187, RequestURL: d.EndpointURL, RequestHeaders: req, RequestBody: body, ResponseHeaders: resH,
				ResponseBody: `{"Success":true,"HTMLResponse":"<h3>Order 1042 imported</h3><p>2 lines, total <b>€99.50</b></p><script>alert('xss')</script><img src=x onerror=alert(1)>"}`, StartedAt: ago(30 * time.Second)},
			{ID: "att_01JPA4M9F1B7", Trigger: "scheduled", StatusCode: 500, DurationMs: 1034, RequestURL: d.EndpointURL, RequestHeaders: req, RequestBody: body, ResponseHeaders: resH,
				ResponseBody: "<html><body><h1>500 Internal Server Error</h1><p>upstream database timeout</p></body></html>", ResponseTruncated: true, StartedAt: ago(70 * time.Second)},
			{ID: "att_01JPA4M80QZ2", Trigger: "scheduled", DurationMs: 5000, Error: "Post \"https://integrations.pepperi.example/webhooks/hooks/receive\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)", RequestURL: d.EndpointURL, RequestHeaders: req, RequestBody: body, StartedAt: ago(72 * time.Second)},
		},
	}
}

// Events is the events page with a test event form that failed validation.
func Events(withErrors bool) templates.EventsPage {
	v := templates.EventsPage{Page: Admin("Events", templates.NavEvents), KnownTopics: Topics, OlderCursor: "c2"}
	topics := []string{"orders/placed", "stock/changed", "customers/created", "orders/updated", "products/updated", "order-created", "orders/placed", "stock/changed"}
	for i, t := range topics {
		n := []int{3, 2, 1, 3, 2, 1, 0, 2}[i]
		sub := ""
		if i == 4 {
			sub = "product:adv/adv-120"
		}
		e := templates.EventRow{ID: fmt.Sprintf("evt_01JPA4M7ZJ9QX%013d", 881-i), Topic: t, SubTopic: sub, Deliveries: n, TriggeredAt: ago(time.Duration(i*i*53+12) * time.Second)}
		e.Succeeded = n
		if i == 1 {
			e.Succeeded, e.Failed = 1, 1
		}
		if i == 0 {
			e.Succeeded = 2
		}
		v.Events = append(v.Events, e)
	}
	if withErrors {
		v.Form = templates.SendEventForm{Topic: "orders/placed", Data: "{\"id\": 1042, \"total\": 99.5,}"}
		v.Errors = templates.FieldErrors{"data": "Not valid JSON: invalid character '}' looking for beginning of object key string (offset 27)."}
	} else {
		v.Form = templates.SendEventForm{Topic: "orders/placed", Data: "{\n  \"id\": 1042,\n  \"total\": 99.5\n}"}
	}
	return v
}

// Event is one event and its fan-out.
func Event() templates.EventPage {
	return templates.EventPage{
		Page:       Admin("Event", templates.NavEvents),
		Event:      templates.EventView{ID: "evt_01JPA4M7ZJ9QX0000000000881", Topic: "orders/placed", IdempotencyKey: "order-1042-placed", TriggeredAt: ago(9 * time.Second), Payload: `{"order":{"id":1042,"lines":[{"sku":"ADV-120","qty":2,"price":49.75}],"total":99.5,"currency":"EUR"}}`},
		Deliveries: eventDeliveries(),
	}
}

func eventDeliveries() []templates.DeliveryRow {
	rows := append([]templates.DeliveryRow(nil), Deliveries().Deliveries[:3]...)
	for i := range rows {
		rows[i].Topic, rows[i].SubTopic, rows[i].EventID = "orders/placed", "", "evt_01JPA4M7ZJ9QX0000000000881"
	}
	return rows
}

// DeleteWebhook is the delete confirmation.
func DeleteWebhook() templates.DeleteWebhookPage {
	w := Webhook()
	return templates.DeleteWebhookPage{Page: Admin("Delete "+w.Name, templates.NavWebhooks), Webhook: templates.WebhookRef{ID: w.ID, Name: w.Name}, URL: w.URL, Pending: 4}
}

// Recover is the recover confirmation.
func Recover() templates.RecoverPage {
	return templates.RecoverPage{Page: Admin("Recover", templates.NavWebhooks), Webhook: templates.WebhookRef{ID: "wbh_01JP8Z3K5Q2W9EXAMPLE0003", Name: "eWarehousing stock"}, Since: "2025-03-13T15:42", Count: 128}
}

// Named is one sample page.
type Named struct {
	Name      string
	Component templ.Component
}

// Pages returns every page in every interesting state.
func Pages() []Named {
	return []Named{
		{"login", templates.Login(Login(false))},
		{"login-error", templates.Login(Login(true))},
		{"setup", templates.Setup(Setup(false))},
		{"setup-errors", templates.Setup(Setup(true))},
		{"error-404", templates.Error(Error(404))},
		{"error-500-signed-out", templates.Error(templates.ErrorPage{Page: templates.Page{Title: "Error"}, Status: 500})},
		{"dashboard", templates.Dashboard(Dashboard())},
		{"dashboard-empty", templates.Dashboard(templates.DashboardPage{Page: Admin("Dashboard", templates.NavDashboard)})},
		{"webhooks", templates.Webhooks(Webhooks())},
		{"webhooks-empty", templates.Webhooks(WebhooksEmpty())},
		{"webhook-new", templates.WebhookFormView(WebhookNew())},
		{"webhook-edit-errors", templates.WebhookFormView(WebhookEditErrors())},
		{"webhook", templates.WebhookDetail(WebhookDetail(false))},
		{"webhook-revealed", templates.WebhookDetail(WebhookDetail(true))},
		{"webhook-disabled-viewer", templates.WebhookDetail(WebhookDisabled())},
		{"webhook-delete", templates.DeleteWebhook(DeleteWebhook())},
		{"webhook-recover", templates.Recover(Recover())},
		{"deliveries", templates.Deliveries(Deliveries())},
		{"deliveries-webhook-filtered", templates.Deliveries(DeliveriesFiltered())},
		{"deliveries-empty", templates.Deliveries(DeliveriesEmpty())},
		{"delivery", templates.Delivery(Delivery())},
		{"events", templates.Events(Events(false))},
		{"events-errors", templates.Events(Events(true))},
		{"event", templates.Event(Event())},
	}
}
