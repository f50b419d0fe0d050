package store

import (
	"context"
	"database/sql"
	"errors"
	"hooks/domain"
)

// PutTenant creates the tenant or renames it; created reports which.
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
func (db *DB) TenantByID(ctx context.Context, id string) (*domain.Tenant, error) {
	now := db.now()
	if t, ok := db.tenants.get(id, now); ok {
		return &t, nil
	}
	t := &domain.Tenant{}
	var createdAt int64
	err := db.read.QueryRowContext(ctx, `SELECT id, name, created_at FROM tenants WHERE id = ?`, id).Scan(&t.ID, &t.Name, &createdAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "tenant %q not found", id)
	}
	if err != nil {
		return nil, wrapDBError(err, "read tenant")
	}
	t.CreatedAt = fromMS(createdAt)
	db.tenants.put(id, *t, now)
	return t, nil
}

// Tenants returns every tenant, by id.
func (db *DB) Tenants(ctx context.Context) ([]domain.Tenant, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, created_at FROM tenants ORDER BY id`)
	if err != nil {
		return nil, wrapDBError(err, "list tenants")
	}
	defer rows.Close()
	var out []domain.Tenant
	for rows.Next() {
		var t domain.Tenant
		var createdAt int64
		if err := rows.Scan(&t.ID, &t.Name, &createdAt); err != nil {
			return nil, wrapDBError(err, "scan tenant")
		}
		t.CreatedAt = fromMS(createdAt)
		out = append(out, t)
	}
	return out, wrapDBError(rows.Err(), "list tenants")
}
