package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestAuditRecordsFilterPageAndNameTheActor(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	key, _, err := db.CreateAPIKey(ctx, "", "deploy bot")
	if err != nil {
		t.Fatal(err)
	}
	user := &User{Email: "ops@example.com", PasswordHash: "x", Role: RoleAdmin}
	if err := db.CreateUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 10 {
		r := &AuditRecord{At: start.Add(time.Duration(i) * time.Hour), TenantID: "default", ActorID: user.ID,
			ActorKind: "user", Action: "webhook.updated", ObjectType: "webhook", ObjectID: "wbh_a", ClientAddr: "192.0.2.1"}
		switch {
		case i%3 == 0:
			r.ActorID, r.ActorKind, r.Action = key.ID, "api_key", "webhook.secret.revealed"
		case i%3 == 1:
			r.TenantID, r.ObjectID = "other", "wbh_b"
		}
		if err := db.InsertAuditRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	list := func(f AuditFilter) ([]string, string) {
		t.Helper()
		recs, next, err := db.AuditRecords(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(recs))
		for i, r := range recs {
			out[i] = r.ID
			want := user.Email
			if r.ActorID == key.ID {
				want = "deploy bot"
			}
			if r.ActorName != want {
				t.Errorf("record %s: actor name %q, want %q", r.ID, r.ActorName, want)
			}
		}
		return out, next
	}
	pick := func(is ...int) []string {
		out := make([]string, len(is))
		for j, i := range is {
			out[j] = ids[i]
		}
		return out
	}
	cases := []struct {
		name string
		f    AuditFilter
		want []string
	}{
		{"all, newest first", AuditFilter{}, pick(9, 8, 7, 6, 5, 4, 3, 2, 1, 0)},
		{"tenant", AuditFilter{TenantID: "other"}, pick(7, 4, 1)},
		{"actor", AuditFilter{ActorID: key.ID}, pick(9, 6, 3, 0)},
		{"object", AuditFilter{ObjectID: "wbh_b"}, pick(7, 4, 1)},
		{"action", AuditFilter{Action: "webhook.updated", TenantID: "default"}, pick(8, 5, 2)},
		{"time range", AuditFilter{From: start.Add(2 * time.Hour), To: start.Add(5 * time.Hour)}, pick(4, 3, 2)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, _ := list(c.f); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}

	var paged []string
	f := AuditFilter{Limit: 4}
	for pages := 0; ; pages++ {
		page, next := list(f)
		paged = append(paged, page...)
		newer, err := db.AuditNewerCursor(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[int]string{0: "", 1: NewestPage, 2: ids[6]}[pages]; newer != want {
			t.Errorf("page %d: newer cursor %q, want %q", pages+1, newer, want)
		}
		if next == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		f.Cursor = next
	}
	if !slices.Equal(paged, pick(9, 8, 7, 6, 5, 4, 3, 2, 1, 0)) {
		t.Errorf("pages gave %v", paged)
	}

	n, err := db.PurgeAuditBefore(ctx, start.Add(3*time.Hour), 2)
	if err != nil || n != 2 {
		t.Fatalf("purge = %d, %v; want the 2 oldest of the 3 before the cutoff", n, err)
	}
	if got, _ := list(AuditFilter{}); !slices.Equal(got, pick(9, 8, 7, 6, 5, 4, 3, 2)) {
		t.Errorf("after the purge: %v", got)
	}
}
