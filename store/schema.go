package store

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// ErrSchemaTooNew is returned by Open for a database that a newer hooks
// has migrated: this binary doesn't know the newer tables and columns, and
// writing to them could corrupt data, so it refuses to start.
var ErrSchemaTooNew = errors.New("database schema is newer than this hooks binary")

// refuseNewerSchema fails when the database has a migration applied that
// none of names (the embedded migrations, sorted) is: a downgrade.
// Migrations are forward-only; the way back is a backup taken before the
// upgrade.
func (db *DB) refuseNewerSchema(ctx context.Context, names []string) error {
	known := 0
	for _, name := range names {
		base := path.Base(name)
		if v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0]); err == nil && v > known {
			known = v
		}
	}
	var applied int
	if err := db.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return wrapDBError(err, "read schema version")
	}
	if applied > known {
		return fmt.Errorf("%w: %s is at schema version %d, and this binary knows versions up to %d. "+
			"A newer hooks upgraded it; run that version again, or restore the backup taken before the upgrade (downgrades are not supported)",
			ErrSchemaTooNew, db.path, applied, known)
	}
	return nil
}
