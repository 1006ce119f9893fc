package reliability_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/load"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/mockgw"
	"ccgw-harness/mockgw/faultset"
	"ccgw-harness/reports"
	"ccgw-harness/slo"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// maxErrorRate is the error-rate gate of the fault matrix.
const maxErrorRate = 0.01

// matrixSLO is the fault matrix's objectives: at most maxErrorRate errors
// and no contract violation. Saturation is not gated: the cases run side by
// side on two shared cores, and whether the generator kept its schedule is
// not what they test.
func matrixSLO() slo.Objectives {
	er, sat := maxErrorRate, false
	return slo.Objectives{ErrorRate: &er, Saturation: &sat}
}

// Error classes (verdict strings) the cases expect.
const (
	errReset     = "transport reset"
	errEOF       = "transport eof"
	errTLS       = "transport tls"
	errTimeout   = "timeout"
	errHTTP503   = "http 503"
	errMalformed = "envelope malformed"
	errTruncated = "envelope truncated"
	errGone      = "retcode " + gateway.RetNotSignedIn
	errInternal  = "retcode " + gateway.RetInternal
	errWrongNum  = "contract " + gateway.ViolationWrongPhone
)

// faultCase is one row of the fault matrix.
type faultCase struct {
	name    string
	agents  int
	rate    float64
	dur     time.Duration
	dynamic bool
	// mockOpts apply from the mock's start (sign-in included).
	mockOpts []mockgw.Option
	// plan adjusts the plan (timeout, sign-in failure budget).
	plan func(*config.Plan)
	// faults are switched on when the measured attack starts, so the
	// mock's fault counters cover exactly the recorded requests.
	faults faultset.Faults
	// act, when set, runs on its own goroutine from the start of the
	// measured attack; it waits for what it needs (bounded), acts and
	// records when in actBefore and actAfter. Its error fails the case.
	act func(r *rig, ob *faultObs) error
	// slo adjusts matrixSLO.
	slo func(*slo.Objectives)

	// classes are the error classes the fault may produce; the run must
	// show errors only of these, and some unless classes is empty.
	classes []string
	// share is the injected probability of an error per request (binomial
	// check of the error count); 0: no such check.
	share float64
	// mockKind names the mock's fault counter that must equal the number
	// of errors of mockClasses (all errors when mockClasses is empty).
	mockKind    string
	mockClasses []string
	// beyondTimeout: the fault (mockKind) holds a request past the plan's
	// timeout, so every injected one is a timeout; but on a loaded machine
	// a request may also time out waiting for a connection (it never
	// reaches the mock) or after the mock answered it, so timeouts are
	// counted against the mock's own counts, not assumed equal to the
	// faults (see checkTimeouts).
	beyondTimeout bool
	// reach: every request sent reaches the logininfo handler (the mock's
	// request count grows by exactly the requests sent); unreached lists
	// error classes whose requests never do.
	reach     bool
	unreached []string
	// pass and failing are the expected verdict and failing gate names.
	pass    bool
	failing []string
	// check makes the case's own assertions.
	check func(t *testing.T, ob *faultObs)
}

// faultObs is what one fault run produced.
type faultObs struct {
	c       *faultCase
	rig     *rig
	o       *load.Outcome
	rep     *reports.Report
	results []vegeta.Result
	errs    map[string]uint64 // errors by class, counted from results.bin
	before  mockgw.Stats      // when the measured attack started
	after   mockgw.Stats      // after the run
	started time.Time         // measured attack started (faults on)
	// actBefore and actAfter bracket the case's action.
	actBefore, actAfter time.Time
	// stormRefused is how many handshakes the mock refused during a TLS
	// storm (see tlsStorm), at least.
	stormRefused uint64
}

// errorsOf sums the errors of the given classes.
func (ob *faultObs) errorsOf(classes ...string) uint64 {
	var n uint64
	for _, c := range classes {
		n += ob.errs[c]
	}
	return n
}

// totalErrors is the number of failed requests.
func (ob *faultObs) totalErrors() uint64 {
	var n uint64
	for _, v := range ob.errs {
		n += v
	}
	return n
}

// faultDelta is how often the mock injected kind during the measured attack.
func (ob *faultObs) faultDelta(kind string) uint64 {
	return ob.after.Faults[kind] - ob.before.Faults[kind]
}

// logininfoDelta is how many logininfo requests the mock saw during the
// measured attack.
func (ob *faultObs) logininfoDelta() uint64 {
	return ob.after.Calls[mockgw.CallLoginInfo].Requests - ob.before.Calls[mockgw.CallLoginInfo].Requests
}

// faultMatrix is every fault the mock injects, each through a short plan.
func faultMatrix() []faultCase {
	shortTimeout := func(p *config.Plan) { p.Timeout = 300 * time.Millisecond }
	return []faultCase{
		{
			name: "reset", agents: 20, rate: 150, dur: 2 * time.Second,
			faults:  faultset.Faults{ResetRate: 0.08},
			classes: []string{errReset, errEOF}, share: 0.08, mockKind: faultset.CounterReset, reach: true,
			failing: []string{slo.GateErrorRate},
		},
		{
			name: "stall beyond the request timeout", agents: 20, rate: 150, dur: 2 * time.Second,
			plan:    shortTimeout,
			faults:  faultset.Faults{StallRate: 0.08, StallFor: 5 * time.Second},
			classes: []string{errTimeout}, share: 0.08, mockKind: faultset.CounterStall, beyondTimeout: true,
			failing: []string{slo.GateErrorRate},
			check: func(t *testing.T, ob *faultObs) {
				// A timeout is reported only after the request waited the
				// whole timeout.
				for _, r := range ob.results {
					if r.Error == errTimeout && r.Latency < ob.rig.plan.Timeout*9/10 {
						t.Errorf("request %d classified timeout after %v, before the %v timeout", r.Seq, r.Latency, ob.rig.plan.Timeout)
					}
				}
			},
		},
		{
			name: "stall then close", agents: 20, rate: 150, dur: 2 * time.Second,
			faults:  faultset.Faults{StallRate: 0.08, StallFor: 50 * time.Millisecond},
			classes: []string{errEOF, errReset}, share: 0.08, mockKind: faultset.CounterStall, reach: true,
			failing: []string{slo.GateErrorRate},
		},
		{
			name: "http 503", agents: 20, rate: 150, dur: 2 * time.Second,
			faults:  faultset.Faults{HTTPErrorRate: 0.1},
			classes: []string{errHTTP503}, share: 0.1, mockKind: faultset.CounterHTTPError, reach: true,
			failing: []string{slo.GateErrorRate},
			check: func(t *testing.T, ob *faultObs) {
				if got := ob.rep.StatusCodes["503"]; got != ob.errs[errHTTP503] {
					t.Errorf("status_codes[503] = %d, errors %s = %d", got, errHTTP503, ob.errs[errHTTP503])
				}
			},
		},
		{
			name: "malformed json", agents: 20, rate: 150, dur: 2 * time.Second,
			faults:  faultset.Faults{MalformedRate: 0.1},
			classes: []string{errMalformed}, share: 0.1, mockKind: faultset.CounterMalformed, reach: true,
			failing: []string{slo.GateErrorRate},
		},
		{
			name: "truncated body", agents: 20, rate: 150, dur: 2 * time.Second,
			faults:  faultset.Faults{TruncatedRate: 0.1},
			classes: []string{errTruncated}, share: 0.1, mockKind: faultset.CounterTruncated, reach: true,
			failing: []string{slo.GateErrorRate},
		},
		{
			name: "retcode error", agents: 20, rate: 150, dur: 2 * time.Second,
			faults:  faultset.Faults{RetcodeRate: 0.1},
			classes: []string{errInternal}, share: 0.1, mockKind: faultset.CounterRetcode, reach: true,
			failing: []string{slo.GateErrorRate},
		},
		{
			name: "wrong phonenum", agents: 20, rate: 150, dur: 2 * time.Second,
			faults:  faultset.Faults{WrongPhoneRate: 0.1},
			classes: []string{errWrongNum}, share: 0.1, mockKind: faultset.CounterWrongPhone, reach: true,
			failing: []string{slo.GateContractViolations, slo.GateErrorRate},
			check: func(t *testing.T, ob *faultObs) {
				if ob.rep.ContractViolations != ob.errs[errWrongNum] {
					t.Errorf("contract_violations %d, errors %s %d", ob.rep.ContractViolations, errWrongNum, ob.errs[errWrongNum])
				}
			},
		},
		{
			name: "slow body within the timeout", agents: 20, rate: 150, dur: 2 * time.Second,
			faults: faultset.Faults{SlowBodyRate: 0.08, SlowBodyFor: 400 * time.Millisecond},
			slo:    func(s *slo.Objectives) { s.Latency = map[string]time.Duration{"p99": 250 * time.Millisecond} },
			reach:  true, failing: []string{"p99"},
			check: func(t *testing.T, ob *faultObs) {
				// Every slow answer is a success that took at least the
				// slow-body time (physics: the mock sleeps that long). Other
				// answers take milliseconds of service, but they may queue
				// for a connection behind slow bodies (each holds one of the
				// 8 for 400 ms), the more so on a loaded machine: a quarter
				// of them that slow has been seen. Only a majority that slow
				// means a bug (the harness adding time to every answer).
				var slow uint64
				for _, r := range ob.results {
					if r.Latency >= 400*time.Millisecond {
						slow++
					}
				}
				injected := ob.faultDelta(faultset.CounterSlowBody)
				if injected == 0 || slow < injected || slow > ob.rep.Requests/2 {
					t.Errorf("%d of %d results took >= 400ms, the mock sent %d slow bodies", slow, ob.rep.Requests, injected)
				}
				// More than 1% of the answers took 400 ms, so p99 did too.
				if ob.rep.LatencyMS.P99 < 400*(1-1e-3) && injected > ob.rep.Requests/100 {
					t.Errorf("p99 %.1f ms, want >= 400 ms with %d slow bodies of %d", ob.rep.LatencyMS.P99, injected, ob.rep.Requests)
				}
			},
		},
		{
			name: "slow body beyond the timeout", agents: 20, rate: 150, dur: 2 * time.Second,
			plan:    shortTimeout,
			faults:  faultset.Faults{SlowBodyRate: 0.08, SlowBodyFor: 3 * time.Second},
			classes: []string{errTimeout}, share: 0.08, mockKind: faultset.CounterSlowBody, beyondTimeout: true,
			failing: []string{slo.GateErrorRate},
		},
		{
			// Keep-alive connections are only re-dialed when one breaks, so
			// resets make the attack dial. A storm of refused handshakes
			// (see tlsStorm) makes sure some request's own dial is refused;
			// requests whose handshake failed never reach the handler. Then
			// the gateway's TLS recovers, before the sign-out (see the next
			// case for why), and every request sent afterwards succeeds.
			name: "tls handshake failure", agents: 20, rate: 150, dur: 3 * time.Second,
			faults:  faultset.Faults{ResetRate: 0.08},
			act:     tlsStorm(faultset.Faults{}),
			classes: []string{errReset, errEOF, errTLS}, mockKind: faultset.CounterReset, mockClasses: []string{errReset, errEOF},
			reach: true, unreached: []string{errTLS},
			failing: []string{slo.GateErrorRate},
			check:   checkTLS,
		},
		{
			// The same, but after the storm half the handshakes keep
			// failing through the sign-out: every agent must still be
			// signed out.
			name: "tls handshake failure through sign-out", agents: 20, rate: 150, dur: 3 * time.Second,
			faults:  faultset.Faults{ResetRate: 0.08},
			act:     tlsStorm(faultset.Faults{ResetRate: 0.08, TLSFailRate: 0.5}),
			classes: []string{errReset, errEOF, errTLS}, mockKind: faultset.CounterReset, mockClasses: []string{errReset, errEOF},
			reach: true, unreached: []string{errTLS},
			failing: []string{slo.GateErrorRate},
			check:   checkTLS,
		},
		{
			// The restart comes after the attack's first 100 requests
			// (about 0.7 s), not at a time: the 3.3 s left are the generous
			// deadline for every lost session to come back.
			name: "gateway restart", agents: 20, rate: 150, dur: 4 * time.Second,
			act: func(r *rig, ob *faultObs) error {
				base := ob.before.Calls[mockgw.CallLoginInfo].Requests
				if !waitUntil(progressWait, func() bool { return r.mock.Stats().Calls[mockgw.CallLoginInfo].Requests >= base+100 }) {
					return fmt.Errorf("the mock did not see 100 requests within %v", testscale.D(progressWait))
				}
				ob.actBefore = time.Now()
				// Slow sign-ins make the gap visible: without them the
				// keep-alive, whose held polls the restart answers at once,
				// may re-sign everyone in before the attack notices.
				if err := r.mock.SetFaults(faultset.Faults{SignInLatency: 200 * time.Millisecond}); err != nil {
					return err
				}
				r.mock.Restart()
				ob.actAfter = time.Now()
				return nil
			},
			classes: []string{errGone}, reach: true,
			failing: []string{slo.GateErrorRate},
			check:   checkRestart,
		},
		{
			// Every poll hands out a new Guid; each lives 4 s from its
			// issue and a session 6 s without a poll, so a correct harness,
			// which polls every agent at least every half second, loses one
			// only if its poller is starved for over 3 s; the 5 s plan still
			// outlives the sign-in Guids by a second, so a harness that kept
			// using them would fail.
			name: "guid rotation on every poll", agents: 20, rate: 150, dur: 5 * time.Second, dynamic: true,
			mockOpts: []mockgw.Option{mockgw.WithFaults(faultset.Faults{RotateEveryPoll: true}),
				mockgw.WithGuidTimeout(4 * time.Second), mockgw.WithIdleTimeout(6 * time.Second)},
			reach: true, pass: true,
			check: func(t *testing.T, ob *faultObs) {
				forced, rot := ob.after.Faults[faultset.CounterRotateEveryPoll], ob.after.Rotations
				if forced < uint64(ob.c.agents) || ob.o.Rotations < int64(ob.c.agents) || uint64(ob.o.Rotations) > rot {
					t.Errorf("the mock rotated %d Guids (%d forced on a poll), the keep-alive switched %d times: want >= %d of each, every switch one of the mock's",
						rot, forced, ob.o.Rotations, ob.c.agents)
				}
			},
		},
		{
			name: "agents unable to sign in", agents: 40, rate: 150, dur: 2 * time.Second,
			mockOpts: []mockgw.Option{mockgw.WithFaults(faultset.Faults{SignInFailRate: 0.25})},
			plan:     func(p *config.Plan) { p.MaxSignInFailures = 0.5 },
			reach:    true, pass: true,
			check: func(t *testing.T, ob *faultObs) {
				si := ob.o.SignIn
				refused := ob.after.Faults[faultset.CounterSignInFail]
				if si.Failed == 0 || uint64(si.Failed) != refused || si.SignedIn+si.Failed != ob.c.agents {
					t.Errorf("sign-in: %d signed in, %d failed; the mock refused %d of %d agents", si.SignedIn, si.Failed, refused, ob.c.agents)
				}
				if tol := binomialTol(uint64(ob.c.agents), 0.25); math.Abs(float64(si.Failed)-0.25*float64(ob.c.agents)) > tol {
					t.Errorf("%d of %d agents failed to sign in, want 25%% ± %.1f", si.Failed, ob.c.agents, tol)
				}
				reason := "retcode " + gateway.RetInternal + " (" + gateway.RetcodeMeaning(gateway.RetInternal) + ")"
				if len(si.Reasons) != 1 || si.Reasons[reason] != si.Failed {
					t.Errorf("sign-in failure reasons %v, want all %q", si.Reasons, reason)
				}
				if ob.rep.AgentsFailed != si.Failed || ob.o.Meta.AgentsFailed != si.Failed {
					t.Errorf("report agents_failed %d, meta %d, want %d", ob.rep.AgentsFailed, ob.o.Meta.AgentsFailed, si.Failed)
				}
				// Only the signed-in agents carry load, evenly.
				per := map[string]int{}
				for _, r := range ob.results {
					per[r.URL]++
				}
				if len(per) != si.SignedIn {
					t.Errorf("%d agents carried load, %d signed in", len(per), si.SignedIn)
				}
			},
		},
	}
}

// tlsStorm is the action of the TLS cases. Whether a refused handshake
// reaches a request is a race: the transport dials for a request that
// finds no idle connection, but hands the request any connection that
// comes back first and drops the dial's error. So the action makes a storm
// in which no connection can come back: once every agent holds its event
// poll (from then on the agents' connections dial nothing until the run
// ends), every handshake is refused and every request that reaches the
// handler is reset. The attack then has at most plan.Connections
// connections alive or dialing when the storm begins, each of which can
// serve one waiting request before it is reset; every other refused dial
// is a request's own, which fails with transport tls. The storm lasts
// until the mock refused Connections+4 handshakes (about 12 requests, some
// 80 ms at 150/s; the 3 s deadline is the generous part), then the faults
// become after.
func tlsStorm(after faultset.Faults) func(r *rig, ob *faultObs) error {
	return func(r *rig, ob *faultObs) error {
		agents := uint64(r.plan.Agents)
		if !waitUntil(progressWait, func() bool { return r.mock.Stats().Calls[mockgw.CallPoll].Requests >= agents }) {
			return fmt.Errorf("the agents' event polls were not all held within %v", testscale.D(progressWait))
		}
		want := uint64(r.plan.Connections) + 4
		base := r.mock.Stats().Faults[faultset.CounterTLSFail]
		ob.actBefore = time.Now()
		if err := r.mock.SetFaults(faultset.Faults{ResetRate: 1, TLSFailRate: 1}); err != nil {
			return err
		}
		done := waitUntil(3*time.Second, func() bool { return r.mock.Stats().Faults[faultset.CounterTLSFail]-base >= want })
		// Read before the storm ends: an undercount only weakens the
		// lower bound checkTLS draws from it.
		ob.stormRefused = r.mock.Stats().Faults[faultset.CounterTLSFail] - base
		if err := r.mock.SetFaults(after); err != nil {
			return err
		}
		ob.actAfter = time.Now()
		if !done {
			return fmt.Errorf("the storm refused only %d handshakes within %v (want %d): the attack sent too few requests to prove anything",
				ob.stormRefused, testscale.D(3*time.Second), want)
		}
		return nil
	}
}

// checkTLS: requests whose handshake was refused are classified transport
// tls: never more of them than the mock refused handshakes, and no fewer
// than the storm's refusals less the connections that could serve a
// waiting request (see tlsStorm). When the TLS recovered, every request
// sent afterwards succeeded.
func checkTLS(t *testing.T, ob *faultObs) {
	tlsErrs, refused := ob.errs[errTLS], ob.faultDelta(faultset.CounterTLSFail)
	floor := ob.stormRefused - min(ob.stormRefused, uint64(ob.rig.plan.Connections))
	if tlsErrs < max(floor, 1) || tlsErrs > refused {
		t.Errorf("%d requests classified %q; the mock refused %d handshakes, %d of them in the storm: want %d..%d",
			tlsErrs, errTLS, refused, ob.stormRefused, max(floor, 1), refused)
	}
	if ob.c.name == "tls handshake failure" {
		for _, r := range ob.results {
			if r.Error != "" && r.Timestamp.After(ob.actAfter) {
				t.Errorf("request %d sent after the TLS recovered failed: %s", r.Seq, r.Error)
				break
			}
		}
	}
}

// checkRestart: sessions lost at the restart are re-established, the
// errors are confined to the gap, and the run recovers.
func checkRestart(t *testing.T, ob *faultObs) {
	o, st := ob.o, ob.after
	if o.Meta.ReSignIns < 1 || o.Meta.ReSignIns > 2*ob.c.agents || ob.rep.ReSignIns != o.Meta.ReSignIns {
		t.Errorf("re-sign-ins %d (report %d), want 1..%d", o.Meta.ReSignIns, ob.rep.ReSignIns, 2*ob.c.agents)
	}
	if st.Restarts != 1 {
		t.Errorf("mock restarts %d, want 1", st.Restarts)
	}
	if want := uint64(o.SignIn.SignedIn + o.Meta.ReSignIns); st.SignIns != want {
		t.Errorf("mock counts %d sign-ins, the run %d sign-ins + %d re-sign-ins", st.SignIns, o.SignIn.SignedIn, o.Meta.ReSignIns)
	}
	// No 100-006 for a request sent well before the restart; success
	// after. A request is sent, then reaches the mock within milliseconds;
	// half a second (times the scale) is the margin for a loaded machine.
	skew := testscale.D(500 * time.Millisecond)
	var okAfter int
	for _, r := range ob.results {
		switch {
		case r.Error == errGone && r.Timestamp.Before(ob.actBefore.Add(-skew)):
			t.Errorf("request %d sent %v before the restart answered 100-006", r.Seq, ob.actBefore.Sub(r.Timestamp))
		case r.Error == "" && r.Timestamp.After(ob.actAfter):
			okAfter++
		}
	}
	if okAfter == 0 {
		t.Error("no request succeeded after the restart")
	}
	ts := ob.rep.TimeSeries
	if len(ts) == 0 || ts[len(ts)-1].Errors != 0 || ts[len(ts)-1].OK == 0 {
		t.Errorf("the last second of the time series is not clean: %s", seriesText(ts))
	}
}

// TestFaultMatrix runs every fault of faultMatrix through a short plan, at
// most MaxParallelRuns at once.
func TestFaultMatrix(t *testing.T) {
	for _, c := range faultMatrix() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runSlot(t)
			runFault(t, &c)
		})
	}
}

// runFault runs one case and makes the assertions every case shares.
func runFault(t *testing.T, c *faultCase) {
	r := newRig(t, c.agents, c.rate, c.dur, c.dynamic, c.mockOpts...)
	if c.plan != nil {
		c.plan(r.plan)
	}
	objs := matrixSLO()
	if c.slo != nil {
		c.slo(&objs)
	}
	ob := &faultObs{c: c, rig: r}
	var acted chan struct{}
	var actErr error
	startedOnce := false
	o, err := r.run(t, load.WithSLO(objs), load.WithAttackStarted(func() {
		startedOnce = true
		ob.before = r.mock.Stats()
		if c.faults != (faultset.Faults{}) {
			if err := r.mock.SetFaults(c.faults); err != nil {
				t.Errorf("the case's faults: %v", err)
			}
		}
		ob.started = time.Now()
		if c.act != nil {
			acted = make(chan struct{})
			go func() {
				defer close(acted)
				actErr = c.act(r, ob)
			}()
		}
	}))
	if acted != nil {
		<-acted // its waits are bounded
	}
	if err != nil {
		t.Fatalf("load.Run: %v", err)
	}
	if !startedOnce {
		t.Fatal("the measured attack never started")
	}
	if actErr != nil {
		t.Fatalf("the case's action: %v", actErr)
	}
	ob.o, ob.rep = o, o.Report
	ob.after = r.mock.Stats()
	rep := o.Report

	// The run finished the whole plan.
	planned := uint64(math.Round(c.rate * c.dur.Seconds()))
	if o.Meta.Interrupted || rep.Interrupted {
		t.Errorf("the run is marked interrupted")
	}

	// Every request sent is in results.bin, the report and (where the fault
	// lets it through) the mock's count.
	ob.results = readResults(t, filepath.Join(r.out, load.ResultsFile))
	n := uint64(len(ob.results))
	if o.Sent != planned || o.Recorded != o.Sent || n != o.Sent || rep.Requests != o.Sent {
		t.Errorf("planned %d, sent %d, recorded %d, in results.bin %d, report.requests %d: want all equal", planned, o.Sent, o.Recorded, n, rep.Requests)
	}
	// And every call of the agents: each sign-in, forced sign-in and
	// sign-out the mock saw is a result (and those it never saw, refused at
	// TLS or reset, too), counted in report.json's calls.
	counts := loadtest.CallCounts(readAllResults(t, r.out))
	for _, call := range []gateway.Call{gateway.CallSignIn, gateway.CallForceLogin, gateway.CallLogout} {
		if seen := ob.after.Calls[call].Requests; counts[call] < seen || rep.Calls[call].Requests != counts[call] {
			t.Errorf("%s: the mock saw %d, calls.bin holds %d, report.json calls %d", call, seen, counts[call], rep.Calls[call].Requests)
		}
	}
	ob.errs = map[string]uint64{}
	for _, res := range ob.results {
		if res.Error != "" {
			ob.errs[res.Error]++
		}
		v := gateway.ParseVerdict(res.Error)
		noAnswer := v.Class == gateway.ClassTransport || v.Class == gateway.ClassTimeout
		if res.Body != nil || (res.Code == 0) != noAnswer {
			t.Errorf("result %d: code %d, error %q, body %d bytes: breaks the results-file conventions", res.Seq, res.Code, res.Error, len(res.Body))
			break
		}
	}
	if !maps.Equal(ob.errs, rep.Errors) || ob.totalErrors() != rep.Requests-rep.Success {
		t.Errorf("results.bin errors %v, report errors %v, report %d requests %d successes", ob.errs, rep.Errors, rep.Requests, rep.Success)
	}
	if c.reach {
		want := o.Sent - ob.errorsOf(c.unreached...)
		if got := ob.logininfoDelta(); got != want {
			t.Errorf("the mock saw %d logininfo requests during the attack, want %d (sent %d)", got, want, o.Sent)
		}
	}
	if c.beyondTimeout {
		checkTimeouts(t, ob)
	}

	// Classified in the right class, as often as injected.
	for class := range ob.errs {
		if !slices.Contains(c.classes, class) {
			t.Errorf("%d errors of class %q; the fault may only produce %q", ob.errs[class], class, c.classes)
		}
	}
	total := ob.totalErrors()
	if len(c.classes) > 0 && total == 0 {
		t.Errorf("no error of %q recorded: the fault did not show", c.classes)
	}
	if c.mockKind != "" && !c.beyondTimeout {
		counted := total
		if len(c.mockClasses) > 0 {
			counted = ob.errorsOf(c.mockClasses...)
		}
		if inj := ob.faultDelta(c.mockKind); counted != inj {
			t.Errorf("%d errors recorded, the mock injected %s %d times", counted, c.mockKind, inj)
		}
	}
	if c.share > 0 {
		// The mock draws the fault once per request it sees.
		seen, inj := ob.logininfoDelta(), ob.faultDelta(c.mockKind)
		if tol := binomialTol(seen, c.share); math.Abs(float64(inj)-c.share*float64(seen)) > tol {
			t.Errorf("the mock injected %s %d times in %d requests, want %.0f ± %.1f (share %.2f)", c.mockKind, inj, seen, c.share*float64(seen), tol, c.share)
		}
	}

	// Every agent signed out at the end.
	if ob.after.ActiveSessions != 0 {
		t.Errorf("the mock has %d active sessions after the run, want 0", ob.after.ActiveSessions)
	}
	if so := o.SignOut; so.Failed != 0 || so.SignedOut+so.AlreadyGone != o.SignIn.SignedIn {
		t.Errorf("sign-out: %s; want all %d signed-in agents", so, o.SignIn.SignedIn)
	}

	// The verdict.
	failed := failedGates(rep)
	if rep.Pass != c.pass || !slices.Equal(failed, sorted(c.failing)) {
		t.Errorf("pass %v, failing gates %q; want pass %v, failing %q (gates %+v)", rep.Pass, failed, c.pass, sorted(c.failing), rep.SLO)
	}

	if c.check != nil {
		c.check(t, ob)
	}
	t.Logf("fault %s: sent %d, recorded %d, results.bin %d, report.requests %d, mock logininfo %d, mock injected %s, errors {%s}, ok %d, re-sign-ins %d, rotations %d, signed in %d/%d, sessions left %d, pass %v, failed gates %q",
		c.name, o.Sent, o.Recorded, n, rep.Requests, ob.logininfoDelta(), injectedText(ob), countsText(ob.errs), rep.Success,
		o.Meta.ReSignIns, o.Rotations, o.SignIn.SignedIn, c.agents, ob.after.ActiveSessions, rep.Pass, failed)
}

// checkTimeouts: a fault that holds requests past the plan's timeout. Every
// request the mock did not answer at once is a timeout: each one it
// injected the fault into, and each one that never reached it (it timed
// out waiting for a connection, which stalled connections hold). Beyond
// those, a request the mock answered at once can still time out on a
// loaded machine (300 ms is short when the race detector shares two cores
// with another job); those are bounded, generously, to a quarter of the
// requests, where only a harness that times out good answers would go.
func checkTimeouts(t *testing.T, ob *faultObs) {
	t.Helper()
	sent, seen := ob.o.Sent, ob.logininfoDelta()
	inj, timeouts := ob.faultDelta(ob.c.mockKind), ob.errs[errTimeout]
	if seen > sent {
		t.Errorf("the mock saw %d logininfo requests, more than the %d sent", seen, sent)
		return
	}
	unanswered := inj + (sent - seen)
	if inj == 0 || timeouts < unanswered {
		t.Errorf("%d timeouts; the mock injected %s %d times and never saw %d requests: want at least %d timeouts",
			timeouts, ob.c.mockKind, inj, sent-seen, unanswered)
	}
	if extra := timeouts - min(timeouts, unanswered); extra > sent/4 {
		t.Errorf("%d timeouts of requests the mock answered at once (of %d sent): more than a loaded machine explains", extra, sent)
	}
	t.Logf("timeouts: %d = %d injected + %d never reached the mock + %d answered too late", timeouts, inj, sent-seen, timeouts-min(timeouts, unanswered))
}

// failedGates returns the names of the failing gates, sorted.
func failedGates(rep *reports.Report) []string {
	out := []string{}
	for _, g := range rep.SLO {
		if !g.Pass {
			out = append(out, g.Name)
		}
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// countsText prints counts as "k n, k n" in key order.
func countsText(m map[string]uint64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// injectedText prints the mock's fault counters of the measured attack
// (sign-in failures and rotations since the mock started).
func injectedText(ob *faultObs) string {
	m := map[string]uint64{}
	for k := range ob.after.Faults {
		switch k {
		case faultset.CounterSignInFail, faultset.CounterRotateEveryPoll:
			m[k] = ob.after.Faults[k]
		default:
			if d := ob.faultDelta(k); d > 0 {
				m[k] = d
			}
		}
	}
	if ob.after.Restarts > 0 {
		m["restarts"] = ob.after.Restarts
	}
	return "{" + countsText(m) + "}"
}

// seriesText prints a time series as "t=0 ok/err, ...".
func seriesText(ts []reports.Point) string {
	parts := make([]string, len(ts))
	for i, p := range ts {
		parts[i] = fmt.Sprintf("t=%g %d/%d", p.T, p.OK, p.Errors)
	}
	return strings.Join(parts, ", ")
}

// TestFaultWindowInTimeSeries: a fault switched on 2 s into a 6 s run and
// off 2 s later (every logininfo answered 100-007 meanwhile) shows in the
// report's time series in the buckets of that window only; and per result,
// no request sent after the fault stopped or well before it started
// failed, and none sent inside it succeeded. The window is where the
// switches really happened (measured), not where they were planned: a
// loaded machine may fire the timers late, and the series must follow the
// facts.
func TestFaultWindowInTimeSeries(t *testing.T) {
	t.Parallel()
	runSlot(t)
	const rate, agents = 100.0, 20
	const dur, on, length = 6 * time.Second, 2 * time.Second, 2 * time.Second
	r := newRig(t, agents, rate, dur, false)
	var onBefore, onAfter, offBefore, offAfter time.Time
	var before mockgw.Stats
	var window sync.WaitGroup
	o, err := r.run(t, load.WithSLO(matrixSLO()), load.WithAttackStarted(func() {
		before = r.mock.Stats()
		window.Add(1)
		go func() {
			defer window.Done()
			// The waits are the window's timing, the behaviour under
			// test; the switch off is timed from the switch on, so the
			// window lasts at least 2 s however late either fires.
			<-time.After(on)
			onBefore = time.Now()
			if err := r.mock.SetFaults(faultset.Faults{RetcodeRate: 1}); err != nil {
				t.Error(err)
			}
			onAfter = time.Now()
			<-time.After(length)
			offBefore = time.Now()
			if err := r.mock.SetFaults(faultset.Faults{}); err != nil {
				t.Error(err)
			}
			offAfter = time.Now()
		}()
	}))
	window.Wait()
	if err != nil {
		t.Fatalf("load.Run: %v", err)
	}
	rep := o.Report
	after := r.mock.Stats()
	results := readResults(t, filepath.Join(r.out, load.ResultsFile))
	if planned := uint64(rate * dur.Seconds()); o.Sent != planned || uint64(len(results)) != o.Sent || rep.Requests != o.Sent {
		t.Fatalf("planned %d, sent %d, in results.bin %d, report %d", planned, o.Sent, len(results), rep.Requests)
	}

	var last time.Time
	for _, res := range results {
		if res.Timestamp.After(last) {
			last = res.Timestamp
		}
	}
	if !offAfter.Before(last) {
		t.Fatalf("the run's last request was sent %v before the fault window closed: nothing shows the recovery", offAfter.Sub(last))
	}

	// Per result: errors only for requests sent inside the window (or just
	// before it and answered after it opened); no success inside it. A
	// request reaches the handler within milliseconds of being sent; half
	// a second (times the scale) is the margin for a loaded machine.
	skew := testscale.D(500 * time.Millisecond)
	var sentInside, errs uint64
	for _, res := range results {
		ts := res.Timestamp
		if res.Error != "" {
			errs++
			if res.Error != errInternal {
				t.Errorf("result %d: %q, want %q", res.Seq, res.Error, errInternal)
			}
			if ts.Before(onBefore.Add(-skew)) || !ts.Before(offAfter) {
				t.Errorf("result %d sent %v after the attack start failed outside the fault window [%v, %v)",
					res.Seq, ts.Sub(rep.Earliest), onBefore.Sub(rep.Earliest), offAfter.Sub(rep.Earliest))
			}
		} else if !ts.Before(onAfter) && ts.Before(offBefore.Add(-skew)) {
			t.Errorf("result %d sent %v into the run, inside the fault window, succeeded", res.Seq, ts.Sub(rep.Earliest))
		}
		if !ts.Before(onAfter) && ts.Before(offBefore.Add(-skew)) {
			sentInside++
		}
	}
	if inj := after.Faults[faultset.CounterRetcode] - before.Faults[faultset.CounterRetcode]; errs != inj || rep.Errors[errInternal] != errs {
		t.Errorf("%d errors in results.bin, %d in the report, the mock injected %d", errs, rep.Errors[errInternal], inj)
	}
	// The window lasted at least 2 s of a 100/s plan; however the sends
	// were spread in it, some fell well inside it.
	if sentInside == 0 || errs < sentInside {
		t.Errorf("%d errors, %d requests sent well inside the window: want some, all failed", errs, sentInside)
	}

	// The time series: buckets by send second, the first holding the
	// attack's first request.
	step := time.Duration(rep.TimeSeriesStep * float64(time.Second))
	if step <= 0 {
		t.Fatalf("time series step %v", rep.TimeSeriesStep)
	}
	first := rep.Earliest.UnixNano() / int64(step)
	bucket := func(x time.Time) int { return int(x.UnixNano()/int64(step) - first) }
	onIdx, offIdx := bucket(onAfter), bucket(offBefore)
	// The switch on came at least 2 s after the attack started and the
	// switch off at least 2 s after that: whatever the delays, the window
	// opens in bucket 1 or later and closes at least a bucket later.
	if onIdx < 1 || offIdx < onIdx+1 {
		t.Errorf("fault window in buckets %d..%d, want it to open in bucket 1 or later and close at least one bucket later", onIdx, offIdx)
	}
	// Bucket i spans [bucketStart(i), bucketStart(i+1)). One wholly before
	// the window (by more than the skew) or wholly after it has no error;
	// one wholly inside it (the skew before its close) has only errors.
	bucketStart := func(i int) time.Time { return time.Unix(0, (first+int64(i))*int64(step)) }
	ts := rep.TimeSeries
	for i, p := range ts {
		bs, be := bucketStart(i), bucketStart(i+1)
		// A bucket may hold no request at all when the generator was
		// starved for a whole second: only what it holds is checked.
		switch {
		case !be.After(onBefore.Add(-skew)) || !bs.Before(offAfter):
			if p.Errors != 0 {
				t.Errorf("bucket %d (t=%gs) outside the window: %d ok, %d errors; want no errors", i, p.T, p.OK, p.Errors)
			}
		case !bs.Before(onAfter) && !be.After(offBefore.Add(-skew)):
			if p.OK != 0 {
				t.Errorf("bucket %d (t=%gs) inside the window: %d ok, %d errors; want only errors", i, p.T, p.OK, p.Errors)
			}
		}
	}
	// Every error is in the buckets from the earliest send that may have
	// failed to the switch off.
	lo, hi := max(bucket(onBefore.Add(-skew)), 0), bucket(offAfter)
	var inEdges uint64
	for i := lo; i <= hi && i < len(ts); i++ {
		inEdges += ts[i].Errors
	}
	if inEdges != errs {
		t.Errorf("%d of %d errors in buckets %d..%d of the time series", inEdges, errs, lo, hi)
	}
	if after.ActiveSessions != 0 {
		t.Errorf("%d sessions left", after.ActiveSessions)
	}
	t.Logf("fault window %v-%v: sent %d, recorded %d, results.bin %d, mock injected retcode %d, errors {%s: %d}, window in buckets %d..%d, series %s",
		onAfter.Sub(rep.Earliest).Round(time.Millisecond), offBefore.Sub(rep.Earliest).Round(time.Millisecond), o.Sent, o.Recorded, len(results), after.Faults[faultset.CounterRetcode]-before.Faults[faultset.CounterRetcode], errInternal, errs, onIdx, offIdx, seriesText(ts))
}

// TestSignInFailuresBeyondBudgetRefuse: more agents unable to sign in than
// the plan allows refuses the run before any request, and the agents that
// did sign in are signed out.
func TestSignInFailuresBeyondBudgetRefuse(t *testing.T) {
	t.Parallel()
	runSlot(t)
	r := newRig(t, 40, 100, time.Second, false, mockgw.WithFaults(faultset.Faults{SignInFailRate: 0.25}))
	r.plan.MaxSignInFailures = 2
	o, err := r.run(t, load.WithSLO(matrixSLO()))
	if err == nil || !strings.Contains(err.Error(), "could not sign in") || !strings.Contains(err.Error(), "max_sign") {
		t.Fatalf("err = %v, want the run refused for sign-in failures beyond max_signin_failures", err)
	}
	st := r.mock.Stats()
	if o == nil || o.Sent != 0 || st.Calls[mockgw.CallLoginInfo].Requests != 0 {
		t.Errorf("requests were sent although the run was refused")
	}
	if st.SignIns == 0 || st.ActiveSessions != 0 {
		t.Errorf("mock: %d sign-ins, %d sessions left; want the signed-in agents signed out", st.SignIns, st.ActiveSessions)
	}
	t.Logf("fault sign-in beyond budget: refused (%d sign-ins, %d refused by the mock, %d sessions left): %v",
		st.SignIns, st.Faults[faultset.CounterSignInFail], st.ActiveSessions, err)
}

// TestExitCodes runs the built `ccgw load` against in-process mocks by URL:
// a clean run exits 0, an error-rate gate failed by injected 503s exits 1
// (report.json says pass false with the error_rate gate failing), and
// sign-in failures beyond the plan's budget exit 2 before any request.
func TestExitCodes(t *testing.T) {
	bin := buildCCGW(t)
	cases := []struct {
		name   string
		faults faultset.Faults
		budget string
		code   int
		pass   bool
		failed []string
	}{
		{name: "clean", code: 0, pass: true, failed: []string{}},
		{name: "http 503", faults: faultset.Faults{HTTPErrorRate: 0.1}, code: 1, failed: []string{slo.GateErrorRate}},
		{name: "sign-in failures beyond budget", faults: faultset.Faults{SignInFailRate: 0.25}, budget: "2", code: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runSlot(t)
			m, err := mockgw.New(mockgw.WithPassword(agentPassword), mockgw.WithAuthMode(gateway.AuthStatic), mockgw.WithFaults(c.faults))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(m.Close)
			dir := t.TempDir()
			ca := writeFile(t, dir, "gateway-ca.pem", string(m.CertPEM()))
			budget := ""
			if c.budget != "" {
				budget = ", max_signin_failures: " + c.budget
			}
			targets := writeFile(t, dir, "targets.yaml", fmt.Sprintf(`targets:
  gw:
    url: %s
    tls: {ca_file: %s}
    auth_mode: static
    agents: {ids: "1001-1040", phonenum_prefix: "7", password_env: CCGW_RELIABILITY_PASSWORD}
    allow_load: true
plans:
  short: {agents: 40, rate: 100, duration: 2s, warmup: 200ms, connections: 8%s}
slo: {error_rate: %g, saturation: false}
`, m.URL(), ca, budget, maxErrorRate))
			out := filepath.Join(dir, "out")
			cmd := exec.Command(bin, "load", "--targets", targets, "--target", "gw", "--plan", "short", "--out", out)
			cmd.Env = append(os.Environ(), "CCGW_RELIABILITY_PASSWORD="+agentPassword)
			var buf strings.Builder
			cmd.Stdout, cmd.Stderr = &buf, &buf
			code := runBounded(t, cmd)
			st := m.Stats()
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, buf.String())
			}
			if st.ActiveSessions != 0 {
				t.Errorf("%d sessions left after ccgw load exited", st.ActiveSessions)
			}
			if c.code == 2 {
				// The one logininfo allowed is ccgw's reachability probe,
				// which carries no Guid (answered 000-003).
				li := st.Calls[mockgw.CallLoginInfo]
				if li.Requests > 1 || li.Retcodes[gateway.RetOK] != 0 || !strings.Contains(buf.String(), "could not sign in") {
					t.Errorf("a refused run sent %d logininfo requests (%v) or did not say why:\n%s", li.Requests, li.Retcodes, buf.String())
				}
				t.Logf("fault %s via ccgw: exit %d, %d refused by the mock, 0 requests, sessions left %d", c.name, code, st.Faults[faultset.CounterSignInFail], st.ActiveSessions)
				return
			}
			b, err := os.ReadFile(filepath.Join(out, reports.JSONFile))
			if err != nil {
				t.Fatal(err)
			}
			var rep reports.Report
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			failed := failedGates(&rep)
			if rep.Pass != c.pass || !slices.Equal(failed, c.failed) {
				t.Errorf("report.json: pass %v, failing gates %q; want %v, %q", rep.Pass, failed, c.pass, c.failed)
			}
			results := readResults(t, filepath.Join(out, load.ResultsFile))
			if uint64(len(results)) != rep.Requests || rep.Requests != 200 {
				t.Errorf("results.bin holds %d results, report.json %d requests, want 200", len(results), rep.Requests)
			}
			t.Logf("fault %s via ccgw: exit %d, requests %d, errors {%s}, pass %v, failed gates %q, sessions left %d",
				c.name, code, rep.Requests, countsText(rep.Errors), rep.Pass, failed, st.ActiveSessions)
		})
	}
}

// runBounded runs cmd, killing it after testscale.D(ExecTimeout), and
// returns its exit code.
func runBounded(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(testscale.D(ExecTimeout))
	defer timer.Stop()
	select {
	case err := <-done:
		return exitCode(err)
	case <-timer.C:
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not exit within %v", filepath.Base(cmd.Path), testscale.D(ExecTimeout))
	}
	return -1
}
