package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"hooks/bench"
)

func benchmark(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	tuneGC()
	var c bench.Config
	fs := flag.NewFlagSet("hooks bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.URL, "url", "", "target a running server (started with --dev, so it may call the loopback receiver) instead of one in this process; a comma-separated list spreads the load over instances sharing one database")
	fs.StringVar(&c.Key, "key", "", "API key for --url")
	fs.StringVar(&c.DB, "db", "", "in-process: the database to use, a SQLite file or a postgres:// URL (default: a temporary SQLite file, removed afterwards)")
	fs.IntVar(&c.Workers, "workers", 128, "concurrent outgoing requests: the in-process engine's workers, or --baseline's senders")
	fs.IntVar(&c.Events, "events", 0, "events to post (default: as many as --duration allows)")
	fs.DurationVar(&c.Duration, "duration", 0, "how long to post events (default 10s when --events is not set)")
	fs.Float64Var(&c.Rate, "rate", 0, "events per second (default: as fast as the server accepts them)")
	fs.IntVar(&c.Fanout, "fanout", 1, "healthy endpoints subscribed to every event")
	fs.IntVar(&c.FailEndpoints, "endpoints-fail", 0, "extra endpoints that answer 500 to everything")
	fs.IntVar(&c.HangEndpoints, "endpoints-hang", 0, "extra endpoints that never answer (each attempt waits for --timeout)")
	fs.DurationVar(&c.Timeout, "timeout", 5*time.Second, "the endpoints' request timeout")
	fs.IntVar(&c.PayloadBytes, "payload-bytes", 1024, "size of each event's data")
	signing := fs.String("signing", "", "comma-separated signing schemes of every endpoint, e.g. standard-webhooks,hmac-sha256 (must include standard-webhooks; default: the server's)")
	fs.StringVar(&c.Filter, "filter", "", `a payload filter every endpoint gets, e.g. '{"data":{"seq":{"$gte":0}}}' (bench events are {"t":…,"seq":…,"pad":"…"})`)
	fs.IntVar(&c.Batch, "batch", 1, "events per API request: 1 posts to /api/v1/events, more to /api/v1/events/batch")
	fs.IntVar(&c.Concurrency, "concurrency", 0, "API requests in flight (default 32, or 4 with --backlog)")
	fs.StringVar(&c.Destination, "destination", "", "rabbitmq or nats: every endpoint publishes to the broker at --broker-url, consumed by this process, instead of posting to the receiver")
	fs.StringVar(&c.BrokerURL, "broker-url", "", "with --destination: the broker, e.g. amqp://guest:guest@127.0.0.1:5672/ or nats://127.0.0.1:4222 (NATS needs JetStream: nats-server -js)")
	fs.IntVar(&c.Backlog, "backlog", 0, "backlog mode: queue this many deliveries with the receiver down, measure, then time the drain")
	fs.BoolVar(&c.Baseline, "baseline", false, "post signed requests straight to the receiver with the engine's HTTP client, no server or database: the CPU per request this machine's HTTP exchange alone costs, the floor under µs per delivery")
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
		return ErrUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		return ErrUsage
	}
	if *signing != "" {
		c.Signing = strings.Split(*signing, ",")
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
