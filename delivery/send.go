package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"hooks/delivery/envelope"
	"hooks/delivery/sign"
	"hooks/domain"
	"hooks/store"
	"hooks/tracing"
)

// triggeredAtLayout is RFC 3339 with all nine fraction digits, so the
// header has one fixed shape that receivers can parse naively.
const triggeredAtLayout = "2006-01-02T15:04:05.000000000Z07:00"

// job is one claimed delivery, ready to send.
type job struct {
	delivery *domain.Delivery
	event    *domain.Event
	webhook  *domain.Endpoint
	prep     *prepared // nil until prepareJob, and when the delivery must be cancelled
	cancel   string    // why it must be cancelled
}

// prepared is what an endpoint's configuration compiles to: built once per
// version of the endpoint and shared by all its deliveries, so the hot path
// allocates no signers or templates.
type prepared struct {
	webhook  *domain.Endpoint
	sender   Sender // HTTP, or a broker (sender.go)
	signer   sign.Signer
	envelope *envelope.Envelope
	header   http.Header // static headers sent on every request
	limiter  *rate.Limiter
	metaKeys metaKeys  // canonical names of the metadata headers
	redact   *redactor // what the attempt log must not show
	secrets  int       // how many secrets the signer holds
	until    time.Time // when a previous secret expires, forcing a rebuild
}

type prepCache struct {
	mu sync.Mutex
	m  map[string]*prepared
}

func newPrepCache() *prepCache { return &prepCache{m: map[string]*prepared{}} }

// metaKeys are the metadata header names for a prefix, canonicalised once
// rather than on every request.
type metaKeys struct{ topic, subTopic, tenantID, webhookID, triggeredAt string }

func newMetaKeys(prefix string) metaKeys {
	c := func(name string) string { return http.CanonicalHeaderKey(prefix + name) }
	return metaKeys{c("Topic"), c("Sub-Topic"), c("Tenant-Id"), c("Webhook-Id"), c("Triggered-At")}
}

// prepare returns the compiled form of w, rebuilding it when w changed.
func (e *Engine) prepare(w *domain.Endpoint) (*prepared, error) {
	now := e.cfg.Now()
	e.preps.mu.Lock()
	old := e.preps.m[w.ID]
	e.preps.mu.Unlock()
	if old != nil && old.webhook.UpdatedAt.Equal(w.UpdatedAt) && (old.until.IsZero() || now.Before(old.until)) &&
		old.secrets == secretCount(w, now) {
		return old, nil
	}
	p := &prepared{webhook: w, sender: e.newSender(w), header: http.Header{}, metaKeys: newMetaKeys(e.cfg.HeaderPrefix)}
	schemes, secrets := signingSchemes(w, now)
	p.secrets = len(secrets)
	p.redact = newRedactor(w, secrets)
	for _, s := range w.Schemes() {
		// The signer changes when the first previous secret expires.
		if len(s.Secrets(now)) > 1 && (p.until.IsZero() || s.PreviousSecretUntil.Before(p.until)) {
			p.until = s.PreviousSecretUntil
		}
	}
	for _, s := range schemes {
		if s.Options.Scheme == domain.SchemeJWT && e.cfg.JWT == nil {
			return nil, errNoJWT
		}
	}
	var err error
	if p.signer, err = sign.NewAll(schemes, e.cfg.JWT); err != nil {
		return nil, err
	}
	spec := envelope.Spec{Type: envelope.Kind(w.Envelope.Type), Template: w.Envelope.Template}
	if spec.Type == envelope.KindTemplate {
		e.templateWork <- struct{}{} // see render
		p.envelope, err = envelope.Compile(spec)
		<-e.templateWork
	} else {
		p.envelope, err = envelope.Compile(spec)
	}
	if err != nil {
		return nil, err
	}
	for k, v := range w.Headers {
		p.header.Set(k, v)
	}
	p.header.Set("Content-Type", "application/json")
	p.header.Set("User-Agent", e.cfg.UserAgent)
	if w.RateLimit > 0 {
		if old != nil && old.limiter != nil && old.limiter.Limit() == rate.Limit(w.RateLimit) {
			p.limiter = old.limiter
		} else {
			p.limiter = rate.NewLimiter(rate.Limit(w.RateLimit), w.RateLimit)
		}
	}
	e.preps.mu.Lock()
	e.preps.m[w.ID] = p
	e.preps.mu.Unlock()
	return p, nil
}

// secretCount is how many secrets w's signers hold at now.
func secretCount(w *domain.Endpoint, now time.Time) int {
	n := len(w.Secrets(now))
	for i := range w.AlsoSigning {
		n += len(w.AlsoSigning[i].Secrets(now))
	}
	return n
}

// signingSchemes returns w's signing schemes with the secrets each signs
// with at now, and all those secrets together.
func signingSchemes(w *domain.Endpoint, now time.Time) ([]sign.Scheme, []string) {
	var schemes []sign.Scheme
	var secrets []string
	for _, s := range w.Schemes() {
		sc := sign.Scheme{Options: s.Signing, Secrets: s.Secrets(now)}
		schemes = append(schemes, sc)
		secrets = append(secrets, sc.Secrets...)
	}
	return schemes, secrets
}

// prepareJobs loads the endpoints and events of a claimed batch, one
// query each, and pairs them with the deliveries; prepareJob does the rest.
// known holds events the caller has already (nil: none), which are not
// read again.
func (e *Engine) prepareJobs(ctx context.Context, deliveries []*domain.Delivery, known map[string]*domain.Event) ([]*job, error) {
	var webhookIDs, eventIDs []string
	seenW, seenE := map[string]bool{}, map[string]bool{}
	for _, d := range deliveries {
		if !seenW[d.EndpointID] {
			seenW[d.EndpointID] = true
			webhookIDs = append(webhookIDs, d.EndpointID)
		}
		if !seenE[d.EventID] && known[d.EventID] == nil {
			seenE[d.EventID] = true
			eventIDs = append(eventIDs, d.EventID)
		}
	}
	webhooks, err := e.db.EndpointsByIDs(ctx, webhookIDs)
	if err != nil {
		return nil, err
	}
	events, err := e.db.EventsByIDs(ctx, eventIDs)
	if err != nil {
		return nil, err
	}
	maps.Copy(events, known)
	jobs := make([]*job, len(deliveries))
	for i, d := range deliveries {
		j := &job{delivery: d, event: events[d.EventID], webhook: webhooks[d.EndpointID]}
		switch {
		case j.webhook == nil || j.event == nil:
			j.cancel = "the endpoint or event was deleted"
		case !j.webhook.Enabled:
			j.cancel = "the endpoint is disabled"
		}
		jobs[i] = j
	}
	return jobs, nil
}

// prepareJob compiles j's endpoint configuration, unless it is cached or
// j is to be cancelled. Workers call it rather than the dispatcher: a
// template of 64 KiB took 7 ms to compile here, and 100 new endpoints with
// one each held up the claiming of everything else for 0.7 s. In the
// worker, the cost falls on the endpoint's own slot.
func (e *Engine) prepareJob(j *job) {
	if j.prep != nil || j.cancel != "" {
		return
	}
	var err error
	if j.prep, err = e.prepare(j.webhook); err != nil {
		j.prep, j.cancel = nil, "the endpoint's configuration can't be used: "+err.Error()
	}
}

// attempt makes one attempt of j and returns its outcome.
func (e *Engine) attempt(ctx context.Context, j *job) store.Outcome {
	d := j.delivery
	e.prepareJob(j)
	if j.prep == nil {
		return store.Outcome{DeliveryID: d.ID, EndpointID: d.EndpointID, TenantID: d.TenantID, Status: domain.StatusCancelled, LastStatusCode: d.LastStatusCode}
	}
	w := j.prep.webhook
	span := e.startAttemptSpan(ctx, j)
	res := e.send(ctx, j, span)
	o := store.Outcome{DeliveryID: d.ID, EndpointID: d.EndpointID, TenantID: d.TenantID, LastStatusCode: res.attempt.StatusCode, Attempt: res.attempt}
	switch {
	case res.ok && res.callback != nil:
		e.awaitCallback(&o, w, res.callback, res.attempt.StartedAt)
	case res.ok:
		o.Status = domain.StatusSucceeded
	case res.final:
		// Nothing was sent, and trying again would fail the same way.
		o.Status = domain.StatusFailed
	case res.attempt.StatusCode == http.StatusGone:
		// The receiver asked not to be sent more: the endpoint is
		// disabled (signals.go), and this delivery fails for good.
		o.Status = domain.StatusFailed
	case d.NextTrigger != domain.TriggerScheduled:
		// Manual, recover and test attempts are one-offs: the user sees the
		// result and decides what to do next.
		o.Status = domain.StatusFailed
	case d.AttemptCount+1 < w.Retry.MaxAttempts && retryable(w.Retry, res.attempt.StatusCode, res.timedOut):
		o.Status = domain.StatusRetrying
		delay := retryDelay(w.Retry, d.AttemptCount+1, e.cfg.Rand)
		if ra, ok := parseRetryAfter(res.retryAfter, res.attempt.StartedAt); ok && ra > delay {
			delay = ra
		}
		o.NextAttemptAt = e.cfg.Now().Add(delay)
	default:
		o.Status = domain.StatusFailed
	}
	// The log gets the target's host only: URL paths and queries often carry
	// credentials (Slack-style secret paths, ?token=), which must not reach logs.
	e.log.Debug("attempt", "delivery", d.ID, "webhook", w.ID, "host", logHost(w.URL), "trigger", res.attempt.Trigger,
		"status", res.attempt.StatusCode, "duration", res.attempt.Duration, "error", res.attempt.Error, "outcome", o.Status)
	span.End(res.attempt.StatusCode, o.Status, errorType(&res))
	return o
}

type sendResult struct {
	attempt    *domain.Attempt
	ok         bool
	final      bool // failed in a way that no retry can change
	timedOut   bool // no answer within the endpoint's timeout (retryOn's "timeout", not "network")
	retryAfter string
	callback   *asyncCallback // a 2xx answer's AsyncCallback
}

// requestHeaderRoom is room for the headers each request adds to the
// static ones: metadata, signatures and trace context.
const requestHeaderRoom = 12

// requestHeader returns a new header with p's static headers and room for
// the ones each request adds, so that adding them never grows the map (a
// map past eight entries reallocates). The values are shared with p: each
// is one value at full capacity (Header.Set), so an Add copies it, and
// nothing writes into one in place.
func (p *prepared) requestHeader() http.Header {
	h := make(http.Header, len(p.header)+requestHeaderRoom)
	for k, vs := range p.header {
		h[k] = vs
	}
	return h
}

// send renders, signs and posts j's request and reads the answer, within
// the endpoint's timeout (connection and response together). The request's
// traceparent names span (trace.go).
func (e *Engine) send(ctx context.Context, j *job, span tracing.Attempt) sendResult {
	d, ev, p := j.delivery, j.event, j.prep
	w := p.webhook
	now := e.cfg.Now().UTC()
	a := &domain.Attempt{DeliveryID: d.ID, Trigger: d.NextTrigger, URL: w.URL, StartedAt: now}
	res := sendResult{attempt: a}

	scope := envelope.Scope{
		Event:    envelope.Event{ID: ev.ID, TenantID: ev.TenantID, Topic: ev.Topic, SubTopic: ev.SubTopic, TriggeredAt: ev.TriggeredAt, Data: ev.Payload},
		Delivery: envelope.Delivery{ID: d.ID, CreatedAt: d.CreatedAt, UpdatedAt: now, Attempt: d.AttemptCount + 1},
		Endpoint: envelope.Endpoint{ID: w.ID, Name: w.Name, Metadata: w.Metadata},
	}
	body := ev.Payload // the raw envelope sends the data as posted: no copy
	if p.envelope.Kind() != envelope.KindRaw {
		var err error
		// A render fails only for the endpoint's template on this event
		// (too much work, too large a body, data that is not JSON), and
		// the same render fails the same way every time: the delivery fails
		// now, rather than spending up to 50 attempts' worth of workers on
		// it. It counts towards auto-disable like any delivery that failed
		// for good. The render runs in the endpoint's worker slot, so its
		// cost counts against that endpoint's concurrency, and a run of
		// such failures paces the endpoint like any run of failed attempts.
		body, err = e.render(ctx, p.envelope, &scope)
		if err != nil && ctx.Err() != nil {
			a.Error = describeSendError(ctx.Err(), w.Timeout)
			res.timedOut = isTimeout(ctx.Err())
			return res
		}
		if err != nil {
			a.Error = err.Error() + "; the delivery is not retried"
			res.final = true
			return res
		}
	}
	// The log keeps a copy with the endpoint's credentials redacted;
	// body itself is sent unchanged.
	if logged := p.redact.body(body); !bytes.Equal(logged, ev.Payload) {
		a.RequestBody = logged
	}

	if p.limiter != nil {
		if err := p.limiter.Wait(ctx); err != nil {
			a.Error = "rate limit wait: " + err.Error()
			return res
		}
	}
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	h := p.requestHeader()
	mk := &p.metaKeys
	h[mk.topic] = []string{ev.Topic}
	if ev.SubTopic != "" {
		h[mk.subTopic] = []string{ev.SubTopic}
	}
	h[mk.tenantID] = []string{ev.TenantID}
	h[mk.webhookID] = []string{d.ID}
	h[mk.triggeredAt] = []string{ev.TriggeredAt.UTC().Format(triggeredAtLayout)}
	span.SetHeader(h, ev.TraceParent, ev.TraceState)
	meta := sign.Meta{DeliveryID: d.ID, EndpointID: w.ID, TenantID: w.TenantID, Timestamp: now}
	if err := p.signer.Sign(h, body, meta); err != nil {
		a.Error = "sign: " + err.Error()
		return res
	}
	a.RequestHeaders = p.redact.headers(h)

	start := time.Now()
	resp := p.sender.Send(ctx, Message{DeliveryID: d.ID, Body: body, Header: h})
	a.Duration = time.Since(start)
	a.StatusCode, a.ResponseHeaders, a.ResponseBody, a.ResponseTruncated = resp.StatusCode, resp.Header, resp.Body, resp.Truncated
	if resp.Err != nil {
		msg := describeSendError(resp.Err, w.Timeout)
		if !w.Destination.IsHTTP() {
			msg = scrubCredentials(msg, &w.Destination)
		}
		if resp.StatusCode != 0 {
			a.Error = "read response: " + msg
		} else {
			a.Error = msg
			res.timedOut = isTimeout(resp.Err)
			return res
		}
	}
	res.retryAfter = resp.Header.Get("Retry-After")
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Error = fmt.Sprintf("redirect to %q not followed: webhook targets must answer directly", resp.Header.Get("Location"))
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		a.Error = fmt.Sprintf("receiver answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	case a.Error == "":
		res.ok = true
		if ans, ok := parseAnswer(a.ResponseBody); ok {
			switch {
			case ans.Success != nil && !*ans.Success:
				res.ok = false
				a.Error = `receiver answered "Success": false`
			case ans.AsyncCallback != nil:
				res.callback = ans.AsyncCallback
			}
		}
	}
	return res
}

// render renders a template envelope. Rendering and compiling templates
// run at most GOMAXPROCS at once across the engine: either may cost a few
// milliseconds of CPU (a 1 MiB event, a 64 KiB template; see
// envelope.DefaultMaxSteps), and without the bound one event sent to 100
// endpoints with such templates had 100 workers compete for the CPU, so
// that a plain delivery claimed with them waited 2.8 s on the 2-core
// reference machine. With it, the other workers' attempts keep a share of
// the CPU while template work queues here.
func (e *Engine) render(ctx context.Context, env *envelope.Envelope, s *envelope.Scope) ([]byte, error) {
	if env.Kind() != envelope.KindTemplate {
		return env.Render(nil, s)
	}
	select {
	case e.templateWork <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-e.templateWork }()
	return env.Render(nil, s)
}

// exchange sends req and records on a what came back: status, headers,
// the body capped at MaxResponseBytes, the duration and any transport error.
// It returns the response, its body read and closed, or nil when none came
// and then whether that was for want of time.
func (e *Engine) exchange(req *http.Request, a *domain.Attempt, timeout time.Duration) (*http.Response, bool) {
	start := time.Now()
	resp, err := e.cfg.Client.Do(req)
	if err != nil {
		a.Duration = time.Since(start)
		a.Error = describeSendError(err, timeout)
		return nil, isTimeout(err)
	}
	limit := int64(e.cfg.MaxResponseBytes)
	a.ResponseBody, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	resp.Body.Close()
	a.Duration = time.Since(start)
	a.StatusCode = resp.StatusCode
	a.ResponseHeaders = resp.Header
	if int64(len(a.ResponseBody)) > limit {
		a.ResponseBody, a.ResponseTruncated = a.ResponseBody[:limit], true
	}
	if err != nil {
		a.Error = "read response: " + describeSendError(err, timeout)
	}
	return resp, false
}

// isTimeout reports whether a client error means the time ran out (the
// endpoint's timeout, or a dial or TLS deadline) rather than the network
// failing otherwise.
func isTimeout(err error) bool {
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout())
}

// logHost returns the host[:port] of a webhook URL, for logs.
func logHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Host
}

// describeSendError turns a client error into a line an operator can act on.
func describeSendError(err error, timeout time.Duration) string {
	switch {
	case isTimeout(err):
		return fmt.Sprintf("timed out after %s (connection and response)", timeout)
	case errors.Is(err, context.Canceled):
		return "cancelled: hooks is shutting down"
	}
	msg := err.Error()
	// url.Error repeats the method and URL, which the attempt shows anyway.
	if i := strings.Index(msg, "\": "); i >= 0 && strings.HasPrefix(msg, "Post \"") {
		msg = msg[i+3:]
	}
	return msg
}

// TestResult is what a Test URL click shows.
type TestResult struct {
	Success      bool   `json:"success"`
	StatusCode   int    `json:"statusCode"`
	DurationMs   int64  `json:"durationMs"`
	ResponseBody string `json:"responseBody"`
	Error        string `json:"error"`
	DeliveryID   string `json:"deliveryId"`
}

// TestEvent is what a Test URL sends: an event of Topic with Data (an
// event type's example). The zero value sends a ping.
type TestEvent struct {
	Topic string
	Data  []byte // JSON
}

// SendTest sends a signed test event to w now (a "ping" unless te says
// otherwise), records it as a test delivery and returns what happened. It
// works on disabled endpoints too, so a user can check a fix before
// turning the endpoint back on.
func (e *Engine) SendTest(ctx context.Context, w *domain.Endpoint, te TestEvent) (*TestResult, error) {
	p, err := e.prepare(w)
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "the endpoint's configuration can't be used: %v", err)
	}
	if te.Topic == "" {
		now := e.cfg.Now().UTC()
		te.Topic = "ping"
		te.Data, _ = json.Marshal(map[string]string{"type": "ping", "message": "Test delivery from hooks", "webhookId": w.ID,
			"timestamp": now.Format(time.RFC3339Nano)})
	}
	ev, d, err := e.db.CreateTestDelivery(ctx, w, te.Topic, te.Data)
	if err != nil {
		return nil, err
	}
	j := &job{delivery: d, event: ev, webhook: w, prep: p}
	span := e.startAttemptSpan(ctx, j)
	res := e.send(ctx, j, span)
	status := domain.StatusFailed
	if res.ok {
		status = domain.StatusSucceeded
	}
	span.End(res.attempt.StatusCode, status, errorType(&res))
	o := store.Outcome{DeliveryID: d.ID, EndpointID: w.ID, TenantID: w.TenantID, Status: status, LastStatusCode: res.attempt.StatusCode, Attempt: res.attempt}
	if err := e.db.RecordOutcomes(ctx, []store.Outcome{o}); err != nil {
		return nil, err
	}
	if e.cfg.OnOutcome != nil {
		e.cfg.OnOutcome(o)
	}
	return &TestResult{Success: res.ok, StatusCode: res.attempt.StatusCode, DurationMs: res.attempt.Duration.Milliseconds(),
		ResponseBody: string(res.attempt.ResponseBody), Error: res.attempt.Error, DeliveryID: d.ID}, nil
}
