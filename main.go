// Command hooks is a self-hosted webhook delivery server: it stores the
// endpoints your customers register, fans your events out to them, signs,
// delivers, retries and logs every request.
package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"hooks/delivery"
	"hooks/delivery/jobs"
	"hooks/delivery/netguard"
	"hooks/delivery/sign"
	"hooks/delivery/upkeep"
	"hooks/store"
	"hooks/web"
	"hooks/web/bench"
	"hooks/web/cli"
	"hooks/web/metrics"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

const usage = `hooks — self-hosted webhook delivery

Usage:
  hooks serve [flags]            run the server (API, delivery engine, web UI)
  hooks backup --db F --out F    write a consistent copy of a live database
  hooks migrate --from A --to B  copy a database into an empty one, e.g. SQLite to PostgreSQL
  hooks apikey create [flags]    create an API key and print it
  hooks bench [flags]            measure throughput and latency end to end
  hooks config print [flags]     print the effective serve configuration (secrets masked)
  hooks send --topic T [flags]   post an event to a running server (--url, --key or HOOKS_URL, HOOKS_KEY)
  hooks listen --secret S        run a local receiver that prints deliveries and checks signatures
  hooks endpoints <cmd> [flags]  list, create, disable or enable endpoints on a running server
  hooks deliveries <cmd> [flags] list deliveries, or redeliver one, on a running server
  hooks user create [flags]      create a web UI user; reads the password from stdin
  hooks version                  print the version

Run "hooks <command> -h" for a command's flags. Every flag can also be set
through the environment as HOOKS_<FLAG> (e.g. HOOKS_DB, HOOKS_ADDR).
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its inputs and outputs as parameters, for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "backup":
		err = backup(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = migrate(ctx, args[1:], stdout, stderr)
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "apikey":
		err = apikey(ctx, args[1:], stdout, stderr)
	case "bench":
		err = benchmark(ctx, args[1:], stdout, stderr)
	case "config":
		err = configPrint(args[1:], stdout, stderr)
	case "send":
		err = cli.Send(ctx, args[1:], stdout, stderr, version)
	case "listen":
		err = cli.RunListen(ctx, args[1:], stdout, stderr)
	case "endpoints":
		err = cli.Endpoints(ctx, args[1:], stdout, stderr, version)
	case "deliveries":
		err = cli.Deliveries(ctx, args[1:], stdout, stderr, version)
	case "user":
		err = userCreate(ctx, args[1:], os.Stdin, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "hooks %s (commit %s, built %s)\n", version, commit, date)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "hooks: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "hooks: %v\n", err)
	return 1
}

var errUsage = cli.ErrUsage

// parseFlags parses args into fs: flags beat the environment (HOOKS_<NAME>),
// which beats the --config file (for commands that have one), which beats
// defaults.
func parseFlags(fs *flag.FlagSet, args []string) error {
	_, err := cli.Parse(fs, args)
	return err
}

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

	portal web.PortalConfig // --portal-* flags
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	tuneGC()
	var c serveConfig
	fs := serveFlags(&c, stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	log, err := cli.NewLogger(stderr, c.logFormat, c.logLevel)
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
	m := metrics.New(db, version, log)
	engine := delivery.New(db, delivery.Config{
		Workers: c.workers, HeaderPrefix: c.headerPrefix, Policy: policy, Logger: log, UserAgent: "hooks/" + version, Owner: owner,
		JWT: sign.NewJWT(ring, c.publicURL), CallbackMaxWait: c.callbackWait,
		OnOutcome: m.Outcome, OnBatch: m.Batch,
	})
	srv := web.New(db, engine, web.Config{PublicURL: c.publicURL, MaxBodyBytes: c.maxBody, Dev: c.dev, Version: version, Logger: log,
		HeaderPrefix: c.headerPrefix, JWKS: ring, Metrics: m, MetricsElsewhere: c.metricsAddr != "", MetricsToken: c.metricsToken,
		APIRateLimit: c.apiRateLimit, TrustedProxies: trustedProxies, Portal: c.portal})

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
	fs.DurationVar(&c.retention, "retention", upkeep.DefaultRetention, "delete events, deliveries and attempts older than this (0: keep everything)")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve /metrics on this separate address (e.g. 127.0.0.1:9100), without authentication, instead of on --addr")
	fs.StringVar(&c.metricsToken, "metrics-token", "", "bearer token that lets a scraper read /metrics on --addr (without it, only a signed-in admin may)")
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

// configPrint is "hooks config print": the configuration that "hooks
// serve" would run with, given the same flags, environment and --config
// file, as TOML with each value's source and secrets masked.
func configPrint(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "print" {
		fmt.Fprintln(stderr, "usage: hooks config print [--config FILE] [serve flags]")
		return errUsage
	}
	var c serveConfig
	fs := serveFlags(&c, stderr)
	src, err := cli.Parse(fs, args[1:])
	if err != nil {
		return err
	}
	return cli.PrintConfig(stdout, fs, src)
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

// backup is "hooks backup": a consistent copy of a database that a server
// may be using at the same time (VACUUM INTO). Secrets stay encrypted in
// the copy; keep the master key file with it.
func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hooks backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "hooks.db", "SQLite database file to copy")
	out := fs.String("out", "", "file to write the copy to; must not exist")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stderr, "usage: hooks backup --db FILE --out FILE")
		return errUsage
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file", *out)
	}
	if store.IsPostgresURL(*dbPath) {
		return errors.New("backup: hooks backup copies a SQLite file; back up PostgreSQL with pg_dump or your provider's snapshots")
	}
	if _, err := os.Stat(*dbPath); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, *out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	info, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d bytes)\n", *dbPath, *out, info.Size())
	return nil
}

func apikey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: hooks apikey create [--db FILE] [--tenant ID] [--name NAME]")
		return errUsage
	}
	fs := flag.NewFlagSet("hooks apikey create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "hooks.db", "database: a SQLite file or a postgres:// URL")
	tenant := fs.String("tenant", "", "bind the key to this tenant (default: the key may act on every tenant)")
	name := fs.String("name", "", "a name to recognise the key by")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	_, key, err := db.CreateAPIKey(ctx, *tenant, *name)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key)
	return nil
}

// userCreate is "hooks user create": it adds a web UI user, reading the
// password from stdin (without echo on a terminal), and prints the user id.
func userCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: hooks user create --email E [--role admin|viewer] [--tenant ID] [--db FILE] < password")
		return errUsage
	}
	fs := flag.NewFlagSet("hooks user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "hooks.db", "database: a SQLite file or a postgres:// URL")
	email := fs.String("email", "", "the user's email, used to sign in (required)")
	role := fs.String("role", store.RoleAdmin, "admin (may change everything) or viewer (read-only)")
	tenant := fs.String("tenant", "", "bind the user to this tenant (default: an admin may switch between all tenants)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *email == "" {
		fmt.Fprintln(stderr, "hooks user create: --email is required")
		return errUsage
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	hash, err := store.HashPassword(password)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	u := &store.User{Email: *email, PasswordHash: hash, Role: *role, TenantID: *tenant}
	if err := db.CreateUser(ctx, u); err != nil {
		return err
	}
	fmt.Fprintln(stdout, u.ID)
	return nil
}

// readPassword reads one line from in. On a terminal it prompts and turns
// echo off with stty for the duration (golang.org/x/term is not among the
// pinned modules, and stty is on every Unix that has a terminal to echo).
func readPassword(in io.Reader, prompt io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(prompt, "Password: ")
			stty := func(arg string) error {
				cmd := exec.Command("stty", arg)
				cmd.Stdin = f
				return cmd.Run()
			}
			if stty("-echo") == nil {
				defer func() {
					stty("echo")
					fmt.Fprintln(prompt)
				}()
			}
		}
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// tuneGC makes the garbage collector run half as often as Go's default
// (GOGC=200) unless GOGC is set: the server's live heap is small and
// steady, so this costs a few tens of MB and gains about 10 % of delivery
// throughput on a 2-core machine.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}

func benchmark(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	tuneGC()
	var c bench.Config
	fs := flag.NewFlagSet("hooks bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.URL, "url", "", "target a running server (started with --dev, so it may call the loopback receiver) instead of one in this process; a comma-separated list spreads the load over instances sharing one database")
	fs.StringVar(&c.Key, "key", "", "API key for --url")
	fs.StringVar(&c.DB, "db", "", "in-process: the database to use, a SQLite file or a postgres:// URL (default: a temporary SQLite file, removed afterwards)")
	fs.IntVar(&c.Workers, "workers", 128, "in-process: concurrent outgoing requests")
	fs.IntVar(&c.Events, "events", 0, "events to post (default: as many as --duration allows)")
	fs.DurationVar(&c.Duration, "duration", 0, "how long to post events (default 10s when --events is not set)")
	fs.Float64Var(&c.Rate, "rate", 0, "events per second (default: as fast as the server accepts them)")
	fs.IntVar(&c.Fanout, "fanout", 1, "healthy endpoints subscribed to every event")
	fs.IntVar(&c.FailEndpoints, "endpoints-fail", 0, "extra endpoints that answer 500 to everything")
	fs.IntVar(&c.HangEndpoints, "endpoints-hang", 0, "extra endpoints that never answer (each attempt waits for --timeout)")
	fs.DurationVar(&c.Timeout, "timeout", 5*time.Second, "the endpoints' request timeout")
	fs.IntVar(&c.PayloadBytes, "payload-bytes", 1024, "size of each event's data")
	fs.IntVar(&c.Batch, "batch", 1, "events per API request: 1 posts to /api/v1/events, more to /api/v1/events/batch")
	fs.IntVar(&c.Concurrency, "concurrency", 0, "API requests in flight (default 32, or 4 with --backlog)")
	fs.IntVar(&c.Backlog, "backlog", 0, "backlog mode: queue this many deliveries with the receiver down, measure, then time the drain")
	fs.DurationVar(&c.Drain, "drain", 2*time.Minute, "how long to wait for deliveries once posting stops")
	fs.IntVar(&c.VerifyEvery, "verify-every", 100, "the receiver verifies one signature in this many requests (-1: none)")
	fs.StringVar(&c.ReceiverAddr, "receiver-addr", "127.0.0.1:0", "where the receiver listens")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (server included, in-process) to this file")
	// Unlike the other commands, bench ignores HOOKS_* variables: a
	// server's HOOKS_DB must never be benchmarked by accident.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if (c.URL == "") != (c.Key == "") {
		return errors.New("--url and --key go together")
	}
	c.Out, c.Progress = stdout, stderr
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			c.TTY = true
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := bench.Run(ctx, c)
	if res != nil {
		res.WriteTable(stdout)
	}
	if errors.Is(err, context.Canceled) {
		return nil // interrupted: the table shows what was measured
	}
	return err
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

const migrateUsage = `usage: hooks migrate --from DB --to DB [--master-key-file FILE]

Copies every row of one hooks database into another, empty one: a SQLite
file onto PostgreSQL when one machine is no longer enough, for example:

  createdb hooks
  hooks migrate --from hooks.db --to 'postgres://hooks@db.internal/hooks'

The destination's tables are created as "hooks serve" creates them. The
copy is one transaction: it is written completely or not at all. Secrets
stay encrypted under the source's master key, so the new database needs
that key file too (--master-key-file). The source keeps its data.

Stop "hooks serve" first. A copy taken while it runs is a consistent
snapshot, but whatever the server stores after the snapshot stays behind.

Flags:
`

// migrate is "hooks migrate": it copies a database into an empty one on
// either backend (store.Copy) and says how to serve from the copy.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hooks migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "database to copy: a SQLite file (or sqlite://FILE) or a postgres:// URL")
	to := fs.String("to", "", "empty database to copy into: a SQLite file or a postgres:// URL")
	keyFile := fs.String("master-key-file", "", "the source's master key file (default hooks.key beside a SQLite --from, or in the working directory)")
	fs.Usage = func() {
		fmt.Fprint(stderr, migrateUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		fs.Usage()
		return errUsage
	}
	if *from == *to {
		return fmt.Errorf("migrate: --from and --to are the same database")
	}
	if !store.IsPostgresURL(*from) {
		// store.Open would create a missing file, and copy its nothing.
		if _, err := os.Stat(strings.TrimPrefix(*from, "sqlite://")); err != nil {
			return fmt.Errorf("migrate: the source database: %w", err)
		}
	}
	if *keyFile == "" {
		*keyFile = defaultKeyFile(*from)
	}
	// Unlike serve, never make a key: a new one can't open the source.
	if _, err := os.Stat(*keyFile); err != nil {
		return fmt.Errorf("migrate: the master key file: %w; pass the one hooks serve uses with --master-key-file", err)
	}
	key, _, err := store.LoadMasterKey(*keyFile)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	src, err := store.Open(ctx, *from, store.WithMasterKey(key))
	if errors.Is(err, store.ErrWrongMasterKey) {
		return fmt.Errorf("migrate: %w: %s is not the key of %s (check --master-key-file)", err, *keyFile, *from)
	}
	if err != nil {
		return fmt.Errorf("migrate: the source: %w", err)
	}
	defer src.Close()
	dst, err := store.Open(ctx, *to, store.WithMasterKey(key))
	if errors.Is(err, store.ErrWrongMasterKey) {
		return fmt.Errorf("migrate: the destination already holds secrets under another master key; copy into a new, empty database")
	}
	if err != nil {
		return fmt.Errorf("migrate: the destination: %w", err)
	}
	defer dst.Close()

	fmt.Fprintf(stdout, "copying %s to %s\n", src.Path(), dst.Path())
	start := time.Now()
	var total, shown int64
	tables := 0
	err = store.Copy(ctx, dst, src, func(p store.CopyProgress) {
		switch {
		case p.Done:
			fmt.Fprintf(stdout, "  %-13s %10d %s\n", p.Table, p.Rows, plural(p.Rows, "row", "rows"))
			total += p.Rows
			tables++
			shown = 0
		case p.Rows-shown >= 100_000:
			fmt.Fprintf(stdout, "  %-13s %10d rows so far\n", p.Table, p.Rows)
			shown = p.Rows
		}
	})
	if errors.Is(err, store.ErrCopyDestinationNotEmpty) {
		return fmt.Errorf("migrate: %w", err)
	}
	if err != nil {
		return fmt.Errorf("migrate: %w; nothing was copied into %s", err, dst.Path())
	}
	absKey, err := filepath.Abs(*keyFile)
	if err != nil {
		absKey = *keyFile
	}
	fmt.Fprintf(stdout, "copied %d %s in %d tables in %s.\n\n", total, plural(total, "row", "rows"), tables, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "Start hooks on the new database with the same master key:\n  hooks serve --db %s --master-key-file %s\n",
		shellQuote(dst.Path()), shellQuote(absKey))
	if strings.Contains(dst.Path(), ":xxxxx@") {
		fmt.Fprintln(stdout, "(put the password back in place of xxxxx, or set HOOKS_DB to the URL and leave --db out)")
	}
	return nil
}

// plural is one if n is 1, else many.
func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// shellQuote quotes s for a POSIX shell if it needs it, so that a command
// printed for the user can be pasted as is.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
