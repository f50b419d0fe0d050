package listen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Delivery is one request the receiver got and what its check said.
type Delivery struct {
	Method, Path string
	Topic        string
	SubTopic     string
	DeliveryID   string // the delivery's id: the same on every retry
	Header       http.Header
	Body         []byte
	Err          error // nil when the signature checked out
}

// Receiver is an http.Handler that prints each delivery to Out and
// answers 200 when its signature checks out, 401 when it does not (so
// hooks logs the attempt as failed and retries it).
type Receiver struct {
	verifier Verifier
	scheme   string
	out      io.Writer
	color    bool
	now      func() time.Time

	mu sync.Mutex // one delivery printed at a time

	// OnDelivery, if set, is called with every delivery after it is
	// printed (tests use it).
	OnDelivery func(Delivery)
}

// MaxBody is the largest request body the receiver reads.
const MaxBody = 10 << 20

// New returns a receiver that checks deliveries as o says and prints them
// to out, with ANSI colours if color.
func New(o Options, out io.Writer, color bool) (*Receiver, error) {
	v, err := NewVerifier(o)
	if err != nil {
		return nil, err
	}
	scheme := o.Scheme
	if scheme == "" {
		scheme = SchemeStandard
	}
	return &Receiver{verifier: v, scheme: scheme, out: out, color: color, now: time.Now}, nil
}

// ServeHTTP implements http.Handler.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	d := Delivery{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header, Body: body}
	d.Topic, d.SubTopic, d.DeliveryID = metadata(r.Header)
	d.Err = rc.verifier.Verify(r.Header, body)
	rc.print(d)
	if rc.OnDelivery != nil {
		rc.OnDelivery(d)
	}
	w.Header().Set("Content-Type", "application/json")
	if d.Err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"Success": false, "error": "signature check failed: " + d.Err.Error()})
		return
	}
	io.WriteString(w, `{"Success":true}`)
}

// metadata finds the topic, sub-topic and webhook id in the headers
// whatever the server's --header-prefix (X-Hooks-, X-Pps-, …): the
// prefix is whatever comes before "Topic".
func metadata(h http.Header) (topic, subTopic, webhookID string) {
	prefix := ""
	for k := range h {
		if p, ok := strings.CutSuffix(k, "-Topic"); ok && !strings.HasSuffix(p, "-Sub") {
			prefix = p + "-"
			break
		}
	}
	if prefix != "" {
		topic, subTopic, webhookID = h.Get(prefix+"Topic"), h.Get(prefix+"Sub-Topic"), h.Get(prefix+"Webhook-Id")
	}
	if webhookID == "" {
		webhookID = h.Get("Webhook-Id")
	}
	return topic, subTopic, webhookID
}

func (rc *Receiver) paint(code, s string) string {
	if !rc.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (rc *Receiver) print(d Delivery) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s %s", rc.now().Format("15:04:05"), d.Method, d.Path)
	if d.Topic != "" {
		fmt.Fprintf(&b, "  topic=%s", rc.paint("1", d.Topic))
	}
	if d.SubTopic != "" {
		fmt.Fprintf(&b, "  sub-topic=%s", d.SubTopic)
	}
	if d.DeliveryID != "" {
		fmt.Fprintf(&b, "  webhook-id=%s", d.DeliveryID)
	}
	b.WriteByte('\n')
	if d.Err == nil {
		fmt.Fprintf(&b, "  %s\n", rc.paint("32", "✔ signature verified ("+rc.scheme+")"))
	} else {
		fmt.Fprintf(&b, "  %s\n", rc.paint("31", "✘ signature INVALID ("+rc.scheme+"): "+d.Err.Error()))
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, d.Body, "  ", "  ") == nil {
		b.WriteString("  ")
		b.Write(pretty.Bytes())
	} else if len(d.Body) > 0 {
		fmt.Fprintf(&b, "  %q", truncate(d.Body, 4096))
	} else {
		b.WriteString("  (empty body)")
	}
	b.WriteString("\n\n")
	rc.mu.Lock()
	defer rc.mu.Unlock()
	io.WriteString(rc.out, b.String())
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
