package service

import (
	"context"

	"hooks/domain"
	"hooks/domain/filter"
	"hooks/store"
)

// Bounds of a filter preview: the events it looks among, and the ones it
// matches (each read with its data, up to 1 MiB).
const (
	filterPreviewScan = 200
	MaxFilterPreview  = 10
)

// FilterPreview is one recent event and whether a filter matches it. The
// event's Payload is left out.
type FilterPreview struct {
	Event   *domain.Event
	Matched bool
}

// PreviewFilter tries a filter, as a user is writing it, against a's most
// recent events that topics and subTopics subscribe to: up to
// MaxFilterPreview of them, newest first, among the tenant's last 200
// events. A bad filter is an EINVALID *Error naming its path, as saving
// would answer; a blank one matches everything.
func (s *Service) PreviewFilter(ctx context.Context, a Actor, topics, subTopics []string, filterText string) ([]FilterPreview, error) {
	f, err := domain.CompileFilter(filterText)
	if err != nil {
		return nil, err
	}
	sub := domain.Endpoint{Topics: topics, SubTopics: subTopics}
	recent, _, err := s.db.Events(ctx, store.EventFilter{TenantID: a.TenantID, Limit: filterPreviewScan, NoPayload: true})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range recent {
		// "ping" is Test URL's own event, stored beside the others.
		if e.Topic != "ping" && sub.Subscribed(e.Topic, e.SubTopic) {
			ids = append(ids, e.ID)
			if len(ids) == MaxFilterPreview {
				break
			}
		}
	}
	events, err := s.db.EventsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]FilterPreview, 0, len(ids))
	var doc filter.Doc
	for _, id := range ids {
		e, ok := events[id]
		if !ok || e.TenantID != a.TenantID {
			continue // removed since, by retention
		}
		_ = doc.Reset(e.Topic, e.SubTopic, e.Payload) // data that is not JSON is matched as no data, as at fan-out
		e.Payload = nil
		out = append(out, FilterPreview{Event: e, Matched: f == nil || f.Match(&doc)})
	}
	return out, nil
}
