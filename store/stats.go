package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"hooks/domain"
)

// Delivery statistics: per endpoint, what the attempts that started in each
// minute and each hour came to. RecordOutcomes adds to both in the
// transaction that stores the attempts, one row per endpoint and minute
// (and hour) of the batch, with upserts that add, so several instances can
// write the same bucket. Hours are written alongside rather than rolled up
// from minutes later: an attempt can be recorded long after it started
// (the engine retries a failed batch), and a roll-up job would have to
// guess when an hour is complete. Days are sums of hours, in UTC.
//
// Latency is kept as a fixed histogram rather than as quantiles, because
// quantiles don't add up: an hour's p95 is read from the sum of its
// minutes' histograms, exactly as if the hour had been one bucket.

// LatencyBoundsMs are the upper bounds (exclusive, in whole milliseconds
// as attempts store them) of the latency histogram's buckets; the last
// bucket holds everything from the last bound up. Roughly 1.5× apart, so
// a quantile read from them is within about a fifth of the true value.
// The migration that made the tables (0019_stats.sql) has the same bounds.
var LatencyBoundsMs = [...]int64{5, 10, 20, 35, 50, 75, 100, 150, 250, 400, 600, 1000, 2500, 5000, 10000, 30000}

// LatencyBuckets is the number of buckets in the latency histogram.
const LatencyBuckets = len(LatencyBoundsMs) + 1

// The classes of failed attempts, indexes into StatsBucket.FailedBy.
const (
	FailedTimeout  = iota // no answer within the endpoint's timeout
	FailedNetwork         // sent, but no answer: refused, reset, DNS, TLS
	Failed4xx             // the receiver answered 4xx
	Failed5xx             // the receiver answered 5xx (or above)
	FailedOther           // anything else: a redirect, a 2xx that said it failed, or nothing sent (render, sign, rate limit)
	FailureClasses        // how many classes there are
)

// FailureClassNames names the classes, in index order, as the API shows them.
var FailureClassNames = [FailureClasses]string{"timeout", "network", "4xx", "5xx", "other"}

// StatsBucket is what the attempts that started in one interval came to.
type StatsBucket struct {
	Start     time.Time
	Attempts  int64
	Succeeded int64
	FailedBy  [FailureClasses]int64
	Latency   [LatencyBuckets]int64 // attempts by duration, bucketed by LatencyBoundsMs
}

// Failed is how many of the attempts failed.
func (b *StatsBucket) Failed() int64 { return b.Attempts - b.Succeeded }

// Add adds o's counts to b's.
func (b *StatsBucket) Add(o *StatsBucket) {
	b.Attempts += o.Attempts
	b.Succeeded += o.Succeeded
	for i := range b.FailedBy {
		b.FailedBy[i] += o.FailedBy[i]
	}
	for i := range b.Latency {
		b.Latency[i] += o.Latency[i]
	}
}

// QuantileMs estimates the q-quantile (0 < q ≤ 1) of the attempts'
// durations in milliseconds from the histogram: it finds the bucket that
// holds the attempt of that rank and interpolates linearly inside it. The
// open last bucket reads as its lower bound. ok is false without attempts.
func (b *StatsBucket) QuantileMs(q float64) (ms float64, ok bool) {
	var total int64
	for _, n := range b.Latency {
		total += n
	}
	if total == 0 {
		return 0, false
	}
	rank := max(int64(math.Ceil(q*float64(total))), 1)
	var below int64
	for i, n := range b.Latency {
		if below+n < rank {
			below += n
			continue
		}
		lo := int64(0)
		if i > 0 {
			lo = LatencyBoundsMs[i-1]
		}
		if i == len(LatencyBoundsMs) {
			return float64(lo), true
		}
		hi := LatencyBoundsMs[i]
		v := float64(lo) + float64(hi-lo)*float64(rank-below)/float64(n)
		return math.Round(v*10) / 10, true
	}
	return float64(LatencyBoundsMs[len(LatencyBoundsMs)-1]), true
}

// count adds one attempt to b.
func (b *StatsBucket) count(a *domain.Attempt) {
	b.Attempts++
	if ok, class := classifyAttempt(a.StatusCode, a.Error, a.RequestHeaders != nil); ok {
		b.Succeeded++
	} else {
		b.FailedBy[class]++
	}
	b.Latency[latencyBucket(a.Duration.Milliseconds())]++
}

// classifyAttempt says whether an attempt succeeded and, if not, its
// failure class, from what the attempts table keeps of it: the status
// code, the error and whether a request went out (request headers are
// stored as "null" when none did). The migration's backfill says the same
// in SQL. Timeouts are told from other transport failures by the error
// the engine writes for them (delivery.describeSendError).
func classifyAttempt(statusCode int, errText string, sent bool) (ok bool, class int) {
	switch {
	case statusCode >= 200 && statusCode < 300 && errText == "":
		return true, 0
	case statusCode >= 500:
		return false, Failed5xx
	case statusCode >= 400:
		return false, Failed4xx
	case statusCode == 0 && strings.HasPrefix(errText, "timed out"):
		return false, FailedTimeout
	case statusCode == 0 && sent:
		return false, FailedNetwork
	}
	return false, FailedOther
}

// latencyBucket is the histogram bucket of a duration in milliseconds.
func latencyBucket(ms int64) int {
	i, _ := slices.BinarySearch(LatencyBoundsMs[:], ms+1)
	return i
}

// statsKey is one row of a stats table.
type statsKey struct {
	endpointID string
	start      int64 // unix ms
}

// statsRow is one row's counts to add, with its tenant.
type statsRow struct {
	tenantID string
	b        StatsBucket
}

// statsBatch is a batch of outcomes' attempts summed by endpoint and
// minute, and by endpoint and hour.
type statsBatch struct {
	minutes, hours map[statsKey]*statsRow
}

func newStatsBatch() *statsBatch {
	return &statsBatch{minutes: map[statsKey]*statsRow{}, hours: map[statsKey]*statsRow{}}
}

// add counts a on its endpoint's minute and hour.
func (s *statsBatch) add(o owner, a *domain.Attempt) {
	started := ms(a.StartedAt)
	for _, t := range []struct {
		rows map[statsKey]*statsRow
		step int64
	}{{s.minutes, 60_000}, {s.hours, 3_600_000}} {
		k := statsKey{o.endpointID, started - started%t.step}
		r := t.rows[k]
		if r == nil {
			r = &statsRow{tenantID: o.tenantID}
			t.rows[k] = r
		}
		r.b.count(a)
	}
}

// args returns rows as the upsert's arguments, sorted by key: on
// PostgreSQL two writers then lock the rows they share in the same order,
// and can't deadlock on them.
func statsArgs(rows map[statsKey]*statsRow) []any {
	keys := make([]statsKey, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b statsKey) int {
		return cmp.Or(strings.Compare(a.endpointID, b.endpointID), cmp.Compare(a.start, b.start))
	})
	args := make([]any, 0, len(keys)*statsWidth)
	for _, k := range keys {
		r := rows[k]
		args = append(args, k.endpointID, k.start, r.tenantID, r.b.Attempts, r.b.Succeeded)
		for _, n := range r.b.FailedBy {
			args = append(args, n)
		}
		for _, n := range r.b.Latency {
			args = append(args, n)
		}
	}
	return args
}

// statsCounts are the count columns of both stats tables, in StatsBucket's
// order.
var statsCounts = func() []string {
	cols := []string{"attempts", "succeeded"}
	for _, c := range FailureClassNames {
		cols = append(cols, "failed_"+c)
	}
	for i := range LatencyBuckets {
		cols = append(cols, fmt.Sprintf("latency_%d", i))
	}
	return cols
}()

// statsWidth is the number of values in one row of a stats upsert.
var statsWidth = 3 + len(statsCounts)

// statsUpsert is the statement that adds rows to table.
func statsUpsert(table string) rowStatement {
	set := make([]string, len(statsCounts))
	for i, c := range statsCounts {
		set[i] = c + " = " + table + "." + c + " + excluded." + c
	}
	return rowStatement{
		head:  `INSERT INTO ` + table + ` (endpoint_id, start, tenant_id, ` + strings.Join(statsCounts, ", ") + `) VALUES `,
		row:   "(" + strings.Repeat("?, ", statsWidth-1) + "?)",
		tail:  ` ON CONFLICT (endpoint_id, start) DO UPDATE SET ` + strings.Join(set, ", "),
		width: statsWidth,
	}
}

var (
	upsertStatsMinutes = statsUpsert("stats_minutes")
	upsertStatsHours   = statsUpsert("stats_hours")
)

// statsWriters are the prepared upserts of one RecordOutcomes call.
type statsWriters struct{ minutes, hours *rowWriter }

func (db *DB) statsWriters(ctx context.Context) (statsWriters, error) {
	m, err := db.rowWriter(ctx, upsertStatsMinutes)
	if err != nil {
		return statsWriters{}, err
	}
	h, err := db.rowWriter(ctx, upsertStatsHours)
	return statsWriters{m, h}, err
}

// write adds s to the stats tables in tx.
func (w statsWriters) write(ctx context.Context, tx *sql.Tx, s *statsBatch) error {
	if err := w.minutes.exec(ctx, tx, statsArgs(s.minutes), nil); err != nil {
		return wrapDBError(err, "add minute statistics")
	}
	return wrapDBError(w.hours.exec(ctx, tx, statsArgs(s.hours), nil), "add hour statistics")
}

// StatsInterval is the width of the buckets Stats returns.
type StatsInterval string

// The intervals Stats accepts.
const (
	StatsMinute StatsInterval = "minute"
	StatsHour   StatsInterval = "hour"
	StatsDay    StatsInterval = "day"
)

// Duration is the interval's length.
func (i StatsInterval) Duration() time.Duration {
	switch i {
	case StatsMinute:
		return time.Minute
	case StatsHour:
		return time.Hour
	case StatsDay:
		return 24 * time.Hour
	}
	return 0
}

// StatsMinuteRetention is how long minute buckets are kept; older
// questions are answered by the hours.
const StatsMinuteRetention = 30 * 24 * time.Hour

// Stats returns the tenant's statistics (of endpoint endpointID only,
// unless it is "") in buckets of interval from from up to to, one per
// interval, oldest first, including the empty ones; none when to is not
// after from. from is rounded down
// and to up to whole intervals (in UTC). Minutes are read from the minute
// table and hours and days from the hour table, so the cost follows the
// number of rows in the window (endpoints × buckets), never the attempts.
func (db *DB) Stats(ctx context.Context, tenantID, endpointID string, from, to time.Time, interval StatsInterval) ([]StatsBucket, error) {
	step := interval.Duration()
	if step == 0 {
		return nil, fmt.Errorf("stats: unknown interval %q", interval)
	}
	if !to.After(from) {
		return []StatsBucket{}, nil
	}
	from, to = from.UTC().Truncate(step), to.UTC().Add(step-1).Truncate(step)
	n := int(to.Sub(from) / step)
	out := make([]StatsBucket, n)
	for i := range out {
		out[i].Start = from.Add(time.Duration(i) * step)
	}
	table := "stats_hours"
	if interval == StatsMinute {
		table = "stats_minutes"
	}
	where, args := "tenant_id = ?", []any{tenantID}
	if endpointID != "" {
		where, args = "endpoint_id = ? AND tenant_id = ?", []any{endpointID, tenantID}
	}
	args = append(args, ms(from), ms(to))
	rows, err := db.read.QueryContext(ctx, `SELECT start, `+statsSums+` FROM `+table+`
		WHERE `+where+` AND start >= ? AND start < ? GROUP BY start`, args...)
	if err != nil {
		return nil, wrapDBError(err, "read statistics")
	}
	defer rows.Close()
	var b StatsBucket
	var start int64
	dest := append([]any{&start}, b.scanDest()...)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, wrapDBError(err, "scan statistics")
		}
		i := int(fromMS(start).Sub(from) / step)
		if i >= 0 && i < n {
			out[i].Add(&b)
		}
	}
	return out, wrapDBError(rows.Err(), "read statistics")
}

// PurgeStatsBefore deletes up to limit minute buckets that started before
// minutesCutoff and hour buckets before hoursCutoff (none when it is
// zero), and returns how many rows went, for upkeep's batched purge.
func (db *DB) PurgeStatsBefore(ctx context.Context, minutesCutoff, hoursCutoff time.Time, limit int) (int, error) {
	total := 0
	for _, t := range []struct {
		table  string
		cutoff time.Time
	}{{"stats_minutes", minutesCutoff}, {"stats_hours", hoursCutoff}} {
		if t.cutoff.IsZero() || total >= limit {
			continue
		}
		res, err := db.write.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE (endpoint_id, start) IN (
			SELECT endpoint_id, start FROM `+t.table+` WHERE start < ? ORDER BY start LIMIT ?)`, ms(t.cutoff), limit-total)
		if err != nil {
			return total, wrapDBError(err, "purge statistics")
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}

// statsColumns are every column of both stats tables, for Copy.
var statsColumns = append([]string{"endpoint_id", "start", "tenant_id"}, statsCounts...)

// StatsByEndpoint sums the tenant's statistics from from up to to by
// endpoint, from the minute table (interval StatsMinute) or the hour
// table; from and to are rounded to whole intervals as in Stats. Start is
// left zero. Endpoints without attempts in the window are left out.
func (db *DB) StatsByEndpoint(ctx context.Context, tenantID string, from, to time.Time, interval StatsInterval) (map[string]*StatsBucket, error) {
	step := interval.Duration()
	if step == 0 {
		return nil, fmt.Errorf("stats: unknown interval %q", interval)
	}
	table := "stats_hours"
	if interval == StatsMinute {
		table = "stats_minutes"
	}
	from, to = from.UTC().Truncate(step), to.UTC().Add(step-1).Truncate(step)
	rows, err := db.read.QueryContext(ctx, `SELECT endpoint_id, `+statsSums+` FROM `+table+`
		WHERE tenant_id = ? AND start >= ? AND start < ? GROUP BY endpoint_id`, tenantID, ms(from), ms(to))
	if err != nil {
		return nil, wrapDBError(err, "read statistics by endpoint")
	}
	defer rows.Close()
	out := map[string]*StatsBucket{}
	for rows.Next() {
		b := &StatsBucket{}
		var id string
		if err := rows.Scan(append([]any{&id}, b.scanDest()...)...); err != nil {
			return nil, wrapDBError(err, "scan statistics")
		}
		out[id] = b
	}
	return out, wrapDBError(rows.Err(), "read statistics by endpoint")
}

// scanDest are pointers to b's counts, in statsCounts order.
func (b *StatsBucket) scanDest() []any {
	dest := []any{&b.Attempts, &b.Succeeded}
	for i := range b.FailedBy {
		dest = append(dest, &b.FailedBy[i])
	}
	for i := range b.Latency {
		dest = append(dest, &b.Latency[i])
	}
	return dest
}

// statsSums are the sums of statsCounts, typed as BIGINT (PostgreSQL's
// SUM of a BIGINT is a NUMERIC).
var statsSums = func() string {
	sums := make([]string, len(statsCounts))
	for i, c := range statsCounts {
		sums[i] = "CAST(SUM(" + c + ") AS BIGINT)"
	}
	return strings.Join(sums, ", ")
}()
