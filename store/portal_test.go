package store

import (
	"context"
	"testing"
	"time"

	"hooks/domain"
)

// TestPurgePortalSessionsKeepsOnlyWhatCanStillOpen purges at a moment when
// one link is unused and live, one unused and expired, one session recent
// and one past its lifetime, and checks which remain.
func TestPurgePortalSessionsKeepsOnlyWhatCanStillOpen(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := now.Add(-48 * time.Hour)
	db := openTestDB(t, WithClock(func() time.Time { return clock }))
	const life = 12 * time.Hour

	mint := func(expires time.Time) (*PortalSession, string) {
		p := &PortalSession{TenantID: domain.DefaultTenant, Role: domain.PortalViewer, ExpiresAt: expires}
		token, err := db.CreatePortalSession(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return p, token
	}
	redeemAt := func(at time.Time, token string) {
		clock = at
		if _, err := db.RedeemPortalToken(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	liveLink, _ := mint(now.Add(time.Hour))
	deadLink, _ := mint(now.Add(-time.Minute))
	recent, token := mint(now.Add(time.Hour))
	redeemAt(now.Add(-life+time.Minute), token)
	old, token := mint(now)
	redeemAt(now.Add(-life-time.Minute), token)

	n, err := db.PurgePortalSessions(ctx, now, life, 100)
	if err != nil || n != 2 {
		t.Fatalf("purged %d, %v; want 2", n, err)
	}
	for _, p := range []*PortalSession{liveLink, recent} {
		if _, err := db.PortalSessionByID(ctx, p.ID); err != nil {
			t.Errorf("%s should remain: %v", p.ID, err)
		}
	}
	for _, p := range []*PortalSession{deadLink, old} {
		if _, err := db.PortalSessionByID(ctx, p.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("%s should be gone: %v", p.ID, err)
		}
	}
	if err := db.EndPortalSession(ctx, recent.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PortalSessionByID(ctx, recent.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("an ended session remains: %v", err)
	}
}
