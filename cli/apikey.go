package cli

import (
	"context"
	"flag"
	"fmt"
	"hooks/store"
	"io"
)

func apikey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: hooks apikey create [--db FILE] [--tenant ID] [--name NAME]")
		return ErrUsage
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
