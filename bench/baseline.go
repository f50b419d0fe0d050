package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"hooks/cputime"
	"hooks/delivery/netguard"
	"hooks/delivery/sign"
	"hooks/domain"
)

// The baseline (--baseline) is the HTTP exchange alone: the engine's
// client posting signed payloads straight to the bench's receiver, with no
// server, no database and no queue in between. Every delivery hooks makes
// pays for one such exchange, and the normal run counts both of its ends
// in "µs per delivery", so the baseline's CPU per request is the floor
// under that figure on this machine.

// checkBaselineConfig refuses, for a baseline run, the flags that name
// parts the baseline leaves out.
func checkBaselineConfig(c *Config) error {
	if !c.Baseline {
		return nil
	}
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

// runBaseline posts signed requests with ld, as runLoad posts events.
func runBaseline(ctx context.Context, res *Result, rcv *receiver, ld *loader, mon *monitor) error {
	secret := domain.NewSecret(domain.SchemeStandard)
	signer, err := sign.NewStandard([]string{secret})
	if err != nil {
		return err
	}
	if err := rcv.setSecret(0, secret); err != nil {
		return err
	}
	client := netguard.NewClient(&netguard.Policy{AllowHTTP: true, AllowPrivate: true}, res.Config.Timeout)
	defer client.CloseIdleConnections()
	b := &baseline{client: client, url: rcv.url + "/r/0", signer: signer, ld: ld}
	ld.send = b.post

	start, cpu := time.Now(), cputime.Process()
	mon.start(start)
	ld.run(ctx, start, ld.cfg.Events, ld.cfg.Duration, ld.cfg.Rate)
	res.Posting = ld.lastAccepted().Sub(start)
	res.Elapsed = res.Posting
	res.CPU = cputime.Process() - cpu
	return ctx.Err()
}

// baseline sends the requests of a baseline run.
type baseline struct {
	client *http.Client
	url    string
	signer *sign.Standard
	ld     *loader
}

// post sends event first the way the engine delivers it to a Standard
// Webhooks endpoint, signed by the engine's signer, and counts it accepted
// on a 2xx. It is the loader's send; checkBaselineConfig leaves count at 1.
func (b *baseline) post(ctx context.Context, buf, payload []byte, first int64, _ int) ([]byte, []byte) {
	sent := time.Now()
	payload = makePayload(payload, sent, first, b.ld.cfg.PayloadBytes)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, bytes.NewReader(payload))
	if err == nil {
		req.Header["Content-Type"] = []string{"application/json"}
		req.Header["User-Agent"] = []string{"hooks-bench"}
		err = b.signer.Sign(req.Header, payload, sign.Meta{DeliveryID: domain.NewID(domain.PrefixDelivery), Timestamp: sent})
	}
	if err != nil {
		b.ld.fail(1, err.Error())
		return buf, payload
	}
	b.ld.sent.Add(1)
	resp, err := b.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			b.ld.fail(1, err.Error())
		}
		return buf, payload
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b.ld.fail(1, fmt.Sprintf("POST %s: %d", b.url, resp.StatusCode))
		return buf, payload
	}
	b.ld.accept(1)
	return buf, payload
}

// writeBaselineTable prints a baseline run.
func (r *Result) writeBaselineTable(row func(name, format string, args ...any)) {
	c := r.Config
	row("target", "baseline: the engine's HTTP client posting straight to the receiver on loopback (no server, no database), %d CPUs", r.CPUs)
	length := c.Duration.String()
	if c.Events > 0 {
		length = count(uint64(c.Events)) + " requests"
	}
	rate := "as fast as answered"
	if c.Rate > 0 {
		rate = count(uint64(c.Rate)) + " requests/s"
	}
	row("load", "%s, %s, %d requests in flight, %d B payload, each signed (Standard Webhooks)", length, rate, c.Workers, c.PayloadBytes)
	row("", "")
	row("requests completed", "%s in %s = %s/s  (2xx at the receiver)", count(r.Completed), secs(r.Elapsed), perSec(r.Completed, r.Elapsed))
	row("latency sent→received", "%s", spread(r.Latency))
	errs := r.APIErrors + r.Missing + r.Duplicates + r.BadSigs
	row("errors", "%s  (requests %s, missing %s, duplicate %s, bad signature %s (%s checked))", count(errs), count(r.APIErrors),
		count(r.Missing), count(r.Duplicates), count(r.BadSigs), count(r.Verified+r.BadSigs))
	if r.FirstError != "" {
		row("first error", "%s", r.FirstError)
	}
	row("peak RSS", "%s  (whole process: client and receiver)", mib(r.PeakRSS))
	if r.CPU > 0 && r.Completed > 0 {
		row("CPU", "%s (client and receiver: the floor under µs per delivery)", r.cpuPer("request"))
	}
}
