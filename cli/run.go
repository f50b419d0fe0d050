// Package cli holds hooks' commands, one file each: serve wires the store,
// the engine and the web server; the others are tools an operator or a
// developer runs beside it. The hooks binary's main only calls Run.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

const usage = `hooks — self-hosted webhook delivery

Usage:
  hooks serve [flags]            run the server (API, delivery engine, web UI)
  hooks backup --db F --out F    write a consistent copy of a live database
  hooks migrate --from A --to B  copy a database into an empty one, e.g. SQLite to PostgreSQL
  hooks apikey create [flags]    create an API key and print it
  hooks bench [flags]            measure throughput and latency end to end
  hooks config print [flags]     print the effective serve configuration (secrets masked)
  hooks monitoring dashboard     print the Grafana dashboard for this build (alerts: the Prometheus rules)
  hooks send --topic T [flags]   post an event to a running server (--url, --key or HOOKS_URL, HOOKS_KEY)
  hooks listen --secret S        run a local receiver that prints deliveries and checks signatures
  hooks endpoints <cmd> [flags]  list, create, disable or enable endpoints on a running server
  hooks deliveries <cmd> [flags] list deliveries, or redeliver one, on a running server
  hooks stats [flags]            delivery statistics over time (attempts, failures, latency) of a running server
  hooks user create [flags]      create a web UI user; reads the password from stdin
  hooks user reset-password EMAIL  print a one-time link to choose a new password (recovery)
  hooks version                  print the version

Run "hooks <command> -h" for a command's flags. Every flag can also be set
through the environment as HOOKS_<FLAG> (e.g. HOOKS_DB, HOOKS_ADDR).
`

// Run runs the command that args name (os.Args[1:]) and returns the
// process's exit code: 0 on success, 2 for a usage error, 1 otherwise.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, b Build) int {
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
		err = serve(ctx, args[1:], stderr, b.Version)
	case "apikey":
		err = apikey(ctx, args[1:], stdout, stderr)
	case "bench":
		err = benchmark(ctx, args[1:], stdout, stderr)
	case "config":
		err = configPrint(args[1:], stdout, stderr)
	case "monitoring":
		err = monitoring(args[1:], stdout, stderr)
	case "send":
		err = Send(ctx, args[1:], stdout, stderr, b.Version)
	case "listen":
		err = RunListen(ctx, args[1:], stdout, stderr)
	case "endpoints":
		err = Endpoints(ctx, args[1:], stdout, stderr, b.Version)
	case "deliveries":
		err = Deliveries(ctx, args[1:], stdout, stderr, b.Version)
	case "stats":
		err = Stats(ctx, args[1:], stdout, stderr, b.Version)
	case "user":
		err = userCommand(ctx, args[1:], stdin, stdout, stderr)
	case "version", "--version", "-v":
		printVersion(stdout, b)
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
	case errors.Is(err, ErrUsage):
		return 2
	}
	fmt.Fprintf(stderr, "hooks: %v\n", err)
	return 1
}

// parseFlags parses args into fs: flags beat the environment (HOOKS_<NAME>),
// which beats the --config file (for commands that have one), which beats
// defaults.
func parseFlags(fs *flag.FlagSet, args []string) error {
	_, err := Parse(fs, args)
	return err
}
