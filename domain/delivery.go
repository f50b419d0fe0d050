package domain

import (
	"net/http"
	"time"
)

// Delivery statuses.
const (
	StatusPending          = "pending"
	StatusRetrying         = "retrying"
	StatusSucceeded        = "succeeded"
	StatusFailed           = "failed" // gave up
	StatusAwaitingCallback = "awaiting_callback"
	StatusCancelled        = "cancelled"
)

// ValidStatus reports whether s is a delivery status.
func ValidStatus(s string) bool {
	switch s {
	case StatusPending, StatusRetrying, StatusSucceeded, StatusFailed, StatusAwaitingCallback, StatusCancelled:
		return true
	}
	return false
}

// Attempt triggers: what caused an attempt.
const (
	TriggerScheduled = "scheduled"
	TriggerManual    = "manual"
	TriggerTest      = "test"
	TriggerRecover   = "recover"
	TriggerCallback  = "callback"
)

// Delivery is one event on its way to one endpoint. Its ID is the dedupe id
// that receivers see (webhook-id), the same on every retry and redelivery.
type Delivery struct {
	ID             string
	TenantID       string
	EventID        string
	EndpointID     string
	Topic          string
	SubTopic       string
	Status         string
	AttemptCount   int
	NextAttemptAt  time.Time // zero when nothing is scheduled
	NextTrigger    string    // what the next attempt is for
	LastStatusCode int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Attempt is one request made for a delivery, and what came back.
type Attempt struct {
	ID                string
	DeliveryID        string
	Trigger           string
	URL               string
	StatusCode        int // 0 when no response arrived
	Duration          time.Duration
	Error             string
	RequestHeaders    http.Header
	RequestBody       []byte // nil when the body was the event's payload as posted
	ResponseHeaders   http.Header
	ResponseBody      []byte
	ResponseTruncated bool
	StartedAt         time.Time

	// Set only when a page reads bounded attempts (store.LatestAttempts):
	// the stored bodies' whole lengths (less of each may be loaded) and how
	// many header names were left out.
	RequestBodySize, ResponseBodySize             int
	RequestHeadersOmitted, ResponseHeadersOmitted int
}
