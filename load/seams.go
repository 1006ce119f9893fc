package load

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"ccgw-harness/load/agents"
	"ccgw-harness/metrics"
	"ccgw-harness/reports"
)

// The engine's seams for whatever runs a Job from outside it: a
// distributed run's shard (package dist), an abort_when rule. A Job knows
// nothing of networks or coordinators; it offers
//
//   - its part of a plan (WithShard: a pace.Shard, its pace pace.Split);
//   - a start gate (WithStartGate) it waits at once signed in and warm;
//   - a stop hook (WithStop): a Stop ends the run early, its agents signed
//     out and its reports written, meta.json saying why;
//   - a snapshot source: the aggregator it counts into (WithAggregator),
//     readable at any time (reports.Aggregator.State), and its Status.

// StartGate blocks until the measured attack may start (Job.Run calls it
// after sign-in and warm-up) and returns the instant the attack's schedule
// counts from (zero: when it returns). A run that leaves the gate after
// that instant sends the hits it is behind at once and keeps the schedule
// from there, so that the schedule stays the one every shard agreed on
// (their lag records the lateness). An error gives the run up before its
// attack: the agents are signed out and the reports written with the
// reason in meta.json's aborted (see AbortError). When ctx ends it returns
// ctx's error.
type StartGate func(ctx context.Context) (time.Time, error)

// WithStartGate makes the run wait at g before its measured attack: a
// distributed run's start, agreed by its coordinator.
func WithStartGate(g StartGate) Option { return func(c *runConfig) { c.gate = g } }

// Stop ends a run early from outside it (see WithStop).
type Stop struct {
	// Reason says why, for meta.json's aborted.
	Reason string
	// By says what stopped it: a results.AbortedBy* value.
	By string
}

// AbortError is a start gate's error that says what gave the run up (a
// gate's other errors are results.AbortedByStart).
type AbortError struct {
	Reason string
	By     string // a results.AbortedBy* value
}

// Error implements error.
func (e *AbortError) Error() string { return e.Reason }

// WithStop ends the run when a Stop arrives on c, whatever its stage:
// sign-in, warm-up and the start gate are cut short, the measured attack
// stops (requests under way finish and are kept), the agents sign out and
// the reports are written with meta.json's aborted and aborted_by from the
// Stop (not interrupted: the run was stopped, not killed). Only the first
// Stop counts.
func WithStop(c <-chan Stop) Option { return func(rc *runConfig) { rc.stop = c } }

// WithAggregator makes the run count every result into a instead of an
// aggregator of its own, so that its figures can be read while it runs
// (a.State, a.Snapshot): a shard's live snapshots, an abort rule. a must
// be fresh, and of the default options.
func WithAggregator(a *reports.Aggregator) Option { return func(rc *runConfig) { rc.agg = a } }

// Status is what a Job is doing, at any time.
type Status struct {
	// Stage is a metrics.Stage* name: open, signin, warmup, measure,
	// finish, done.
	Stage string
	// Started is the instant the measured attack's schedule counts from
	// (zero before it starts).
	Started time.Time
	// Agents is the job's agents; Alive those with a session believed
	// valid right now.
	Agents, Alive int
}

// jobState is what Status reads, written by the run.
type jobState struct {
	stage   atomic.Value // string
	started atomic.Int64 // UnixNano; 0: not started
	pool    atomic.Pointer[agents.Pool]
}

// Status returns what the job is doing. It is safe from any goroutine.
func (j *Job) Status() Status {
	s := Status{Stage: metrics.StageOpen}
	if v, ok := j.state.stage.Load().(string); ok {
		s.Stage = v
	}
	if ns := j.state.started.Load(); ns != 0 {
		s.Started = time.Unix(0, ns)
	}
	if p := j.state.pool.Load(); p != nil {
		s.Agents = p.Size()
		if s.Stage != metrics.StageSignIn && s.Stage != metrics.StageOpen {
			s.Alive = p.Alive()
		}
	}
	return s
}

// setStage records the run's stage for Status and the live metrics.
func (j *Job) setStage(stage string) {
	j.state.stage.Store(stage)
	j.rc.metrics.SetStage(stage)
}

// stopWatch is a run's WithStop: the context the run works under, which a
// Stop cancels, and the Stop that did.
type stopWatch struct {
	parent  context.Context // the caller's context (the run works under one a Stop cancels too)
	mu      sync.Mutex
	stopped *Stop
	cancel  context.CancelFunc
	done    chan struct{}
}

// errStopped is the cause of a context a Stop cancelled.
var errStopped = errors.New("load: stopped from outside the run")

// watchStop returns the context the run works under: ctx, cancelled too
// when a Stop arrives; release ends the watch.
func (j *Job) watchStop(ctx context.Context) (context.Context, *stopWatch, func()) {
	w := &stopWatch{parent: ctx, done: make(chan struct{})}
	if j.rc.stop == nil {
		return ctx, w, func() {}
	}
	cctx, cancel := context.WithCancelCause(ctx)
	w.cancel = func() { cancel(errStopped) }
	go func() {
		select {
		case s := <-j.rc.stop:
			w.mu.Lock()
			w.stopped = &s
			w.mu.Unlock()
			cancel(errStopped)
		case <-w.done:
		}
	}()
	return cctx, w, func() { close(w.done); cancel(nil) }
}

// stop is the Stop that ended the run, if any.
func (w *stopWatch) stop() *Stop {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopped
}
