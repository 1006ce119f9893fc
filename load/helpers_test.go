package load_test

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	"ccgw-harness/pace"
	"ccgw-harness/results"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"go.uber.org/goleak"
)

// testPassword is the agents' password on the test mocks.
const testPassword = "load-test-pw"

// env is a mock gateway, a client that trusts it, and the target and plan
// describing them.
type env struct {
	mock   *mockgw.Server
	client *gateway.Client
	target *config.Target
	plan   *config.Plan
	out    string
}

// newEnv starts a mock and returns a target of n agents matching it and a
// plan of n agents at rate for d. dynamic selects fastDynamic's
// authentication (else static, documented timings); extra options follow.
func newEnv(t *testing.T, n int, rate float64, d time.Duration, dynamic bool, extra ...mockgw.Option) *env {
	t.Helper()
	le := loadtest.New(t, loadtest.Spec{Agents: n, Rate: rate, Duration: d, Dynamic: dynamic, Password: testPassword}, extra...)
	return &env{mock: le.Mock, client: le.Client, target: le.Target, plan: le.Plan, out: le.Out}
}

// run runs the env's plan with opts.
func (e *env) run(ctx context.Context, t *testing.T, opts ...load.Option) *load.Outcome {
	t.Helper()
	o, err := load.Run(ctx, e.client, e.target, e.plan, e.out, opts...)
	if err != nil {
		t.Fatalf("load.Run: %v", err)
	}
	return o
}

// readResults decodes a run's results file: its logininfo results (the
// measured attack's and its journeys'), all it holds.
func readResults(t *testing.T, dir string) []vegeta.Result {
	t.Helper()
	rs := loadtest.ReadResults(t, filepath.Join(dir, load.ResultsFile))
	if n := len(loadtest.OfCall(rs, gateway.CallLoginInfo)); n != len(rs) {
		t.Fatalf("%s holds %d results that are not logininfo", load.ResultsFile, len(rs)-n)
	}
	return rs
}

// readAllResults decodes both results files of a run (results.bin and
// calls.bin): every call the run made.
func readAllResults(t *testing.T, dir string) []vegeta.Result {
	t.Helper()
	return loadtest.ReadRun(t, dir)
}

// assertEveryCallRecorded checks that every agent call the mock saw is in
// the results file, judged as the mock answered it: sign-ins, forced
// sign-ins and sign-outs exactly; polls up to those the harness cancelled
// itself at the end (at most one per agent).
func assertEveryCallRecorded(t *testing.T, m *mockgw.Server, all []vegeta.Result, agents int, o *load.Outcome) {
	t.Helper()
	st := m.Stats()
	got := loadtest.CallCounts(all)
	for _, c := range []gateway.Call{gateway.CallSignIn, gateway.CallForceLogin, gateway.CallLogout} {
		if got[c] != st.Calls[c].Requests {
			t.Errorf("calls.bin holds %d %s results, the mock saw %d requests", got[c], c, st.Calls[c].Requests)
		}
		if o.Calls[c] != got[c] {
			t.Errorf("Outcome.Calls[%s] = %d, the results files %d", c, o.Calls[c], got[c])
		}
	}
	if p, seen := got[gateway.CallPoll], st.Calls[gateway.CallPoll].Requests; p > seen || seen > p+uint64(agents) {
		t.Errorf("calls.bin holds %d polls, the mock saw %d: want all but those cancelled at the end (at most %d)", p, seen, agents)
	}
	if got[gateway.CallOther] != 0 {
		t.Errorf("%d results are no call of the agent interface", got[gateway.CallOther])
	}
	for _, r := range all {
		if r.Body != nil || r.Attack != "mock/test" {
			t.Fatalf("result %s %s breaks the results-file conventions: attack %q, body kept %v", r.Method, r.URL, r.Attack, r.Body != nil)
		}
		for k := range r.Headers {
			if !strings.HasPrefix(k, "X-Ccgw-") {
				t.Fatalf("result %s %s keeps response header %q", r.Method, r.URL, k)
			}
		}
	}
	rep := o.Report
	for _, c := range []gateway.Call{gateway.CallSignIn, gateway.CallForceLogin, gateway.CallPoll, gateway.CallLogout, gateway.CallLoginInfo} {
		if rep.Calls[c].Requests != got[c] {
			t.Errorf("report calls.%s.requests = %d, the results files %d", c, rep.Calls[c].Requests, got[c])
		}
	}
	if rep.Calls[gateway.CallLoginInfo].Requests != rep.Requests || rep.Calls[gateway.CallLoginInfo].Errors != rep.Requests-rep.Success {
		t.Errorf("calls.logininfo %+v differs from the top level (requests %d, success %d)", rep.Calls[gateway.CallLoginInfo], rep.Requests, rep.Success)
	}
}

// progressWait bounds a wait for a run to make progress (so many requests
// or sign-ins seen by the mock) that normally comes within half a second:
// a run frozen that long is broken, not slow.
const progressWait = 30 * time.Second

// waitUntil polls cond every few milliseconds until it holds (true) or the
// deadline testscale.D(d) passes (false). It never touches a testing.T, so
// any goroutine may call it; the caller reports a false with t.Errorf (not
// t.Fatalf, which only the test's own goroutine may call).
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(testscale.D(d))
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, bounded by the deadline
	}
	return true
}

// eventually fails the test at once when cond does not hold within
// testscale.D(d). Call it only from the test's goroutine; elsewhere use
// waitUntil.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !waitUntil(d, cond) {
		t.Fatalf("timed out after %s waiting for %s", testscale.D(d), what)
	}
}

// noLeaks registers, before anything else of the test, a check that runs
// after every other cleanup (mock closed, idle connections closed): no
// goroutine the test started is left.
func noLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// logininfoRequests is the mock's count of logininfo requests.
func logininfoRequests(m *mockgw.Server) uint64 {
	return m.Stats().Calls[mockgw.CallLoginInfo].Requests
}

// assertNoSecrets fails when a file of dir contains one of the strings.
func assertNoSecrets(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(string(b), s) {
				t.Errorf("%s contains a secret", e.Name())
			}
		}
	}
}

// checkPlannedSchedule asserts that the results of a constant-rate attack
// were planned i/rate apart, whatever the scheduler did: a result's send
// time minus the lag it records (X-Ccgw-Lag-Us: truncated to the
// microsecond, clamped at 0) is its planned time, or up to pace.TimerSlack
// before it when the hit went out early. So the planned offset of every
// result from the first is exact to TimerSlack plus the truncation, however
// late any of them was sent.
func checkPlannedSchedule(t *testing.T, all []vegeta.Result, rate float64) {
	t.Helper()
	if len(all) == 0 {
		t.Fatal("no results to check the schedule of")
	}
	rs := slices.Clone(all)
	slices.SortFunc(rs, func(a, b vegeta.Result) int { return cmp.Compare(a.Seq, b.Seq) })
	planned := func(r vegeta.Result) time.Time {
		us, err := strconv.ParseInt(r.Headers.Get(results.HeaderLagUs), 10, 64)
		if err != nil || us < 0 {
			t.Fatalf("result %d: lag header %q, want microseconds >= 0", r.Seq, r.Headers.Get(results.HeaderLagUs))
		}
		return r.Timestamp.Add(-time.Duration(us) * time.Microsecond)
	}
	const tol = pace.TimerSlack + 5*time.Microsecond
	p0 := planned(rs[0])
	for i, r := range rs {
		if r.Seq != uint64(i) {
			t.Fatalf("result %d has seq %d: a hit is missing or counted twice", i, r.Seq)
		}
		want := time.Duration(float64(i) / rate * float64(time.Second))
		if got := planned(r).Sub(p0); got < want-tol || got > want+tol {
			t.Fatalf("result %d planned %v after the first, want %v (±%v): the attack did not follow the %v/s schedule", i, got, want, tol, rate)
		}
	}
}

// virtualClock is a mock's session clock (mockgw.WithClock) that moves only
// when the test steps it, and remembers when (real time) each step came.
type virtualClock struct {
	mu    sync.Mutex
	now   time.Time
	times []time.Time
}

// Now is the clock's time (safe for the mock's goroutines).
func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// step moves the clock by d.
func (c *virtualClock) step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.times = append(c.times, time.Now())
}

// steps returns the real times of the steps so far.
func (c *virtualClock) steps() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.times)
}

// stepsWithin counts the steps that came between from and to (real time).
func stepsWithin(steps []time.Time, from, to time.Time) int {
	n := 0
	for _, s := range steps {
		if !s.Before(from) && !s.After(to) {
			n++
		}
	}
	return n
}
