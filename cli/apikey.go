package cli

import (
	"context"
	"flag"
	"fmt"
	"hooks/domain"
	"hooks/store"
	"io"
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
	name := fs.String("name", "", "a name to recognise the key by")
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
	key, err := db.InsertAPIKey(ctx, &store.APIKey{TenantID: *tenant, Name: *name, Scope: *scope})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key)
	return nil
}
