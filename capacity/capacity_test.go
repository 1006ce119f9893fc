package capacity_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/capacity"
	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/load"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/mockgw"
	"ccgw-harness/reports"
	"ccgw-harness/reports/render"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// capEnv is a mock (with extra options) and a capacity plan against it.
func capEnv(t *testing.T, agents int, c config.Capacity, extra ...mockgw.Option) *env {
	t.Helper()
	e := newEnv(t, agents, 1, time.Second, extra...)
	e.plan.Rate, e.plan.Duration = 0, 0
	e.plan.Capacity = &c
	return e
}

// runCapacity runs e's capacity plan with opts and fails t on an error.
func (e *env) runCapacity(ctx context.Context, t *testing.T, opts ...capacity.Option) *capacity.Outcome {
	t.Helper()
	j, err := capacity.New(e.target, e.plan, e.out, opts...)
	if err != nil {
		t.Fatalf("capacity.New: %v", err)
	}
	o, err := j.Run(ctx, e.client, e.target)
	if err != nil {
		t.Fatalf("Search.Run: %v", err)
	}
	return o
}

// checkStepFiles checks every step's files: its results.bin holds the
// step's requests, and reading it back with its meta.json (as ccgw report
// does) reproduces the step's report.json byte for byte; merged/results.bin
// holds them all and merged/calls.bin the agents' calls. It returns the
// capacity.json read back.
func checkStepFiles(t *testing.T, dir string, o *capacity.Outcome) *reports.Capacity {
	t.Helper()
	c, err := reports.ReadCapacity(filepath.Join(dir, reports.CapacityFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Steps) != len(o.Capacity.Steps) || c.LimitedBy != o.Capacity.LimitedBy {
		t.Fatalf("capacity.json has %d steps limited by %s; the outcome %d, %s", len(c.Steps), c.LimitedBy, len(o.Capacity.Steps), o.Capacity.LimitedBy)
	}
	var total uint64
	for _, st := range c.Steps {
		sd := filepath.Join(dir, st.Dir)
		rs := loadtest.ReadResults(t, filepath.Join(sd, load.ResultsFile))
		if uint64(len(rs)) != st.Requests {
			t.Errorf("step %d: %d results in %s, capacity.json counts %d", st.Step, len(rs), st.Dir, st.Requests)
		}
		total += st.Requests
		meta, err := results.ReadMeta(filepath.Join(sd, load.MetaFile))
		if err != nil {
			t.Fatal(err)
		}
		if !meta.LatencyFromPlanned || meta.RequestedRate != st.Rate || meta.SLO == nil {
			t.Errorf("step %d meta.json: %+v; want latency_from_planned, rate %v and the SLO", st.Step, meta, st.Rate)
		}
		a := reports.NewAggregator(reports.WithLatencyFromPlanned(meta.LatencyFromPlanned))
		if _, _, err := results.ReadFiles(a, filepath.Join(sd, load.ResultsFile)); err != nil {
			t.Fatal(err)
		}
		var again bytes.Buffer
		rep := a.Report(meta, *meta.SLO)
		if err := render.RunJSON(&again, rep); err != nil {
			t.Fatal(err)
		}
		live, err := os.ReadFile(filepath.Join(sd, reports.JSONFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), live) {
			t.Errorf("step %d: report.json rebuilt from its results differs from the live one", st.Step)
		}
		if rep.LatencyMS != st.LatencyMS || rep.ErrorRate != st.ErrorRate || rep.Rate.Achieved != st.Achieved {
			t.Errorf("step %d: rebuilt figures %+v %v %v, capacity.json %+v %v %v", st.Step, rep.LatencyMS, rep.ErrorRate, rep.Rate.Achieved, st.LatencyMS, st.ErrorRate, st.Achieved)
		}
	}
	// merged/results.bin holds the steps' logininfo results and nothing
	// else; merged/calls.bin the agents' own calls of the search (sign-ins,
	// polls, sign-outs); a step's directory has no calls.bin.
	md := filepath.Join(dir, capacity.MergedDir)
	merged := loadtest.ReadResults(t, filepath.Join(md, load.ResultsFile))
	if li := loadtest.OfCall(merged, gateway.CallLoginInfo); uint64(len(li)) != total || len(li) != len(merged) {
		t.Errorf("merged/results.bin holds %d results, %d of them logininfo; the steps %d", len(merged), len(li), total)
	}
	calls := loadtest.CallCounts(loadtest.ReadResults(t, filepath.Join(md, load.CallsFile)))
	if calls[gateway.CallSignIn] == 0 || calls[gateway.CallLogout] == 0 || calls[gateway.CallLoginInfo] != 0 {
		t.Errorf("merged/calls.bin holds %v: want the sign-ins and sign-outs, no logininfo", calls)
	}
	for _, st := range c.Steps {
		if _, err := os.Stat(filepath.Join(dir, st.Dir, load.CallsFile)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("step %d: %s: %v; want none", st.Step, load.CallsFile, err)
		}
	}
	for _, f := range []string{reports.SummaryFile, reports.HTMLFile, reports.JUnitFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	return c
}

// allSignedOut fails unless the mock has no session left and saw as many
// sign-outs as sign-ins.
func allSignedOut(t *testing.T, m *mockgw.Server) {
	t.Helper()
	st := m.Stats()
	if st.ActiveSessions != 0 || st.SignIns == 0 || st.SignOuts != st.SignIns {
		t.Errorf("mock: %d active sessions, %d sign-ins, %d sign-outs; want every agent signed out", st.ActiveSessions, st.SignIns, st.SignOuts)
	}
}

// TestCapacityFindsMockCapacity: against the mock with capacity 200 the
// search finds 200 within 5 %. Each step is 3 s and gated on p50 30 ms:
// above 200/s the mock's queue grows with every request, so the median
// waits about (R/200 - 1) × 1.5 s, which crosses 30 ms 2 % above 200; the
// median is deaf to a generator's occasional hiccup.
//
// On a loaded machine the generator is descheduled now and then and sends
// the overdue requests in a burst, which a queue just below its capacity
// takes long to work off: the mock really is slower then, and the answer
// falls below 200. So the test asserts within 5 % when the generator kept
// its schedule (no step lagged more than quietLag), and otherwise only that
// the answer never claims more than the mock sustains and is not absurdly
// low, logging why. Should the generator not drive a step at all, the
// answer must say so (limited_by generator). Before every step the mock's
// queue is empty: the drain worked.
func TestCapacityFindsMockCapacity(t *testing.T) {
	noLeaks(t)
	const mockCap, quietLag = 200.0, 20.0 // req/s, ms
	e := capEnv(t, 40, config.Capacity{Start: 150, Max: 400, Step: 3 * time.Second, Precision: 0.05, Growth: 1.5},
		mockgw.WithCapacity(mockCap))
	e.plan.Connections, e.plan.Warmup = 64, 500*time.Millisecond
	p50, maxErr := 30*time.Millisecond, 0.01
	var mu sync.Mutex
	var backlogs []time.Duration
	o := e.runCapacity(context.Background(), t,
		capacity.WithSLO(slo.Objectives{Latency: map[string]time.Duration{"p50": p50}, ErrorRate: &maxErr}),
		capacity.WithStepStarted(func() {
			mu.Lock()
			backlogs = append(backlogs, e.mock.CapacityBacklog())
			mu.Unlock()
		}))
	c := checkStepFiles(t, e.out, o)
	maxLag := 0.0
	for _, st := range c.Steps {
		t.Logf("step %d %s %v/s: pass %v valid %v p50 %.2f ms (response %.2f ms), max lag %.1f ms %s", st.Step, st.Phase, st.Rate, st.Pass, st.Valid,
			st.LatencyMS.P50, st.ResponseLatencyMS.P50, st.Generator.MaxLagMS, st.Reason)
		maxLag = math.Max(maxLag, st.Generator.MaxLagMS)
	}
	t.Logf("answer: %s (limited_by %s)", c.Answer, c.LimitedBy)
	switch {
	case strings.HasPrefix(c.LimitedBy, reports.CapacityLimitedBySLO):
		if !c.Found() || !c.Confirmed || c.Bound == nil {
			t.Fatalf("answer %s: want a confirmed rate and the first failing rate above it", c.Answer)
		}
		got := *c.MaxSustainableRate
		if got > mockCap*1.05 {
			t.Errorf("answer %s claims more than the mock's capacity %v", c.Answer, mockCap)
		}
		if *c.Bound > got*1.05*1.01 {
			t.Errorf("bound %v: want it within the precision of the answer %v", *c.Bound, got)
		}
		switch {
		case maxLag <= quietLag && got < mockCap*0.95:
			t.Errorf("answer %s: want within 5%% of the mock's capacity %v (the generator lagged at most %.1f ms)", c.Answer, mockCap, maxLag)
		case got < mockCap*0.7:
			t.Errorf("answer %s: far below the mock's capacity %v even for a generator lagging %.1f ms", c.Answer, mockCap, maxLag)
		case got < mockCap*0.95:
			t.Logf("answer %v below 5%% of %v: the generator lagged up to %.1f ms on this machine, and the mock queued its bursts", got, mockCap, maxLag)
		}
	case c.LimitedBy == reports.CapacityLimitedByGenerator:
		// Honest only: never more than the mock sustains, and an invalid
		// step says why.
		if c.Found() && *c.MaxSustainableRate > mockCap*1.05 {
			t.Errorf("the generator-limited answer %s claims more than the mock's capacity %v", c.Answer, mockCap)
		}
		invalid := 0
		for _, st := range c.Steps {
			if !st.Valid {
				invalid++
				if st.LimitedBy != reports.CapacityLimitedByGenerator || !strings.Contains(st.Reason, "generator") {
					t.Errorf("invalid step %d: limited_by %q reason %q", st.Step, st.LimitedBy, st.Reason)
				}
			}
		}
		if invalid == 0 {
			t.Error("limited by the generator without an invalid step")
		}
		t.Logf("the generator could not drive the search on this machine: %s", c.Answer)
	default:
		t.Errorf("limited_by %q: want slo:p50 or generator", c.LimitedBy)
	}
	if len(backlogs) != len(c.Steps) {
		t.Errorf("%d steps started, %d in capacity.json", len(backlogs), len(c.Steps))
	}
	for i, b := range backlogs {
		if b != 0 {
			t.Errorf("step %d started with %s of the mock's queue left: the drain did not wait for it", i+1, b)
		}
	}
	allSignedOut(t, e.mock)
	if o.SignOut.SignedOut != 40 || o.Interrupted {
		t.Errorf("sign-out %s, interrupted %v", o.SignOut, o.Interrupted)
	}
	// No password, token or Guid (they end in the node suffix) anywhere.
	assertNoSecretsTree(t, e.out, testPassword, "phonetoken", gateway.NodeSuffix(1))
}

// assertNoSecretsTree is assertNoSecrets for dir and every directory in it.
func assertNoSecretsTree(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		for _, s := range secrets {
			if err == nil && strings.Contains(string(b), s) {
				t.Errorf("%s contains a secret", p)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCapacityGeneratorLimited: against a mock far faster than the
// generator can drive, the search ends on the generator: its answer says
// limited_by generator, and the steps that stopped it are invalid, not
// failed (the gateway never broke a gate).
func TestCapacityGeneratorLimited(t *testing.T) {
	noLeaks(t)
	// Two requests in flight at most: the mock answers in well under a
	// millisecond to a few, so the generator drives some thousands a
	// second, never 256000. Doubling steps and 50 % precision end the
	// search soon after the first invalid step.
	e := capEnv(t, 20, config.Capacity{Start: 250, Max: 256000, Step: 500 * time.Millisecond, Precision: 0.5, Growth: 2})
	e.plan.Connections = 1
	p99 := 5 * time.Second
	o := e.runCapacity(context.Background(), t, capacity.WithSLO(slo.Objectives{Latency: map[string]time.Duration{"p99": p99}}))
	c := checkStepFiles(t, e.out, o)
	for _, st := range c.Steps {
		t.Logf("step %d %s %v/s: sent %.0f/s pass %v valid %v %s", st.Step, st.Phase, st.Rate, st.Achieved, st.Pass, st.Valid, st.Reason)
	}
	if c.LimitedBy != reports.CapacityLimitedByGenerator || !strings.Contains(c.Answer, "generator") {
		t.Fatalf("answer %s (limited_by %s): want the generator", c.Answer, c.LimitedBy)
	}
	invalid := 0
	for _, st := range c.Steps {
		if !st.Valid {
			invalid++
		} else if !st.Pass {
			t.Errorf("step %d failed on the gateway's account (%s): the mock never breaks a 5 s p99", st.Step, st.Reason)
		}
	}
	if invalid == 0 || c.Bound == nil {
		t.Fatalf("limited by the generator with %d invalid steps and bound %v", invalid, c.Bound)
	}
	// The bound is a rate the generator could not drive (its last step there
	// was invalid, retry included), and the answer lies below it.
	for i := len(c.Steps) - 1; i >= 0; i-- {
		if st := c.Steps[i]; st.Rate == *c.Bound {
			if st.Valid {
				t.Errorf("the bound %v/s was last run as a valid step", *c.Bound)
			}
			break
		}
	}
	if c.Found() && *c.MaxSustainableRate >= *c.Bound {
		t.Errorf("answer %s at or above its bound %v", c.Answer, *c.Bound)
	}
	allSignedOut(t, e.mock)
}

// TestCapacityInterrupted: a cancel in the middle of the search ends it at
// once: every agent signed out, the steps done so far written, the
// interrupted step marked, capacity.json interrupted.
func TestCapacityInterrupted(t *testing.T) {
	noLeaks(t)
	e := capEnv(t, 10, config.Capacity{Start: 50, Max: 400, Step: 30 * time.Second, Precision: 0.05, Growth: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	steps := 0
	o := e.runCapacity(ctx, t, capacity.WithStepStarted(func() {
		steps++
		base := logininfoRequests(e.mock)
		wg.Add(1)
		go func() {
			defer wg.Done()
			eventually(t, 20*time.Second, "20 requests", func() bool { return logininfoRequests(e.mock) >= base+20 })
			cancel()
		}()
	}))
	if !o.Interrupted || o.Capacity == nil || !o.Capacity.Interrupted || o.Capacity.LimitedBy != reports.CapacityLimitedByInterrupted {
		t.Fatalf("outcome interrupted %v, capacity %+v", o.Interrupted, o.Capacity)
	}
	c := checkStepFiles(t, e.out, o)
	if steps != 1 || len(c.Steps) != 1 || !c.Steps[0].Interrupted || c.Steps[0].Requests < 20 || c.Steps[0].Pass {
		t.Errorf("%d steps started; capacity.json steps %+v: want the one interrupted step with its requests", steps, c.Steps)
	}
	if c.Found() || !strings.Contains(c.Answer, "interrupted") {
		t.Errorf("answer %q: want none yet, interrupted", c.Answer)
	}
	allSignedOut(t, e.mock)
}

// TestCapacityRefusals: what New refuses, and the max_rate cap. (--rate
// and --duration cannot be given: capacity.Option has no such option.)
func TestCapacityRefusals(t *testing.T) {
	e := capEnv(t, 5, config.Capacity{Start: 100, Max: 3000, Step: time.Second, Precision: 0.05, Growth: 2})
	refuse := func(name string, want string, p *config.Plan, tg *config.Target, opts ...capacity.Option) {
		t.Helper()
		_, err := capacity.New(tg, p, e.out, opts...)
		var re *load.RefusedError
		if err == nil || !errors.As(err, &re) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a refusal naming %q", name, err, want)
		}
	}
	rate := *e.plan
	rate.Capacity, rate.Rate, rate.Duration = nil, 10, time.Second
	refuse("rate plan", "has no capacity block", &rate, e.target)
	noLoad := *e.target
	noLoad.AllowLoad = false
	refuse("allow_load", "allow_load", e.plan, &noLoad)
	capped := *e.target
	capped.MaxRate = 50
	refuse("start above max_rate", "above target mock's max_rate", e.plan, &capped)
	if _, err := load.Run(context.Background(), e.client, e.target, e.plan, e.out); err == nil || !strings.Contains(err.Error(), "run it with ccgw capacity") {
		t.Errorf("load.Run of a capacity plan: %v, want a refusal pointing to ccgw capacity", err)
	}
	capped.MaxRate = 1000
	j, err := capacity.New(&capped, e.plan, e.out)
	if err != nil {
		t.Fatal(err)
	}
	if s := j.Settings(); s.Max != 1000 || s.Start != 100 {
		t.Errorf("settings %+v: want max capped at the target's max_rate 1000", s)
	}
	if j.Estimate() != time.Duration(j.Settings().MaxSteps())*time.Second || !strings.Contains(j.EstimateText(), "at most") {
		t.Errorf("estimate %s (%s)", j.Estimate(), j.EstimateText())
	}
	if _, err := os.Stat(filepath.Join(e.out, capacity.MergedDir)); err != nil {
		t.Errorf("capacity.New must prove the output writable: %v", err)
	}
}
