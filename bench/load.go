package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// apiClient talks to the hooks REST API: of one server, or of several
// instances sharing one database, in turn.
type apiClient struct {
	bases  []string
	next   atomic.Uint64
	key    string
	client *http.Client
}

// newAPIClient returns a client of the servers in base, a comma-separated
// list of URLs.
func newAPIClient(base, key string, conns int) *apiClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns
	tr.MaxIdleConnsPerHost = conns
	tr.Proxy = nil
	c := &apiClient{key: key, client: &http.Client{Transport: tr, Timeout: time.Minute}}
	for _, b := range strings.Split(base, ",") {
		if b = strings.TrimSpace(b); b != "" {
			c.bases = append(c.bases, strings.TrimRight(b, "/"))
		}
	}
	return c
}

// do sends a request and returns the status and body. A body of type
// []byte is sent as it is; anything else is encoded as JSON.
func (c *apiClient) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return 0, nil, err
			}
		}
		rd = bytes.NewReader(b)
	}
	base := c.bases[(c.next.Add(1)-1)%uint64(len(c.bases))]
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// createWebhooks registers one endpoint per receiver path, subscribed to
// topic, signed and filtered as cfg says, and gives the receiver their
// Standard Webhooks secrets. With a broker sink, each publishes to the
// destination the sink names instead. It returns the ids created (also
// when it fails half way, so they can be deleted).
func (c *apiClient) createWebhooks(ctx context.Context, rcv *receiver, topic string, cfg *Config, sink brokerSink) ([]string, error) {
	var ids []string
	for i := range rcv.behave {
		in := map[string]any{
			"name":           fmt.Sprintf("bench endpoint %d", i),
			"url":            fmt.Sprintf("%s/r/%d", rcv.url, i),
			"events":         []string{topic},
			"timeoutSeconds": int(cfg.Timeout / time.Second),
		}
		if len(cfg.Signing) > 0 {
			schemes := make([]map[string]string, len(cfg.Signing))
			for j, s := range cfg.Signing {
				schemes[j] = map[string]string{"scheme": s}
			}
			in["signing"] = schemes
		}
		if cfg.Filter != "" {
			in["filter"] = json.RawMessage(cfg.Filter)
		}
		if sink != nil {
			in["destination"] = sink.destination(i)
		}
		status, body, err := c.do(ctx, http.MethodPost, "/api/v1/webhooks", in)
		if err != nil {
			return ids, fmt.Errorf("create webhook: %w", err)
		}
		if status != http.StatusCreated {
			return ids, fmt.Errorf("create webhook: %d %s (a server run with --url must allow loopback targets: hooks serve --dev)",
				status, strings.TrimSpace(string(body)))
		}
		var out struct{ ID string }
		if err := json.Unmarshal(body, &out); err != nil {
			return ids, fmt.Errorf("create webhook: %w", err)
		}
		ids = append(ids, out.ID)
		secret, err := c.standardSecret(ctx, out.ID)
		if err == nil {
			err = rcv.setSecret(i, secret)
		}
		if err != nil {
			return ids, fmt.Errorf("webhook %s: secret: %w", out.ID, err)
		}
	}
	return ids, nil
}

// standardSecret reads the Standard Webhooks secret of webhook id, which
// the secret route answers alone or, beside other schemes, in a list.
func (c *apiClient) standardSecret(ctx context.Context, id string) (string, error) {
	status, body, err := c.do(ctx, http.MethodGet, "/api/v1/webhooks/"+id+"/secret", nil)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("%d %s", status, strings.TrimSpace(string(body)))
	}
	var out struct {
		Secret  string
		Secrets []struct{ Scheme, Secret string }
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", err
	}
	for _, s := range out.Secrets {
		if s.Scheme == "standard-webhooks" {
			return s.Secret, nil
		}
	}
	if out.Secret == "" {
		return "", errors.New("no standard-webhooks secret")
	}
	return out.Secret, nil
}

// deleteWebhooks removes the bench's endpoints, with their deliveries.
func (c *apiClient) deleteWebhooks(ids []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, id := range ids {
		c.do(ctx, http.MethodDelete, "/api/v1/webhooks/"+id, nil)
	}
}

// loader posts events.
type loader struct {
	api   *apiClient
	topic string
	cfg   Config
	// send posts events first … first+count-1 and counts the outcome:
	// post, to the API, or the baseline's straight to the receiver. buf and
	// payload are its buffers to reuse.
	send func(ctx context.Context, buf, payload []byte, first int64, count int) ([]byte, []byte)

	seq      atomic.Int64 // the next event number, shared with the prober
	issued   atomic.Int64 // events taken by run's senders, for pacing and the limit
	sent     atomic.Uint64
	accepted atomic.Uint64
	errors   atomic.Uint64
	firstErr atomic.Value // string
	last     atomic.Int64 // unix ns of the last accepted answer
	ingest   Histogram
}

func (l *loader) lastAccepted() time.Time { return time.Unix(0, l.last.Load()) }

// run posts up to n events (0 = no limit) for up to d (0 = no limit) at
// rate events/s (0 = as fast as they are accepted), from cfg.Concurrency
// connections, each with l.send. Event k is due at start + k/rate; a
// sender that falls behind sends at once, so a slow server shows as a
// lower accepted rate.
func (l *loader) run(ctx context.Context, start time.Time, n int, d time.Duration, rate float64) {
	l.last.Store(start.UnixNano())
	var deadline time.Time
	if d > 0 {
		deadline = start.Add(d)
	}
	base := l.issued.Load()
	var wg sync.WaitGroup
	for range l.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf, payload []byte
			for ctx.Err() == nil {
				batch := int64(l.cfg.Batch)
				k := l.issued.Add(batch) - batch - base
				if n > 0 && k >= int64(n) {
					return
				}
				if n > 0 {
					batch = min(batch, int64(n)-k)
				}
				if rate > 0 {
					due := start.Add(time.Duration(float64(k) / rate * float64(time.Second)))
					if wait := time.Until(due); wait > 0 {
						sleepCtx(ctx, wait)
					}
				}
				if !deadline.IsZero() && !time.Now().Before(deadline) {
					return
				}
				first := l.seq.Add(batch) - batch
				buf, payload = l.send(ctx, buf, payload, first, int(batch))
			}
		}()
	}
	wg.Wait()
}

// post sends events first … first+count-1 in one request.
func (l *loader) post(ctx context.Context, buf, payload []byte, first int64, count int) ([]byte, []byte) {
	sent := time.Now()
	path := "/api/v1/events"
	buf = buf[:0]
	if count == 1 && l.cfg.Batch == 1 {
		payload = makePayload(payload, sent, first, l.cfg.PayloadBytes)
		buf = appendEvent(buf, l.topic, payload)
	} else {
		path += "/batch"
		buf = append(buf, `{"events":[`...)
		for i := range count {
			if i > 0 {
				buf = append(buf, ',')
			}
			payload = makePayload(payload, sent, first+int64(i), l.cfg.PayloadBytes)
			buf = appendEvent(buf, l.topic, payload)
		}
		buf = append(buf, "]}"...)
	}
	l.sent.Add(uint64(count))
	status, body, err := l.api.do(ctx, http.MethodPost, path, buf)
	l.ingest.Record(time.Since(sent))
	switch {
	case err != nil:
		if ctx.Err() == nil {
			l.fail(count, err.Error())
		}
	case status != http.StatusAccepted:
		l.fail(count, fmt.Sprintf("POST %s: %d %s", path, status, strings.TrimSpace(string(body))))
	default:
		l.accept(count)
	}
	return buf, payload
}

// accept counts count events accepted now.
func (l *loader) accept(count int) {
	l.accepted.Add(uint64(count))
	l.last.Store(time.Now().UnixNano())
}

func (l *loader) fail(count int, msg string) {
	l.errors.Add(uint64(count))
	l.firstErr.CompareAndSwap(nil, msg)
}

func appendEvent(dst []byte, topic string, data []byte) []byte {
	dst = append(dst, `{"topic":`...)
	dst = strconv.AppendQuote(dst, topic)
	dst = append(dst, `,"data":`...)
	dst = append(dst, data...)
	return append(dst, '}')
}

// prober measures the API as a user sees it while the load runs: it lists
// deliveries and creates one event, each every probeEvery, and keeps the
// latencies per phase of the run. The events it creates count as accepted
// events of the run.
type prober struct {
	ld *loader

	mu     sync.Mutex
	phases []*ProbePhase
	errors atomic.Uint64
}

// ProbePhase is the API latency measured during one phase of a run.
type ProbePhase struct {
	Name         string // "" for a run of one phase
	List, Create Histogram
}

const probeEvery = 100 * time.Millisecond

func newProber(ld *loader) *prober { return &prober{ld: ld, phases: []*ProbePhase{{}}} }

// setPhase starts measuring into a new phase.
func (p *prober) setPhase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if last := p.phases[len(p.phases)-1]; last.List.Count() == 0 && last.Create.Count() == 0 {
		last.Name = name
		return
	}
	p.phases = append(p.phases, &ProbePhase{Name: name})
}

func (p *prober) current() *ProbePhase {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.phases[len(p.phases)-1]
}

// start runs the prober until the returned function is called. Stopping
// waits for a probe in flight rather than cutting it off, so an event the
// server accepted is always counted.
func (p *prober) start(ctx context.Context) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(probeEvery)
		defer t.Stop()
		var payload []byte
		for {
			select {
			case <-ctx.Done():
				return
			case <-quit:
				return
			case <-t.C:
			}
			api := p.ld.api
			start := time.Now()
			status, _, err := api.do(ctx, http.MethodGet, "/api/v1/deliveries?limit=50", nil)
			if err == nil && status == http.StatusOK {
				p.current().List.Record(time.Since(start))
			} else if ctx.Err() == nil {
				p.errors.Add(1)
			}
			start = time.Now()
			payload = makePayload(payload, start, p.ld.seq.Add(1)-1, p.ld.cfg.PayloadBytes)
			p.ld.sent.Add(1)
			status, _, err = api.do(ctx, http.MethodPost, "/api/v1/events", appendEvent(nil, p.ld.topic, payload))
			if err == nil && status == http.StatusAccepted {
				p.current().Create.Record(time.Since(start))
				p.ld.accepted.Add(1)
			} else if ctx.Err() == nil {
				p.errors.Add(1)
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit); wg.Wait() }) }
}
