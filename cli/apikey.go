package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"hooks/domain"
	"hooks/service"
	"hooks/store"
)

func apikey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: hooks apikey create [--db FILE] [--tenant ID] [--name NAME] [--scope admin|publish|read]")
		return ErrUsage
	}
	fs := flag.NewFlagSet("hooks apikey create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "hooks.db", "database: a SQLite file or a postgres:// URL")
	tenant := fs.String("tenant", "", "bind the key to this tenant (default: the key may act on every tenant)")
	name := fs.String("name", "command line", "a name to recognise the key by")
	scope := fs.String("scope", domain.ScopeAdmin, "what the key may do: admin (everything), publish (post events only: give producers this), read (GET only)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if !domain.ValidScope(*scope) {
		return usageError(stderr, "--scope must be admin, publish or read, not %q", *scope)
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	// Through the service, like a key made with the API or in Settings, so
	// the audit log records it (actor "cli"). Its log line would only get
	// in the way of stdout holding the key alone.
	actor := service.Actor{ID: "cli", TenantID: domain.DefaultTenant, Addr: "command line", AllTenants: true}
	if *tenant != "" {
		actor.TenantID = *tenant
	}
	svc := service.New(db, nil, slog.New(slog.DiscardHandler))
	_, key, err := svc.CreateAPIKey(ctx, actor, *name, *tenant, *scope)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key)
	return nil
}
