package domain

import (
	"regexp"
	"time"
)

// DefaultTenant exists from the first start.
const DefaultTenant = "default"

// Tenant is an organisational unit; every other object belongs to one.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	// Portal is how the customer portal presents itself to this tenant's
	// customers; empty fields take the server-wide defaults.
	Portal PortalBrand `json:"portal"`
}

var tenantIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidTenantID reports whether id can name a tenant: 1–64 letters, digits,
// '_', '.', '-', starting with a letter or digit (it appears in URLs).
func ValidTenantID(id string) bool { return tenantIDPattern.MatchString(id) }

// Event is something that happened in the product, as posted to hooks.
type Event struct {
	ID             string
	TenantID       string
	Topic          string
	SubTopic       string
	Payload        []byte // the data as posted, JSON
	IdempotencyKey string
	DeliveryCount  int
	TriggeredAt    time.Time
	// TraceParent and TraceState are the W3C trace context the event's
	// deliveries continue (package tracing): as the producer posted them,
	// or hooks' own fan-out span when tracing is on. Both "" for none.
	TraceParent string
	TraceState  string
}
