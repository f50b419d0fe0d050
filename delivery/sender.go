package delivery

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"hooks/domain"
)

// A Sender delivers messages to one endpoint's destination: an HTTP URL or
// a broker. The engine renders, signs and records; a sender only moves
// the bytes and says what came back. Each endpoint version gets its own
// (prepare), so a sender holds its target and, for a broker, its pooled
// connection.
type Sender interface {
	// Send delivers m before ctx's deadline, the endpoint's timeout.
	// It must not keep m's body or header after it returns.
	Send(ctx context.Context, m Message) Reply
}

// Message is one attempt's rendered message. It is passed by value, so
// that the call through the interface allocates nothing.
type Message struct {
	// DeliveryID is the dedupe id, the same on every retry and
	// redelivery (webhook-id); a broker that deduplicates keys on it.
	DeliveryID string
	// Body is the rendered envelope.
	Body []byte
	// Header holds the static, metadata and signature headers: HTTP
	// headers, a broker message's headers or properties.
	Header http.Header
}

// Reply is what a Sender learned from one Send.
type Reply struct {
	// StatusCode is the HTTP status of the answer, 0 when none came. A
	// broker that confirmed the message reports 202 Accepted, so that
	// stats, health and metrics count it as any 2xx; a failed publish
	// reports 0, as a network error does, and is retried as one.
	StatusCode int
	Header     http.Header // the HTTP answer's headers; nil from a broker
	// Body is an excerpt of the answer, at most the engine's
	// MaxResponseBytes: the HTTP body, or what the broker said (stream
	// sequence, partition and offset).
	Body      []byte
	Truncated bool // Body was cut at MaxResponseBytes
	// Err is why nothing was delivered: no answer, or a broker that
	// refused, returned or did not confirm the message. With an HTTP
	// StatusCode it is an error reading the answer's body.
	Err error
}

// httpSender posts to an endpoint's URL with the engine's SSRF-guarded
// transport.
type httpSender struct {
	url      string
	rt       http.RoundTripper
	maxBytes int
}

// Send posts m and reads the answer, its body capped at maxBytes.
//
// It hands the request to the transport itself: the engine never follows
// a redirect (a 3xx is a failed attempt) and keeps no cookies, which is
// all that http.Client would add, at the price of copying the headers of
// every request in case a redirect comes.
func (s *httpSender) Send(ctx context.Context, m Message) Reply {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(m.Body))
	if err != nil {
		return Reply{Err: fmt.Errorf("build request: %w", err)}
	}
	req.Header = m.Header
	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		return Reply{Err: err}
	}
	limit := int64(s.maxBytes)
	r := Reply{StatusCode: resp.StatusCode, Header: resp.Header}
	r.Body, r.Err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	resp.Body.Close()
	if int64(len(r.Body)) > limit {
		r.Body, r.Truncated = r.Body[:limit], true
	}
	return r
}

// unsupportedSender stands for a destination type this build can't send to.
type unsupportedSender struct{ typ string }

func (s unsupportedSender) Send(context.Context, Message) Reply {
	return Reply{Err: fmt.Errorf("destination type %q is not supported by this hooks", s.typ)}
}

// newSender returns the sender for w's destination.
func (e *Engine) newSender(w *domain.Endpoint) Sender {
	if w.Destination.IsHTTP() {
		return &httpSender{url: w.URL, rt: e.transport, maxBytes: e.cfg.MaxResponseBytes}
	}
	return e.brokers.sender(w)
}

// userinfoPattern finds the user info of any URL in a message.
var userinfoPattern = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^@/\s"']+@`)

// scrubCredentials removes the credentials of d's URL from msg, a broker
// client's error, before it reaches the attempt log or a log line: the URL
// masked wherever it appears whole, its password or token wherever it
// appears alone, and the user info of any other URL.
func scrubCredentials(msg string, d *domain.Destination) string {
	if d.URL != "" {
		msg = strings.ReplaceAll(msg, d.URL, domain.MaskURL(d.URL))
		if _, rest, ok := strings.Cut(d.URL, "://"); ok {
			if at := strings.LastIndex(rest, "@"); at > 0 {
				user, pass, hasPass := strings.Cut(rest[:at], ":")
				secret := pass
				if !hasPass {
					secret = user
				}
				if secret != "" {
					msg = strings.ReplaceAll(msg, secret, domain.CredentialMask)
					if dec, err := url.PathUnescape(secret); err == nil && dec != secret && dec != "" {
						msg = strings.ReplaceAll(msg, dec, domain.CredentialMask)
					}
				}
			}
		}
	}
	return userinfoPattern.ReplaceAllString(msg, "${1}"+domain.CredentialMask+"@")
}
