package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sync"
	"time"

	"hooks/delivery/sign"
	"hooks/domain"
	"hooks/store"
)

// Async callbacks. A receiver that can't decide at once answers a delivery
// with a 2xx and
//
//	{"AsyncCallback": {"URI": "...", "StartAfterSeconds": 30, "IntervalSeconds": 60}}
//
// The delivery then waits in awaiting_callback, and PollCallbacks asks URI
// for the final answer: first StartAfterSeconds after the answer, then every
// IntervalSeconds, until CallbackMaxWait (24 h by default) has passed.
//
// A poll is a GET of URI with an empty body, through the same SSRF-guarded
// client, with the endpoint's static and metadata headers (the same
// <prefix>Webhook-Id, so the receiver can tell which delivery is meant) and
// signed by the endpoint's signer over the empty body. Its answer is final
// when it is a 2xx JSON object with "Success": true (delivered) or false
// (failed). Anything else — "Success": null or missing, another
// AsyncCallback (whose URI and interval are then used), a non-2xx, a
// network error — means "not yet". A poll at the deadline that is still not
// final fails the delivery. Every poll is recorded as an attempt with
// trigger "callback".

// DefaultCallbackMaxWait is how long an AsyncCallback is polled when
// Config.CallbackMaxWait is not set.
const DefaultCallbackMaxWait = 24 * time.Hour

// Bounds on what a receiver may ask for: polls at least a second apart,
// and a default interval when it names none.
const (
	minCallbackInterval     = time.Second
	defaultCallbackInterval = 30 * time.Second
)

// callbackPollBatch is how many due polls one claim takes, and
// callbackPollers how many of them run at once.
const (
	callbackPollBatch = 64
	callbackPollers   = 16
)

// asyncCallback is the AsyncCallback object of a receiver's answer.
// Seconds are numbers so that 0.5 or 30.0 are read as meant.
type asyncCallback struct {
	URI               string  `json:"URI"`
	StartAfterSeconds float64 `json:"StartAfterSeconds"`
	IntervalSeconds   float64 `json:"IntervalSeconds"`
}

// callbackAnswer is the part of a receiver's JSON answer that hooks reads:
// {"Success":bool,"HTMLResponse":"..."}, optionally with an AsyncCallback.
type callbackAnswer struct {
	Success       *bool          `json:"Success"`
	AsyncCallback *asyncCallback `json:"AsyncCallback"`
}

// parseAnswer reads a receiver's answer. It only decodes bodies that can
// hold one, so ordinary answers cost two byte scans and no JSON decoding.
func parseAnswer(body []byte) (callbackAnswer, bool) {
	var ans callbackAnswer
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) ||
		!bytes.Contains(body, []byte(`"Success"`)) && !bytes.Contains(body, []byte(`"AsyncCallback"`)) {
		return ans, false
	}
	if json.Unmarshal(body, &ans) != nil {
		return callbackAnswer{}, false
	}
	return ans, true
}

// seconds turns a receiver's number of seconds into a duration, clamped
// to [0, limit] (NaN and negatives are 0).
func seconds(v float64, limit time.Duration) time.Duration {
	if !(v > 0) {
		return 0
	}
	if v >= limit.Seconds() {
		return limit
	}
	return time.Duration(math.Round(v * float64(time.Second)))
}

// callbackTarget resolves and checks the URI of an AsyncCallback: relative
// references are resolved against the endpoint's URL, and the result must
// pass the same checks as an endpoint URL.
func (e *Engine) callbackTarget(endpointURL, uri string) (string, error) {
	base, err := url.Parse(endpointURL)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(uri)
	if err != nil || uri == "" {
		return "", fmt.Errorf("AsyncCallback URI %q is not a URL", uri)
	}
	u, err := e.cfg.Policy.CheckURL(base.ResolveReference(ref).String())
	if err != nil {
		return "", fmt.Errorf("AsyncCallback URI: %w", err)
	}
	return u.String(), nil
}

// interval is the poll interval a receiver asked for, within bounds.
func (e *Engine) callbackInterval(cb *asyncCallback) time.Duration {
	if !(cb.IntervalSeconds > 0) {
		return defaultCallbackInterval
	}
	return max(seconds(cb.IntervalSeconds, e.cfg.CallbackMaxWait), minCallbackInterval)
}

// awaitCallback turns the outcome of an attempt that was answered with an
// AsyncCallback into a wait for the final answer, or into a failure when
// the callback can't be polled.
func (e *Engine) awaitCallback(o *store.Outcome, w *domain.Endpoint, cb *asyncCallback, now time.Time) {
	uri, err := e.callbackTarget(w.URL, cb.URI)
	if err != nil {
		o.Status = domain.StatusFailed
		o.Attempt.Error = err.Error()
		return
	}
	deadline := now.Add(e.cfg.CallbackMaxWait)
	next := now.Add(seconds(cb.StartAfterSeconds, e.cfg.CallbackMaxWait)) // never past deadline: the wait is capped
	o.Status = domain.StatusAwaitingCallback
	o.NextAttemptAt = next
	o.Callback = &store.Callback{DeliveryID: o.DeliveryID, URI: uri, Interval: e.callbackInterval(cb), Deadline: deadline,
		NextPollAt: next, CreatedAt: now}
}

// PollCallbacks makes every callback poll that is due and records what
// each answered. It is a periodic job (every second in serve); each run
// claims due polls in batches until none is left, so a backlog does not
// wait a run per batch. Polls cut off by ctx are not recorded: their
// leases expire and they are made again.
func (e *Engine) PollCallbacks(ctx context.Context) error {
	for ctx.Err() == nil {
		due, err := e.db.ClaimDueCallbacks(ctx, e.cfg.Owner, e.cfg.Now(), e.cfg.Lease, callbackPollBatch)
		if err != nil || len(due) == 0 {
			return err
		}
		outcomes, err := e.pollBatch(ctx, due)
		if err != nil {
			return err
		}
		if len(outcomes) > 0 {
			if err := e.db.RecordOutcomes(context.WithoutCancel(ctx), outcomes); err != nil {
				return fmt.Errorf("record callback polls: %w", err)
			}
			if e.cfg.OnOutcome != nil {
				for _, o := range outcomes {
					e.cfg.OnOutcome(o)
				}
			}
		}
		if len(due) < callbackPollBatch {
			return nil
		}
	}
	return ctx.Err()
}

// pollBatch polls a claimed batch, callbackPollers at a time.
func (e *Engine) pollBatch(ctx context.Context, due []store.DueCallback) ([]store.Outcome, error) {
	deliveries := make([]*domain.Delivery, len(due))
	for i, dc := range due {
		deliveries[i] = dc.Delivery
	}
	jobs, err := e.prepareJobs(ctx, deliveries, nil)
	if err != nil {
		return nil, err
	}
	var (
		mu       sync.Mutex
		outcomes []store.Outcome
		wg       sync.WaitGroup
		sem      = make(chan struct{}, callbackPollers)
	)
	for i, j := range jobs {
		e.prepareJob(j)
		if j.prep == nil {
			// Deleted or disabled meanwhile: stop waiting for it.
			outcomes = append(outcomes, store.Outcome{DeliveryID: j.delivery.ID, EndpointID: j.delivery.EndpointID, TenantID: j.delivery.TenantID, Status: domain.StatusCancelled, LastStatusCode: j.delivery.LastStatusCode})
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			o, ok := e.poll(ctx, j, due[i].Callback)
			if !ok {
				return
			}
			mu.Lock()
			outcomes = append(outcomes, o)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return outcomes, nil
}

// poll asks a callback URI for j's final answer once. ok is false when
// ctx cut the poll off.
func (e *Engine) poll(ctx context.Context, j *job, cb *store.Callback) (o store.Outcome, ok bool) {
	d, ev, p := j.delivery, j.event, j.prep
	w := p.webhook
	now := e.cfg.Now().UTC()
	// An empty, non-nil body: nil would mean "the event's payload" in the log.
	a := &domain.Attempt{DeliveryID: d.ID, Trigger: domain.TriggerCallback, URL: cb.URI, StartedAt: now, RequestBody: []byte{}}
	o = store.Outcome{DeliveryID: d.ID, EndpointID: d.EndpointID, TenantID: d.TenantID, LastStatusCode: d.LastStatusCode, Attempt: a}

	ans, final := e.pollOnce(ctx, a, p, d, ev)
	if ctx.Err() != nil && a.StatusCode == 0 {
		return o, false
	}
	if a.StatusCode != 0 {
		o.LastStatusCode = a.StatusCode
	}
	// Every poll updates the state (RecordOutcomes saves any outcome's);
	// after the last one it stays as a record.
	next := *cb
	next.Polls++
	o.Callback = &next
	switch {
	case final && *ans.Success:
		o.Status = domain.StatusSucceeded
		return o, true
	case final:
		o.Status = domain.StatusFailed
		a.Error = `callback answered "Success": false`
		return o, true
	}

	if ac := ans.AsyncCallback; ac != nil {
		// The receiver may move the poll or change its pace, not its deadline.
		if uri, err := e.callbackTarget(w.URL, ac.URI); err == nil {
			next.URI = uri
		} else if a.Error == "" {
			a.Error = err.Error() + "; polling the previous URI"
		}
		next.Interval = e.callbackInterval(ac)
	}
	if !now.Before(cb.Deadline) {
		o.Status = domain.StatusFailed
		msg := fmt.Sprintf("no final callback answer within %s", e.cfg.CallbackMaxWait)
		if a.Error != "" {
			msg = a.Error + "; " + msg
		}
		a.Error = msg
		return o, true
	}
	next.NextPollAt = now.Add(next.Interval)
	if next.NextPollAt.After(next.Deadline) {
		next.NextPollAt = next.Deadline // one last poll at the deadline
	}
	o.Status = domain.StatusAwaitingCallback
	o.NextAttemptAt = next.NextPollAt
	return o, true
}

// pollOnce sends one signed GET to the callback URI and reads the answer
// into a. final reports a 2xx JSON answer with Success false, or true
// without an AsyncCallback.
func (e *Engine) pollOnce(ctx context.Context, a *domain.Attempt, p *prepared, d *domain.Delivery, ev *domain.Event) (ans callbackAnswer, final bool) {
	w := p.webhook
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, http.NoBody)
	if err != nil {
		a.Error = "build request: " + err.Error()
		return ans, false
	}
	h := p.header.Clone()
	h.Del("Content-Type") // no body
	h.Set("Accept", "application/json")
	prefix := e.cfg.HeaderPrefix
	h.Set(prefix+"Topic", ev.Topic)
	if ev.SubTopic != "" {
		h.Set(prefix+"Sub-Topic", ev.SubTopic)
	}
	h.Set(prefix+"Tenant-Id", ev.TenantID)
	h.Set(prefix+"Webhook-Id", d.ID)
	h.Set(prefix+"Triggered-At", ev.TriggeredAt.UTC().Format(triggeredAtLayout))
	if err := p.signer.Sign(h, nil, sign.Meta{DeliveryID: d.ID, EndpointID: w.ID, TenantID: w.TenantID, Timestamp: a.StartedAt}); err != nil {
		a.Error = "sign: " + err.Error()
		return ans, false
	}
	req.Header = h
	a.RequestHeaders = p.redact.headers(h)

	resp, _ := e.exchange(req, a, w.Timeout)
	switch {
	case resp == nil || a.Error != "":
		return ans, false
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Error = fmt.Sprintf("redirect to %q not followed: callback URIs must answer directly", resp.Header.Get("Location"))
		return ans, false
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		a.Error = fmt.Sprintf("callback answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		return ans, false
	}
	// Polls are rare: decode every 2xx body, so that {} or {"Status":"busy"}
	// count as "not yet" without an error.
	if json.Unmarshal(a.ResponseBody, &ans) != nil {
		a.Error = "callback answer is not a JSON object; still waiting"
		return callbackAnswer{}, false
	}
	return ans, ans.Success != nil && (!*ans.Success || ans.AsyncCallback == nil)
}
