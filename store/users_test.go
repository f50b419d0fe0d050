package store

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store/storetest"
)

func TestCreateUserRejectsDuplicateEmailInAnyCase(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	hash, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	u := &User{Email: "Ada@example.com", PasswordHash: hash, Role: RoleViewer, TenantID: domain.DefaultTenant}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := db.UserByEmail(ctx, "ada@EXAMPLE.com")
	if err != nil || got.ID != u.ID || got.Role != RoleViewer || got.TenantID != domain.DefaultTenant {
		t.Fatalf("UserByEmail = %+v, %v", got, err)
	}
	if !CheckPassword(got, "correct horse battery") || CheckPassword(got, "wrong horse battery") || CheckPassword(nil, "x") {
		t.Fatal("CheckPassword gives wrong answers")
	}
	err = db.CreateUser(ctx, &User{Email: "ADA@example.com", PasswordHash: hash})
	if domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("duplicate email: %v", err)
	}
	for _, bad := range []*User{
		{Email: "not an email", PasswordHash: hash},
		{Email: "b@example.com", PasswordHash: hash, Role: "root"},
		{Email: "b@example.com", PasswordHash: hash, TenantID: "nope"},
	} {
		if err := db.CreateUser(ctx, bad); err == nil {
			t.Errorf("CreateUser(%+v) succeeded", bad)
		}
	}
	if _, err := HashPassword("short"); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("short password: %v", err)
	}
}

func TestSetupTokenCreatesFirstAdminOnce(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	db := openTestDB(t, WithClock(func() time.Time { return now }))
	old, err := db.CreateSetupToken(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	token, err := db.CreateSetupToken(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CheckSetupToken(ctx, old); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Fatalf("replaced token still valid: %v", err)
	}
	if err := db.CheckSetupToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	hash, _ := HashPassword("correct horse battery")
	now = now.Add(2 * time.Hour)
	if err := db.CreateFirstAdmin(ctx, token, &User{Email: "a@example.com", PasswordHash: hash}); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Fatalf("expired token: %v", err)
	}
	now = now.Add(-2 * time.Hour)
	u := &User{Email: "a@example.com", PasswordHash: hash, Role: RoleViewer, TenantID: domain.DefaultTenant}
	if err := db.CreateFirstAdmin(ctx, token, u); err != nil {
		t.Fatal(err)
	}
	if u.Role != RoleAdmin || u.TenantID != "" {
		t.Fatalf("first admin is %+v", u)
	}
	if err := db.CreateFirstAdmin(ctx, token, &User{Email: "b@example.com", PasswordHash: hash}); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Fatalf("second use of token: %v", err)
	}
	if _, err := db.CreateSetupToken(ctx, time.Hour); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("setup token with a user present: %v", err)
	}
	if n, err := db.CountUsers(ctx); n != 1 || err != nil {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
}

func TestRandomSettingIsStable(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	a, err := db.RandomSetting(ctx, "k", 32)
	if err != nil || len(a) != 32 {
		t.Fatalf("RandomSetting = %x, %v", a, err)
	}
	b, err := db.RandomSetting(ctx, "k", 32)
	if err != nil || string(a) != string(b) {
		t.Fatalf("second RandomSetting = %x, %v; want %x", b, err, a)
	}
	if _, err := db.Setting(ctx, "missing"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("missing setting: %v", err)
	}
}

func TestRecentAttemptsReadTheirWindowAndTenant(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	if _, err := db.PutTenant(ctx, &domain.Tenant{ID: "other"}); err != nil {
		t.Fatal(err)
	}
	var hooks []*domain.Endpoint
	for _, tenant := range []string{domain.DefaultTenant, "other"} {
		w := &domain.Endpoint{TenantID: tenant, Name: tenant, URL: "https://example.com", Topics: []string{"*"}, Enabled: true,
			Signing: domain.Signing{Scheme: "standard-webhooks"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Retry: domain.RetryPolicy{MaxAttempts: 1}, Timeout: time.Second}
		if err := db.CreateEndpoint(ctx, w); err != nil {
			t.Fatal(err)
		}
		hooks = append(hooks, w)
	}
	events := []*domain.Event{{TenantID: domain.DefaultTenant, Topic: "orders/placed", Payload: []byte(`{}`)}, {TenantID: "other", Topic: "x", Payload: []byte(`{}`)}}
	if _, err := db.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	base := time.Now().UTC().Truncate(time.Millisecond)
	var outcomes []Outcome
	for i, e := range events {
		ds, _, err := db.Deliveries(ctx, DeliveryFilter{TenantID: e.TenantID, Limit: 10})
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries of %s: %v, %v", e.TenantID, ds, err)
		}
		outcomes = append(outcomes, Outcome{DeliveryID: ds[0].ID, Status: domain.StatusSucceeded, LastStatusCode: 200 + i,
			Attempt: &domain.Attempt{Trigger: domain.TriggerScheduled, URL: "https://example.com", StatusCode: 200 + i, Duration: 42 * time.Millisecond, StartedAt: base}})
	}
	if err := db.RecordOutcomes(ctx, outcomes); err != nil {
		t.Fatal(err)
	}
	got, err := db.RecentAttempts(ctx, domain.DefaultTenant, base.Add(-time.Minute), base.Add(time.Minute), 10)
	if err != nil || len(got) != 1 || got[0].EndpointID != hooks[0].ID || got[0].StatusCode != 200 || got[0].Duration != 42*time.Millisecond {
		t.Fatalf("RecentAttempts = %+v, %v", got, err)
	}
	if got, _ := db.RecentAttempts(ctx, domain.DefaultTenant, base.Add(time.Second), base.Add(time.Minute), 10); len(got) != 0 {
		t.Fatalf("attempts outside the window: %+v", got)
	}
	if storetest.Backend() == storetest.SQLite {
		var plan string
		rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+strings.ReplaceAll(recentAttemptsSQL, "?", "'x'"))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			plan += detail + "\n"
		}
		rows.Close()
		if !strings.Contains(plan, "SEARCH a USING INDEX sqlite_autoindex_attempts_1 (id>?)") || strings.Contains(plan, "TEMP B-TREE") {
			t.Fatalf("plan does not range-scan the attempts' primary key:\n%s", plan)
		}
	}
	topics, err := db.RecentTopics(ctx, domain.DefaultTenant)
	if err != nil || len(topics) != 1 || topics[0] != "orders/placed" {
		t.Fatalf("RecentTopics = %v, %v", topics, err)
	}
	counts, err := db.DeliveryStatusCounts(ctx, []string{events[0].ID})
	if err != nil || counts[events[0].ID][domain.StatusSucceeded] != 1 {
		t.Fatalf("DeliveryStatusCounts = %v, %v", counts, err)
	}
}

func TestRandomSettingIsSealedUnderTheMasterKey(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	plain, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	before, err := plain.RandomSetting(ctx, "k", 32)
	plain.Close()
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, MasterKeySize)
	db, err := Open(ctx, dsn, WithMasterKey(key))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.RandomSetting(ctx, "k", 32)
	if err != nil || !bytes.Equal(got, before) {
		t.Fatalf("value changed when the master key came: %x, %v", got, err)
	}
	fresh, err := db.RandomSetting(ctx, "fresh", 32)
	if err != nil || len(fresh) != 32 {
		t.Fatalf("fresh = %x, %v", fresh, err)
	}
	for _, name := range []string{"k", "fresh"} {
		raw, err := db.Setting(ctx, name)
		if err != nil || !bytes.HasPrefix(raw, []byte(sealedPrefix)) {
			t.Fatalf("%s stored as %q, %v: not sealed", name, raw, err)
		}
	}
	again, err := db.RandomSetting(ctx, "fresh", 32)
	if err != nil || !bytes.Equal(again, fresh) {
		t.Fatalf("second read = %x, %v", again, err)
	}
}
