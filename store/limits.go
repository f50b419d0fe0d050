package store

import (
	"context"
	"hooks/domain"
	"strconv"
	"time"
)

// DefaultBusyTimeout is how long a write waits for a lock that another
// connection or process holds before it fails with EUNAVAILABLE.
const DefaultBusyTimeout = 5 * time.Second

// WithBusyTimeout sets how long a write waits for a lock held elsewhere
// (DefaultBusyTimeout if not set). Past it the write fails with
// EUNAVAILABLE, which the API answers with 503.
func WithBusyTimeout(d time.Duration) Option {
	return func(db *DB) {
		if d > 0 {
			db.busyTimeout = d
		}
	}
}

// WithMaxSize caps the database file at about n bytes; 0 means no cap.
// Writes that would grow it further fail as if the disk were full
// (EUNAVAILABLE), while reads and deletes keep working, so an operator can
// keep hooks from filling a disk that other programs share.
func WithMaxSize(n int64) Option {
	return func(db *DB) { db.maxSize = n }
}

// SetMaxSize changes the cap on the database's size (0 = none) while it is
// open. A cap below the current size stops it growing.
func (db *DB) SetMaxSize(ctx context.Context, n int64) error {
	if db.sql.postgres {
		if n > 0 {
			return domain.Errorf(domain.EINVALID, "a size cap applies to a SQLite file; cap a PostgreSQL database's disk on its server")
		}
		return nil
	}
	var pageSize int64
	if err := db.write.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return wrapDBError(err, "read page size")
	}
	pages := int64(4294967294) // SQLite's largest page count: no cap
	if n > 0 {
		pages = max((n+pageSize-1)/pageSize, 1)
	}
	// The writer pool holds one connection that lives as long as the DB,
	// so a per-connection pragma set on it stays set.
	var got int64
	if err := db.write.QueryRowContext(ctx, `PRAGMA max_page_count = `+strconv.FormatInt(pages, 10)).Scan(&got); err != nil {
		return wrapDBError(err, "set max page count")
	}
	db.maxSize = n
	return nil
}
