package delivery

import (
	"context"
	"net/url"
	"strconv"

	"hooks/tracing"
)

// startAttemptSpan starts the client span of an attempt of j (package
// tracing), a child of the trace context its event stored. With tracing
// off it returns the zero span and costs a nil check.
func (e *Engine) startAttemptSpan(ctx context.Context, j *job) tracing.Attempt {
	if e.cfg.Tracer == nil {
		return tracing.Attempt{}
	}
	d, w := j.delivery, j.prep.webhook
	// The host and port only: a URL's path, query and user info often
	// carry credentials (see logHost, scrubCredentials).
	info := tracing.AttemptInfo{DeliveryID: d.ID, EndpointID: w.ID, EventID: j.event.ID, Number: d.AttemptCount + 1,
		Destination: w.Destination.Type}
	target := w.URL
	if !w.Destination.IsHTTP() {
		target = w.Destination.URL
		if len(w.Destination.Brokers) > 0 {
			target = "kafka://" + w.Destination.Brokers[0]
		}
	}
	if u, err := url.Parse(target); err == nil {
		info.Host = u.Hostname()
		info.Port, _ = strconv.Atoi(u.Port())
		if info.Port == 0 && u.Scheme == "https" {
			info.Port = 443
		} else if info.Port == 0 && u.Scheme == "http" {
			info.Port = 80
		}
	}
	return e.cfg.Tracer.StartAttempt(ctx, j.event.TraceParent, j.event.TraceState, info)
}

// errorType names what went wrong in an attempt for its span's error.type,
// in words that carry nothing of the request: "" for success, the status
// code, "timeout", "network", "render" (the template failed), or
// "rejected" (a 2xx that said "Success": false).
func errorType(res *sendResult) string {
	code := res.attempt.StatusCode
	switch {
	case res.ok:
		return ""
	case code >= 300 || (code > 0 && code < 200):
		return strconv.Itoa(code)
	case code > 0:
		return "rejected"
	case res.timedOut:
		return "timeout"
	case res.final:
		return "render"
	}
	return "network"
}
