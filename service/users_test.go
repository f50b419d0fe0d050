package service

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// clock is a settable time for the store and the service.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// newUserFixture is a service on a store that both read the time from c,
// with one enabled, unbound admin.
func newUserFixture(t *testing.T) (*Service, *store.DB, *clock, *bytes.Buffer, *store.User) {
	t.Helper()
	ctx := context.Background()
	c := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	db, err := store.Open(ctx, storetest.DSN(t), store.WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.PutTenant(ctx, &domain.Tenant{ID: "OU1"}); err != nil {
		t.Fatal(err)
	}
	log := &bytes.Buffer{}
	svc := New(db, &fakeEngine{}, slog.New(slog.NewJSONHandler(log, nil)), WithClock(c.Now))
	admin := addUser(t, db, "root@example.com", store.RoleAdmin, "")
	return svc, db, c, log, admin
}

func addUser(t *testing.T, db *store.DB, email, role, tenant string) *store.User {
	t.Helper()
	hash, err := store.HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{Email: email, PasswordHash: hash, Role: role, TenantID: tenant}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestInviteLinkSetsThePasswordOnceAndExpires(t *testing.T) {
	svc, db, c, log, admin := newUserFixture(t)
	ctx := context.Background()
	a := Actor{ID: admin.ID, Addr: "192.0.2.1"}

	u, token, err := svc.InviteUser(ctx, a, "new@example.com", store.RoleViewer, "OU1")
	if err != nil {
		t.Fatal(err)
	}
	if !u.Invited() || store.CheckPassword(u, "") {
		t.Fatalf("an invited user has a password before choosing one: %+v", u)
	}
	if _, err := svc.UseLink(ctx, token, store.LinkReset, "the invitee's password", ""); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Fatalf("an invite used as a reset link: %v, want EFORBIDDEN", err)
	}
	if _, err := svc.UseLink(ctx, token, store.LinkInvite, "short", ""); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("a short password: %v, want EINVALID", err)
	}
	got, err := svc.UseLink(ctx, token, store.LinkInvite, "the invitee's password", "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != u.ID || got.Role != store.RoleViewer || got.TenantID != "OU1" {
		t.Fatalf("the invite signed in %+v, want %s as viewer of OU1", got, u.ID)
	}
	stored, _ := db.UserByEmail(ctx, "new@example.com")
	if !store.CheckPassword(stored, "the invitee's password") {
		t.Fatal("the chosen password doesn't work")
	}
	if _, err := svc.UseLink(ctx, token, store.LinkInvite, "another password here", ""); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Fatalf("second use of the invite: %v, want EFORBIDDEN", err)
	}

	// A link lives InviteLifetime, to the millisecond.
	_, token, err = svc.InviteUser(ctx, a, "late@example.com", store.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(InviteLifetime - time.Millisecond)
	if _, err := db.UserLink(ctx, token, store.LinkInvite); err != nil {
		t.Fatalf("the invite just before it expires: %v", err)
	}
	c.Add(time.Millisecond)
	if _, err := svc.UseLink(ctx, token, store.LinkInvite, "too late a password", ""); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Fatalf("an expired invite: %v, want EFORBIDDEN", err)
	}
	if strings.Contains(log.String(), token) || strings.Contains(log.String(), "invitee's password") {
		t.Fatalf("the audit records hold a token or a password: %s", log.String())
	}
	for _, action := range []string{AuditUserInvited, AuditUserActivated} {
		if !strings.Contains(log.String(), `"action":"`+action+`"`) {
			t.Errorf("no %s audit record in %s", action, log.String())
		}
	}
}

func TestResetLinkReplacesTheOlderOneAndSetsThePassword(t *testing.T) {
	svc, db, _, _, admin := newUserFixture(t)
	ctx := context.Background()
	a := Actor{ID: admin.ID}
	u := addUser(t, db, "forgot@example.com", store.RoleViewer, "")
	first, purpose, err := svc.PasswordResetLink(ctx, a, u.ID)
	if err != nil || purpose != store.LinkReset {
		t.Fatalf("reset link: %q, %v", purpose, err)
	}
	second, _, err := svc.PasswordResetLink(ctx, a, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UseLink(ctx, first, store.LinkReset, "a brand new password", ""); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Fatalf("the replaced link: %v, want EFORBIDDEN", err)
	}
	if _, err := svc.UseLink(ctx, second, store.LinkReset, "a brand new password", ""); err != nil {
		t.Fatal(err)
	}
	stored, _ := db.UserByID(ctx, u.ID)
	if !store.CheckPassword(stored, "a brand new password") || store.CheckPassword(stored, "a long enough password") {
		t.Fatal("the reset didn't replace the password")
	}
	if _, err := svc.SetUserDisabled(ctx, a, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.PasswordResetLink(ctx, a, u.ID); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("a reset link for a disabled user: %v, want EINVALID", err)
	}
}

func TestChangePasswordNeedsTheCurrentOne(t *testing.T) {
	svc, db, _, _, admin := newUserFixture(t)
	ctx := context.Background()
	a := Actor{ID: admin.ID}
	err := svc.ChangePassword(ctx, a, "not the password", "my next password")
	if e, ok := err.(*domain.Error); !ok || e.Field != "current_password" {
		t.Fatalf("a wrong current password: %v, want a current_password field error", err)
	}
	if err := svc.ChangePassword(ctx, a, "a long enough password", "my next password"); err != nil {
		t.Fatal(err)
	}
	stored, _ := db.UserByID(ctx, admin.ID)
	if !store.CheckPassword(stored, "my next password") {
		t.Fatal("the new password doesn't work")
	}
}

func TestTheLastAdminCanNotBeRemovedDemotedOrDisabled(t *testing.T) {
	svc, db, _, _, admin := newUserFixture(t)
	ctx := context.Background()
	a := Actor{ID: admin.ID}
	// Neither a bound admin, an invited one nor a disabled one can
	// manage users, so none of them counts.
	addUser(t, db, "bound@example.com", store.RoleAdmin, "OU1")
	if _, _, err := svc.InviteUser(ctx, a, "invited@example.com", store.RoleAdmin, ""); err != nil {
		t.Fatal(err)
	}
	off := addUser(t, db, "off@example.com", store.RoleAdmin, "")
	if _, err := svc.SetUserDisabled(ctx, a, off.ID, true); err != nil {
		t.Fatal(err)
	}
	refused := map[string]func() error{
		"demote":  func() error { _, err := svc.SetUserRole(ctx, a, admin.ID, store.RoleViewer, ""); return err },
		"bind":    func() error { _, err := svc.SetUserRole(ctx, a, admin.ID, store.RoleAdmin, "OU1"); return err },
		"disable": func() error { _, err := svc.SetUserDisabled(ctx, a, admin.ID, true); return err },
		"delete":  func() error { return svc.DeleteUser(ctx, a, admin.ID) },
	}
	for name, call := range refused {
		if err := call(); domain.ErrorCode(err) != domain.ECONFLICT || !strings.Contains(domain.ErrorMessage(err), "admin") {
			t.Errorf("%s the last admin: %v, want ECONFLICT saying why", name, err)
		}
	}
	if got, _ := db.UserByID(ctx, admin.ID); got.Role != store.RoleAdmin || got.TenantID != "" || got.Disabled() {
		t.Fatalf("the last admin changed after refusals: %+v", got)
	}
	// With a second manager, the first may go.
	if _, err := svc.SetUserDisabled(ctx, a, off.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetUserRole(ctx, a, admin.ID, store.RoleViewer, ""); err != nil {
		t.Fatalf("demoting one of two admins: %v", err)
	}
	if err := svc.DeleteUser(ctx, a, off.ID); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("deleting the admin left: %v, want ECONFLICT", err)
	}
}

func TestTenantsAreCreatedRenamedAndCounted(t *testing.T) {
	svc, _, _, log, admin := newUserFixture(t)
	ctx := context.Background()
	a := Actor{ID: admin.ID}
	if err := svc.CreateTenant(ctx, a, &domain.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateTenant(ctx, a, &domain.Tenant{ID: "acme"}); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("creating acme twice: %v, want ECONFLICT", err)
	}
	if err := svc.RenameTenant(ctx, a, "acme", "Acme Inc."); err != nil {
		t.Fatal(err)
	}
	if err := svc.RenameTenant(ctx, a, "nobody", "x"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("renaming a missing tenant: %v, want ENOTFOUND", err)
	}
	if err := svc.CreateEndpoint(ctx, Actor{ID: admin.ID, TenantID: "acme"},
		&domain.Endpoint{URL: "https://example.com/hook", Topics: []string{"a"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	tenants, err := svc.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]TenantSummary{}
	for _, ts := range tenants {
		got[ts.ID] = ts
	}
	if got["acme"].Name != "Acme Inc." || got["acme"].Endpoints != 1 || got["OU1"].Endpoints != 0 {
		t.Fatalf("tenants: %+v", tenants)
	}
	for _, action := range []string{AuditTenantCreated, AuditTenantRenamed} {
		if !strings.Contains(log.String(), `"action":"`+action+`"`) {
			t.Errorf("no %s audit record", action)
		}
	}
}
