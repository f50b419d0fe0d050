package bench

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooks/store/storetest"
)

func TestRunDeliversEveryEventToEveryHealthyEndpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	var out, progress bytes.Buffer
	res, err := Run(context.Background(), Config{
		DB: storetest.DSN(t), Events: 300, Fanout: 3, Batch: 10, Concurrency: 4, Workers: 16, VerifyEvery: 7,
		Out: &out, Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.EventsAccepted < 300 || res.Completed != res.Expected || res.Expected != 3*res.EventsAccepted {
		t.Errorf("accepted %d events, completed %d of %d deliveries", res.EventsAccepted, res.Completed, res.Expected)
	}
	checkNoErrors(t, res)
	if res.Latency.Count() != res.Completed || res.Latency.Quantile(0.5) <= 0 {
		t.Errorf("%d latencies recorded for %d deliveries, p50 %s", res.Latency.Count(), res.Completed, res.Latency.Quantile(0.5))
	}
	if err := res.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"events accepted", "deliveries completed", "latency post→first attempt", "peak RSS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunKeepsHealthyEndpointsGoingBesideFailingAndHangingOnes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	res, err := Run(context.Background(), Config{
		DB: storetest.DSN(t), Events: 200, Fanout: 2, FailEndpoints: 1, HangEndpoints: 1, Timeout: time.Second, Concurrency: 4, Workers: 16,
		Drain: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed != res.Expected || res.Expected != 2*res.EventsAccepted {
		t.Errorf("healthy endpoints got %d of %d deliveries", res.Completed, res.Expected)
	}
}

// TestRunWithSeveralSigningSchemes checks that the receiver finds its
// Standard Webhooks secret in the secret route's list and that every
// checked signature holds beside the other schemes' headers.
func TestRunWithSeveralSigningSchemes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	res, err := Run(context.Background(), Config{
		DB: storetest.DSN(t), Events: 100, Fanout: 2, Concurrency: 4, Workers: 16, VerifyEvery: 1,
		Signing: []string{"hmac-sha256", "standard-webhooks", "standard-webhooks-v1a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed != res.Expected || res.BadSigs != 0 || res.Verified != res.Completed {
		t.Errorf("completed %d of %d; %d signatures checked, %d bad", res.Completed, res.Expected, res.Verified, res.BadSigs)
	}
}

func TestPayloadCarriesSendTimeAndSequence(t *testing.T) {
	sent := time.Unix(1_700_000_000, 123456789)
	p := makePayload(nil, sent, 42, 200)
	if len(p) != 200 {
		t.Errorf("payload is %d bytes, want 200", len(p))
	}
	at, seq, ok := parsePayload(p)
	if !ok || at != sent.UnixNano() || seq != 42 {
		t.Errorf("parsePayload(%s) = %d, %d, %v", p, at, seq, ok)
	}
	if _, _, ok := parsePayload([]byte(`{"other":1}`)); ok {
		t.Error("parsed a foreign payload")
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.9, 900 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.Quantile(c.q)
		if got < c.want || float64(got) > float64(c.want)*1.02 {
			t.Errorf("Quantile(%v) = %s, want %s within 2%%", c.q, got, c.want)
		}
	}
	if h.Max() != time.Second || h.Count() != 1000 {
		t.Errorf("max %s, count %d", h.Max(), h.Count())
	}
	for v := int64(0); v < 1<<20; v = v*3/2 + 1 {
		if got := histValue(histIndex(v)); got < v || float64(got-v) > float64(v)/60+1 {
			t.Fatalf("value %d lands in a bucket ending at %d", v, got)
		}
	}
}

func TestBitsetReportsFirstSightingOnly(t *testing.T) {
	var b bitset
	for _, i := range []uint64{0, 63, 64, 1 << 30} {
		if !b.set(i) {
			t.Errorf("set(%d) the first time = false", i)
		}
		if b.set(i) {
			t.Errorf("set(%d) the second time = true", i)
		}
	}
}

func TestAPIClientSpreadsRequestsOverEveryURL(t *testing.T) {
	var hits [2]atomic.Int32
	urls := make([]string, len(hits))
	for i := range hits {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits[i].Add(1) }))
		t.Cleanup(srv.Close)
		urls[i] = srv.URL
	}
	c := newAPIClient(urls[0]+", "+urls[1]+"/", "key", 2)
	for range 10 {
		if code, _, err := c.do(context.Background(), http.MethodGet, "/healthz", nil); err != nil || code != http.StatusOK {
			t.Fatalf("GET: %d, %v", code, err)
		}
	}
	if a, b := hits[0].Load(), hits[1].Load(); a != 5 || b != 5 {
		t.Fatalf("requests per instance = %d and %d, want 5 and 5", a, b)
	}
}

func TestBaselinePostsSignedRequestsStraightToTheReceiver(t *testing.T) {
	var out bytes.Buffer
	res, err := Run(context.Background(), Config{Baseline: true, Events: 300, Workers: 8, VerifyEvery: 7, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if res.EventsAccepted != 300 || res.Completed != 300 {
		t.Errorf("accepted %d requests, the receiver took %d; want 300 each", res.EventsAccepted, res.Completed)
	}
	checkNoErrors(t, res)
	if err := res.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"baseline:", "requests completed", "µs per request"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBaselineRefusesWhatItLeavesOut(t *testing.T) {
	for _, c := range []Config{
		{Baseline: true, URL: "http://127.0.0.1:1"},
		{Baseline: true, DB: "x.db"},
		{Baseline: true, Backlog: 10, Fanout: 1},
		{Baseline: true, Destination: "nats", BrokerURL: "nats://127.0.0.1:4222"},
		{Baseline: true, Fanout: 3},
		{Baseline: true, FailEndpoints: 1},
		{Baseline: true, HangEndpoints: 1},
		{Baseline: true, Batch: 10},
		{Baseline: true, Signing: []string{"standard-webhooks"}},
		{Baseline: true, Filter: `{}`},
	} {
		if _, err := Run(context.Background(), c); err == nil || !strings.Contains(err.Error(), "--baseline") {
			t.Errorf("%+v: got %v, want an error naming --baseline", c, err)
		}
	}
}

// checkNoErrors fails t unless the run lost, duplicated and mis-signed
// nothing, saw no API errors, and checked at least one signature.
func checkNoErrors(t *testing.T, res *Result) {
	t.Helper()
	if res.Missing+res.Duplicates+res.BadSigs+res.APIErrors != 0 || res.Verified == 0 {
		t.Errorf("missing %d, duplicates %d, bad signatures %d (of %d checked), API errors %d (%s)",
			res.Missing, res.Duplicates, res.BadSigs, res.Verified, res.APIErrors, res.FirstError)
	}
}
