package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"hooks/domain"
	"hooks/service/eventschema"
	"hooks/store"
)

// The audited actions of the event-type catalogue; the object is the
// type's name.
const (
	AuditEventTypeCreated = "event_type.created"
	AuditEventTypeUpdated = "event_type.updated"
	AuditEventTypeDeleted = "event_type.deleted"
)

// PutEventType checks t and stores it as a's type t.Name, replacing the
// type of that name; created reports whether it is new. The schema must
// compile and every example must match it; errors name the place at fault
// as JSON pointers into the request ("/schema/properties/total",
// "/examples/1/customer/email").
func (s *Service) PutEventType(ctx context.Context, a Actor, t *domain.EventType) (created bool, err error) {
	t.TenantID = a.TenantID
	if err := s.checkEventType(t); err != nil {
		return false, err
	}
	if _, err := s.db.EventType(ctx, a.TenantID, t.Name); domain.ErrorCode(err) == domain.ENOTFOUND {
		n, err := s.db.CountEventTypes(ctx, a.TenantID)
		if err != nil {
			return false, err
		}
		if n >= domain.MaxEventTypesPerTenant {
			return false, domain.Errorf(domain.ELIMIT, "tenant %s has %d event types, the most allowed", a.TenantID, n)
		}
	} else if err != nil {
		return false, err
	}
	created, err = s.db.PutEventType(ctx, t)
	if err != nil {
		return false, err
	}
	s.schemas.forget(a.TenantID)
	action := AuditEventTypeUpdated
	if created {
		action = AuditEventTypeCreated
	}
	s.audit(ctx, a, action, t.Name)
	return created, nil
}

// checkEventType checks and normalises t: a topic for a name, a bounded
// description, a schema that compiles (stored compacted; JSON null means
// none) and examples that are JSON and match it.
func (s *Service) checkEventType(t *domain.EventType) error {
	if err := domain.ValidTopic(t.Name); err != nil {
		return domain.FieldErrorf("name", "the name is the topic it describes: %s", err)
	}
	t.Description = strings.TrimSpace(t.Description)
	if utf8.RuneCountInString(t.Description) > domain.MaxEventTypeDescription {
		return domain.FieldErrorf("description", "description is longer than %d characters", domain.MaxEventTypeDescription)
	}
	var schema *eventschema.Schema
	if raw := bytes.TrimSpace(t.Schema); len(raw) == 0 || string(raw) == "null" {
		t.Schema = nil
	} else {
		compact, err := compactJSON(raw, domain.MaxEventTypeSchemaBytes)
		if err != nil {
			return domain.FieldErrorf("schema", "schema %s", err)
		}
		if schema, err = eventschema.Compile(compact); err != nil {
			return schemaError(err)
		}
		t.Schema = compact
	}
	if len(t.Examples) > domain.MaxEventTypeExamples {
		return domain.FieldErrorf("examples", "give at most %d examples", domain.MaxEventTypeExamples)
	}
	bad := &domain.Error{Code: domain.EINVALID, Field: "examples"}
	for i, ex := range t.Examples {
		compact, err := compactJSON(ex, domain.MaxEventTypeExampleSize)
		if err != nil {
			return domain.FieldErrorf("examples", "example %d %s", i, err)
		}
		t.Examples[i] = compact
		if schema == nil {
			continue
		}
		vs, err := schema.Validate(compact)
		if err != nil {
			return domain.FieldErrorf("examples", "example %d: %s", i, err)
		}
		for _, v := range vs {
			bad.Details = append(bad.Details, domain.Detail{Path: "/examples/" + strconv.Itoa(i) + v.Path, Message: v.Message})
		}
		if len(vs) > 0 && bad.Message == "" {
			bad.Message = fmt.Sprintf("example %d does not match the schema: at %s, %s", i, pathOrTop(vs[0].Path), vs[0].Message)
		}
	}
	if len(bad.Details) > 0 {
		return bad
	}
	return nil
}

// compactJSON returns raw compacted, or an error that completes "schema …"
// or "example 1 …".
func compactJSON(raw []byte, max int) ([]byte, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, errors.New("is not valid JSON")
	}
	if b.Len() > max {
		return nil, fmt.Errorf("is larger than %d bytes", max)
	}
	return b.Bytes(), nil
}

// schemaError reports a schema that does not compile, with the places in
// it that break JSON Schema's rules as pointers into the request.
func schemaError(err error) error {
	e := &domain.Error{Code: domain.EINVALID, Field: "schema", Message: err.Error(), Err: err}
	var se *eventschema.Error
	if errors.As(err, &se) {
		for _, v := range se.Violations {
			e.Details = append(e.Details, domain.Detail{Path: "/schema" + v.Path, Message: v.Message})
		}
	}
	return e
}

func pathOrTop(p string) string {
	if p == "" {
		return "the top level"
	}
	return p
}

// EventType returns a's type name.
func (s *Service) EventType(ctx context.Context, a Actor, name string) (*domain.EventType, error) {
	return s.db.EventType(ctx, a.TenantID, name)
}

// EventTypes returns a's event catalogue, by name.
func (s *Service) EventTypes(ctx context.Context, a Actor) ([]*domain.EventType, error) {
	return s.db.EventTypes(ctx, a.TenantID)
}

// DeleteEventType removes a's type name: events of its topic are no longer
// checked.
func (s *Service) DeleteEventType(ctx context.Context, a Actor, name string) error {
	if err := s.db.DeleteEventType(ctx, a.TenantID, name); err != nil {
		return err
	}
	s.schemas.forget(a.TenantID)
	s.audit(ctx, a, AuditEventTypeDeleted, name)
	return nil
}

// EventError is an error about one event of several posted together.
type EventError struct {
	Index int // the event's place in the batch
	Err   error
}

func (e *EventError) Error() string { return "event " + strconv.Itoa(e.Index) + ": " + e.Err.Error() }
func (e *EventError) Unwrap() error { return e.Err }

// checkSchemas checks each event's data against its topic's schema, if
// its type has one. The catalogue comes from the cache, so a tenant
// without types, or an event of a topic without one, costs a map lookup.
func (s *Service) checkSchemas(ctx context.Context, tenant string, events []*domain.Event) error {
	cat, err := s.schemas.catalogue(ctx, tenant)
	if err != nil {
		return err
	}
	if len(cat) == 0 {
		return nil
	}
	for i, e := range events {
		sch := cat[e.Topic]
		if sch == nil {
			continue
		}
		vs, err := sch.Validate(e.Payload)
		if err != nil {
			return &EventError{Index: i, Err: domain.FieldErrorf("data", "data is not valid JSON")}
		}
		if len(vs) == 0 {
			continue
		}
		v := &domain.Error{Code: domain.ESCHEMA, Field: "data",
			Message: fmt.Sprintf("data does not match the schema of event type %s: at %s, %s", e.Topic, pathOrTop(vs[0].Path), vs[0].Message)}
		for _, x := range vs {
			v.Details = append(v.Details, domain.Detail{Path: "/data" + x.Path, Message: x.Message})
		}
		return &EventError{Index: i, Err: v}
	}
	return nil
}

// SchemaCacheTTL is how long an instance checks events against a tenant's
// schemas as it last read them. A change made on this instance applies at
// once; one made on another instance (several on PostgreSQL) within this
// time, as a revoked API key does.
const SchemaCacheTTL = 4 * time.Second

// schemaCacheMax bounds the tenants remembered; when full it is emptied.
const schemaCacheMax = 4096

// schemaCache remembers each tenant's compiled schemas by topic. A reload
// after SchemaCacheTTL reads the schemas again but compiles only those
// that changed.
type schemaCache struct {
	db  *store.DB
	now func() time.Time
	log *slog.Logger

	mu sync.Mutex
	m  map[string]schemaEntry // by tenant
}

type schemaEntry struct {
	byTopic map[string]*compiledSchema
	read    time.Time
}

type compiledSchema struct {
	raw string
	*eventschema.Schema
}

// catalogue returns tenant's compiled schemas by topic.
func (c *schemaCache) catalogue(ctx context.Context, tenant string) (map[string]*compiledSchema, error) {
	now := c.now()
	c.mu.Lock()
	old, ok := c.m[tenant]
	c.mu.Unlock()
	if ok && now.Sub(old.read) < SchemaCacheTTL {
		return old.byTopic, nil
	}
	rows, err := c.db.EventTypeSchemas(ctx, tenant)
	if err != nil {
		return nil, err
	}
	byTopic := make(map[string]*compiledSchema, len(rows))
	for _, r := range rows {
		if prev := old.byTopic[r.Name]; prev != nil && prev.raw == r.Schema {
			byTopic[r.Name] = prev
			continue
		}
		sch, err := eventschema.Compile([]byte(r.Schema))
		if err != nil {
			// Saved schemas compiled when they were saved; one that no
			// longer does (a stricter release) must not stop ingest.
			c.log.Error("event type schema does not compile; its events are not checked", "tenant", tenant, "type", r.Name, "err", err)
			continue
		}
		byTopic[r.Name] = &compiledSchema{raw: r.Schema, Schema: sch}
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= schemaCacheMax {
		c.m = map[string]schemaEntry{}
	}
	c.m[tenant] = schemaEntry{byTopic: byTopic, read: now}
	c.mu.Unlock()
	return byTopic, nil
}

// forget drops tenant's schemas after a change on this instance.
func (c *schemaCache) forget(tenant string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, tenant)
}
