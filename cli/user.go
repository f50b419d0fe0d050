package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"hooks/store"
	"io"
	"os"
	"os/exec"
	"strings"
)

// userCreate is "hooks user create": it adds a web UI user, reading the
// password from stdin (without echo on a terminal), and prints the user id.
func userCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: hooks user create --email E [--role admin|viewer] [--tenant ID] [--db FILE] < password")
		return ErrUsage
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
		return ErrUsage
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
