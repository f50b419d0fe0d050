// Package upkeep is hooks' periodic housekeeping, run by delivery/jobs:
//
//   - auto-disable: an endpoint whose deliveries have all failed for
//     FailingPeriod (default 5 days), or MaxExhausted deliveries in a row
//     (default 1000) after all their retries, is disabled with a recorded
//     reason and time. Re-enabling it sends nothing old again; Recover does.
//   - operational events: hooks posts its own events to the tenant, which
//     an endpoint receives by subscribing to their topics like any other:
//     endpoint.disabled when an endpoint is disabled automatically, and
//     delivery.exhausted when a delivery fails for good after its retries.
//   - retention: events older than Retention (default 30 days) are purged
//     with their deliveries and attempts, and so are audit records older
//     than it, in small batches with a pause between them, so ingest
//     and delivery never wait long for the writer
//     (1000 events with two deliveries and attempts each took 84 ms in
//     one transaction on the 2-core reference machine; 200 take ~15 ms).
//   - statistics: minute buckets are kept StatsMinutes (30 days), hour
//     buckets StatsHours (a year, or Retention if that is longer; for
//     ever when retention is off), purged in the same small batches.
package upkeep

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"hooks/delivery/jobs"
	"hooks/domain"
	"hooks/store"
)

// The topics of hooks' own events.
const (
	TopicEndpointDisabled  = "endpoint.disabled"
	TopicDeliveryExhausted = "delivery.exhausted"
)

// Defaults for the zero fields of Config.
const (
	DefaultFailingPeriod = 5 * 24 * time.Hour
	DefaultMaxExhausted  = 1000
	DefaultRetention     = 30 * 24 * time.Hour
	DefaultPurgeBatch    = 200 // events: ~1000 rows with two deliveries each, ~15 ms of writer time here
	DefaultPurgePause    = 20 * time.Millisecond
	DefaultStatsHours    = 365 * 24 * time.Hour
)

// How often AddJobs runs each job.
const (
	DisableEvery     = 5 * time.Minute
	AnnounceEvery    = 15 * time.Second
	PurgeEvery       = time.Hour
	OrphanCheckEvery = time.Minute // on SQLite the job does nothing
	StatsPurgeEvery  = time.Hour
)

// Config tunes Upkeep. Zero fields take the defaults; a negative period
// or count turns that rule off.
type Config struct {
	FailingPeriod time.Duration // disable after every delivery failed this long
	MaxExhausted  int           // disable after this many exhausted deliveries in a row
	Retention     time.Duration // purge events older than this
	PurgeBatch    int           // events deleted per transaction
	PurgePause    time.Duration // pause between purge batches, so other writes get in
	Now           func() time.Time
	Logger        *slog.Logger
	Wake          func() // told when operational events were stored; may be nil
}

// Upkeep runs the housekeeping jobs on one database.
type Upkeep struct {
	db  *store.DB
	cfg Config
	log *slog.Logger
}

// New returns an Upkeep for db.
func New(db *store.DB, cfg Config) *Upkeep {
	if cfg.FailingPeriod == 0 {
		cfg.FailingPeriod = DefaultFailingPeriod
	}
	if cfg.MaxExhausted == 0 {
		cfg.MaxExhausted = DefaultMaxExhausted
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.PurgeBatch <= 0 {
		cfg.PurgeBatch = DefaultPurgeBatch
	}
	if cfg.PurgePause <= 0 {
		cfg.PurgePause = DefaultPurgePause
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	return &Upkeep{db: db, cfg: cfg, log: cfg.Logger}
}

// AddJobs schedules auto-disable, delivery.exhausted announcements and,
// unless retention is off, the purge.
func (u *Upkeep) AddJobs(s *jobs.Scheduler) error {
	if err := s.Add("auto-disable", DisableEvery, u.DisableFailing); err != nil {
		return err
	}
	if err := s.Add("exhausted-events", AnnounceEvery, u.AnnounceExhausted); err != nil {
		return err
	}
	if err := s.Add("orphaned-parks", OrphanCheckEvery, u.ReleaseOrphanedParks); err != nil {
		return err
	}
	if err := s.Add("portal-sessions", PurgeEvery, u.PurgePortalSessions); err != nil {
		return err
	}
	if err := s.Add("stats-retention", StatsPurgeEvery, u.PurgeStats); err != nil {
		return err
	}
	if u.cfg.Retention > 0 {
		return s.Add("retention", PurgeEvery, u.Purge)
	}
	return nil
}

// PurgeStats deletes minute statistics older than
// store.StatsMinuteRetention and hour statistics older than a year, or
// than the retention period if that is longer; with retention off, hours
// are kept for ever. The hours are small (one row per endpoint and hour),
// and they are what charts of months read.
func (u *Upkeep) PurgeStats(ctx context.Context) error {
	now := u.cfg.Now()
	var hours time.Time
	if u.cfg.Retention > 0 {
		hours = now.Add(-max(DefaultStatsHours, u.cfg.Retention))
	}
	return u.purge(ctx, "statistics", now, func(ctx context.Context, _ time.Time, limit int) (int, error) {
		return u.db.PurgeStatsBefore(ctx, now.Add(-store.StatsMinuteRetention), hours, limit)
	})
}

// ReleaseOrphanedParks makes due again the deliveries that a hooks process
// which is gone had parked (on a shared database; see
// store.ReleaseOrphanedParks). The store's notification wakes every
// instance's dispatcher, this one's included.
func (u *Upkeep) ReleaseOrphanedParks(ctx context.Context) error {
	n, err := u.db.ReleaseOrphanedParks(ctx)
	if n > 0 {
		u.log.Info("released the parked deliveries of a hooks instance that is gone", "count", n)
	}
	return err
}

// DisableFailing disables the endpoints that failed long or often enough,
// announcing each with an endpoint.disabled event.
func (u *Upkeep) DisableFailing(ctx context.Context) error {
	now := u.cfg.Now().UTC()
	var since time.Time
	if u.cfg.FailingPeriod > 0 {
		since = now.Add(-u.cfg.FailingPeriod)
	}
	failing, err := u.db.FailingEndpoints(ctx, since, max(u.cfg.MaxExhausted, 0))
	if err != nil {
		return err
	}
	for _, f := range failing {
		reason := fmt.Sprintf("disabled automatically: %d deliveries in a row failed after all their retries", f.Failed)
		if !since.IsZero() && !f.FailingSince.After(since) {
			reason = fmt.Sprintf("disabled automatically: every delivery since %s failed (%s)",
				f.FailingSince.Format(time.RFC3339), roundDays(now.Sub(f.FailingSince)))
		}
		err := Disable(ctx, u.db, Disabling{
			TenantID: f.TenantID, WebhookID: f.ID, Name: f.Name, URL: f.URL, Reason: reason, At: now,
			Key:   "endpoint.disabled:" + f.ID + ":" + f.FirstFailure,
			Extra: map[string]any{"failingSince": f.FailingSince, "firstFailedDeliveryId": f.FirstFailure},
		})
		if err != nil {
			return err
		}
		u.log.Warn("endpoint disabled", "webhook", f.ID, "tenant", f.TenantID, "reason", reason)
	}
	if len(failing) > 0 {
		u.cfg.Wake()
	}
	return nil
}

// Disabling is an endpoint that hooks disables by itself, and why: its
// failures (DisableFailing) or its receiver asking for no more (a 410 Gone,
// seen by the engine).
type Disabling struct {
	TenantID, WebhookID, Name, URL string
	Reason                         string    // shown in the UI and API, and sent in the event
	At                             time.Time // when
	Key                            string    // the event's idempotency key: one per cause
	Extra                          map[string]any
}

// Disable disables an endpoint and announces it with an endpoint.disabled
// event carrying webhookId, name, url, reason, disabledAt and d.Extra, in
// one transaction: the event is never seen before the endpoint reads
// disabled. If that fails, nothing is stored and the cause is seen again;
// should the event be stored already, the idempotency key keeps it from
// being sent twice.
func Disable(ctx context.Context, db *store.DB, d Disabling) error {
	payload := map[string]any{"webhookId": d.WebhookID, "name": d.Name, "url": d.URL, "reason": d.Reason, "disabledAt": d.At}
	for k, v := range d.Extra {
		payload[k] = v
	}
	ev, err := event(d.TenantID, TopicEndpointDisabled, d.WebhookID, d.Key, payload)
	if err != nil {
		return err
	}
	_, err = db.DisableEndpointAnnounced(ctx, d.TenantID, d.WebhookID, d.Reason, ev)
	return err
}

func roundDays(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return d.Round(time.Minute).String()
}

// exhaustedCursor is the setting that remembers how far AnnounceExhausted
// has got: "<updated_at ms> <delivery id>".
const exhaustedCursor = "upkeep.exhausted-cursor"

// announcePage bounds the deliveries announced per transaction.
const announcePage = 500

// AnnounceExhausted posts a delivery.exhausted event for each delivery
// that failed for good after its scheduled retries since the last run.
// Failures of manual, recover and test sends are the user's to see, and
// failures of operational events are not announced again (an endpoint
// failing those would otherwise feed itself).
func (u *Upkeep) AnnounceExhausted(ctx context.Context) error {
	after, afterID, err := u.cursor(ctx)
	if err != nil {
		return err
	}
	announced := 0
	for ctx.Err() == nil {
		page, err := u.db.FailedSince(ctx, after, afterID, announcePage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		var events []*domain.Event
		for _, f := range page {
			if f.LastTrigger != domain.TriggerScheduled || f.Topic == TopicDeliveryExhausted || f.Topic == TopicEndpointDisabled {
				continue
			}
			ev, err := event(f.TenantID, TopicDeliveryExhausted, f.EndpointID,
				"delivery.exhausted:"+f.ID+":"+strconv.FormatInt(f.UpdatedAt.UnixMilli(), 10), map[string]any{
					"deliveryId": f.ID, "eventId": f.EventID, "webhookId": f.EndpointID, "topic": f.Topic, "subTopic": f.SubTopic,
					"attempts": f.AttemptCount, "lastStatusCode": f.LastStatusCode, "failedAt": f.UpdatedAt,
				})
			if err != nil {
				return err
			}
			events = append(events, ev)
		}
		if len(events) > 0 {
			if _, err := u.db.CreateEvents(ctx, events); err != nil {
				return err
			}
			announced += len(events)
		}
		last := page[len(page)-1]
		after, afterID = last.UpdatedAt, last.ID
		if err := u.db.PutSetting(ctx, exhaustedCursor, []byte(strconv.FormatInt(after.UnixMilli(), 10)+" "+afterID)); err != nil {
			return err
		}
		if len(page) < announcePage {
			break
		}
	}
	if announced > 0 {
		u.log.Info("announced exhausted deliveries", "count", announced)
		u.cfg.Wake()
	}
	return ctx.Err()
}

// cursor reads AnnounceExhausted's position. The first run starts from
// now: failures from before upkeep existed are not announced.
func (u *Upkeep) cursor(ctx context.Context) (time.Time, string, error) {
	v, err := u.db.Setting(ctx, exhaustedCursor)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		now := u.cfg.Now().UTC()
		return now, "", u.db.PutSetting(ctx, exhaustedCursor, []byte(strconv.FormatInt(now.UnixMilli(), 10)+" "))
	}
	if err != nil {
		return time.Time{}, "", err
	}
	msText, id, _ := strings.Cut(string(v), " ")
	msVal, err := strconv.ParseInt(msText, 10, 64)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("upkeep: bad %s setting %q", exhaustedCursor, v)
	}
	return time.UnixMilli(msVal).UTC(), id, nil
}

func event(tenantID, topic, subTopic, key string, payload any) (*domain.Event, error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("upkeep: encode %s event: %w", topic, err)
	}
	return &domain.Event{TenantID: tenantID, Topic: topic, SubTopic: subTopic, Payload: data, IdempotencyKey: key}, nil
}

// Purge deletes events older than the retention period, with their
// deliveries and attempts, and then audit records older than it,
// PurgeBatch at a time with a pause between batches so that ingest and
// delivery keep the writer.
func (u *Upkeep) Purge(ctx context.Context) error {
	if u.cfg.Retention < 0 {
		return nil
	}
	cutoff := u.cfg.Now().Add(-u.cfg.Retention)
	if err := u.purge(ctx, "events", cutoff, u.db.PurgeEventsBefore); err != nil {
		return err
	}
	return u.purge(ctx, "audit records", cutoff, u.db.PurgeAuditBefore)
}

// PurgePortalSessions deletes the customer-portal links and sessions that
// can no longer open anything, whatever the retention setting: they hold
// token hashes, not history.
func (u *Upkeep) PurgePortalSessions(ctx context.Context) error {
	return u.purge(ctx, "portal sessions", u.cfg.Now(), func(ctx context.Context, now time.Time, limit int) (int, error) {
		return u.db.PurgePortalSessions(ctx, now, domain.PortalSessionLifetime, limit)
	})
}

// purge calls batch until it deletes fewer than PurgeBatch rows, pausing
// PurgePause between calls, and logs how many went.
func (u *Upkeep) purge(ctx context.Context, what string, cutoff time.Time, batch func(context.Context, time.Time, int) (int, error)) error {
	total := 0
	defer func() {
		if total > 0 {
			u.log.Info("purged old "+what, "count", total, "before", cutoff.UTC().Format(time.RFC3339))
		}
	}()
	for {
		n, err := batch(ctx, cutoff, u.cfg.PurgeBatch)
		total += n
		if err != nil || n < u.cfg.PurgeBatch {
			return err
		}
		t := time.NewTimer(u.cfg.PurgePause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
