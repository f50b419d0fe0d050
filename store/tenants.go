package store

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"time"
)

// DefaultTenant exists from the first start.
const DefaultTenant = "default"

// Tenant is an organisational unit; every other object belongs to one.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

var tenantIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidTenantID reports whether id can name a tenant: 1–64 letters, digits,
// '_', '.', '-', starting with a letter or digit (it appears in URLs).
func ValidTenantID(id string) bool { return tenantIDPattern.MatchString(id) }

// PutTenant creates the tenant or renames it; created reports which.
func (db *DB) PutTenant(ctx context.Context, t *Tenant) (created bool, err error) {
	if !ValidTenantID(t.ID) {
		return false, FieldErrorf("id", "tenant id must be 1-64 letters, digits, '_', '.' or '-'")
	}
	if t.Name == "" {
		t.Name = t.ID
	}
	if len(t.Name) > 200 {
		return false, FieldErrorf("name", "name is longer than 200 characters")
	}
	defer db.tenants.forget(t.ID)
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var createdAt int64
		err := tx.QueryRowContext(ctx, `SELECT created_at FROM tenants WHERE id = ?`, t.ID).Scan(&createdAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			t.CreatedAt = db.clock()
			_, err = tx.ExecContext(ctx, `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)`, t.ID, t.Name, ms(t.CreatedAt))
			return wrapDBError(err, "insert tenant")
		case err != nil:
			return wrapDBError(err, "read tenant")
		}
		t.CreatedAt = fromMS(createdAt)
		_, err = tx.ExecContext(ctx, `UPDATE tenants SET name = ? WHERE id = ?`, t.Name, t.ID)
		return wrapDBError(err, "update tenant")
	})
	return created, err
}

// TenantByID returns one tenant or ENOTFOUND. A tenant found is
// remembered for a few seconds (lookupCacheTTL).
func (db *DB) TenantByID(ctx context.Context, id string) (*Tenant, error) {
	now := db.now()
	if t, ok := db.tenants.get(id, now); ok {
		return &t, nil
	}
	t := &Tenant{}
	var createdAt int64
	err := db.read.QueryRowContext(ctx, `SELECT id, name, created_at FROM tenants WHERE id = ?`, id).Scan(&t.ID, &t.Name, &createdAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "tenant %q not found", id)
	}
	if err != nil {
		return nil, wrapDBError(err, "read tenant")
	}
	t.CreatedAt = fromMS(createdAt)
	db.tenants.put(id, *t, now)
	return t, nil
}

// Tenants returns every tenant, by id.
func (db *DB) Tenants(ctx context.Context) ([]Tenant, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, created_at FROM tenants ORDER BY id`)
	if err != nil {
		return nil, wrapDBError(err, "list tenants")
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		var t Tenant
		var createdAt int64
		if err := rows.Scan(&t.ID, &t.Name, &createdAt); err != nil {
			return nil, wrapDBError(err, "scan tenant")
		}
		t.CreatedAt = fromMS(createdAt)
		out = append(out, t)
	}
	return out, wrapDBError(rows.Err(), "list tenants")
}
