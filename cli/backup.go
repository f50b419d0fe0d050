package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hooks/store"
	"io"
	"os"
)

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
		return ErrUsage
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
