// Package teeth_test proves that the contract suite (suites/contract) has
// teeth: it builds the suite once, runs it against the faithful embedded
// mock (which must pass) and against the mock with each contract defect
// (each run must fail, and the test names the specs that caught it); it
// checks that an unreachable gateway and agents that cannot sign in fail
// fast with one clear message; that every agent is signed out at the end,
// also when the run is interrupted; and that no Guid, phonetoken or
// password the suite saw appears in any output or report.
package teeth_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/gobuild"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/mockgw"

	"github.com/onsi/ginkgo/v2/types"
)

// Limits of the teeth test (the durations are deadlines, used times
// testscale.Factor).
const (
	// MaxParallelRuns is how many suite runs go at once.
	MaxParallelRuns = 2
	// RunTimeout bounds one suite run.
	RunTimeout = 90 * time.Second
	// FailFastWithin is how quickly a run must give up on a target it
	// cannot use.
	FailFastWithin = 20 * time.Second
	// PasswordEnv is the variable the generated targets files name.
	PasswordEnv = "CCGW_TEETH_PASSWORD"
)

// Session timings of the in-process mocks that play real gateways; the
// targets files state the same values. As for the suite's embedded mock
// (contract_test.MockGuidTimeout), a rotated-out Guid lives 4.5 s after
// its rotation could first happen and a session 8 s without a poll, so a
// slow request or a starved keeper on a busy machine loses nothing.
const (
	realGuidInterval = 500 * time.Millisecond
	realGuidTimeout  = 5 * time.Second
	realIdleTimeout  = 8 * time.Second
	realPollWait     = 200 * time.Millisecond
)

// mockTargets is a targets file with one embedded mock target.
const mockTargets = `targets:
  mock:
    mock: {auth_mode: dynamic}
    agents: {ids: "1001-1100", phonenum_prefix: "7"}
`

var runSlots = make(chan struct{}, MaxParallelRuns)

// suiteRun is the outcome of one run of the suite binary.
type suiteRun struct {
	name     string
	exitCode int
	elapsed  time.Duration
	outputs  map[string][]byte // stdout, stderr, report.json, junit.xml
	specs    types.SpecReports
	secrets  []string
}

// failures returns the specs (and suite-level nodes) in a failure state.
func (r *suiteRun) failures() types.SpecReports {
	var out types.SpecReports
	for _, s := range r.specs {
		if s.State.Is(types.SpecStateFailureStates) {
			out = append(out, s)
		}
	}
	return out
}

// names lists specs as "[Type] Full text".
func names(specs types.SpecReports) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		txt := s.FullText()
		if txt == "" {
			out[i] = "[" + s.LeafNodeType.String() + "]"
		} else {
			out[i] = txt
		}
	}
	return out
}

// combined is stdout and stderr together.
func (r *suiteRun) combined() string {
	return string(r.outputs["stdout"]) + string(r.outputs["stderr"])
}

// TestContractSuiteHasTeeth runs the built suite against the faithful mock,
// each defect, unusable targets and an interrupted run (see the package
// doc).
func TestContractSuiteHasTeeth(t *testing.T) {
	bin := buildSuite(t)

	t.Run("faithful mock passes", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		r := runSuite(t, bin, dir, runOpts{args: []string{"--targets=" + writeFile(t, dir, "targets.yaml", mockTargets), "--target=mock", "--ginkgo.v"}})
		if r.exitCode != 0 || len(r.failures()) > 0 {
			t.Fatalf("the suite must pass against the faithful mock; exit %d, failed: %q\n%s", r.exitCode, names(r.failures()), tail(r.combined(), 4000))
		}
		var passed, skipped int
		for _, s := range r.specs {
			switch {
			case s.State == types.SpecStatePassed && s.LeafNodeType == types.NodeTypeIt:
				passed++
			case s.State == types.SpecStateSkipped:
				skipped++
				t.Errorf("spec skipped against the mock (every spec must run there): %s", s.FullText())
			}
		}
		if passed < 25 {
			t.Errorf("only %d specs passed; the suite has at least 25", passed)
		}
		assertNoSecrets(t, r)
		t.Logf("faithful mock: %d specs passed in %v, %d secrets checked against %d outputs", passed, r.elapsed.Round(time.Millisecond), len(r.secrets), len(r.outputs))
	})

	// The Guid-rotation spec must hold whether guid_timeout counts from a
	// Guid's issue or from its rotation (the vendor text allows both).
	for _, from := range []gateway.GuidTimeoutFrom{gateway.GuidTimeoutFromIssue, gateway.GuidTimeoutFromRotation} {
		t.Run("rotation spec passes with guid_timeout_from "+string(from), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			targets := writeFile(t, dir, "targets.yaml", fmt.Sprintf(`targets:
  mock:
    mock: {auth_mode: dynamic, guid_timeout_from: %s}
    agents: {ids: "1001-1100", phonenum_prefix: "7"}
`, from))
			r := runSuite(t, bin, dir, runOpts{args: []string{"--targets=" + targets, "--target=mock", "--ginkgo.label-filter=session"}})
			if r.exitCode != 0 || len(r.failures()) > 0 {
				t.Fatalf("the session specs must pass with guid_timeout_from %s; exit %d, failed: %q\n%s", from, r.exitCode, names(r.failures()), tail(r.combined(), 4000))
			}
			ran := false
			for _, s := range r.specs {
				if strings.Contains(s.FullText(), "Guid rotation") && s.State == types.SpecStatePassed {
					ran = true
				}
			}
			if !ran {
				t.Errorf("the Guid rotation spec did not run and pass with guid_timeout_from %s", from)
			}
		})
	}

	for _, d := range mockgw.AllDefects() {
		t.Run("defect "+d.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r := runSuite(t, bin, dir, runOpts{args: []string{"--targets=" + writeFile(t, dir, "targets.yaml", mockTargets), "--target=mock", "--mock-defect=" + d.String()}})
			var caught types.SpecReports
			for _, s := range r.failures() {
				if s.LeafNodeType == types.NodeTypeIt {
					caught = append(caught, s)
				} else {
					t.Errorf("defect %s broke the suite's %s instead of failing a contract spec:\n%s", d, s.LeafNodeType, s.FailureMessage())
				}
			}
			if r.exitCode == 0 || len(caught) == 0 {
				t.Fatalf("defect %s went unnoticed: exit %d, no spec failed — a gap in the suite", d, r.exitCode)
			}
			t.Logf("defect %s caught by: %s", d, strings.Join(names(caught), "; "))
			assertNoSecrets(t, r)
		})
	}

	t.Run("bad targets file fails fast with one message", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		targets := writeFile(t, dir, "targets.yaml", "targets:\n  mock:\n    mock: {auth_mode: dynamic}\n    agentz: {ids: \"1001-1100\"}\n")
		r := runSuite(t, bin, dir, runOpts{args: []string{"--targets=" + targets, "--target=mock"}})
		assertFailsFast(t, r, "contract suite configuration", targets+":4", "agentz")
	})

	t.Run("unreachable target fails fast with one message", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		url := "https://" + closedPort(t)
		targets := writeFile(t, dir, "targets.yaml", fmt.Sprintf(`targets:
  down:
    url: %s
    agents: {ids: "1001-1100", phonenum_prefix: "7", password_env: %s}
`, url, PasswordEnv))
		r := runSuite(t, bin, dir, runOpts{env: []string{PasswordEnv + "=teeth-password"}, args: []string{"--targets=" + targets, "--target=down"}})
		assertFailsFast(t, r, "target down ("+url+") is unreachable", "connection refused")
	})

	t.Run("agents that cannot sign in fail fast with one message", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := newRealMock(t, "right-password")
		targets := realTargets(t, dir, "badpw", srv)
		r := runSuite(t, bin, dir, runOpts{env: []string{PasswordEnv + "=wrong-password"}, args: []string{"--targets=" + targets, "--target=badpw"}})
		assertFailsFast(t, r, "target badpw ("+srv.URL()+"): agent ", "cannot sign in", gateway.RetWrongPassword, "wrong password", PasswordEnv)
		if n := srv.Stats().ActiveSessions; n != 0 {
			t.Errorf("%d sessions left on the gateway after a failed sign-in", n)
		}
	})

	t.Run("real gateway: every agent is signed out at the end", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := newRealMock(t, "right-password")
		targets := realTargets(t, dir, "real", srv)
		r := runSuite(t, bin, dir, runOpts{env: []string{PasswordEnv + "=right-password"}, args: []string{"--targets=" + targets, "--target=real"}})
		if r.exitCode != 0 || len(r.failures()) > 0 {
			t.Fatalf("the suite must pass against a faithful gateway by URL; exit %d, failed: %q\n%s", r.exitCode, names(r.failures()), tail(r.combined(), 4000))
		}
		st := srv.Stats()
		if st.ActiveSessions != 0 {
			t.Errorf("%d agents still signed in after the run; the suite must sign out every agent it signed in", st.ActiveSessions)
		}
		if st.SignIns < 20 {
			t.Errorf("the gateway saw %d sign-ins; the suite signs in at least 20 agents", st.SignIns)
		}
		assertNoSecrets(t, r)
		t.Logf("real gateway: %d sign-ins, %d sign-outs, %d rotations, 0 sessions left", st.SignIns, st.SignOuts, st.Rotations)
	})

	t.Run("interrupted run signs every agent out", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		// A long Guid interval keeps the rotation spec waiting, so the
		// interrupt lands mid-spec.
		srv := newMock(t, "right-password", 30*time.Second, 60*time.Second)
		targets := writeTargets(t, dir, "slow", srv, 30*time.Second, 60*time.Second)
		r := runSuite(t, bin, dir, runOpts{
			env:           []string{PasswordEnv + "=right-password"},
			args:          []string{"--targets=" + targets, "--target=slow", "--rotation-budget=2m", "--ginkgo.focus=Guid rotation"},
			interruptWhen: func() bool { return srv.Stats().ActiveSessions >= 20 },
		})
		if r.exitCode == 0 {
			t.Fatalf("an interrupted run must not exit 0\n%s", tail(r.combined(), 2000))
		}
		if !strings.Contains(r.combined(), "Interrupted") {
			t.Errorf("the run's output does not report the interrupt:\n%s", tail(r.combined(), 2000))
		}
		st := srv.Stats()
		if st.SignIns < 20 || st.ActiveSessions != 0 {
			t.Errorf("after the interrupt: %d sign-ins, %d sessions still active; every agent must be signed out", st.SignIns, st.ActiveSessions)
		}
		assertNoSecrets(t, r)
		t.Logf("interrupted after %d sign-ins: %d sign-outs, 0 sessions left", st.SignIns, st.SignOuts)
	})
}

// assertFailsFast checks that a run against an unusable target failed
// quickly with exactly one failure — the suite's setup — whose message
// holds every one of want, while every spec was skipped.
func assertFailsFast(t *testing.T, r *suiteRun, want ...string) {
	t.Helper()
	if r.exitCode == 0 {
		t.Fatalf("the run must fail\n%s", tail(r.combined(), 2000))
	}
	if r.elapsed > testscale.D(FailFastWithin) {
		t.Errorf("the run took %v to give up; it must fail fast (within %v)", r.elapsed, testscale.D(FailFastWithin))
	}
	fails := r.failures()
	if len(fails) != 1 || fails[0].LeafNodeType != types.NodeTypeBeforeSuite {
		t.Fatalf("want exactly one failure, in BeforeSuite; got %d: %q\n%s", len(fails), names(fails), tail(r.combined(), 4000))
	}
	msg := fails[0].FailureMessage()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("the failure message lacks %q:\n%s", w, msg)
		}
	}
	for _, s := range r.specs {
		if s.LeafNodeType == types.NodeTypeIt && s.State != types.SpecStateSkipped {
			t.Errorf("spec %q ran (%s) although the target was unusable", s.FullText(), s.State)
		}
	}
	first, _, _ := strings.Cut(msg, "\n")
	if !strings.Contains(r.combined(), first) {
		t.Errorf("the message is not in the run's output")
	}
	assertNoSecrets(t, r)
	t.Logf("failed fast in %v with one message: %s", r.elapsed.Round(time.Millisecond), msg)
}

// assertNoSecrets scans every output of a run for every secret the suite
// recorded. Secrets are named only masked.
func assertNoSecrets(t *testing.T, r *suiteRun) {
	t.Helper()
	for name, out := range r.outputs {
		for _, s := range r.secrets {
			if len(s) >= 8 && bytes.Contains(out, []byte(s)) {
				t.Errorf("%s of run %s contains a secret the suite saw (%s)", name, r.name, gateway.Mask(s))
			}
		}
	}
}

// runOpts are the settings of one suite run.
type runOpts struct {
	env  []string // added to the environment
	args []string // suite arguments (the report and secrets flags are added)
	// interruptWhen, when set, is polled during the run; once it holds the
	// run gets SIGINT.
	interruptWhen func() bool
}

// runSuite runs the suite binary in dir, capturing stdout, stderr, the JSON
// and JUnit reports and the recorded secrets.
func runSuite(t *testing.T, bin, dir string, o runOpts) *suiteRun {
	t.Helper()
	runSlots <- struct{}{}
	defer func() { <-runSlots }()

	pass := o.args
	report := filepath.Join(dir, "report.json")
	junit := filepath.Join(dir, "junit.xml")
	secrets := filepath.Join(dir, "secrets.txt")
	full := append([]string{"--ginkgo.no-color", "--ginkgo.json-report=" + report, "--ginkgo.junit-report=" + junit, "--record-secrets=" + secrets}, pass...)

	ctx, cancel := context.WithTimeout(context.Background(), testscale.D(RunTimeout))
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), o.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the suite: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	if o.interruptWhen != nil {
		err = interruptOnce(t, cmd, exited, o.interruptWhen)
	} else {
		err = <-exited
	}
	r := &suiteRun{name: strings.Join(pass, " "), elapsed: time.Since(start), outputs: map[string][]byte{"stdout": stdout.Bytes(), "stderr": stderr.Bytes()}}
	if ctx.Err() != nil {
		t.Fatalf("the suite run did not end within %v\n%s", testscale.D(RunTimeout), tail(r.combined(), 4000))
	}
	r.exitCode = exitCode(err)
	for name, path := range map[string]string{"report.json": report, "junit.xml": junit} {
		b, rerr := os.ReadFile(path)
		if rerr != nil {
			t.Fatalf("the run wrote no %s: %v\n%s", name, rerr, tail(r.combined(), 4000))
		}
		r.outputs[name] = b
	}
	var reports []types.Report
	if err := json.Unmarshal(r.outputs["report.json"], &reports); err != nil || len(reports) != 1 {
		t.Fatalf("the JSON report does not hold one suite report (%d; %v)", len(reports), err)
	}
	r.specs = reports[0].SpecReports
	r.secrets = readLines(t, secrets)
	return r
}

// interruptOnce polls cond (bounded) and sends SIGINT once it holds, then
// waits for the run to end.
func interruptOnce(t *testing.T, cmd *exec.Cmd, exited chan error, cond func() bool) error {
	t.Helper()
	deadline := time.NewTimer(testscale.D(RunTimeout / 2))
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			t.Fatalf("the run ended before the interrupt condition held (%v)", err)
		case <-deadline.C:
			_ = cmd.Process.Kill()
			t.Fatalf("the interrupt condition did not hold within %v", testscale.D(RunTimeout/2))
		case <-tick.C:
			if cond() {
				if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
					t.Fatalf("sending SIGINT: %v", err)
				}
				return <-exited
			}
		}
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// readLines reads the recorded secrets (the file may be absent when the
// run recorded none).
func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("reading the recorded secrets: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// buildSuite compiles the contract suite into a temp dir.
func buildSuite(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "contract.test")
	start := time.Now()
	if err := gobuild.Go("test", "-c", "-o", bin, "./suites/contract"); err != nil {
		t.Fatalf("building the contract suite: %v", err)
	}
	t.Logf("built the contract suite in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// newRealMock starts an in-process mock gateway with the short timings,
// which the suite then reaches by URL like a real gateway.
func newRealMock(t *testing.T, password string) *mockgw.Server {
	return newMock(t, password, realGuidInterval, realGuidTimeout)
}

func newMock(t *testing.T, password string, interval, timeout time.Duration) *mockgw.Server {
	t.Helper()
	srv, err := mockgw.New(mockgw.WithPassword(password),
		mockgw.WithGuidInterval(interval), mockgw.WithGuidTimeout(timeout),
		mockgw.WithIdleTimeout(realIdleTimeout), mockgw.WithPollWait(realPollWait))
	if err != nil {
		t.Fatalf("starting the mock gateway: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// realTargets writes a targets file naming srv as the real gateway name.
func realTargets(t *testing.T, dir, name string, srv *mockgw.Server) string {
	return writeTargets(t, dir, name, srv, realGuidInterval, realGuidTimeout)
}

func writeTargets(t *testing.T, dir, name string, srv *mockgw.Server, interval, timeout time.Duration) string {
	t.Helper()
	ca := writeFile(t, dir, "gateway-ca.pem", string(srv.CertPEM()))
	return writeFile(t, dir, "targets.yaml", fmt.Sprintf(`targets:
  %s:
    url: %s
    tls: {ca_file: %s}
    auth_mode: dynamic
    guid_interval: %v
    guid_timeout: %v
    idle_timeout: %v
    poll_wait: %v
    agents: {ids: "1001-1100", phonenum_prefix: "7", password_env: %s}
`, name, srv.URL(), ca, interval, timeout, realIdleTimeout, realPollWait, PasswordEnv))
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// tail returns the last n bytes of s without color codes.
func tail(s string, n int) string {
	s = ansi.ReplaceAllString(s, "")
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
