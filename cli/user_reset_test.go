package cli

import (
	"bytes"
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"hooks/store"
)

func TestUserResetPasswordPrintsAWorkingLink(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hooks.db")
	var stdout, stderr bytes.Buffer
	if err := userCommand(ctx, []string{"create", "--db", path, "--email", "ops@example.com"}, strings.NewReader("correct horse battery\n"), &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	stdout.Reset()
	if err := userCommand(ctx, []string{"reset-password", "ops@example.com", "--db", path, "--public-url", "https://hooks.example.com/"}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	link, err := url.Parse(strings.TrimSpace(stdout.String()))
	if err != nil || link.Scheme != "https" || link.Host != "hooks.example.com" || link.Path != "/reset-password" {
		t.Fatalf("printed %q", stdout.String())
	}
	token := link.Query().Get("token")
	if strings.Contains(stderr.String(), token) {
		t.Fatalf("the token is in the log: %s", stderr.String())
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if u, err := db.UserLink(ctx, token, store.LinkReset); err != nil || u.Email != "ops@example.com" {
		t.Fatalf("the printed link: %+v, %v", u, err)
	}
	if err := userCommand(ctx, []string{"reset-password", "nobody@example.com", "--db", path}, nil, &stdout, &stderr); err == nil {
		t.Fatal("a link for an unknown email")
	}
	if err := userCommand(ctx, []string{"reset-password", "--db", path}, nil, &stdout, &stderr); err == nil {
		t.Fatal("no email: no error")
	}
}
