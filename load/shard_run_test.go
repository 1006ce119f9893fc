package load_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/load"
	"ccgw-harness/mockgw"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// memGate is a start barrier in memory for shards of one process: when
// all n are at the gate they start lead later; a shard that is not there
// by the deadline gives the run up for those waiting.
type memGate struct {
	n        int
	lead     time.Duration
	deadline time.Time
	mu       sync.Mutex
	ready    map[int]bool
	start    time.Time
	all      chan struct{}
}

func newMemGate(n int, lead, timeout time.Duration) *memGate {
	return &memGate{n: n, lead: lead, deadline: time.Now().Add(timeout), ready: map[int]bool{}, all: make(chan struct{})}
}

// gate is shard i's StartGate.
func (g *memGate) gate(i int) load.StartGate {
	return func(ctx context.Context) (time.Time, error) {
		g.mu.Lock()
		g.ready[i] = true
		if len(g.ready) == g.n {
			g.start = time.Now().Add(g.lead)
			close(g.all)
		}
		g.mu.Unlock()
		t := time.NewTimer(time.Until(g.deadline))
		defer t.Stop()
		select {
		case <-g.all:
			time.Sleep(time.Until(g.start))
			return g.start, nil
		case <-t.C:
			var missing []string
			g.mu.Lock()
			for k := range g.n {
				if !g.ready[k] {
					missing = append(missing, "shard "+strconv.Itoa(k))
				}
			}
			g.mu.Unlock()
			return time.Time{}, &load.AbortError{Reason: strings.Join(missing, ", ") + " not ready", By: results.AbortedByStart}
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// runShards runs shards idx of n of the env's plan, each in its own
// goroutine with its own output directory and one start gate, and
// returns their outcomes and errors.
func (e *env) runShards(t *testing.T, n int, idx []int, timeout time.Duration) ([]*load.Outcome, []error) {
	t.Helper()
	g := newMemGate(n, 300*time.Millisecond, timeout)
	outs := make([]*load.Outcome, len(idx))
	errs := make([]error, len(idx))
	var wg sync.WaitGroup
	for k, i := range idx {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := pace.Shard{Index: i, Count: n}
			out := filepath.Join(filepath.Dir(e.out), "shard-"+strconv.Itoa(i))
			outs[k], errs[k] = load.Run(context.Background(), e.client, e.target, e.plan, out,
				load.WithShard(s), load.WithRunID("run-test"), load.WithStartGate(g.gate(i)))
		}()
	}
	wg.Wait()
	return outs, errs
}

// TestShardedJobs: three shards of one plan against one mock with fast Guid
// rotation split the agents and the requests exactly, start together, and
// merge into the plan's figures.
func TestShardedJobs(t *testing.T) {
	noLeaks(t)
	const agents, rate, n = 12, 150.0, 3
	// Second-scale rotation (loadtest's millisecond timings need an idle
	// machine; this test is about the split, not the keep-alive).
	const interval, timeout = time.Second, 4 * time.Second
	e := newEnv(t, agents, rate, 2*time.Second, false, mockgw.WithAuthMode(gateway.AuthDynamic),
		mockgw.WithGuidInterval(interval), mockgw.WithGuidTimeout(timeout), mockgw.WithPollWait(200*time.Millisecond))
	e.target.AuthMode, e.target.GuidInterval, e.target.GuidTimeout, e.target.PollWait = gateway.AuthDynamic, interval, timeout, 200*time.Millisecond
	e.plan.Warmup = 200 * time.Millisecond
	outs, errs := e.runShards(t, n, []int{0, 1, 2}, time.Minute)
	var sent, recorded uint64
	var files []string
	seen := map[string]int{}
	first := make([]time.Time, n)
	for i, o := range outs {
		if errs[i] != nil {
			t.Fatalf("shard %d: %v", i, errs[i])
		}
		// Every shard's schedule counts from the one agreed instant.
		if !o.Meta.Started.Equal(outs[0].Meta.Started) || o.Meta.Started.IsZero() {
			t.Errorf("shard %d started at %s, shard 0 at %s: want the one agreed instant", i, o.Meta.Started, outs[0].Meta.Started)
		}
		m := o.Meta
		if m.RunID != "run-test" || m.Shard == nil || m.Shard.Index != i || m.Shard.Count != n || m.Shard.PlanAgents != agents ||
			m.Shard.PlanRequestedRate != rate || m.Agents != agents/n || m.Sent != o.Sent || m.Recorded != o.Recorded {
			t.Errorf("shard %d meta: run %q shard %+v agents %d sent %d recorded %d", i, m.RunID, m.Shard, m.Agents, m.Sent, m.Recorded)
		}
		sent += o.Sent
		recorded += o.Recorded
		files = append(files, filepath.Join(o.Dir, load.ResultsFile))
		for k, r := range readResults(t, o.Dir) {
			if k == 0 || r.Timestamp.Before(first[i]) {
				first[i] = r.Timestamp
			}
			seen[r.URL] |= 1 << i
			if r.Error != "" {
				t.Errorf("shard %d: result %d: %s", i, k, r.Error)
				break
			}
		}
	}
	if want := uint64(rate * 2); sent != want || recorded != want {
		t.Errorf("the shards sent %d and recorded %d requests, want the plan's %d", sent, recorded, want)
	}
	if len(seen) != agents {
		t.Errorf("requests name %d agents, want %d", len(seen), agents)
	}
	for url, mask := range seen {
		if mask&(mask-1) != 0 {
			t.Errorf("agent %s was used by more than one shard (mask %b)", url, mask)
		}
	}
	lo, hi := first[0], first[0]
	for _, f := range first {
		lo, hi = minTime(lo, f), maxTime(hi, f)
	}
	// One process, one clock: the gate's start instant is the same for
	// all; the spread is timer and scheduling delay only.
	if hi.Sub(lo) > 250*time.Millisecond {
		t.Errorf("first sends of the shards span %s, want within 250ms", hi.Sub(lo))
	}
	st := e.mock.Stats()
	if rc := st.Calls[mockgw.CallSignIn].Retcodes[gateway.RetAlreadySignedIn]; rc != 0 || st.SignIns != agents {
		t.Errorf("mock: %d sign-ins, %d answered 100-002; want each of %d agents signed in once", st.SignIns, rc, agents)
	}
	if st.ActiveSessions != 0 || st.Rotations == 0 {
		t.Errorf("mock: %d sessions left, %d Guid rotations; want none left, and rotations followed", st.ActiveSessions, st.Rotations)
	}
	a := reports.NewAggregator()
	// Each shard's results.bin (read with the calls.bin beside it) holds
	// its logininfo requests, the report's top level.
	if _, _, err := results.ReadFiles(a, files...); err != nil || a.Report(results.Meta{}, slo.Objectives{}).Requests != sent {
		t.Errorf("merged %d logininfo results, %v; want %d", a.Report(results.Meta{}, slo.Objectives{}).Requests, err, sent)
	}
}

// TestShardedJobMissing: a gate that gives the run up (a shard never
// arrived) makes the others stop before their attack: they sign out,
// write their reports saying why (aborted, aborted_by start), and return
// the gate's *AbortError.
func TestShardedJobMissing(t *testing.T) {
	noLeaks(t)
	e := newEnv(t, 6, 60, time.Second, false)
	const timeout = 1500 * time.Millisecond
	t0 := time.Now()
	outs, errs := e.runShards(t, 3, []int{0, 1}, timeout)
	elapsed := time.Since(t0)
	for k, err := range errs {
		var ae *load.AbortError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), "shard 2 not ready") {
			t.Fatalf("shard %d: %v, want the gate's error naming shard 2", k, err)
		}
		o := outs[k]
		if o == nil || o.Report == nil || !strings.Contains(o.Meta.Aborted, "shard 2 not ready") || o.Meta.AbortedBy != results.AbortedByStart || o.Sent != 0 {
			t.Fatalf("shard %d outcome %+v: want reports written, aborted naming shard 2 (by start), nothing sent", k, o)
		}
		m, err := results.ReadMeta(filepath.Join(o.Dir, load.MetaFile))
		if err != nil || m.Aborted != o.Meta.Aborted {
			t.Errorf("shard %d meta.json: aborted %q, %v", k, m.Aborted, err)
		}
		if o.SignOut.SignedOut != 2 {
			t.Errorf("shard %d sign-out: %s, want its 2 agents", k, o.SignOut)
		}
	}
	if elapsed > timeout+30*time.Second {
		t.Errorf("the shards gave up after %s, deadline %s", elapsed, timeout)
	}
	if st := e.mock.Stats(); st.ActiveSessions != 0 || st.Calls[mockgw.CallLoginInfo].Requests > 16 {
		t.Errorf("mock: %d sessions left, %d logininfo calls (only the warm-up's may be there)", st.ActiveSessions, st.Calls[mockgw.CallLoginInfo].Requests)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestLateStart: a run that leaves its start gate after the agreed instant
// keeps the agreed schedule: the hits it is behind go out at once (their
// lag says so), the plan's hits are all sent, and meta.json's start is the
// agreed instant.
func TestLateStart(t *testing.T) {
	noLeaks(t)
	e := newEnv(t, 4, 50, time.Second, false)
	const late = 400 * time.Millisecond
	var agreed time.Time
	gate := func(context.Context) (time.Time, error) {
		agreed = time.Now().Add(-late)
		return agreed, nil
	}
	o := e.run(context.Background(), t, load.WithStartGate(gate))
	if o.Sent != 50 || o.Recorded != 50 {
		t.Errorf("sent %d, recorded %d; want the plan's 50", o.Sent, o.Recorded)
	}
	if !o.Meta.Started.Equal(agreed) {
		t.Errorf("meta started %s, want the agreed instant %s", o.Meta.Started, agreed)
	}
	found := false
	for _, w := range o.Meta.Warnings {
		found = found || strings.Contains(w, "after the start instant the shards agreed on")
	}
	if !found {
		t.Errorf("warnings %q: want the late start named", o.Meta.Warnings)
	}
	for _, r := range readResults(t, e.out) {
		if r.Seq != 0 {
			continue
		}
		lag, err := strconv.ParseInt(r.Headers.Get(results.HeaderLagUs), 10, 64)
		if err != nil || time.Duration(lag)*time.Microsecond < late {
			t.Errorf("hit 0: lag %v µs (%v), want at least %s: it was due at the agreed instant", r.Headers.Get(results.HeaderLagUs), err, late)
		}
	}
}
