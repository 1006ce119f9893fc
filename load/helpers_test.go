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

// readResults decodes the results file of a run.
func readResults(t *testing.T, dir string) []vegeta.Result {
	t.Helper()
	return loadtest.ReadResults(t, filepath.Join(dir, load.ResultsFile))
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
