package service

import (
	"context"
	"fmt"
	"time"

	"hooks/domain"
)

// Redeliver queues a's delivery id for one more attempt now, with the same
// webhook id, whatever its status.
func (s *Service) Redeliver(ctx context.Context, a Actor, id string) (*domain.Delivery, error) {
	d, err := s.db.Redeliver(ctx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, a, AuditDeliveryRedelivered, d.ID)
	s.engine.Wake()
	return d, nil
}

// Recover queues again every failed delivery of a's endpoint id created at
// or after since, and returns how many.
func (s *Service) Recover(ctx context.Context, a Actor, endpointID string, since time.Time) (int, error) {
	if _, err := s.db.EndpointByID(ctx, a.TenantID, endpointID); err != nil {
		return 0, err
	}
	n, err := s.db.Recover(ctx, a.TenantID, endpointID, since)
	if err != nil {
		return 0, err
	}
	s.auditDetail(ctx, a, AuditWebhookRecovered, endpointID,
		fmt.Sprintf("%d deliveries failed since %s", n, since.UTC().Format(time.RFC3339)))
	s.engine.Wake()
	return n, nil
}
