package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestServeFlushesTracesOnExit runs "hooks serve" with an OTLP endpoint in
// the environment and a batch delay far longer than the test: the spans of
// an event posted with a traceparent reach the collector only because
// serve flushes the exporter when it stops.
func TestServeFlushesTracesOnExit(t *testing.T) {
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	var mu sync.Mutex
	var names []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("decode OTLP export: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					if hex.EncodeToString(s.TraceId) == traceID {
						names = append(names, s.Name)
					}
				}
			}
		}
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncLog{}
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"serve", "--dev", "--addr", "127.0.0.1:0", "--log-format", "json", "--metrics-per-endpoint",
			"--db", filepath.Join(t.TempDir(), "hooks.db")}, io.Discard, logs)
	}()
	var addr, key string
	for deadline := time.Now().Add(20 * time.Second); addr == "" || key == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not log its address and key:\n%s", logs.String())
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			if rec.Msg == "hooks is running" {
				addr = rec.Addr
			}
			if _, k, ok := strings.Cut(rec.Msg, "(shown once): "); ok {
				key = k
			}
		}
	}
	if !strings.Contains(logs.String(), "exporting traces over OTLP/HTTP") {
		t.Errorf("serve did not say where traces go:\n%s", logs.String())
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/events", strings.NewReader(`{"topic":"t"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("post event: %d", resp.StatusCode)
	}
	mu.Lock()
	early := len(names)
	mu.Unlock()
	if early != 0 {
		t.Fatalf("spans exported before exit (%v): the test would not show the flush", names)
	}
	cancel()
	select {
	case c := <-exited:
		if c != 0 {
			t.Fatalf("serve exited %d:\n%s", c, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(names, "POST /api/v1/events") || !slices.Contains(names, "fan-out") {
		t.Errorf("exported spans of the trace at exit: %v; want the ingest and fan-out spans", names)
	}
}
