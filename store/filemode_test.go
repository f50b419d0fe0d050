//go:build unix

package store

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"hooks/domain"
	"hooks/store/storetest"
)

// TestDatabaseFilesArePrivate checks that the database, its -wal and -shm
// files and a backup are readable by their owner only under the common
// umask 022, after writes and a checkpoint (which may recreate the -shm).
// Not parallel: the umask belongs to the whole process.
func TestDatabaseFilesArePrivate(t *testing.T) {
	storetest.SkipOnPostgres(t, "file modes are SQLite's")
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "hooks.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	createTestWebhook(t, db, "orders/placed")
	if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{"n":1}`)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{"n":2}`)}}); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	wantPrivate := func(names ...string) {
		t.Helper()
		for _, name := range names {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
			}
		}
	}
	wantPrivate("hooks.db", "hooks.db-wal", "hooks.db-shm", "backup.db")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// A database left world-readable by an older hooks loses that access
	// when it is opened.
	for _, name := range []string{"hooks.db", "hooks.db-wal", "hooks.db-shm"} {
		if err := os.Chmod(filepath.Join(dir, name), 0o644); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{"n":3}`)}}); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil && fi.Mode().Perm()&0o007 != 0 {
				t.Errorf("%s has mode %v after reopening, readable by others", d.Name(), fi.Mode().Perm())
			}
		}
		return nil
	})
}
