package load

import (
	"sync"
	"sync/atomic"
	"time"

	"ccgw-harness/metrics"
	"ccgw-harness/pace"
)

// WithMetrics feeds m, the live Prometheus metrics, with the run: every
// recorded result (through the recorder, so every call recorded is
// counted), the run's stage, and at each scrape the planned and achieved
// rate, the requests in flight and the agents' figures (signed in by node,
// sign-ins, re-sign-ins, Guid rotations, event polls). nil: no metrics. One
// Metrics may serve several jobs one after the other (a capacity search);
// its counters go on counting.
func WithMetrics(m *metrics.Metrics) Option { return func(c *runConfig) { c.metrics = m } }

// liveRun is what a run's live metrics read at scrape time.
type liveRun struct {
	pace   atomic.Pointer[livePace] // the measured attack's pace while it runs
	once   sync.Once
	source func() // detaches the source (nil: no metrics)
}

// livePace is the measured attack's pace and start.
type livePace struct {
	p     pace.Pacer
	start time.Time
}

// attach makes s's figures the source of its metrics (none without
// metrics). Call it once s's pool, keep-alive and attack exist.
func (l *liveRun) attach(s *Session) {
	m := s.metrics
	if m == nil {
		return
	}
	pool, keep, attack, agg := s.pool, s.keep, s.attack, s.agg
	l.source = m.Attach(metrics.Source{
		Agents: pool.Size(),
		PlannedRate: func() float64 {
			if p := l.pace.Load(); p != nil {
				return p.p.Rate(time.Since(p.start))
			}
			return 0
		},
		AchievedRate: func() float64 {
			if l.pace.Load() != nil {
				return agg.Snapshot().Rate
			}
			return 0
		},
		InFlight: attack.InFlight,
		SignedIn: pool.SignedInByNode,
		SignInAttempts: func() int64 {
			done, _, _ := pool.SignInProgress()
			return int64(done)
		},
		SignInFailures: func() int64 {
			_, failed, _ := pool.SignInProgress()
			return int64(failed)
		},
		ReSignIns:        func() int64 { return int64(pool.ReSignIns()) },
		ReSignInFailures: func() int64 { return int64(pool.ReSignInFailures()) },
		Rotations:        keep.Rotations,
		Polls:            keep.Polls,
		PollFailures:     keep.Failures,
	})
}

// measuring says the measured attack of pace p started at start.
func (l *liveRun) measuring(p pace.Pacer, start time.Time) {
	l.pace.Store(&livePace{p: p, start: start})
}

// measured says the measured attack is over.
func (l *liveRun) measured() { l.pace.Store(nil) }

// detach ends the source once the run stopped changing its figures (agents
// signed out, keep-alive stopped). It may be called more than once.
func (l *liveRun) detach() {
	l.measured()
	if l.source != nil {
		l.once.Do(l.source)
	}
}
