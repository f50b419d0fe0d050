package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
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

// notifyWork announces that deliveries fell due, through q: a transaction,
// whose commit sends the notification (PostgreSQL folds repeats within one
// transaction into one), or the writer pool, after a statement that made
// them due has committed.
func (db *DB) notifyWork(ctx context.Context, q execer) error {
	if !db.sql.postgres {
		return nil
	}
	_, err := q.ExecContext(ctx, `SELECT pg_notify('`+workChannel+`', '')`)
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
	owner    string // this process's lease owner (see aliveLock)
	onChange func(leading bool)
	mu       sync.Mutex
	conn     *pgx.Conn // the session that holds or asks for the lock; nil before the first ask
	held     bool
}

// Leader returns db's Leader for the process whose lease owner is owner;
// it calls onChange (if not nil) when this process takes or loses the
// lead. Its session also holds owner's alive lock (see
// ReleaseOrphanedParks). Close it before the DB.
func (db *DB) Leader(owner string, onChange func(leading bool)) *Leader {
	if onChange == nil {
		onChange = func(bool) {}
	}
	return &Leader{db: db, owner: owner, onChange: onChange}
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
		// Held as long as this session lives. false means another
		// process is checking whether we are gone right now; we ask again
		// with the next session, and until then only look gone.
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, aliveLock(l.owner)).Scan(new(bool)); err != nil {
			conn.Close(ctx)
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

// aliveLock is the advisory lock that the process with lease owner owner
// holds on its Leader's session while it runs, so that other processes can
// tell when it is gone: then they can take the lock.
func aliveLock(owner string) int64 {
	h := fnv.New64a()
	h.Write([]byte("hooks-alive:" + owner))
	return int64(h.Sum64())
}

// parkedMark separates a process's lease owner from the endpoint in the
// owner of the deliveries it parked (ParkOwner).
const parkedMark = "/parked/"

// ParkOwner is the lease owner under which the process owner parks the
// deliveries of endpointID (ParkDeliveries).
func ParkOwner(owner, endpointID string) string { return owner + parkedMark + endpointID }

// ReleaseOrphanedParks makes due again the deliveries that processes which
// are gone had parked, oldest first, and returns how many. Claimed
// deliveries need no such help: their lease expires in minutes. Parked
// ones wait for their process to unpark them, or for their far-off
// safety-net time. On SQLite it does nothing: start-up releases every
// lease there.
//
// A process is gone when its alive lock (held by its Leader's session) can
// be taken. A live process whose session is reconnecting looks gone for a
// moment; unparking its deliveries then is harmless, since a parked
// delivery is never in flight.
func (db *DB) ReleaseOrphanedParks(ctx context.Context) (int, error) {
	if !db.sql.postgres {
		return 0, nil
	}
	// Session advisory locks belong to a connection: take and give back
	// each alive lock on this one.
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return 0, wrapDBError(err, "release orphaned parks")
	}
	defer conn.Close()
	// The distinct owners, one index probe each (a loose index scan of
	// deliveries_leased), rather than a read of every leased row.
	rows, err := conn.QueryContext(ctx, `WITH RECURSIVE owners AS (
			(SELECT lease_owner FROM deliveries WHERE lease_owner IS NOT NULL ORDER BY lease_owner LIMIT 1)
			UNION ALL
			SELECT (SELECT d.lease_owner FROM deliveries d WHERE d.lease_owner > owners.lease_owner ORDER BY d.lease_owner LIMIT 1)
			FROM owners WHERE owners.lease_owner IS NOT NULL)
		SELECT lease_owner FROM owners WHERE lease_owner IS NOT NULL`)
	if err != nil {
		return 0, wrapDBError(err, "list lease owners")
	}
	parks := map[string][]string{} // park owners by process
	for rows.Next() {
		var owner string
		if err := rows.Scan(&owner); err != nil {
			rows.Close()
			return 0, wrapDBError(err, "list lease owners")
		}
		if process, _, ok := strings.Cut(owner, parkedMark); ok {
			parks[process] = append(parks[process], owner)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, wrapDBError(err, "list lease owners")
	}
	released := 0
	for process, owners := range parks {
		n, err := releaseParksIfGone(ctx, conn, process, owners)
		released += n
		if err != nil {
			return released, err
		}
	}
	if released > 0 {
		_ = db.notifyWork(ctx, db.write) // as in Redeliver
	}
	return released, nil
}

// releaseParksIfGone makes the deliveries parked under owners due again if
// their process is gone: if its alive lock can be taken on conn, which
// gives it back before returning.
func releaseParksIfGone(ctx context.Context, conn *sql.Conn, process string, owners []string) (int, error) {
	var gone bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?)`, aliveLock(process)).Scan(&gone); err != nil {
		return 0, wrapDBError(err, "check process "+process)
	}
	if !gone {
		return 0, nil
	}
	// A lock left held would outlive this call on the pooled connection.
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, aliveLock(process))
	released := 0
	for _, owner := range owners {
		// The hold first: an ingest using it (FOR SHARE) finishes before
		// the DELETE does, and the UPDATE after it then sees its rows.
		if _, err := conn.ExecContext(ctx, `DELETE FROM endpoint_holds WHERE lease_owner = ?`, owner); err != nil {
			return released, wrapDBError(err, "end orphaned holds")
		}
		res, err := conn.ExecContext(ctx, `UPDATE deliveries SET lease_owner = NULL, next_attempt_at = created_at
			WHERE lease_owner = ? AND status IN ('pending', 'retrying')`, owner)
		if err != nil {
			return released, wrapDBError(err, "release orphaned parks")
		}
		n, _ := res.RowsAffected()
		released += int(n)
	}
	return released, nil
}
