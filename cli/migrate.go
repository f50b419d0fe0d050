package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hooks/store"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

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
		return ErrUsage
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

// shellQuote quotes s for a POSIX shell if it needs it, so that a command
// printed for the user can be pasted as is.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
