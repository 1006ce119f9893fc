package load_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/load"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/mockgw"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"go.uber.org/goleak"
)

// testPassword is the agents' password on the test mocks.
const testPassword = "load-test-pw"

// firstAgent is the first agent ID of the test targets.
const firstAgent = loadtest.FirstAgent

// fastDynamic is the mock of the acceptance test: dynamic authentication
// with millisecond rotation (loadtest's timings).
func fastDynamic() []mockgw.Option { return loadtest.DynamicOptions() }

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

// readResults decodes the logininfo results of a run's results file (the
// measured attack's).
func readResults(t *testing.T, dir string) []vegeta.Result {
	t.Helper()
	return loadtest.OfCall(readAllResults(t, dir), gateway.CallLoginInfo)
}

// readAllResults decodes every result of a run's results file: every call
// the run made.
func readAllResults(t *testing.T, dir string) []vegeta.Result {
	t.Helper()
	return loadtest.ReadResults(t, filepath.Join(dir, load.ResultsFile))
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
			t.Errorf("results.bin holds %d %s results, the mock saw %d requests", got[c], c, st.Calls[c].Requests)
		}
		if o.Calls[c] != got[c] {
			t.Errorf("Outcome.Calls[%s] = %d, results.bin %d", c, o.Calls[c], got[c])
		}
	}
	if p, seen := got[gateway.CallPoll], st.Calls[gateway.CallPoll].Requests; p > seen || seen > p+uint64(agents) {
		t.Errorf("results.bin holds %d polls, the mock saw %d: want all but those cancelled at the end (at most %d)", p, seen, agents)
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
			t.Errorf("report calls.%s.requests = %d, results.bin %d", c, rep.Calls[c].Requests, got[c])
		}
	}
	if rep.Calls[gateway.CallLoginInfo].Requests != rep.Requests || rep.Calls[gateway.CallLoginInfo].Errors != rep.Requests-rep.Success {
		t.Errorf("calls.logininfo %+v differs from the top level (requests %d, success %d)", rep.Calls[gateway.CallLoginInfo], rep.Requests, rep.Success)
	}
}

// eventually polls cond every 10 ms until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
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
