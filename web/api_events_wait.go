package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hooks/domain"
	"hooks/service"
)

// The synchronous answer: POST /api/v1/events and /api/v1/events/batch
// with Prefer: wait=N (RFC 7240) answer once every delivery's first
// attempt is recorded (200), or after N seconds with what is known (202).
// The wait is the service's (service.AwaitFirstOutcomes); this file reads
// the header and renders the answer.

// preferWait returns the wait that r asks for with Prefer: wait=N, in
// whole seconds and at most service.MaxWait; 0 when it asks for none or
// the value is not a number of seconds (a preference that can't be
// understood is ignored, as RFC 7240 says).
func preferWait(r *http.Request) time.Duration {
	for _, header := range r.Header.Values("Prefer") {
		for pref := range strings.SplitSeq(header, ",") {
			pref, _, _ = strings.Cut(pref, ";") // parameters: none defined for wait
			name, value, ok := strings.Cut(strings.TrimSpace(pref), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "wait") {
				continue
			}
			n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(value), `"`))
			if err != nil || n <= 0 {
				return 0
			}
			return min(time.Duration(n)*time.Second, service.MaxWait)
		}
	}
	return 0
}

// firstOutcomeJSON is a delivery's first outcome as the API shows it.
type firstOutcomeJSON struct {
	DeliveryID   string  `json:"deliveryId"`
	WebhookID    string  `json:"webhookId"`
	Status       string  `json:"status"`
	StatusCode   *int    `json:"statusCode"` // null before an answer
	Success      bool    `json:"success"`
	HTMLResponse *string `json:"htmlResponse"` // null when the answer had none
}

// eventAnswered is eventAccepted with its deliveries' first outcomes.
type eventAnswered struct {
	ID         string             `json:"id"`
	Deliveries int                `json:"deliveries"`
	Results    []firstOutcomeJSON `json:"results"`
}

func toEventAnswered(e *domain.Event, outcomes []service.FirstOutcome) eventAnswered {
	out := eventAnswered{ID: e.ID, Deliveries: e.DeliveryCount, Results: make([]firstOutcomeJSON, len(outcomes))}
	for i, o := range outcomes {
		r := firstOutcomeJSON{DeliveryID: o.DeliveryID, WebhookID: o.WebhookID, Status: o.Status, Success: o.Success,
			HTMLResponse: o.HTMLResponse}
		if o.StatusCode != 0 {
			r.StatusCode = &o.StatusCode
		}
		out.Results[i] = r
	}
	return out
}

// awaitedStatus sets Preference-Applied when the wait was made and returns
// the answer's status: 200 when every first attempt is known, else 202.
func awaitedStatus(w http.ResponseWriter, res *service.Awaited, wait time.Duration) int {
	if res.Waited {
		w.Header().Set("Preference-Applied", "wait="+strconv.Itoa(int(wait/time.Second)))
	}
	if res.Complete {
		return http.StatusOK
	}
	return http.StatusAccepted
}

// waitError is the error to render when a wait ended in err: none when
// the client went away, since nobody is left to read it.
func waitError(r *http.Request, err error) error {
	if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
		return nil
	}
	return err
}
