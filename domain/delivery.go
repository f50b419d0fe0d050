package domain

import (
	"bytes"
	"encoding/json"
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

// Succeeded reports whether the receiver accepted a: a 2xx answer that did
// not say "Success": false (the engine sets Error for every other answer).
func (a *Attempt) Succeeded() bool {
	return a.StatusCode >= 200 && a.StatusCode < 300 && a.Error == ""
}

// HTMLResponse returns the HTMLResponse of a receiver's structured answer
// {"Success":bool,"HTMLResponse":"…"}, as the attempt's detail page shows
// it, and whether the answer had one. A body cut off at the size limit has
// none.
func (a *Attempt) HTMLResponse() (string, bool) {
	body := bytes.TrimSpace(a.ResponseBody)
	if !bytes.HasPrefix(body, []byte("{")) || !bytes.Contains(body, []byte(`"HTMLResponse"`)) {
		return "", false // most answers: no JSON decoding
	}
	var answer struct {
		HTMLResponse *string `json:"HTMLResponse"`
	}
	if json.Unmarshal(body, &answer) != nil || answer.HTMLResponse == nil {
		return "", false
	}
	return *answer.HTMLResponse, true
}
