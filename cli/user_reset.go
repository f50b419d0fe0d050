package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"hooks/service"
	"hooks/store"
	"hooks/web"
)

// userCommand is "hooks user": create a user, or print a password-reset
// link for one.
func userCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "reset-password" {
		return userResetPassword(ctx, args[1:], stdout, stderr)
	}
	return userCreate(ctx, args, stdin, stdout, stderr)
}

// userResetPassword is "hooks user reset-password EMAIL": recovery for a
// user who can't sign in, e.g. the only admin who forgot their password.
// It prints a one-time link (valid service.ResetLifetime) with which they
// choose a new password; an invited user gets a new invite link instead.
// The database keeps only the link's hash.
func userResetPassword(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hooks user reset-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "hooks.db", "database: a SQLite file or a postgres:// URL")
	publicURL := fs.String("public-url", "http://localhost:8080", "the URL where hooks serve is reached, as its --public-url")
	// The email comes first ("hooks user reset-password EMAIL --db …"),
	// and flag stops at the first argument that is not a flag.
	var email string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		email, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if email == "" && fs.NArg() == 1 {
		email = fs.Arg(0)
	}
	if email == "" || fs.NArg() > 1 {
		fmt.Fprintln(stderr, "usage: hooks user reset-password EMAIL [--db FILE] [--public-url URL]")
		return ErrUsage
	}
	if u, err := url.Parse(*publicURL); err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("--public-url %q: want a URL like https://hooks.example.com", *publicURL)
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.UserByEmail(ctx, email)
	if err != nil {
		return err
	}
	svc := service.New(db, nil, slog.New(slog.NewTextHandler(stderr, nil)))
	token, purpose, err := svc.PasswordResetLink(ctx, service.Actor{ID: "cli", Addr: "local"}, u.ID)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, web.LinkURL(strings.TrimRight(*publicURL, "/"), purpose, token))
	return nil
}
