package cli

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"hooks/delivery"
	"hooks/delivery/jobs"
	"hooks/delivery/netguard"
	"hooks/delivery/sign"
	"hooks/delivery/upkeep"
	"hooks/metrics"
	"hooks/store"
	"hooks/tracing"
	"hooks/web"
	"io"
	"log/slog"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
)

type serveConfig struct {
	addr           string
	db             string
	publicURL      string
	dev            bool
	headerPrefix   string
	maxBody        int64
	allowCIDRs     string
	trustedProxies string
	logLevel       string
	drain          time.Duration
	workers        int
	masterKey      string
	keyRotation    time.Duration
	callbackWait   time.Duration
	logFormat      string
	metricsAddr    string
	metricsToken   string
	pprofAddr      string
	configFile     string

	apiRateLimit        float64
	autoDisableAfter    time.Duration
	autoDisableFailures int
	retention           time.Duration

	// --metrics-per-endpoint: series per endpoint id, the first
	// metricsPerEndpointLimit of them (metrics.PerEndpoint).
	metricsPerEndpoint      bool
	metricsPerEndpointLimit int

	portal web.PortalConfig // --portal-* flags
}

func serve(ctx context.Context, args []string, stderr io.Writer, version string) error {
	tuneGC()
	var c serveConfig
	fs := serveFlags(&c, stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	log, err := NewLogger(stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	policy := &netguard.Policy{AllowHTTP: c.dev, AllowPrivate: c.dev}
	if policy.Allow, err = parsePrefixes("allow-cidr", c.allowCIDRs); err != nil {
		return err
	}
	trustedProxies, err := parsePrefixes("trusted-proxies", c.trustedProxies)
	if err != nil {
		return err
	}
	if err := web.CheckFrameAncestors(c.portal.FrameAncestors); err != nil {
		return err
	}
	if err := c.portal.Brand.Validate("portal-"); err != nil {
		return fmt.Errorf("--portal-name, --portal-accent, --portal-logo-url: %w", err)
	}
	if c.publicURL == "" {
		c.publicURL = defaultPublicURL(c.addr)
	}

	db, err := openStoreWithKey(ctx, c.db, c.masterKey, log)
	if err != nil {
		return err
	}
	defer db.Close()
	// Background work tied to ctx (the JWT key refresh) stops before the
	// database closes.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A SQLite file has one hooks process, so any lease in it is a previous
	// run's. On a shared database the other instances' leases are live; a
	// crashed instance's leases simply expire.
	if !db.Shared() {
		if n, err := db.ReleaseLeases(ctx, ""); err != nil {
			return err
		} else if n > 0 {
			log.Info("resuming deliveries left in flight by the previous run", "count", n)
		}
	}

	owner := leaseOwner()
	// One key ring signs the jwt scheme's tokens and publishes their keys.
	ring := sign.NewKeyRing(db, c.keyRotation)
	var metricsOpts []metrics.Option
	if c.metricsPerEndpoint {
		metricsOpts = append(metricsOpts, metrics.PerEndpoint(c.metricsPerEndpointLimit))
	}
	m := metrics.New(db, version, log, metricsOpts...)
	tracer, err := tracing.New(ctx, version, log)
	if err != nil {
		return err
	}
	if tracer != nil {
		log.Info("exporting traces over OTLP/HTTP", "endpoint", tracer.Endpoint())
		// Deferred before the engine starts, so it runs after the engine
		// stopped: the spans of the last attempts go out too.
		defer func() {
			flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := tracer.Shutdown(flushCtx); err != nil {
				log.Warn("flush traces", "err", err)
			}
		}()
	}
	engine := delivery.New(db, delivery.Config{
		Workers: c.workers, HeaderPrefix: c.headerPrefix, Policy: policy, Logger: log, UserAgent: "hooks/" + version, Owner: owner,
		JWT: sign.NewJWT(ring, c.publicURL), CallbackMaxWait: c.callbackWait,
		OnOutcome: m.Outcome, OnBatch: m.Batch, Tracer: tracer,
	})
	srv := web.New(db, engine, web.Config{PublicURL: c.publicURL, MaxBodyBytes: c.maxBody, Dev: c.dev, Version: version, Logger: log,
		HeaderPrefix: c.headerPrefix, JWKS: ring, Metrics: m, MetricsElsewhere: c.metricsAddr != "", MetricsToken: c.metricsToken,
		APIRateLimit: c.apiRateLimit, TrustedProxies: trustedProxies, Portal: c.portal, Tracer: tracer})

	// Periodic jobs (retention, auto-disable, key rotation, callback polls)
	// are added to sched before it starts below.
	// On a shared database one instance at a time runs them: the leader,
	// elected through a PostgreSQL advisory lock.
	leader := db.Leader(owner, func(leading bool) {
		m.Leading(leading)
		if leading {
			log.Info("this instance now runs the periodic jobs (leader)")
		} else {
			log.Warn("lost the leader's database session; another instance takes over the periodic jobs")
		}
	})
	defer leader.Close()
	sched, err := jobs.New(log, jobs.WithElector(leader))
	if err != nil {
		return err
	}
	if err := addContractJobs(ctx, sched, ring, engine, log); err != nil {
		return err
	}
	// Auto-disable, delivery.exhausted events and retention; 0 turns a
	// flag's rule off, where upkeep takes 0 as "the default".
	off := func(d time.Duration) time.Duration { return cmp.Or(d, -1) }
	up := upkeep.New(db, upkeep.Config{FailingPeriod: off(c.autoDisableAfter), MaxExhausted: cmp.Or(c.autoDisableFailures, -1),
		Retention: off(c.retention), Logger: log, Wake: engine.Wake})
	if err := up.AddJobs(sched); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	if c.metricsAddr != "" {
		stopMetrics, err := serveMetrics(c.metricsAddr, m, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	if c.pprofAddr != "" {
		stopPprof, err := servePprof(c.pprofAddr, log)
		if err != nil {
			return err
		}
		defer stopPprof()
	}
	httpServer := &http.Server{
		Handler:           m.Instrument(srv),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	if c.dev {
		log.Warn("DEVELOPMENT MODE: webhooks may target http:// and private or loopback addresses; never run --dev in production")
	}
	if err := announceAPIKey(ctx, db, c, log); err != nil {
		return err
	}
	if link, err := srv.SetupURL(ctx); err != nil {
		return err
	} else if link != "" {
		log.Warn("no web UI users yet; open this one-time link within 24 hours to create the first admin: " + link)
	}
	log.Info("hooks is running", "version", version, "addr", ln.Addr().String(), "db", db.Path(), "public_url", c.publicURL)

	// Before anything is served: a signal that arrives once the API
	// answers must start a clean shutdown, not kill the process.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	engineCtx, stopEngine := context.WithCancel(ctx)
	engineDone := make(chan error, 1)
	go func() { engineDone <- engine.Run(engineCtx, c.drain) }()
	sched.Start()
	defer sched.Stop()
	serveDone := make(chan error, 1)
	go func() { serveDone <- httpServer.Serve(ln) }()

	select {
	case sig := <-signals:
		log.Info("shutting down: no new requests; finishing in-flight attempts (send the signal again to exit now)", "signal", sig.String())
	case err := <-serveDone:
		stopEngine()
		return err
	case <-ctx.Done():
	}
	go func() {
		<-signals
		log.Warn("second signal: exiting now")
		os.Exit(1)
	}()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	stopEngine()
	if err := <-engineDone; err != nil {
		return err
	}
	log.Info("stopped cleanly")
	return nil
}

// serveFlags defines the flags of "hooks serve" (and "hooks config print")
// on c.
func serveFlags(c *serveConfig, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hooks serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", defaultAddr, "address to listen on (default loopback only; 0.0.0.0:8080 or :8080 for every interface)")
	fs.StringVar(&c.db, "db", "hooks.db", "database: a SQLite file (created on first start) or a postgres:// URL")
	fs.StringVar(&c.publicURL, "public-url", "", "URL where this server is reached (JWT issuer, links); default http://localhost<addr>")
	fs.BoolVar(&c.dev, "dev", false, "development mode: allow http:// and private/loopback webhook targets")
	fs.StringVar(&c.headerPrefix, "header-prefix", "X-Hooks-", "prefix of the metadata headers sent with each webhook")
	fs.Int64Var(&c.maxBody, "max-body-bytes", 1<<20, "largest API request body accepted")
	fs.StringVar(&c.allowCIDRs, "allow-cidr", "", "comma-separated CIDRs that webhook targets may use even though private")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For tells the client's address (default none: it is ignored)")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&c.drain, "drain", 15*time.Second, "on shutdown, how long in-flight attempts may finish")
	fs.IntVar(&c.workers, "workers", 128, "concurrent outgoing requests")
	fs.DurationVar(&c.keyRotation, "jwt-key-rotation", sign.DefaultKeyRotation, "how long a tenant's JWT signing key signs before a new one replaces it")
	fs.DurationVar(&c.callbackWait, "callback-max-wait", delivery.DefaultCallbackMaxWait, "how long an AsyncCallback URI is polled for a final answer before the delivery fails")
	fs.StringVar(&c.masterKey, "master-key-file", "", "file holding the key that encrypts secrets in the database (default hooks.key beside --db; created on first start)")
	fs.Float64Var(&c.apiRateLimit, "api-rate-limit", web.DefaultAPIRateLimit, "API requests per second allowed per API key, bursts of twice as many (0: no limit)")
	fs.DurationVar(&c.autoDisableAfter, "auto-disable-after", upkeep.DefaultFailingPeriod, "disable an endpoint whose deliveries have all failed for this long (0: never)")
	fs.IntVar(&c.autoDisableFailures, "auto-disable-failures", upkeep.DefaultMaxExhausted, "disable an endpoint after this many deliveries in a row failed after all their retries (0: never)")
	fs.DurationVar(&c.retention, "retention", upkeep.DefaultRetention, "delete events, deliveries, attempts and audit records older than this (0: keep everything)")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve /metrics on this separate address (e.g. 127.0.0.1:9100), without authentication, instead of on --addr")
	fs.StringVar(&c.metricsToken, "metrics-token", "", "bearer token that lets a scraper read /metrics on --addr (without it, only a signed-in admin may)")
	fs.BoolVar(&c.metricsPerEndpoint, "metrics-per-endpoint", false, "add Prometheus series labelled with the endpoint id (attempts and latency per endpoint), for the first --metrics-per-endpoint-limit endpoints; the rest are counted under endpoint=\"_overflow\"")
	fs.IntVar(&c.metricsPerEndpointLimit, "metrics-per-endpoint-limit", metrics.DefaultPerEndpointLimit, "how many endpoints get series of their own with --metrics-per-endpoint")
	fs.StringVar(&c.pprofAddr, "pprof-addr", "", "serve Go's /debug/pprof/ profiles on this separate address (e.g. 127.0.0.1:6060); off by default, unauthenticated: keep it on loopback")
	fs.StringVar(&c.portal.FrameAncestors, "portal-frame-ancestors", "", "CSP frame-ancestors of the customer portal, e.g. https://app.example.com (default 'none': no site may frame it)")
	fs.StringVar(&c.portal.Brand.Name, "portal-name", "", "product name the customer portal shows (a tenant's own, set through the tenants API, wins)")
	fs.StringVar(&c.portal.Brand.Accent, "portal-accent", "", "accent colour of the customer portal, #rrggbb")
	fs.StringVar(&c.portal.Brand.LogoURL, "portal-logo-url", "", "https URL of the logo the customer portal shows")
	fs.StringVar(&c.configFile, "config", "", "TOML file whose keys are these flags' names (flags and HOOKS_* variables override it)")
	return fs
}

// defaultAddr is where "hooks serve" listens unless --addr says otherwise:
// loopback only, so a first start on a laptop or a server exposes nothing
// to the network. The Docker image sets HOOKS_ADDR=:8080, since a
// container's loopback is unreachable from the host.
const defaultAddr = "127.0.0.1:8080"

// defaultPublicURL is the --public-url for a server listening on addr when
// none is given: http://localhost:<port> for a loopback or unspecified
// host, which is what a browser on the same machine uses, else addr's host.
func defaultPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if a, err := netip.ParseAddr(host); host == "" || err == nil && (a.IsLoopback() || a.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// parsePrefixes parses a comma-separated list of CIDRs or single addresses
// (a /32 or /128) given to the flag name.
func parsePrefixes(name, list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("--%s %q: %w", name, s, err)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// servePprof serves Go's profiling endpoints under /debug/pprof/ on addr
// (--pprof-addr), a listener of its own: they are off by default, carry no
// authentication and must never share the public address.
func servePprof(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", httppprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", httppprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", httppprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", httppprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", httppprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go srv.Serve(ln)
	log.Warn("serving Go profiles (no authentication)", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() { srv.Close() }, nil
}

// serveMetrics serves /metrics alone on addr (--metrics-addr), typically a
// loopback or private address that only Prometheus reaches.
func serveMetrics(addr string, m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go srv.Serve(ln)
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

// openStoreWithKey opens the database with its master key, which lives in
// keyFile (default: hooks.key beside a SQLite database, or in the working
// directory for PostgreSQL) and is generated on the first start. It refuses
// a key file others can read and a key that does not decrypt the secrets
// already stored.
func openStoreWithKey(ctx context.Context, dbPath, keyFile string, log *slog.Logger) (*store.DB, error) {
	if keyFile == "" {
		keyFile = defaultKeyFile(dbPath)
	}
	key, created, err := store.LoadMasterKey(keyFile)
	if err != nil {
		return nil, err
	}
	if created {
		log.Warn("generated a new master key; back it up with the database, whose secrets can't be read without it", "file", keyFile)
	}
	db, err := store.Open(ctx, dbPath, store.WithMasterKey(key))
	if errors.Is(err, store.ErrWrongMasterKey) {
		if created {
			os.Remove(keyFile) // a key that can't open this database is no use to keep
		}
		hint := ""
		if store.IsPostgresURL(dbPath) {
			hint = "; every hooks instance on one PostgreSQL database needs a copy of the same key file"
		}
		return nil, fmt.Errorf("%w: %s does not hold the key the database was created with (check --master-key-file%s)", err, keyFile, hint)
	}
	return db, err
}

// defaultKeyFile is where the master key of the database dbPath lives
// unless --master-key-file says otherwise: beside a SQLite file, or in the
// working directory for PostgreSQL.
func defaultKeyFile(dbPath string) string {
	if store.IsPostgresURL(dbPath) {
		return "hooks.key"
	}
	return filepath.Join(filepath.Dir(strings.TrimPrefix(dbPath, "sqlite://")), "hooks.key")
}

// announceAPIKey helps on the first start: with no API keys yet, --dev
// creates one and prints it; otherwise it says how to create one.
func announceAPIKey(ctx context.Context, db *store.DB, c serveConfig, log *slog.Logger) error {
	n, err := db.CountAPIKeys(ctx)
	if err != nil || n > 0 {
		return err
	}
	if !c.dev {
		log.Info("no API keys yet; create one with: hooks apikey create --db " + db.Path())
		return nil
	}
	_, key, err := db.CreateAPIKey(ctx, "", "dev bootstrap key")
	if err != nil {
		return err
	}
	log.Warn("created an API key for this development database (shown once): " + key)
	return nil
}

// keyRotationCheck is how often the JWT key job runs. Keys rotate far less
// often (--jwt-key-rotation); the job also drops a retired key soon after
// its last token expired, so it must run well within a key's lifetime.
const keyRotationCheck = time.Hour

// callbackPollEvery is how often due AsyncCallback polls are looked for:
// the finest StartAfterSeconds and IntervalSeconds a receiver can get.
const callbackPollEvery = time.Second

// addContractJobs schedules the periodic work of the provider contracts:
// JWT key rotation and AsyncCallback polls. It rotates keys once now, so
// an overdue key is replaced before the first delivery rather than by it,
// and refreshes this instance's copy of the keys until ctx is done.
func addContractJobs(ctx context.Context, sched *jobs.Scheduler, ring *sign.KeyRing, engine *delivery.Engine, log *slog.Logger) error {
	if err := ring.Rotate(ctx, time.Now()); err != nil {
		// Not fatal: tenants whose keys are fine go on signing, and a
		// tenant without a usable key gets a new one when it next signs.
		log.Error("rotate JWT signing keys", "err", err)
	}
	// Not a scheduler job: on a shared database the jobs run on one
	// instance, but every instance signs and serves JWK Sets from its own
	// copy of the keys.
	go func() {
		tick := time.NewTicker(sign.KeyRefreshInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := ring.Refresh(ctx, time.Now()); err != nil && ctx.Err() == nil {
					log.Error("refresh JWT signing keys", "err", err)
				}
			}
		}
	}()
	if err := sched.Add("jwt-key-rotation", keyRotationCheck, func(ctx context.Context) error {
		return ring.Rotate(ctx, time.Now())
	}); err != nil {
		return err
	}
	return sched.Add("callback-polls", callbackPollEvery, engine.PollCallbacks)
}

// maxHeaderBytes bounds the request line and headers of one API or UI
// request; past it Go answers 431 before any handler runs.
const maxHeaderBytes = 64 << 10

// tuneGC makes the garbage collector run half as often as Go's default
// (GOGC=200) unless GOGC is set: the server's live heap is small and
// steady, so this costs a few tens of MB and gains about 10 % of delivery
// throughput on a 2-core machine.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}

// leaseOwner names this process in the leases it takes: unique per
// process, so that instances sharing a PostgreSQL database release only
// their own leases when they stop, and readable in the database
// ("host-pid-random").
func leaseOwner() string {
	host, _ := os.Hostname()
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%x", cmp.Or(host, "hooks"), os.Getpid(), b)
}
