package store

import (
	"context"
	"database/sql"
	"errors"
	"hooks/domain"
)

// tenantColumns are the columns scanTenant reads, in its order.
const tenantColumns = `id, name, created_at, portal_name, portal_accent, portal_logo_url`

// PutTenant creates the tenant or renames it; created reports which. A new
// tenant gets t.Portal; an existing one keeps its portal branding (see
// SetTenantPortal), which t then holds.
func (db *DB) PutTenant(ctx context.Context, t *domain.Tenant) (created bool, err error) {
	if !domain.ValidTenantID(t.ID) {
		return false, domain.FieldErrorf("id", "tenant id must be 1-64 letters, digits, '_', '.' or '-'")
	}
	if t.Name == "" {
		t.Name = t.ID
	}
	if len(t.Name) > 200 {
		return false, domain.FieldErrorf("name", "name is longer than 200 characters")
	}
	if err := t.Portal.Validate("portal."); err != nil {
		return false, err
	}
	defer db.tenants.forget(t.ID)
	err = db.tx(ctx, func(tx *sql.Tx) error {
		stored, err := scanTenant(tx.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = ?`, t.ID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			t.CreatedAt = db.clock()
			_, err = tx.ExecContext(ctx, `INSERT INTO tenants (`+tenantColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
				t.ID, t.Name, ms(t.CreatedAt), t.Portal.Name, t.Portal.Accent, t.Portal.LogoURL)
			return wrapDBError(err, "insert tenant")
		case err != nil:
			return wrapDBError(err, "read tenant")
		}
		t.CreatedAt, t.Portal = stored.CreatedAt, stored.Portal
		_, err = tx.ExecContext(ctx, `UPDATE tenants SET name = ? WHERE id = ?`, t.Name, t.ID)
		return wrapDBError(err, "update tenant")
	})
	return created, err
}

// SetTenantPortal replaces the portal branding of tenant id.
func (db *DB) SetTenantPortal(ctx context.Context, id string, b domain.PortalBrand) error {
	if err := b.Validate("portal."); err != nil {
		return err
	}
	defer db.tenants.forget(id)
	res, err := db.write.ExecContext(ctx, `UPDATE tenants SET portal_name = ?, portal_accent = ?, portal_logo_url = ? WHERE id = ?`,
		b.Name, b.Accent, b.LogoURL, id)
	if err != nil {
		return wrapDBError(err, "update tenant portal")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.ENOTFOUND, "tenant %q not found", id)
	}
	return nil
}

// scanTenant reads one row of tenantColumns.
func scanTenant(row interface{ Scan(...any) error }) (*domain.Tenant, error) {
	t := &domain.Tenant{}
	var createdAt int64
	if err := row.Scan(&t.ID, &t.Name, &createdAt, &t.Portal.Name, &t.Portal.Accent, &t.Portal.LogoURL); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMS(createdAt)
	return t, nil
}

// TenantByID returns one tenant or ENOTFOUND. A tenant found is
// remembered for a few seconds (lookupCacheTTL).
func (db *DB) TenantByID(ctx context.Context, id string) (*domain.Tenant, error) {
	now := db.now()
	if t, ok := db.tenants.get(id, now); ok {
		return &t, nil
	}
	t, err := scanTenant(db.read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "tenant %q not found", id)
	}
	if err != nil {
		return nil, wrapDBError(err, "read tenant")
	}
	db.tenants.put(id, *t, now)
	return t, nil
}

// Tenants returns every tenant, by id.
func (db *DB) Tenants(ctx context.Context) ([]domain.Tenant, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+tenantColumns+` FROM tenants ORDER BY id`)
	if err != nil {
		return nil, wrapDBError(err, "list tenants")
	}
	defer rows.Close()
	var out []domain.Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, wrapDBError(err, "scan tenant")
		}
		out = append(out, *t)
	}
	return out, wrapDBError(rows.Err(), "list tenants")
}
