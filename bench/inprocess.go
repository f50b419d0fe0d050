package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hooks/delivery"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/tracing"
	"hooks/web"
)

// inProcess is a real hooks server in this process: the store on a SQLite
// file, the delivery engine and the web server on a loopback listener.
type inProcess struct {
	url, key string
	db       *store.DB
	dir      string // temporary directory to remove, if any
	http     *http.Server
	stop     context.CancelFunc
	engine   chan error
	tracer   *tracing.Tracer // nil unless OTEL_* variables ask for traces, as for hooks serve

	healthy   func(url string) bool // whether a URL is one of the receiver's healthy endpoints
	succeeded atomic.Uint64         // deliveries to healthy endpoints answered 2xx and recorded

	mu      sync.Mutex
	waiting map[string]bool // healthy deliveries whose last attempt failed: they wait for a retry
}

func startInProcess(ctx context.Context, cfg Config, healthy func(url string) bool) (*inProcess, error) {
	s := &inProcess{waiting: map[string]bool{}, healthy: healthy}
	path := cfg.DB
	if path == "" {
		dir, err := os.MkdirTemp("", "hooks-bench-")
		if err != nil {
			return nil, err
		}
		s.dir = dir
		path = filepath.Join(dir, "hooks.db")
	}
	var err error
	if s.db, err = store.Open(ctx, path); err != nil {
		s.close()
		return nil, err
	}
	if _, s.key, err = s.db.CreateAPIKey(ctx, "", "hooks bench"); err != nil {
		s.close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.close()
		return nil, err
	}
	s.url = "http://" + ln.Addr().String()

	// Warnings and errors only: the progress line owns the terminal.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// With OTEL_EXPORTER_OTLP_ENDPOINT set the in-process server traces
	// and exports as hooks serve would, so the bench shows what tracing costs.
	if s.tracer, err = tracing.New(ctx, "bench", log); err != nil {
		s.close()
		return nil, err
	}
	engine := delivery.New(s.db, delivery.Config{
		Tracer:    s.tracer,
		Workers:   cfg.Workers,
		Policy:    &netguard.Policy{AllowHTTP: true, AllowPrivate: true}, // the receiver is on loopback
		Logger:    log,
		UserAgent: "hooks-bench",
		OnOutcome: s.onOutcome,
	})
	srv := web.New(s.db, engine, web.Config{PublicURL: s.url, Dev: true, Version: "bench", Logger: log, Tracer: s.tracer})
	s.http = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go s.http.Serve(ln)

	engineCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.engine = make(chan error, 1)
	go func() { s.engine <- engine.Run(engineCtx, 5*time.Second) }()
	return s, nil
}

// onOutcome counts successes and keeps track of healthy deliveries that
// wait for a retry. It runs on the engine's writer goroutine, after the
// outcome is stored.
func (s *inProcess) onOutcome(o store.Outcome) {
	if o.Attempt == nil || !s.healthy(o.Attempt.URL) {
		return
	}
	switch o.Status {
	case domain.StatusSucceeded:
		s.succeeded.Add(1)
		s.mu.Lock()
		delete(s.waiting, o.DeliveryID)
		s.mu.Unlock()
	case domain.StatusRetrying:
		s.mu.Lock()
		s.waiting[o.DeliveryID] = true
		s.mu.Unlock()
	}
}

// waitingCount is how many healthy deliveries wait for a retry.
func (s *inProcess) waitingCount() uint64 {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(len(s.waiting))
}

func (s *inProcess) close() {
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.http.Shutdown(ctx)
		cancel()
	}
	if s.stop != nil {
		s.stop()
		<-s.engine
	}
	if s.tracer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.tracer.Shutdown(ctx)
		cancel()
	}
	if s.db != nil {
		s.db.Close()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// currentRSS and peakRSS read this process's resident set size (VmRSS)
// and its high-water mark (VmHWM) from /proc; 0 where there is no /proc.
func currentRSS() uint64 { return procStatus("VmRSS:") }
func peakRSS() uint64    { return procStatus("VmHWM:") }

func procStatus(field string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

func mib(b uint64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MB", float64(b)/1e6)
}
