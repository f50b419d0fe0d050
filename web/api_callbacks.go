package web

import (
	"context"
	"hooks/domain"
	"time"
)

// callbackJSON is a delivery's AsyncCallback state as the API shows it:
// where hooks polls for the receiver's final answer, and until when.
type callbackJSON struct {
	URI             string    `json:"uri"`
	IntervalSeconds float64   `json:"intervalSeconds"`
	NextPollAt      time.Time `json:"nextPollAt"`
	Deadline        time.Time `json:"deadline"`
	Polls           int       `json:"polls"`
}

// deliveryCallback returns the callback state of a delivery that is or was
// awaiting a callback, or nil. Other deliveries cost no query.
func (s *Server) deliveryCallback(ctx context.Context, d *domain.Delivery, attempts []*domain.Attempt) (*callbackJSON, error) {
	polled := d.Status == domain.StatusAwaitingCallback
	for _, a := range attempts {
		polled = polled || a.Trigger == domain.TriggerCallback
	}
	if !polled {
		return nil, nil
	}
	cb, err := s.db.CallbackByDelivery(ctx, d.ID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &callbackJSON{URI: cb.URI, IntervalSeconds: cb.Interval.Seconds(), NextPollAt: cb.NextPollAt, Deadline: cb.Deadline, Polls: cb.Polls}, nil
}
