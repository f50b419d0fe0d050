package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"hooks/cputime"
	"hooks/delivery/netguard"
	"hooks/domain"
)

// The baseline (--baseline) is the HTTP exchange alone: the engine's
// client posting signed payloads straight to the bench's receiver, with no
// server, no database and no queue in between. Every delivery hooks makes
// pays for one such exchange, and the normal run counts both of its ends
// in "µs per delivery", so the baseline's CPU per request is the floor
// under that figure on this machine.

// checkBaselineConfig refuses the flags that name parts the baseline leaves out.
func checkBaselineConfig(c *Config) error {
	switch {
	case c.URL != "" || c.DB != "":
		return errors.New("--baseline runs no server: --url and --db do not apply")
	case c.Backlog > 0 || c.Destination != "":
		return errors.New("--baseline posts to the receiver: --backlog and --destination do not apply")
	case c.FailEndpoints > 0 || c.HangEndpoints > 0 || c.Fanout > 1:
		return errors.New("--baseline posts to one healthy endpoint: --fanout, --endpoints-fail and --endpoints-hang do not apply")
	case c.Batch > 1 || len(c.Signing) > 0 || c.Filter != "":
		return errors.New("--baseline signs each request as Standard Webhooks: --batch, --signing and --filter do not apply")
	}
	return nil
}

// runBaseline posts for cfg.Duration (or cfg.Events requests) from
// cfg.Workers goroutines, as many requests in flight as the engine has
// workers.
func runBaseline(ctx context.Context, res *Result, rcv *receiver, mon *monitor) error {
	cfg := res.Config
	key := make([]byte, 32)
	rand.Read(key)
	rcv.keys[0] = key
	client := netguard.NewClient(&netguard.Policy{AllowHTTP: true, AllowPrivate: true}, cfg.Timeout)
	defer client.CloseIdleConnections()
	url := rcv.url + "/r/0"
	ld := mon.ld

	start, cpu := time.Now(), cputime.Process()
	mon.start(start)
	ld.last.Store(start.UnixNano())
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = start.Add(cfg.Duration)
	}
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var payload []byte
			for ctx.Err() == nil {
				seq := ld.seq.Add(1) - 1
				if cfg.Events > 0 && seq >= int64(cfg.Events) {
					return
				}
				if !deadline.IsZero() && !time.Now().Before(deadline) {
					return
				}
				payload = postSigned(ctx, client, url, key, payload, seq, ld)
			}
		}()
	}
	wg.Wait()
	res.Posting = ld.lastAccepted().Sub(start)
	res.Elapsed = res.Posting
	res.CPU = cputime.Process() - cpu
	return ctx.Err()
}

// postSigned sends event seq the way the engine delivers it to a Standard
// Webhooks endpoint, and counts it accepted on a 2xx.
func postSigned(ctx context.Context, client *http.Client, url string, key, payload []byte, seq int64, ld *loader) []byte {
	sent := time.Now()
	payload = makePayload(payload, sent, seq, ld.cfg.PayloadBytes)
	id := domain.NewID(domain.PrefixDelivery)
	ts := strconv.FormatInt(sent.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		ld.fail(1, err.Error())
		return payload
	}
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["User-Agent"] = []string{"hooks-bench"}
	req.Header["Webhook-Id"] = []string{id}
	req.Header["Webhook-Timestamp"] = []string{ts}
	req.Header["Webhook-Signature"] = []string{"v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))}
	ld.sent.Add(1)
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			ld.fail(1, err.Error())
		}
		return payload
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		ld.fail(1, fmt.Sprintf("POST %s: %d", url, resp.StatusCode))
		return payload
	}
	ld.accepted.Add(1)
	ld.last.Store(time.Now().UnixNano())
	return payload
}

// writeBaselineTable prints a baseline run.
func (r *Result) writeBaselineTable(row func(name, format string, args ...any)) {
	c := r.Config
	row("target", "baseline: the engine's HTTP client posting straight to the receiver on loopback (no server, no database), %d CPUs", r.CPUs)
	length := c.Duration.String()
	if c.Events > 0 {
		length = count(uint64(c.Events)) + " requests"
	}
	row("load", "%s, %d requests in flight, %d B payload, each signed (Standard Webhooks)", length, c.Workers, c.PayloadBytes)
	row("", "")
	row("requests completed", "%s in %s = %s/s  (2xx at the receiver)", count(r.Completed), secs(r.Elapsed), perSec(r.Completed, r.Elapsed))
	row("latency sent→received", "p50 %s  p90 %s  p99 %s  max %s", ms(r.Latency.Quantile(0.5)), ms(r.Latency.Quantile(0.9)),
		ms(r.Latency.Quantile(0.99)), ms(r.Latency.Max()))
	errs := r.APIErrors + r.Missing + r.Duplicates + r.BadSigs
	row("errors", "%s  (requests %s, missing %s, duplicate %s, bad signature %s (%s checked))", count(errs), count(r.APIErrors),
		count(r.Missing), count(r.Duplicates), count(r.BadSigs), count(r.Verified+r.BadSigs))
	if r.FirstError != "" {
		row("first error", "%s", r.FirstError)
	}
	row("peak RSS", "%s  (whole process: client and receiver)", mib(r.PeakRSS))
	if r.CPU > 0 && r.Completed > 0 {
		row("CPU", "%s in %s = %.2f cores; %.0f µs per request (client and receiver: the floor under µs per delivery)",
			secs(r.CPU), secs(r.Elapsed), r.CPU.Seconds()/r.Elapsed.Seconds(), float64(r.CPU.Microseconds())/float64(r.Completed))
	}
}
