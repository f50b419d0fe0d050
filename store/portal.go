package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"hooks/domain"
)

// PortalSession is a customer-portal link and, once its token was traded
// (UsedAt set), the portal session it became.
type PortalSession struct {
	ID        string // prt_…, the actor of the session's changes
	TenantID  string
	Role      string // domain.PortalAdmin or domain.PortalViewer
	CreatedAt time.Time
	ExpiresAt time.Time // the link works until then
	UsedAt    time.Time // when the link was traded for a session; zero before
}

const portalColumns = `id, tenant_id, role, created_at, expires_at, used_at`

func scanPortalSession(row interface{ Scan(...any) error }) (*PortalSession, error) {
	p := &PortalSession{}
	var created, expires int64
	var used sql.NullInt64
	if err := row.Scan(&p.ID, &p.TenantID, &p.Role, &created, &expires, &used); err != nil {
		return nil, err
	}
	p.CreatedAt, p.ExpiresAt, p.UsedAt = fromMS(created), fromMS(expires), fromNullMS(used)
	return p, nil
}

// CreatePortalSession stores a new portal link for p.TenantID and p.Role,
// valid until p.ExpiresAt, and returns its one-time token. Only a hash of
// the token is stored, so the database alone can't open a portal.
func (db *DB) CreatePortalSession(ctx context.Context, p *PortalSession) (token string, err error) {
	token = base64.RawURLEncoding.EncodeToString(randomBytes(32))
	hash := sha256.Sum256([]byte(token))
	p.ID, p.CreatedAt = domain.NewID(domain.PrefixPortal), db.clock()
	_, err = db.write.ExecContext(ctx, `INSERT INTO portal_sessions (id, tenant_id, role, token_hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, p.ID, p.TenantID, p.Role, hash[:], ms(p.CreatedAt), ms(p.ExpiresAt))
	if err != nil {
		return "", wrapDBError(err, "insert portal session")
	}
	return token, nil
}

// errPortalLink is the one answer for a token that is unknown, used or
// expired: which of them it was is none of the holder's business.
var errPortalLink = domain.Errorf(domain.EUNAUTHORIZED, "this portal link has been used or has expired")

// RedeemPortalToken trades a portal link's token for its session, once:
// the one UPDATE that sets used_at only matches a row whose used_at is
// still NULL, so of two instances redeeming the same token at the same
// moment, one gets the row and the other EUNAUTHORIZED.
func (db *DB) RedeemPortalToken(ctx context.Context, token string) (*PortalSession, error) {
	hash := sha256.Sum256([]byte(token))
	now := db.clock()
	p, err := scanPortalSession(db.write.QueryRowContext(ctx, `UPDATE portal_sessions SET used_at = ?
		WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING `+portalColumns, ms(now), hash[:], ms(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errPortalLink
	}
	if err != nil {
		return nil, wrapDBError(err, "redeem portal link")
	}
	return p, nil
}

// PortalSessionByID returns a portal session or ENOTFOUND.
func (db *DB) PortalSessionByID(ctx context.Context, id string) (*PortalSession, error) {
	p, err := scanPortalSession(db.read.QueryRowContext(ctx, `SELECT `+portalColumns+` FROM portal_sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "portal session %s not found", id)
	}
	if err != nil {
		return nil, wrapDBError(err, "read portal session")
	}
	return p, nil
}

// EndPortalSession deletes a portal session, so that its cookie opens
// nothing any more wherever it was copied to. Its audit records keep its id.
func (db *DB) EndPortalSession(ctx context.Context, id string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM portal_sessions WHERE id = ?`, id); err != nil {
		return wrapDBError(err, "end portal session")
	}
	return nil
}

// PurgePortalSessions deletes up to limit portal links and sessions that can
// no longer open anything at now: links never used and past their expiry,
// and sessions begun more than lifetime ago. It returns how many went.
func (db *DB) PurgePortalSessions(ctx context.Context, now time.Time, lifetime time.Duration, limit int) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM portal_sessions WHERE id IN (
		SELECT id FROM portal_sessions
		WHERE (used_at IS NULL AND expires_at <= ?) OR used_at <= ?
		ORDER BY id LIMIT ?)`, ms(now), ms(now.Add(-lifetime)), limit)
	if err != nil {
		return 0, wrapDBError(err, "purge portal sessions")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
