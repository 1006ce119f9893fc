package metrics_test

import (
	"sync/atomic"
	"testing"

	"ccgw-harness/metrics"
)

// fakeRun is the figures a run keeps.
type fakeRun struct {
	attempts, rotations, polls atomic.Int64
	signedIn                   map[int]int
}

func (f *fakeRun) source(agents int) metrics.Source {
	return metrics.Source{
		Agents:         agents,
		PlannedRate:    func() float64 { return 100 },
		AchievedRate:   func() float64 { return 99.5 },
		InFlight:       func() int64 { return 3 },
		SignedIn:       func() map[int]int { return f.signedIn },
		SignInAttempts: f.attempts.Load,
		Rotations:      f.rotations.Load,
		Polls:          f.polls.Load,
	}
}

// TestSourceCountersNeverGoBack: a capacity search runs job after job on
// one Metrics; each job's counts start at 0, the exported counters go on.
func TestSourceCountersNeverGoBack(t *testing.T) {
	m := newMetrics(t)
	a := &fakeRun{signedIn: map[int]int{1: 4, 2: 6}}
	detach := m.Attach(a.source(10))
	a.attempts.Store(10)
	a.rotations.Store(5)
	e := gather(t, m)
	want := map[string]float64{metrics.NameSignInAttempts: 10, metrics.NameRotations: 5, metrics.NamePolls: 0,
		metrics.NameAgents: 10, metrics.NamePlannedRate: 100, metrics.NameAchievedRate: 99.5, metrics.NameInFlight: 3, metrics.NameAgentsSignedIn: 10}
	for name, w := range want {
		if got, ok := e.Sum(name, nil); !ok || got != w {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, w)
		}
	}
	if got := e.By(metrics.NameAgentsSignedIn, metrics.LabelNode, nil); got["1"] != 4 || got["2"] != 6 {
		t.Errorf("signed in by node %v, want 1:4 2:6", got)
	}
	a.rotations.Store(7)
	detach()
	detach() // twice is once
	e = gather(t, m)
	if got, _ := e.Sum(metrics.NameRotations, nil); got != 7 {
		t.Errorf("after detach %s = %v, want the final 7", metrics.NameRotations, got)
	}
	if got, _ := e.Sum(metrics.NamePlannedRate, nil); got != 0 {
		t.Errorf("after detach %s = %v, want 0", metrics.NamePlannedRate, got)
	}
	if got := e.By(metrics.NameAgentsSignedIn, metrics.LabelNode, nil); len(got) != 2 || got["1"] != 0 || got["2"] != 0 {
		t.Errorf("after detach signed in by node %v, want the nodes seen at 0", got)
	}
	if got, _ := e.Sum(metrics.NameAgents, nil); got != 10 {
		t.Errorf("after detach %s = %v, want the last run's 10", metrics.NameAgents, got)
	}

	// The next job counts from 0; the counters go on from 7.
	b := &fakeRun{}
	m.Attach(b.source(20))
	b.rotations.Store(2)
	e = gather(t, m)
	if got, _ := e.Sum(metrics.NameRotations, nil); got != 9 {
		t.Errorf("second job: %s = %v, want 7+2", metrics.NameRotations, got)
	}
	if got, _ := e.Sum(metrics.NameAgents, nil); got != 20 {
		t.Errorf("second job: %s = %v, want 20", metrics.NameAgents, got)
	}
}

// TestSourcesAddUp: two jobs attached at once add up.
func TestSourcesAddUp(t *testing.T) {
	m := newMetrics(t)
	a, b := &fakeRun{signedIn: map[int]int{1: 2}}, &fakeRun{signedIn: map[int]int{1: 3, 0: 1}}
	m.Attach(a.source(5))
	m.Attach(b.source(7))
	a.polls.Store(4)
	b.polls.Store(6)
	e := gather(t, m)
	for name, w := range map[string]float64{metrics.NamePolls: 10, metrics.NameAgents: 12, metrics.NamePlannedRate: 200, metrics.NameInFlight: 6} {
		if got, _ := e.Sum(name, nil); got != w {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	if got := e.By(metrics.NameAgentsSignedIn, metrics.LabelNode, nil); got["1"] != 5 || got["0"] != 1 {
		t.Errorf("signed in by node %v, want 0:1 1:5", got)
	}
}

// TestEmptySource: before any run, every figure is there at 0.
func TestEmptySource(t *testing.T) {
	e := gather(t, newMetrics(t))
	for _, name := range []string{metrics.NameSignInAttempts, metrics.NameSignInFailures, metrics.NameReSignIns,
		metrics.NameReSignInFailures, metrics.NameRotations, metrics.NamePolls, metrics.NamePollFailures,
		metrics.NameAgents, metrics.NameAgentsSignedIn, metrics.NamePlannedRate, metrics.NameAchievedRate, metrics.NameInFlight} {
		if got, ok := e.Sum(name, nil); !ok || got != 0 {
			t.Errorf("%s = %v (present %v), want 0", name, got, ok)
		}
	}
}
