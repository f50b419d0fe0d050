package jobs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a log sink that jobs write to from their own goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newScheduler(t *testing.T) (*Scheduler, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	s, err := New(slog.New(slog.NewTextHandler(logs, nil)), WithStopTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestJobRunsEveryInterval(t *testing.T) {
	s, _ := newScheduler(t)
	var runs atomic.Int32
	if err := s.Add("tick", 10*time.Millisecond, func(context.Context) error { runs.Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	s.Start()
	waitFor(t, "three runs", func() bool { return runs.Load() >= 3 })
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	after := runs.Load()
	time.Sleep(50 * time.Millisecond)
	if runs.Load() != after {
		t.Errorf("job ran %d more times after Stop", runs.Load()-after)
	}
}

func TestJobErrorsAndPanicsAreLoggedAndJobKeepsRunning(t *testing.T) {
	s, logs := newScheduler(t)
	var runs atomic.Int32
	s.Add("flaky", 10*time.Millisecond, func(context.Context) error {
		switch runs.Add(1) {
		case 1:
			return errors.New("disk on fire")
		case 2:
			panic("boom")
		}
		return nil
	})
	s.Start()
	defer s.Stop()
	waitFor(t, "runs after a panic", func() bool { return runs.Load() >= 4 })
	out := logs.String()
	for _, want := range []string{`job=flaky err="disk on fire"`, `job=flaky panic=boom`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestJobNeverOverlapsItself(t *testing.T) {
	s, _ := newScheduler(t)
	var running, overlaps, runs atomic.Int32
	s.Add("slow", 5*time.Millisecond, func(context.Context) error {
		if running.Add(1) > 1 {
			overlaps.Add(1)
		}
		time.Sleep(30 * time.Millisecond) // six intervals
		running.Add(-1)
		runs.Add(1)
		return nil
	})
	s.Start()
	waitFor(t, "three runs", func() bool { return runs.Load() >= 3 })
	s.Stop()
	if n := overlaps.Load(); n > 0 {
		t.Errorf("%d runs overlapped a previous run", n)
	}
}

func TestStopCancelsRunningJob(t *testing.T) {
	s, _ := newScheduler(t)
	started := make(chan struct{})
	var sawCancel atomic.Bool
	s.Add("long", time.Hour, func(ctx context.Context) error {
		close(started)
		select {
		case <-ctx.Done():
			sawCancel.Store(true)
		case <-time.After(10 * time.Second):
		}
		return ctx.Err()
	})
	s.Start()
	if err := s.RunNow("long"); err != nil {
		t.Fatal(err)
	}
	<-started
	begin := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if !sawCancel.Load() {
		t.Error("the running job's context was not cancelled by Stop")
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("Stop took %s", d)
	}
}

func TestAddRefusesBadJobs(t *testing.T) {
	s, _ := newScheduler(t)
	defer s.Stop()
	ok := func(context.Context) error { return nil }
	if err := s.Add("a", time.Minute, ok); err != nil {
		t.Fatal(err)
	}
	for name, add := range map[string]func() error{
		"duplicate name": func() error { return s.Add("a", time.Minute, ok) },
		"empty name":     func() error { return s.Add("", time.Minute, ok) },
		"zero interval":  func() error { return s.Add("b", 0, ok) },
		"nil func":       func() error { return s.Add("c", time.Minute, nil) },
	} {
		if add() == nil {
			t.Errorf("%s: Add succeeded", name)
		}
	}
	if err := s.RunNow("missing"); err == nil {
		t.Error("RunNow of an unknown job succeeded")
	}
	if got := s.Names(); len(got) != 1 || got[0] != "a" {
		t.Errorf("Names() = %v, want [a]", got)
	}
}

// elector leads while leading is true, as store.Leader does for the
// process that holds the lock.
type elector struct{ leading atomic.Bool }

func (e *elector) IsLeader(context.Context) error {
	if e.leading.Load() {
		return nil
	}
	return errors.New("not the leader")
}

func TestJobsRunOnlyWhileTheElectorLeads(t *testing.T) {
	el := &elector{}
	s, err := New(slog.New(slog.NewTextHandler(&syncBuffer{}, nil)), WithStopTimeout(2*time.Second), WithElector(el))
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int32
	if err := s.Add("tick", 10*time.Millisecond, func(context.Context) error { runs.Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Stop()
	time.Sleep(100 * time.Millisecond) // ten intervals, none of them led
	if n := runs.Load(); n != 0 {
		t.Fatalf("the job ran %d times on a process that does not lead", n)
	}
	el.leading.Store(true)
	waitFor(t, "a run once the process leads", func() bool { return runs.Load() > 0 })
}
