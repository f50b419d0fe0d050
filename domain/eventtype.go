package domain

import (
	"encoding/json"
	"time"
)

// EventType describes one topic of a tenant's event catalogue: what it
// means, the JSON Schema (2020-12 unless it says otherwise) that its
// events' data must match, and examples of that data. Types are per tenant,
// as endpoints are: each tenant documents the topics it publishes.
type EventType struct {
	TenantID    string
	Name        string // the topic, e.g. orders/placed (ValidTopic)
	Description string
	// Schema is the JSON Schema of the data, as given; nil means the type
	// documents the topic without checking its events.
	Schema    json.RawMessage
	Examples  []json.RawMessage // each matches Schema
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Bounds of an event type. A schema is compiled on every instance and
// kept in memory, and the catalogue is shown on one page; these keep both
// small.
const (
	MaxEventTypeDescription = 2000     // characters
	MaxEventTypeSchemaBytes = 64 << 10 // the schema's JSON, compacted
	MaxEventTypeExamples    = 10
	MaxEventTypeExampleSize = 64 << 10 // each example's JSON, compacted
	MaxEventTypesPerTenant  = 500
)
