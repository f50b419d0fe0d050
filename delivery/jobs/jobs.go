// Package jobs runs hooks' periodic background work — retention purges,
// auto-disabling failing endpoints, JWT key rotation, callback polls — on
// one gocron scheduler.
//
// A job is a name, an interval and a function:
//
//	s := jobs.New(log)
//	s.Add("retention", time.Hour, func(ctx context.Context) error { ... })
//	s.Start()
//	defer s.Stop()
//
// Each job runs at most once at a time (a run that outlasts its interval
// delays the next one instead of overlapping it), gets a context that is
// cancelled when the scheduler stops, and has its errors and panics logged
// rather than crashing the server. A job should do a bounded amount of work
// per run and return; long work should check ctx between steps.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"
)

// Func is one run of a job. ctx is cancelled when the scheduler stops.
type Func func(ctx context.Context) error

// Scheduler runs named jobs at fixed intervals. Add may be called before or
// after Start. It is safe for concurrent use.
type Scheduler struct {
	log   *slog.Logger
	sched gocron.Scheduler

	mu   sync.Mutex
	jobs map[string]gocron.Job
}

// Option changes how New sets up a Scheduler.
type Option func(*options)

type options struct {
	stopTimeout time.Duration
	elector     gocron.Elector
}

// WithElector makes the jobs run only while elector says this process
// leads, for several processes sharing one database: each job then runs on
// one of them at a time. A job that is due on a process that doesn't lead
// is skipped until its next interval.
func WithElector(elector gocron.Elector) Option {
	return func(o *options) { o.elector = elector }
}

// WithStopTimeout bounds how long Stop waits for running jobs (default 10 s).
func WithStopTimeout(d time.Duration) Option {
	return func(o *options) { o.stopTimeout = d }
}

// New returns a stopped Scheduler that logs to log (slog.Default if nil).
func New(log *slog.Logger, opts ...Option) (*Scheduler, error) {
	if log == nil {
		log = slog.Default()
	}
	o := options{stopTimeout: 10 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Scheduler{log: log, jobs: map[string]gocron.Job{}}
	schedOpts := []gocron.SchedulerOption{}
	if o.elector != nil {
		schedOpts = append(schedOpts, gocron.WithDistributedElector(o.elector))
	}
	var err error
	s.sched, err = gocron.NewScheduler(append(schedOpts,
		gocron.WithStopTimeout(o.stopTimeout),
		gocron.WithLocation(time.UTC),
		gocron.WithGlobalJobOptions(
			gocron.WithSingletonMode(gocron.LimitModeReschedule),
			gocron.WithEventListeners(
				gocron.AfterJobRunsWithError(func(_ uuid.UUID, name string, err error) {
					if !errors.Is(err, context.Canceled) {
						s.log.Error("job failed", "job", name, "err", err)
					}
				}),
				gocron.AfterJobRunsWithPanic(func(_ uuid.UUID, name string, v any) {
					s.log.Error("job panicked", "job", name, "panic", fmt.Sprint(v))
				}),
			),
		),
	)...)
	if err != nil {
		return nil, fmt.Errorf("jobs: new scheduler: %w", err)
	}
	return s, nil
}

// Add schedules fn to run every interval under name, first one interval
// after the scheduler starts (or after Add, if it has started). Names are
// unique: they appear in logs and select a job for RunNow.
func (s *Scheduler) Add(name string, every time.Duration, fn Func) error {
	if name == "" || every <= 0 || fn == nil {
		return fmt.Errorf("jobs: add %q: a job needs a name, a positive interval and a function", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.jobs[name]; dup {
		return fmt.Errorf("jobs: add %q: a job with that name exists", name)
	}
	j, err := s.sched.NewJob(gocron.DurationJob(every), gocron.NewTask(func(ctx context.Context) error {
		start := time.Now()
		err := fn(ctx)
		s.log.Debug("job ran", "job", name, "duration", time.Since(start), "err", err)
		return err
	}), gocron.WithName(name))
	if err != nil {
		return fmt.Errorf("jobs: add %q: %w", name, err)
	}
	s.jobs[name] = j
	return nil
}

// RunNow runs the named job once now, in the background, without changing
// its schedule; an operator or a test can use it to not wait an interval.
func (s *Scheduler) RunNow(name string) error {
	s.mu.Lock()
	j, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("jobs: no job named %q", name)
	}
	return j.RunNow()
}

// Names returns the names of the scheduled jobs, in no particular order.
func (s *Scheduler) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.jobs))
	for name := range s.jobs {
		out = append(out, name)
	}
	return out
}

// Start starts running jobs on their schedules.
func (s *Scheduler) Start() { s.sched.Start() }

// Stop cancels the context of running jobs, waits for them up to the stop
// timeout, and stops scheduling. A stopped Scheduler can't be restarted.
func (s *Scheduler) Stop() error {
	if err := s.sched.Shutdown(); err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return nil
}
