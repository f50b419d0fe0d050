package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"hooks/domain"
)

// Purposes of a one-time user link (user_tokens.purpose).
const (
	LinkInvite = "invite" // a new user chooses their first password
	LinkReset  = "reset"  // a user chooses a new password
)

// errLastAdmin is the refusal of a change that would leave nobody able to
// manage users: every change of a user is checked against it.
var errLastAdmin = domain.Errorf(domain.ECONFLICT,
	"this would leave hooks without an enabled admin who is not bound to a tenant, and nobody could manage users; make another user such an admin first")

// Users returns every user, by email.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY lower(email)`)
	if err != nil {
		return nil, wrapDBError(err, "list users")
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrapDBError(err, "scan user")
		}
		out = append(out, *u)
	}
	return out, wrapDBError(rows.Err(), "list users")
}

// CreateInvitedUser stores u without a password, and a one-time link token
// of purpose LinkInvite valid for ttl, in one transaction. The user can't
// sign in until the token sets a password (UseUserLink).
func (db *DB) CreateInvitedUser(ctx context.Context, u *User, ttl time.Duration) (token string, err error) {
	u.PasswordHash = ""
	if err := db.normalizeUser(ctx, u, true); err != nil {
		return "", err
	}
	u.ID = domain.NewID(domain.PrefixUser)
	u.CreatedAt = db.clock()
	token = newLinkToken()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		return db.insertUserLink(ctx, tx, u.ID, LinkInvite, token, ttl)
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// CreateUserLink returns a new one-time link token of purpose for the user
// id, valid for ttl. It replaces the user's earlier links, so only the
// newest works.
func (db *DB) CreateUserLink(ctx context.Context, id, purpose string, ttl time.Duration) (string, error) {
	token := newLinkToken()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := db.userInTx(ctx, tx, id); err != nil {
			return err
		}
		return db.insertUserLink(ctx, tx, id, purpose, token, ttl)
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

func (db *DB) insertUserLink(ctx context.Context, tx *sql.Tx, userID, purpose, token string, ttl time.Duration) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = ?`, userID); err != nil {
		return wrapDBError(err, "delete user links")
	}
	now := db.clock()
	_, err := tx.ExecContext(ctx, `INSERT INTO user_tokens (hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		linkTokenHash(token), userID, purpose, ms(now), ms(now.Add(ttl)))
	return wrapDBError(err, "insert user link")
}

// errBadLink is the answer for a link that is not (or no longer) valid. It
// doesn't say which, so a guess learns nothing.
var errBadLink = domain.Errorf(domain.EFORBIDDEN,
	"this link is not valid: it was used already, has expired or was replaced by a newer one. Ask an admin for a new link")

func (db *DB) userLink(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, token, purpose string) (*User, error) {
	var userID string
	var expiresAt int64
	err := q.QueryRowContext(ctx, `SELECT user_id, expires_at FROM user_tokens WHERE hash = ? AND purpose = ?`,
		linkTokenHash(token), purpose).Scan(&userID, &expiresAt)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !db.clock().Before(fromMS(expiresAt))) {
		return nil, errBadLink
	}
	if err != nil {
		return nil, wrapDBError(err, "read user link")
	}
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadLink
	}
	if err != nil {
		return nil, wrapDBError(err, "read user")
	}
	if u.Disabled() {
		return nil, domain.Errorf(domain.EFORBIDDEN, "this account is disabled; ask an admin to enable it")
	}
	return u, nil
}

// UserLink returns the user whose live one-time link of purpose token is,
// or EFORBIDDEN: used, expired, replaced, forged, or the user is disabled.
func (db *DB) UserLink(ctx context.Context, token, purpose string) (*User, error) {
	return db.userLink(ctx, db.read, token, purpose)
}

// UseUserLink sets the password of the user of the link token (see
// UserLink) to passwordHash and deletes the user's links, in one
// transaction, so the link works once.
func (db *DB) UseUserLink(ctx context.Context, token, purpose, passwordHash string) (*User, error) {
	if passwordHash == "" {
		return nil, domain.FieldErrorf("password", "a password is required")
	}
	var u *User
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if u, err = db.userLink(ctx, tx, token, purpose); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = ?`, u.ID); err != nil {
			return wrapDBError(err, "delete user links")
		}
		u.PasswordHash = passwordHash
		_, err = tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, passwordHash, u.ID)
		return wrapDBError(err, "set password")
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// SetPassword replaces the password hash of the user id.
func (db *DB) SetPassword(ctx context.Context, id, passwordHash string) error {
	if passwordHash == "" {
		return domain.FieldErrorf("password", "a password is required")
	}
	res, err := db.write.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, passwordHash, id)
	if err != nil {
		return wrapDBError(err, "set password")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.ENOTFOUND, "user %s not found", id)
	}
	return nil
}

// RecordSignIn notes that the user id signed in at.
func (db *DB) RecordSignIn(ctx context.Context, id string, at time.Time) error {
	_, err := db.write.ExecContext(ctx, `UPDATE users SET last_sign_in_at = ? WHERE id = ?`, ms(at.UTC()), id)
	return wrapDBError(err, "record sign-in")
}

// UpdateUser applies change to the user id (its role, tenant binding and
// DisabledAt; nothing else is saved) and stores the result. It refuses,
// with ECONFLICT, a change that leaves no enabled, unbound admin with a
// password when there was one: somebody must be able to manage users.
func (db *DB) UpdateUser(ctx context.Context, id string, change func(*User) error) (*User, error) {
	var u *User
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockUsers(ctx, tx); err != nil {
			return err
		}
		var err error
		if u, err = db.userInTx(ctx, tx, id); err != nil {
			return err
		}
		if err := change(u); err != nil {
			return err
		}
		if err := db.checkRoleAndTenant(ctx, u); err != nil {
			return err
		}
		return db.keepingAnAdmin(ctx, tx, func() error {
			_, err := tx.ExecContext(ctx, `UPDATE users SET role = ?, tenant_id = ?, disabled_at = ? WHERE id = ?`,
				u.Role, sql.NullString{String: u.TenantID, Valid: u.TenantID != ""},
				sql.NullInt64{Int64: ms(u.DisabledAt), Valid: u.Disabled()}, u.ID)
			return wrapDBError(err, "update user")
		})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteUser deletes the user id and their links, refusing as UpdateUser
// does to delete the last admin who can manage users.
func (db *DB) DeleteUser(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockUsers(ctx, tx); err != nil {
			return err
		}
		if _, err := db.userInTx(ctx, tx, id); err != nil {
			return err
		}
		return db.keepingAnAdmin(ctx, tx, func() error {
			_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
			return wrapDBError(err, "delete user")
		})
	})
}

// lockUsers orders the changes of users on PostgreSQL, where two
// transactions demoting the last two admins could otherwise each see the
// other admin still in place. SQLite's write transactions are serial
// already.
func (db *DB) lockUsers(ctx context.Context, tx *sql.Tx) error {
	if !db.sql.postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`)
	return wrapDBError(err, "lock users")
}

// keepingAnAdmin runs write and then fails with errLastAdmin if it took
// the last manager away: an enabled admin bound to no tenant and with a
// password. A database that had none before (users made by an older
// hooks) is not held to the rule.
func (db *DB) keepingAnAdmin(ctx context.Context, tx *sql.Tx, write func() error) error {
	count := func() (int, error) {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = ? AND tenant_id IS NULL
			AND disabled_at IS NULL AND password_hash <> ''`, RoleAdmin).Scan(&n)
		return n, wrapDBError(err, "count admins")
	}
	before, err := count()
	if err != nil {
		return err
	}
	if err := write(); err != nil {
		return err
	}
	after, err := count()
	if err != nil {
		return err
	}
	if before > 0 && after == 0 {
		return errLastAdmin
	}
	return nil
}

func (db *DB) userInTx(ctx context.Context, tx *sql.Tx, id string) (*User, error) {
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "user %s not found", id)
	}
	return u, wrapDBError(err, "read user")
}

// EndpointsPerTenant returns how many endpoints each tenant has; a tenant
// without any is missing from the map.
func (db *DB) EndpointsPerTenant(ctx context.Context) (map[string]int, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, COUNT(*) FROM endpoints GROUP BY tenant_id`)
	if err != nil {
		return nil, wrapDBError(err, "count endpoints")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, wrapDBError(err, "scan endpoint count")
		}
		out[id] = n
	}
	return out, wrapDBError(rows.Err(), "count endpoints")
}
