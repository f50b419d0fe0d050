package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Several hooks processes on one PostgreSQL database: each new event wakes
// every process's dispatcher through LISTEN/NOTIFY, and the periodic jobs
// run on whichever process holds a session advisory lock (the leader). On
// SQLite there is one process, which hears its own ingest directly and is
// always the leader.

// workChannel is the NOTIFY channel that announces deliveries falling due.
const workChannel = "hooks_work"

// leaderLockID is the advisory lock that the leader holds ("hooks-l").
const leaderLockID = 0x686f6f6b732d6c

// notifyWork announces in tx that deliveries fell due. PostgreSQL sends the
// notification when tx commits, and folds repeats within one transaction
// into one.
func (db *DB) notifyWork(ctx context.Context, tx *sql.Tx) error {
	if !db.sql.postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify('`+workChannel+`', '')`)
	return wrapDBError(err, "notify new work")
}

// notifyWorkNow is notifyWork outside a transaction, after a statement
// that made deliveries due has committed.
func (db *DB) notifyWorkNow(ctx context.Context) error {
	if !db.sql.postgres {
		return nil
	}
	_, err := db.write.ExecContext(ctx, `SELECT pg_notify('`+workChannel+`', '')`)
	return wrapDBError(err, "notify new work")
}

// ListenForWork calls wake each time another process (or this one) stores
// deliveries that are due at once, until ctx is done. It reconnects after
// an error, which it passes to onError, and calls wake after each
// reconnect, since work may have arrived unheard. On SQLite it returns at
// once: the one process wakes its dispatcher itself.
func (db *DB) ListenForWork(ctx context.Context, wake func(), onError func(error)) {
	if !db.sql.postgres {
		return
	}
	const retry = time.Second
	for {
		err := db.listen(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		onError(fmt.Errorf("listen for new work (retrying in %s): %w", retry, err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
		wake()
	}
}

func (db *DB) listen(ctx context.Context, wake func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.pgConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+workChannel); err != nil {
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		wake()
	}
}

// ErrNotLeader is IsLeader's answer on a process that another one leads.
var ErrNotLeader = errors.New("another hooks process runs the periodic jobs")

// Leader elects the one process that runs the periodic jobs. It satisfies
// gocron's Elector: IsLeader returns nil on the leader and an error on every
// other process. On PostgreSQL the leader is whoever holds a session
// advisory lock on a connection of its own; when it stops or loses its
// connection, the lock goes with the session, and the next process to ask
// takes over. On SQLite the one process always leads.
type Leader struct {
	db       *DB
	onChange func(leading bool)
	mu       sync.Mutex
	conn     *pgx.Conn // the session that holds or asks for the lock; nil before the first ask
	held     bool
}

// Leader returns db's Leader, which calls onChange (if not nil) when this
// process takes or loses the lead. Close it before the DB.
func (db *DB) Leader(onChange func(leading bool)) *Leader {
	if onChange == nil {
		onChange = func(bool) {}
	}
	return &Leader{db: db, onChange: onChange}
}

// IsLeader reports, with a nil error, whether this process leads; it tries
// to take the lead if nobody has it.
func (l *Leader) IsLeader(ctx context.Context) error {
	if !l.db.sql.postgres {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		// A session that died took the lock with it, even if it was ours.
		if err := l.conn.Ping(ctx); err != nil {
			if l.held {
				l.onChange(false)
			}
			l.closeLocked()
		}
	}
	if l.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, l.db.pgConfig.Copy())
		if err != nil {
			return fmt.Errorf("elect leader: %w", err)
		}
		l.conn = conn
	}
	if l.held {
		return nil
	}
	if err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(leaderLockID)).Scan(&l.held); err != nil {
		l.closeLocked()
		return fmt.Errorf("elect leader: %w", err)
	}
	if !l.held {
		return ErrNotLeader
	}
	l.onChange(true)
	return nil
}

// Close ends the leader's session, which hands the lead to another process.
func (l *Leader) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closeLocked()
}

func (l *Leader) closeLocked() {
	if l.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		l.conn.Close(ctx)
	}
	l.conn, l.held = nil, false
}
