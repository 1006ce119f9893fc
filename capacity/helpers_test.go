package capacity_test

import (
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/mockgw"

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

// newEnv starts a mock (static authentication, documented timings; extra
// options follow) and returns a target of n agents matching it and a plan
// of n agents at rate for d.
func newEnv(t *testing.T, n int, rate float64, d time.Duration, extra ...mockgw.Option) *env {
	t.Helper()
	le := loadtest.New(t, loadtest.Spec{Agents: n, Rate: rate, Duration: d, Password: testPassword}, extra...)
	return &env{mock: le.Mock, client: le.Client, target: le.Target, plan: le.Plan, out: le.Out}
}

// eventually fails the test at once when cond does not hold within
// testscale.D(d), polling it every few milliseconds. Call it only from the
// test's goroutine.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testscale.D(d))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", testscale.D(d), what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, bounded by the deadline
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
