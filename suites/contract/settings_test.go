package contract_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/mockgw"
)

// Suite flags. They are read after flag parsing (in TestContract), before
// RunSpecs; pass them after `--` to `go tool ginkgo`.
var (
	flagTargets        = flag.String("targets", "", "targets file (default: $CCGW_TARGETS, else the repository's targets.yaml)")
	flagTarget         = flag.String("target", "", "target name in the targets file (default: $CCGW_TARGET, else \"mock\")")
	flagRotationBudget = flag.Duration("rotation-budget", DefaultRotationBudget, "run the Guid rotation specs only when the target's guid_interval+guid_timeout fit in this")
	flagRecordSecrets  = flag.String("record-secrets", "", "for the teeth test only: append every Guid, phonetoken and password the suite sees to this file (mode 0600)")
	flagMockDefects    defectList
)

func init() {
	flag.Var(&flagMockDefects, "mock-defect", "inject a contract defect into an embedded mock target (repeatable or a comma list; see mockgw.AllDefects)")
}

// DefaultRotationBudget is the default --rotation-budget: the documented
// guid_interval (60s) plus guid_timeout (120s).
const DefaultRotationBudget = 3 * time.Minute

// Agents the suite signs in, by role.
const (
	// NumProbeAgents stay signed in for the whole run; read-only probes use
	// their sessions.
	NumProbeAgents = 2
	// NumSessionAgents are signed out, replaced and rotated by session specs
	// (one spec at a time), which sign them in again afterwards.
	NumSessionAgents = 2
	// NumCrowdAgents ask for their logininfo all at once in the
	// concurrency specs.
	NumCrowdAgents = 16
	// NumAgents is how many agents the target must provide.
	NumAgents = NumProbeAgents + NumSessionAgents + NumCrowdAgents
)

// Session timings the suite gives an embedded mock, so that rotation and
// expiry specs take seconds rather than minutes. A rotated-out Guid lives
// 4.5 s after its rotation could first happen, and a session 8 s without a
// poll: that is how long a request that read a Guid just before its
// rotation may take to reach the mock, and an agent's keeper may be
// starved, on a busy machine (the concurrency spec's 64 TLS handshakes
// under the race detector on a shared 2-core machine have taken 1.7 s,
// enough to break the earlier 1.5 s).
const (
	MockGuidInterval = 500 * time.Millisecond
	MockGuidTimeout  = 5 * time.Second
	MockIdleTimeout  = 8 * time.Second
	MockPollWait     = 200 * time.Millisecond
)

// DefaultCallTimeout bounds one gateway request that is not a long poll.
const DefaultCallTimeout = 10 * time.Second

// Timeouts are the suite's named time limits, derived from the target's
// session timings.
type Timeouts struct {
	// Call bounds one request that is not a long poll.
	Call time.Duration
	// Poll bounds one event long poll (poll_wait plus Call).
	Poll time.Duration
	// Setup bounds signing in every agent the suite needs.
	Setup time.Duration
	// Cleanup bounds signing every agent out at the end.
	Cleanup time.Duration
	// Rotation bounds waiting for an event poll to hand out a new Guid:
	// guid_interval plus poll_wait plus a margin.
	Rotation time.Duration
	// Expiry bounds waiting, from just after the rotation, for a rotated-out
	// Guid to stop working: guid_timeout plus poll_wait plus a margin. That
	// covers both readings of guid_timeout: counted from the Guid's issue
	// (it dies sooner) or from its rotation (it dies guid_timeout after the
	// rotation at the latest).
	Expiry time.Duration
	// Tick is the polling period of Eventually while waiting on the
	// gateway's clock.
	Tick time.Duration
}

// timeoutsFor derives the named timeouts from a real gateway's timings (the
// targets file's), with the margin slack gives its own timers.
func timeoutsFor(t *config.Target) Timeouts { return deriveTimeouts(t, slack) }

// MockSlackMin is the least margin the deadlines of the embedded mock give
// beyond each of its (short) timings. There the margins are the test
// harness's own: the mock's timers are exact (mockgw's tests prove them on
// a fake clock), and what the margin covers is how late the suite's own
// requests get on a loaded machine, which does not shrink with the timing.
// A generous margin costs nothing when the mock is on time (Eventually
// returns as soon as its condition holds) and hides no defect (one that
// never rotates or never expires a Guid fails whatever the deadline).
const MockSlackMin = 2 * time.Second

// mockTimeoutsFor derives the named timeouts of the embedded mock: the
// margins are at least MockSlackMin, and every deadline is multiplied by
// testscale.Factor (CCGW_TEST_TIMEOUT_SCALE), as every test deadline is.
// Tick, a polling period, is not a deadline.
func mockTimeoutsFor(t *config.Target) Timeouts {
	to := deriveTimeouts(t, func(d time.Duration) time.Duration { return max(slack(d), MockSlackMin) })
	for _, d := range []*time.Duration{&to.Call, &to.Poll, &to.Setup, &to.Cleanup, &to.Rotation, &to.Expiry} {
		*d = testscale.D(*d)
	}
	return to
}

// deriveTimeouts derives the named timeouts from a target's timings, with
// margin(d) beyond each documented duration d.
func deriveTimeouts(t *config.Target, margin func(time.Duration) time.Duration) Timeouts {
	call := DefaultCallTimeout
	poll := t.PollWait + call
	batches := time.Duration((NumAgents + signInConcurrency - 1) / signInConcurrency)
	return Timeouts{
		Call:     call,
		Poll:     poll,
		Setup:    batches*call + poll,
		Cleanup:  batches*call + poll,
		Rotation: t.GuidInterval + t.PollWait + margin(t.GuidInterval),
		Expiry:   t.GuidTimeout + t.PollWait + margin(t.GuidTimeout),
		Tick:     min(max(t.GuidTimeout/20, 20*time.Millisecond), time.Second),
	}
}

// slack is the margin given to a real gateway's own timers (its sweeps and
// clock granularity) beyond a documented duration d.
func slack(d time.Duration) time.Duration { return max(d/10, 500*time.Millisecond) }

// Settings is everything the suite reads before RunSpecs.
type Settings struct {
	// TargetsPath is the targets file actually read.
	TargetsPath string
	// Target is the resolved target (password read from the environment);
	// for an embedded mock its timings are the suite's short ones.
	Target *config.Target
	// Agents are the NumAgents agents the suite signs in, in role order.
	Agents []config.Agent
	// Defects are the contract defects injected into an embedded mock.
	Defects []mockgw.Defect
	// RotationBudget is --rotation-budget.
	RotationBudget time.Duration
	// Timeouts are the named time limits.
	Timeouts Timeouts
	// SecretsFile is --record-secrets ("" = off).
	SecretsFile string
}

// IsMock reports whether the target is the embedded mock.
func (s *Settings) IsMock() bool { return s.Target.Mock != nil }

// RotationFits reports whether the rotation specs fit the budget, and why
// not when they do not.
func (s *Settings) RotationFits() (bool, string) {
	t := s.Target
	if t.AuthMode != gateway.AuthDynamic {
		return false, fmt.Sprintf("target %s uses auth_mode %s: its Guid never rotates", t.Name, t.AuthMode)
	}
	need := t.GuidInterval + t.GuidTimeout
	if need > s.RotationBudget {
		return false, fmt.Sprintf("target %s: guid_interval %v + guid_timeout %v = %v exceeds --rotation-budget %v; pass --rotation-budget=%v to run it",
			t.Name, t.GuidInterval, t.GuidTimeout, need, s.RotationBudget, need)
	}
	return true, ""
}

// loadSettings reads the flags, the environment and the targets file. Its
// errors say what to fix.
func loadSettings() (*Settings, error) {
	path, err := targetsPath(*flagTargets)
	if err != nil {
		return nil, err
	}
	name := firstNonEmpty(*flagTarget, os.Getenv("CCGW_TARGET"), "mock")
	f, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("targets file %s is not valid (fix it and run again):\n%w", path, err)
	}
	t, err := f.Target(name)
	if err != nil {
		return nil, fmt.Errorf("target %q cannot be used (fix the targets file or choose another with --target / CCGW_TARGET):\n%w", name, err)
	}
	if *flagRotationBudget < 0 {
		return nil, fmt.Errorf("--rotation-budget %v: want a duration >= 0 (0 skips the rotation specs)", *flagRotationBudget)
	}
	s := &Settings{TargetsPath: path, Target: t, RotationBudget: *flagRotationBudget, SecretsFile: *flagRecordSecrets}
	if len(flagMockDefects) > 0 && t.Mock == nil {
		return nil, fmt.Errorf("--mock-defect applies to embedded mock targets only; target %s is the gateway at %s", t.Name, t.URL)
	}
	for _, name := range flagMockDefects {
		d, err := mockgw.ParseDefect(name)
		if err != nil {
			return nil, fmt.Errorf("--mock-defect: %w", err)
		}
		s.Defects = append(s.Defects, d)
	}
	if t.Mock != nil {
		t.GuidInterval, t.GuidTimeout, t.IdleTimeout, t.PollWait = MockGuidInterval, MockGuidTimeout, MockIdleTimeout, MockPollWait
	}
	if s.Agents, err = t.AgentList(NumAgents); err != nil {
		return nil, fmt.Errorf("the contract suite signs in %d agents of target %s: %w", NumAgents, t.Name, err)
	}
	s.Timeouts = timeoutsFor(t)
	if t.Mock != nil {
		s.Timeouts = mockTimeoutsFor(t)
	}
	return s, nil
}

// targetsPath picks the targets file: the flag, else $CCGW_TARGETS, else
// targets.yaml at the repository root. A relative path is taken from the
// working directory and, failing that, from the repository root (the
// ginkgo CLI runs the suite in its own directory, but Makefile paths are
// relative to the root).
func targetsPath(flagValue string) (string, error) {
	p := firstNonEmpty(flagValue, os.Getenv("CCGW_TARGETS"))
	root := repoRoot()
	if p == "" {
		if root == "" {
			return "", errors.New("no targets file: pass --targets=FILE or set CCGW_TARGETS (no repository root with targets.yaml above the working directory)")
		}
		return filepath.Join(root, "targets.yaml"), nil
	}
	if filepath.IsAbs(p) || fileExists(p) || root == "" {
		return p, nil
	}
	if alt := filepath.Join(root, p); fileExists(alt) {
		return alt, nil
	}
	return p, nil
}

// repoRoot returns the nearest directory at or above the working directory
// that holds go.mod and targets.yaml, or "".
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for range 8 {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "targets.yaml")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// defectList is the repeatable --mock-defect flag; each value may be a
// comma-separated list.
type defectList []string

// String implements flag.Value.
func (d *defectList) String() string { return strings.Join(*d, ",") }

// Set implements flag.Value.
func (d *defectList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*d = append(*d, part)
		}
	}
	return nil
}
