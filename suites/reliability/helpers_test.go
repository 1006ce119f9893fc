// Package reliability_test proves that the harness survives the faults it
// exists to measure and leaks nothing while doing so (issue #6):
//
//   - faults_test.go: a fault matrix — every fault the mock gateway can
//     inject, each through a short load plan — asserting that the run ends,
//     every request sent is recorded and classified in the right class in
//     numbers that match the injection, lost sessions are re-established,
//     every agent is signed out, and the verdict and exit code are right;
//     and that a fault switched on and off mid-run shows in the right
//     seconds of the time series.
//   - secrets_test.go: the built `ccgw load` and the contract suite run
//     against a mock that reports every Guid, phonetoken and password it
//     hands out or accepts; no output of either contains one.
//   - leak_test.go: no goroutine outlives a load run.
package reliability_test

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/internal/gobuild"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/load"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/mockgw"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"go.uber.org/goleak"
)

// Limits of the package's runs (deadlines: each is used times
// testscale.Factor).
const (
	// RunTimeout bounds one load run; a run that hits it fails its test
	// (it shows as interrupted).
	RunTimeout = 60 * time.Second
	// ExecTimeout bounds one run of a built binary.
	ExecTimeout = 90 * time.Second
	// MaxParallelRuns is how many load runs (in-process or built) of the
	// package go at once, whatever -parallel says: each signs agents in,
	// drives a mock at its plan's rate and asserts on what it sees, and
	// more of them side by side only starve each other on a 2-core
	// machine.
	MaxParallelRuns = 2
)

// runSlots holds one token per load run under way.
var runSlots = make(chan struct{}, MaxParallelRuns)

// runSlot waits for one of the MaxParallelRuns slots and frees it at the
// end of the test. Call it after t.Parallel.
func runSlot(t *testing.T) {
	t.Helper()
	runSlots <- struct{}{}
	t.Cleanup(func() { <-runSlots })
}

// progressWait bounds a wait for a run to make progress (so many requests
// or polls seen by the mock) that normally comes within half a second: a
// run frozen that long is broken, not slow.
const progressWait = 30 * time.Second

// waitUntil polls cond every few milliseconds until it holds (true) or
// testscale.D(d) passes (false). It never touches a testing.T, so any
// goroutine may call it.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(testscale.D(d))
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond) // polling a condition, bounded by the deadline
	}
	return true
}

// agentPassword is the password the test mocks accept.
const agentPassword = "reliability-Pw-7qX2"

// tmpRoot holds what the package builds; TestMain removes it.
var tmpRoot string

// TestMain creates the package's build directory, runs the tests, removes
// the directory and fails the package when any goroutine is left over.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ccgw-reliability-")
	if err != nil {
		panic(err)
	}
	tmpRoot = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: goroutines left after the tests: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// rig is a mock gateway, a gateway client that trusts it, and a target and
// plan that describe them.
type rig struct {
	mock   *mockgw.Server
	client *gateway.Client
	target *config.Target
	plan   *config.Plan
	out    string
}

// newRig starts a mock (static authentication unless dynamic; extra options
// last) and describes n agents and a constant plan of rate for d against it.
func newRig(t *testing.T, n int, rate float64, d time.Duration, dynamic bool, extra ...mockgw.Option) *rig {
	t.Helper()
	le := loadtest.New(t, loadtest.Spec{Agents: n, Rate: rate, Duration: d, Dynamic: dynamic, Password: agentPassword}, extra...)
	le.Plan.Name = "faults"
	le.Plan.Warmup = 200 * time.Millisecond
	return &rig{mock: le.Mock, client: le.Client, target: le.Target, plan: le.Plan, out: le.Out}
}

// run runs the rig's plan on a context bounded by testscale.D(RunTimeout).
func (r *rig) run(t *testing.T, opts ...load.Option) (*load.Outcome, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testscale.D(RunTimeout))
	defer cancel()
	start := time.Now()
	o, err := load.Run(ctx, r.client, r.target, r.plan, r.out, opts...)
	if ctx.Err() != nil {
		t.Fatalf("the run did not finish within %v (took %v)", testscale.D(RunTimeout), time.Since(start))
	}
	return o, err
}

// readResults decodes a run's results file (results.bin) with vegeta's
// decoder: the measured logininfo results, all it holds (the agents' own
// calls are in calls.bin: see readAllResults).
func readResults(t *testing.T, path string) []vegeta.Result {
	t.Helper()
	rs := loadtest.ReadResults(t, path)
	if n := len(loadtest.OfCall(rs, gateway.CallLoginInfo)); n != len(rs) {
		t.Fatalf("%s holds %d results that are not logininfo", path, len(rs)-n)
	}
	return rs
}

// readAllResults decodes both results files of the run in dir
// (results.bin and calls.bin): every call it recorded.
func readAllResults(t *testing.T, dir string) []vegeta.Result {
	t.Helper()
	return loadtest.ReadRun(t, dir)
}

// binomialTol is the tolerance of a count drawn with probability p in n
// independent trials: 4 standard deviations, at least 2.
func binomialTol(n uint64, p float64) float64 {
	return math.Max(2, 4*math.Sqrt(float64(n)*p*(1-p)))
}

// Built binaries, shared by the package's tests.
var (
	ccgwOnce     sync.Once
	ccgwBin      string
	ccgwErr      error
	contractOnce sync.Once
	contractBin  string
	contractErr  error
)

// buildCCGW builds bin/ccgw once for the package (`go build -o ... ./cmd/ccgw`).
func buildCCGW(t *testing.T) string {
	t.Helper()
	ccgwOnce.Do(func() {
		start := time.Now()
		ccgwBin = filepath.Join(tmpRoot, "ccgw")
		ccgwErr = gobuild.Go("build", "-o", ccgwBin, "./cmd/ccgw")
		t.Logf("built ccgw in %v", time.Since(start).Round(time.Millisecond))
	})
	if ccgwErr != nil {
		t.Fatalf("building ccgw: %v", ccgwErr)
	}
	return ccgwBin
}

// buildContract builds the contract suite once for the package
// (`go test -c -o ... ./suites/contract`).
func buildContract(t *testing.T) string {
	t.Helper()
	contractOnce.Do(func() {
		start := time.Now()
		contractBin = filepath.Join(tmpRoot, "contract.test")
		contractErr = gobuild.Go("test", "-c", "-o", contractBin, "./suites/contract")
		t.Logf("built the contract suite in %v", time.Since(start).Round(time.Millisecond))
	})
	if contractErr != nil {
		t.Fatalf("building the contract suite: %v", contractErr)
	}
	return contractBin
}

// exitCode returns the exit status of a finished command (-1 if it did not
// exit normally).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// writeFile writes content to dir/name (mode 0600) and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
