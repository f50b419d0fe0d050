package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hooks/domain"
	"net/mail"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// User roles.
const (
	RoleAdmin  = "admin"  // may do everything in the web UI
	RoleViewer = "viewer" // may look, not change
)

// Password limits. bcrypt reads at most 72 bytes, and a longer password
// would silently lose its tail, so it is refused instead.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 72
)

// passwordCost is bcrypt's work factor: about 50-100 ms on this class of
// machine, enough to make offline guessing slow without making login slow.
var passwordCost = bcrypt.DefaultCost

// User is a person who signs in to the web UI.
type User struct {
	ID           string
	Email        string
	PasswordHash string
	Role         string
	TenantID     string // "" = not bound to a tenant
	CreatedAt    time.Time
	DisabledAt   time.Time // zero = enabled; a disabled user can't sign in and loses every session
	LastSignInAt time.Time // zero = never signed in
}

// IsAdmin reports whether u may change things.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// Disabled reports whether u was disabled.
func (u *User) Disabled() bool { return !u.DisabledAt.IsZero() }

// Invited reports whether u was invited and has not chosen a password yet.
func (u *User) Invited() bool { return u.PasswordHash == "" }

// HashPassword checks password against the length limits and returns its
// bcrypt hash.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", domain.FieldErrorf("password", "the password must be at least %d characters", MinPasswordLength)
	}
	if len(password) > MaxPasswordLength {
		return "", domain.FieldErrorf("password", "the password must be at most %d bytes", MaxPasswordLength)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), passwordCost)
	if err != nil {
		return "", domain.Errorf(domain.EINVALID, "the password can't be hashed: %v", err)
	}
	return string(h), nil
}

// dummyHash is compared against when no user has the email given, so a
// login with an unknown email takes as long as one with a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user, constant time"), passwordCost)

// CheckPassword reports whether password is u's password. A nil u still
// costs one bcrypt comparison, so timing doesn't tell which emails exist.
func CheckPassword(u *User, password string) bool {
	if u == nil || u.Invited() {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
}

// normalizeUser checks a new user's fields and tidies the email. Only an
// invited user (see CreateInvitedUser) may come without a password.
func (db *DB) normalizeUser(ctx context.Context, u *User, invited bool) error {
	u.Email = strings.TrimSpace(u.Email)
	addr, err := mail.ParseAddress(u.Email)
	if err != nil || addr.Address != u.Email || len(u.Email) > 254 {
		return domain.FieldErrorf("email", "enter an email address like name@example.com")
	}
	if u.Role == "" {
		u.Role = RoleAdmin
	}
	if u.PasswordHash == "" && !invited {
		return domain.FieldErrorf("password", "a password is required")
	}
	return db.checkRoleAndTenant(ctx, u)
}

// checkRoleAndTenant checks the fields that an admin may change later.
func (db *DB) checkRoleAndTenant(ctx context.Context, u *User) error {
	if u.Role != RoleAdmin && u.Role != RoleViewer {
		return domain.FieldErrorf("role", "role must be admin or viewer, not %q", u.Role)
	}
	if u.TenantID != "" {
		if _, err := db.TenantByID(ctx, u.TenantID); err != nil {
			if domain.ErrorCode(err) == domain.ENOTFOUND {
				return domain.FieldErrorf("tenant", "there is no tenant %q", u.TenantID)
			}
			return err
		}
	}
	return nil
}

func insertUser(ctx context.Context, q execer, u *User) error {
	_, err := q.ExecContext(ctx, `INSERT INTO users (id, email, password_hash, role, tenant_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.PasswordHash, u.Role, sql.NullString{String: u.TenantID, Valid: u.TenantID != ""}, ms(u.CreatedAt))
	if isUniqueViolation(err) {
		return &domain.Error{Code: domain.ECONFLICT, Field: "email", Message: "a user with this email exists already"}
	}
	return wrapDBError(err, "insert user")
}

// CreateUser stores u (with PasswordHash from HashPassword), setting its id
// and creation time. Emails are unique regardless of case.
func (db *DB) CreateUser(ctx context.Context, u *User) error {
	if err := db.normalizeUser(ctx, u, false); err != nil {
		return err
	}
	u.ID = domain.NewID(domain.PrefixUser)
	u.CreatedAt = db.clock()
	return insertUser(ctx, db.write, u)
}

const userColumns = `id, email, password_hash, role, COALESCE(tenant_id, ''), created_at, disabled_at, last_sign_in_at`

func scanUser(row rowScanner) (*User, error) {
	u := &User{}
	var createdAt int64
	var disabledAt, signInAt sql.NullInt64
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &u.TenantID, &createdAt, &disabledAt, &signInAt); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMS(createdAt)
	if disabledAt.Valid {
		u.DisabledAt = fromMS(disabledAt.Int64)
	}
	if signInAt.Valid {
		u.LastSignInAt = fromMS(signInAt.Int64)
	}
	return u, nil
}

// UserByID returns the user id, or ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id string) (*User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "user %s not found", id)
	}
	return u, wrapDBError(err, "read user")
}

// UserByEmail returns the user with email (any case), or ENOTFOUND.
func (db *DB) UserByEmail(ctx context.Context, email string) (*User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower(?)`, strings.TrimSpace(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "no user with email %s", email)
	}
	return u, wrapDBError(err, "read user")
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, wrapDBError(err, "count users")
}

// newLinkToken returns a new random token for a one-time link: 32 bytes,
// URL-safe.
func newLinkToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// linkTokenHash is what is stored of a one-time link's token: its SHA-256,
// base64. The token has 256 random bits, so no salt or slow hash is needed.
func linkTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// settingSetupToken holds the hash and expiry of the first-admin setup token.
const settingSetupToken = "setup_token"

type setupToken struct {
	Hash      string `json:"hash"` // base64 SHA-256 of the token
	ExpiresAt int64  `json:"expiresAt"`
}

// CreateSetupToken returns a new one-time token for creating the first
// admin, valid for ttl, replacing any earlier one. Only its hash is kept.
// It returns ECONFLICT once a user exists.
func (db *DB) CreateSetupToken(ctx context.Context, ttl time.Duration) (string, error) {
	token := newLinkToken()
	value := jsonText(setupToken{Hash: linkTokenHash(token), ExpiresAt: ms(db.clock().Add(ttl))})
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			return wrapDBError(err, "count users")
		}
		if n > 0 {
			return domain.Errorf(domain.ECONFLICT, "the first admin exists already")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, settingSetupToken, value)
		return wrapDBError(err, "store setup token")
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// checkSetupToken reports whether token is the live setup token.
func (db *DB) checkSetupToken(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, token string) error {
	invalid := domain.Errorf(domain.EFORBIDDEN, "this setup link is not valid: it was used already, has expired or was replaced by a newer one (restart hooks serve for a new link)")
	var raw []byte
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, settingSetupToken).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return invalid
	}
	if err != nil {
		return wrapDBError(err, "read setup token")
	}
	var st setupToken
	if json.Unmarshal(raw, &st) != nil {
		return invalid
	}
	if subtle.ConstantTimeCompare([]byte(linkTokenHash(token)), []byte(st.Hash)) != 1 ||
		!db.clock().Before(fromMS(st.ExpiresAt)) {
		return invalid
	}
	return nil
}

// CheckSetupToken reports whether token may still create the first admin:
// nil, or an EFORBIDDEN error saying why not.
func (db *DB) CheckSetupToken(ctx context.Context, token string) error {
	return db.checkSetupToken(ctx, db.read, token)
}

// CreateFirstAdmin uses the setup token to create u as the first user, in
// one transaction that also deletes the token, so the link works once.
func (db *DB) CreateFirstAdmin(ctx context.Context, token string, u *User) error {
	u.Role = RoleAdmin
	u.TenantID = ""
	if err := db.normalizeUser(ctx, u, false); err != nil {
		return err
	}
	u.ID = domain.NewID(domain.PrefixUser)
	u.CreatedAt = db.clock()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.checkSetupToken(ctx, tx, token); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			return wrapDBError(err, "count users")
		}
		if n > 0 {
			return domain.Errorf(domain.EFORBIDDEN, "the first admin exists already; sign in instead")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE name = ?`, settingSetupToken); err != nil {
			return wrapDBError(err, "delete setup token")
		}
		return insertUser(ctx, tx, u)
	})
}
