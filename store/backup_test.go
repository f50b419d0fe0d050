package store

import (
	"context"
	"path/filepath"
	"testing"

	"hooks/domain"
	"hooks/store/storetest"
)

func TestBackupWritesAnOpenableCopy(t *testing.T) {
	storetest.SkipOnPostgres(t, "Backup copies the SQLite file (VACUUM INTO)")
	ctx := context.Background()
	db := openTestDB(t)
	w := createTestWebhook(t, db, "t")
	if _, err := db.CreateEvents(ctx, []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "t", Payload: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(ctx, out); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, out); err == nil {
		t.Error("a second backup overwrote the first")
	}
	cp, err := Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	var check string
	if err := cp.read.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	got, err := cp.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if err != nil || got.Secret != w.Secret {
		t.Fatalf("webhook in the copy: %v, %v", got, err)
	}
	events, _, err := cp.Events(ctx, EventFilter{TenantID: domain.DefaultTenant, Limit: 10})
	if err != nil || len(events) != 1 {
		t.Fatalf("events in the copy: %d, %v", len(events), err)
	}
}
