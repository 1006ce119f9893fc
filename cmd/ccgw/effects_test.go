package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/mockgw/faultset"
	"ccgw-harness/reports"
)

// The effects tests show, for the settings the coverage table in
// keys_test.go points at them for, that each changes what a ccgw command
// does: its exit code, its report or its refusal. Each table runs its
// commands side by side (they mostly wait on their own runs' timers), then
// checks each in a subtest.

// cliSlots bounds the ccgw processes the effects tables run at once,
// across the tables.
var cliSlots = make(chan struct{}, 8)

// cliCase is one ccgw invocation of an effects table.
type cliCase struct {
	name string
	// files are written into the case's directory first (e.g.
	// "targets.yaml"); "{dir}" in their contents and in args stands for
	// that directory.
	files map[string]string
	args  []string
	env   []string // added to loadEnv
	check func(t *testing.T, r *cliRun)
}

// cliRun is how one invocation went.
type cliRun struct {
	dir            string
	code           int
	took           time.Duration // from the start to the exit
	stdout, stderr string
	err            error // the process could not be run, or did not end in time
}

// out is the case's output directory, {dir}/out by convention.
func (r *cliRun) out() string { return filepath.Join(r.dir, "out") }

// report reads the case's out/report.json.
func (r *cliRun) report(t *testing.T) *reports.Report {
	t.Helper()
	if _, err := os.Stat(filepath.Join(r.out(), "report.json")); err != nil {
		t.Fatalf("no report (exit %d): %v\nstderr:\n%s", r.code, err, r.stderr)
	}
	return readReport(t, r.out())
}

// completed fails unless the run ran to its end (exit 0 or 1, the
// gates' verdict) and returns its report.
func (r *cliRun) completed(t *testing.T) *reports.Report {
	t.Helper()
	if r.code != exitOK && r.code != exitGateFailed {
		t.Fatalf("exit %d, want a completed run (0 or 1)\nstderr:\n%s", r.code, r.stderr)
	}
	return r.report(t)
}

// refused fails unless the command exited 2 before running, with a
// message holding every one of want.
func (r *cliRun) refused(t *testing.T, want ...string) {
	t.Helper()
	if r.code != exitHarness {
		t.Errorf("exit %d, want %d (refused)\nstderr:\n%s", r.code, exitHarness, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr does not say %q:\n%s", w, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "reports in") {
		t.Errorf("the run went ahead:\n%s", r.stdout)
	}
}

// gate returns the report's gate named name.
func gate(t *testing.T, rep *reports.Report, name string) reports.Gate {
	t.Helper()
	for _, g := range rep.SLO {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("no gate %s in %+v", name, rep.SLO)
	return reports.Gate{}
}

// hasGate reports whether the report has a gate named name.
func hasGate(rep *reports.Report, name string) bool {
	for _, g := range rep.SLO {
		if g.Name == name {
			return true
		}
	}
	return false
}

// runCLI runs the cases side by side, then checks each in its subtest.
func runCLI(t *testing.T, cases []cliCase) {
	t.Helper()
	runs := make([]*cliRun, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		dir := t.TempDir()
		sub := func(s string) string { return strings.ReplaceAll(s, "{dir}", dir) }
		for name, content := range c.files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(sub(content)), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		args := make([]string, len(c.args))
		for j, a := range c.args {
			args[j] = sub(a)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cliSlots <- struct{}{}
			defer func() { <-cliSlots }()
			runs[i] = execCCGW(dir, c.env, args)
		}()
	}
	wg.Wait()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runs[i]
			if r.err != nil {
				t.Fatalf("ccgw %q: %v\nstderr:\n%s", c.args, r.err, r.stderr)
			}
			c.check(t, r)
		})
	}
}

// execCCGW runs ccgw with args in dir, bounded by two minutes (times the
// scale).
func execCCGW(dir string, env, args []string) *cliRun {
	ctx, cancel := context.WithTimeout(context.Background(), testscale.D(2*time.Minute))
	defer cancel()
	cmd := exec.CommandContext(ctx, ccgwBin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), loadEnv...), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := &cliRun{dir: dir, took: time.Since(start), stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.err = fmt.Errorf("did not end within %v", testscale.D(2*time.Minute))
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		r.err = err
	}
	return r
}

// loadArgs are the arguments of `ccgw load` of target m and plan p of the
// case's targets.yaml into its out directory.
func loadArgs(extra ...string) []string {
	return append([]string{"load", "--targets", "{dir}/targets.yaml", "--target", "m", "--plan", "p", "--out", "{dir}/out", "--quiet"}, extra...)
}

// embedded is a targets file with one embedded-mock target m (mock block
// mock, target keys targetExtra) and one plan p.
func embedded(mock, targetExtra, plan string) map[string]string {
	y := fmt.Sprintf("targets:\n  m:\n    mock: %s\n    agents: {ids: \"1001-1012\", phonenum_prefix: \"7\", password_env: %s}\n", mock, pwEnv)
	if targetExtra != "" {
		y += "    " + targetExtra + "\n"
	}
	return map[string]string{"targets.yaml": y + "plans:\n  p: " + plan + "\n"}
}

// quickMock is the mock block of most cases: polls held briefly, so a
// run's end does not wait for them.
const quickMock = "{poll_wait: 200ms}"

// signedInIn reads how long the sign-in took from its log line.
var signedInIn = regexp.MustCompile(`sign-in: (\d+) of (\d+) agents signed in in (\S+)`)

// sendOrder lists the agents of a run's logininfo requests in the order
// the attack took them (results.bin's sequence numbers).
func sendOrder(t *testing.T, out string) []int {
	t.Helper()
	var rs []vegeta.Result
	for _, r := range decodeResults(t, filepath.Join(out, "results.bin")) {
		if gateway.CallOf(r.Method, r.URL) == gateway.CallLoginInfo {
			rs = append(rs, r)
		}
	}
	slices.SortStableFunc(rs, func(a, b vegeta.Result) int { return cmp.Compare(a.Seq, b.Seq) })
	ids := make([]int, len(rs))
	for i, r := range rs {
		_, rest, _ := strings.Cut(r.URL, "/onlineagent/")
		id, _, _ := strings.Cut(rest, "/")
		ids[i], _ = strconv.Atoi(id)
	}
	return ids
}

// inversions counts the pairs of ids out of ascending order.
func inversions(ids []int) int {
	n := 0
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			if ids[i] > ids[j] {
				n++
			}
		}
	}
	return n
}

// between fails unless lo <= v <= hi.
func between(t *testing.T, what string, v, lo, hi uint64) {
	t.Helper()
	if v < lo || v > hi {
		t.Errorf("%s: %d, want %d to %d", what, v, lo, hi)
	}
}

// TestPlanKeyEffects: each key of a plan changes the run `ccgw load`
// makes of it: its agents, its schedule (the pacer makes a plan's request
// count exact), its connections, timeouts, order, sign-in and gates.
func TestPlanKeyEffects(t *testing.T) {
	t.Parallel()
	slow := "{poll_wait: 200ms, faults: {latency_fixed: 300ms}}"
	runCLI(t, []cliCase{
		{name: "agents", files: embedded(quickMock, "", "{agents: 3, rate: 20, duration: 1s}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if rep := r.completed(t); rep.Agents != 3 || rep.AgentsSeen != 3 {
					t.Errorf("agents %d, %d seen; want 3", rep.Agents, rep.AgentsSeen)
				}
			}},
		{name: "rate and duration", files: embedded(quickMock, "", "{agents: 2, rate: 15, duration: 2s}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				if rep.Requests != 30 || rep.Rate.Requested != 15 || rep.PlannedDurationS != 2 || rep.Profile != "constant" {
					t.Errorf("%d requests at %v/s requested over %vs (%s); want 30 at 15/s over 2s, constant", rep.Requests, rep.Rate.Requested, rep.PlannedDurationS, rep.Profile)
				}
			}},
		{name: "stages rate and duration", files: embedded(quickMock, "", "{agents: 2, stages: [{rate: 20, duration: 1s}, {rate: 10, duration: 1s}]}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				if rep.Requests != 30 || rep.PlannedDurationS != 2 || rep.Profile != "stages" {
					t.Errorf("%d requests over %vs (%s); want 20 + 10 over 2s, stages", rep.Requests, rep.PlannedDurationS, rep.Profile)
				}
			}},
		{name: "stages ramp", files: embedded(quickMock, "", "{agents: 2, stages: [{rate: 20, duration: 1s, ramp: 1s}]}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				// 0 -> 20/s over the whole second: half the requests of a step.
				between(t, "requests of a 1s ramp to 20/s", r.completed(t).Requests, 9, 11)
			}},
		{name: "sine", files: embedded(quickMock, "", "{agents: 2, sine: {mean: 20, amplitude: 10, period: 2s}, duration: 1s}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				// The first half period, rising from the mean: 20 + 10·2/π.
				rep := r.completed(t)
				between(t, "requests of the rising half of the sine", rep.Requests, 25, 28)
				if rep.Profile != "sine" {
					t.Errorf("profile %s, want sine", rep.Profile)
				}
			}},
		{name: "sine amplitude 0", files: embedded(quickMock, "", "{agents: 2, sine: {mean: 20, amplitude: 0, period: 2s}, duration: 1s}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) { between(t, "requests of a flat sine", r.completed(t).Requests, 19, 21) }},
		{name: "sine period", files: embedded(quickMock, "", "{agents: 2, sine: {mean: 30, amplitude: 10, period: 1s}, duration: 1s}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				// A whole period: the mean's requests.
				between(t, "requests of one whole period around 30/s", r.completed(t).Requests, 29, 31)
			}},
		{name: "concurrency", files: embedded(slow, "", "{agents: 2, concurrency: 1, duration: 1s}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				// One request in flight, each held 300 ms: about 4 in a
				// second (each worker ends the one it started).
				rep := r.completed(t)
				between(t, "requests of one in flight at 300 ms each", rep.Requests, 1, 6)
				if rep.Profile != "closed" {
					t.Errorf("profile %s, want closed", rep.Profile)
				}
			}},
		{name: "connections", files: embedded(quickMock, "", "{agents: 4, rate: 40, duration: 1s, connections: 1}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if rep := r.completed(t); rep.Connections != 1 || rep.Requests != 40 {
					t.Errorf("%d connections dialed for %d requests, want 1 for 40", rep.Connections, rep.Requests)
				}
			}},
		{name: "timeout", files: embedded(slow, "", "{agents: 2, rate: 10, duration: 1s, timeout: 100ms}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if rep := r.completed(t); rep.Requests != 10 || rep.Errors["timeout"] != 10 {
					t.Errorf("%d requests, errors %v; want all 10 timed out (the mock answers after 300 ms)", rep.Requests, rep.Errors)
				}
			}},
		// The first 10 requests of 10 agents: in turn, in configuration
		// order (two hits sent at one instant may swap: at most 2 pairs
		// out of order), or in an order shuffled once per run (at most 2
		// pairs out of order in 1.5e-5 of the shuffles).
		{name: "order round-robin", files: embedded(quickMock, "", "{agents: 10, rate: 20, duration: 1s}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.completed(t)
				if got := sendOrder(t, r.out()); len(got) != 20 || inversions(got[:10]) > 2 {
					t.Errorf("agents in the attack's order %v; want 1001 to 1010 in turn", got)
				}
			}},
		{name: "order shuffle", files: embedded(quickMock, "", "{agents: 10, rate: 20, duration: 1s, order: shuffle}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.completed(t)
				if got := sendOrder(t, r.out()); len(got) != 20 || inversions(got[:10]) <= 2 {
					t.Errorf("agents in the attack's order %v; want the 10 in a shuffled order", got)
				}
			}},
		{name: "max_signin_failures", files: embedded("{poll_wait: 200ms, faults: {sign_in_fail_rate: 0.5}}", "", `{agents: 8, rate: 20, duration: 1s, max_signin_failures: "99%"}`), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if rep := r.completed(t); rep.AgentsFailed == 0 || rep.AgentsFailed == 8 {
					t.Errorf("%d of 8 agents failed to sign in; the mock fails about half", rep.AgentsFailed)
				}
			}},
		{name: "max_signin_failures left out", files: embedded("{poll_wait: 200ms, faults: {sign_in_fail_rate: 0.5}}", "", "{agents: 8, rate: 20, duration: 1s}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "max_signin_failures")
			}},
		{name: "signin_concurrency", files: embedded("{poll_wait: 200ms, faults: {sign_in_latency: 200ms}}", "", "{agents: 5, rate: 10, duration: 1s, signin_concurrency: 1}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.completed(t)
				m := signedInIn.FindStringSubmatch(r.stderr)
				if m == nil || m[1] != "5" || !strings.Contains(r.stderr, "(1 at once)") {
					t.Fatalf("no sign-in line of 5 agents, one at once:\n%s", r.stderr)
				}
				// One at a time, 200 ms each: at least a second.
				if d, err := time.ParseDuration(m[3]); err != nil || d < time.Second {
					t.Errorf("5 sign-ins of 200 ms one at a time took %s (%v), want at least 1s", m[3], err)
				}
			}},
		{name: "plan slo", files: map[string]string{"targets.yaml": embedded(quickMock, "", "{agents: 2, rate: 10, duration: 1s, slo: {p50: 1us}}")["targets.yaml"] + "slo: {p50: 1h, error_rate: 1}\n"},
			args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				if g := gate(t, rep, "p50"); g.Pass || g.Threshold != 0.001 || r.code != exitGateFailed {
					t.Errorf("gate p50 %+v, exit %d; want the plan's 1us over the global 1h, failed, exit 1", g, r.code)
				}
				if g := gate(t, rep, "error_rate"); g.Threshold != 1 {
					t.Errorf("gate error_rate %+v: the global objectives the plan does not override apply", g)
				}
			}},
	})
}

// TestSLOKeyEffects: each objective of slo (global, or a plan's) adds its
// gate to the verdict of `ccgw load`; a gate that cannot hold (1us) fails
// the run, a generous one passes.
func TestSLOKeyEffects(t *testing.T) {
	t.Parallel()
	withSLO := func(mock, plan, slo string) map[string]string {
		return map[string]string{"targets.yaml": embedded(mock, "", plan)["targets.yaml"] + "slo: " + slo + "\n"}
	}
	plan := "{agents: 2, rate: 10, duration: 1s}"
	// overload: one connection, 200 ms an answer, 20 requests a second: the
	// generator cannot keep the schedule (at most 5 a second go out).
	overload := "{agents: 2, rate: 20, duration: 1s, connections: 1}"
	slowMock := "{poll_wait: 200ms, faults: {latency_fixed: 200ms}}"
	runCLI(t, []cliCase{
		{name: "latency", files: withSLO(quickMock, plan, `{p50: 1us, "p99.9": 1h, mean: 1h, max: 1us}`), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				for name, pass := range map[string]bool{"p50": false, "p99.9": true, "mean": true, "max": false} {
					if g := gate(t, rep, name); g.Pass != pass {
						t.Errorf("gate %s %+v, want pass %v", name, g, pass)
					}
				}
				if r.code != exitGateFailed {
					t.Errorf("exit %d, want %d: two latency gates failed", r.code, exitGateFailed)
				}
			}},
		{name: "error_rate", files: withSLO("{poll_wait: 200ms, faults: {retcode_rate: 1}}", plan, "{error_rate: 0.5}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if g := gate(t, r.completed(t), "error_rate"); g.Pass || g.Threshold != 0.5 || g.Actual != 1 || r.code != exitGateFailed {
					t.Errorf("gate %+v, exit %d; want every request failed against 0.5, exit 1", g, r.code)
				}
			}},
		{name: "error_rate generous", files: withSLO("{poll_wait: 200ms, faults: {retcode_rate: 1}}", plan, `{error_rate: "100%", saturation: false}`), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if g := gate(t, r.completed(t), "error_rate"); !g.Pass || g.Actual != 1 || r.code != exitOK {
					t.Errorf("gate %+v, exit %d; want passed at 100%%, exit 0", g, r.code)
				}
			}},
		{name: "min_rate_ratio and max_late_ratio", files: withSLO(slowMock, overload, "{min_rate_ratio: 0.9, max_late_ratio: 1}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				if g := gate(t, rep, "min_rate_ratio"); g.Pass || g.Threshold != 0.9 {
					t.Errorf("gate %+v; want the ratio below 0.9, failed", g)
				}
				if s := rep.Saturation; s.LateRatio <= 0.01 || strings.Contains(s.Reason, "late") {
					t.Errorf("saturation %+v: with max_late_ratio 1 no share of late requests saturates", s)
				}
			}},
		{name: "max_late_ratio left out", files: withSLO(slowMock, overload, "{p99: 1h}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				if s := rep.Saturation; !strings.Contains(s.Reason, "late (limit 1.00%") || hasGate(rep, "min_rate_ratio") {
					t.Errorf("saturation %+v, gates %+v: by default more than 1%% late requests saturate, and no min_rate_ratio gate", s, rep.SLO)
				}
			}},
		{name: "max_contract_violations", files: withSLO("{poll_wait: 200ms, faults: {wrong_phone_rate: 1}}", plan, "{max_contract_violations: 1000, saturation: false}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if g := gate(t, r.completed(t), "contract_violations"); !g.Pass || g.Threshold != 1000 || g.Actual != 10 || r.code != exitOK {
					t.Errorf("gate %+v, exit %d; want 10 violations within 1000, exit 0", g, r.code)
				}
			}},
		{name: "max_contract_violations left out", files: withSLO("{poll_wait: 200ms, faults: {wrong_phone_rate: 1}}", plan, "{saturation: false}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if g := gate(t, r.completed(t), "contract_violations"); g.Pass || g.Threshold != 0 || r.code != exitGateFailed {
					t.Errorf("gate %+v, exit %d; want 10 violations against the default 0, exit 1", g, r.code)
				}
			}},
		{name: "saturation false", files: withSLO(slowMock, overload, "{saturation: false}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				if !rep.Saturation.Saturated || hasGate(rep, "saturation") || r.code != exitOK {
					t.Errorf("saturated %v, gates %+v, exit %d; want a saturated run not gated on it, exit 0", rep.Saturation.Saturated, rep.SLO, r.code)
				}
			}},
		{name: "saturation gated", files: withSLO(slowMock, overload, "{saturation: true}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if g := gate(t, r.completed(t), "saturation"); g.Pass || r.code != exitGateFailed {
					t.Errorf("gate %+v, exit %d; want the saturated run failed, exit 1", g, r.code)
				}
			}},
	})
}

// keepAliveWarning returns the run's keep-alive planning warning, or "".
func keepAliveWarning(rep *reports.Report) string {
	for _, w := range rep.Warnings {
		if strings.HasPrefix(w, "keep-alive: poll wait") {
			return w
		}
	}
	return ""
}

// TestMockKeyEffects: each key of a mock block changes the embedded mock
// `ccgw load` starts (its nodes, rotation, polls, password, contract and
// capacity), or how the run keeps its sessions alive (the timings the
// keep-alive plans from: a plan that leaves little room is a warning that
// names the budget).
func TestMockKeyEffects(t *testing.T) {
	t.Parallel()
	plan := "{agents: 8, rate: 20, duration: 1s}"
	polls := func(t *testing.T, r *cliRun) reports.CallReport { return r.completed(t).Calls[gateway.CallPoll] }
	runCLI(t, []cliCase{
		{name: "nodes", files: embedded("{poll_wait: 200ms, nodes: 3}", "", plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				if len(rep.Nodes) < 2 {
					t.Errorf("nodes %+v: 8 agents signed in on a 3-node mock (in turn) answered from one node", rep.Nodes)
				}
				for _, n := range rep.Nodes {
					if n.Node != "1" && n.Node != "2" && n.Node != "3" {
						t.Errorf("node %q of a 3-node mock", n.Node)
					}
				}
			}},
		// Polls are held poll_wait unless a rotation is due; a poll still
		// held when the run ends (1 s, plus a 2 s grace) is no result.
		{name: "auth_mode static", files: embedded("{auth_mode: static, poll_wait: 20s}", "", plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if p := polls(t, r); p.Requests != 0 {
					t.Errorf("%d polls answered; a static mock holds each for its 20s poll wait", p.Requests)
				}
			}},
		{name: "guid_interval", files: embedded("{auth_mode: dynamic, guid_interval: 300ms, guid_timeout: 10s, poll_wait: 20s}", "", plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if p := polls(t, r); p.Requests == 0 || p.Errors != 0 {
					t.Errorf("polls %+v: a dynamic mock rotating every 300ms answers the polls at once", p)
				}
			}},
		{name: "guid_interval left out", files: embedded("{auth_mode: dynamic, poll_wait: 20s}", "", plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if p := polls(t, r); p.Requests != 0 {
					t.Errorf("%d polls answered; with the default 60s interval no rotation is due in the run", p.Requests)
				}
			}},
		{name: "guid_timeout", files: embedded("{auth_mode: dynamic, guid_interval: 1s, guid_timeout: 1100ms, poll_wait: 200ms}", "", plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if w := keepAliveWarning(r.completed(t)); !strings.Contains(w, "within 100ms (guid_timeout - guid_interval)") {
					t.Errorf("keep-alive warning %q; want the 100ms a rotated-out Guid outlives its rotation named", w)
				}
			}},
		{name: "idle_timeout and poll_wait", files: embedded("{auth_mode: static, idle_timeout: 2s, poll_wait: 1500ms}", "", plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				if w := keepAliveWarning(rep); !strings.Contains(w, "poll wait 1.5s") || !strings.Contains(w, "within 2s (idle_timeout)") {
					t.Errorf("keep-alive warning %q; want the poll wait and the idle timeout named", w)
				}
				if p := rep.Calls[gateway.CallPoll]; p.Requests == 0 || p.LatencyMS.Min < 1500 {
					t.Errorf("polls %+v: a static mock holds each poll its 1.5s poll wait", p)
				}
			}},
		{name: "password", files: map[string]string{"targets.yaml": `targets:
  m:
    mock: {poll_wait: 200ms, password: ""}
    agents: {ids: "1001-1008", phonenum_prefix: "7"}
plans:
  p: {agents: 2, rate: 10, duration: 1s}
`}, args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if rep := r.completed(t); !rep.NoPassword || rep.AgentsFailed != 0 {
					t.Errorf("agents_no_password %v, %d failed to sign in; want agents signed in with no password", rep.NoPassword, rep.AgentsFailed)
				}
			}},
		{name: "defects", files: embedded("{poll_wait: 200ms, defects: [wrong-envelope]}", "", plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				if g := gate(t, rep, "contract_violations"); g.Pass || rep.ContractViolations != rep.Requests || r.code != exitGateFailed {
					t.Errorf("%d violations of %d requests, gate %+v, exit %d; want every answer's numeric phonetoken a violation, exit 1", rep.ContractViolations, rep.Requests, g, r.code)
				}
			}},
		{name: "capacity", files: embedded("{poll_wait: 200ms, capacity: 5}", "", plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				// 20 requests in a second, answered 5 a second in arrival
				// order: the last waits about 3 s.
				if rep := r.completed(t); rep.Requests != 20 || rep.LatencyMS.Max < 1000 {
					t.Errorf("%d requests, max latency %v ms; want 20, the last queued for seconds", rep.Requests, rep.LatencyMS.Max)
				}
			}},
	})
}

// faultCase is a fault of the mock, set by keys of mock.faults (YAML
// values) or by the `ccgw mock` flags of the same names, and what it does
// to a run of plan (default faultPlan).
type faultCase struct {
	name   string
	faults [][2]string // key, value; in this order as flags
	plan   string
	// mockFlags are more `ccgw mock` flags of the flag variant (the YAML
	// variant's mock block gets mockKeys).
	mockFlags []string
	mockKeys  string
	check     func(t *testing.T, r *cliRun)
}

const faultPlan = "{agents: 2, rate: 10, duration: 1s}"

// allFailed fails unless every one of the run's 10 requests failed with
// the error class.
func allFailed(class string) func(t *testing.T, r *cliRun) {
	return func(t *testing.T, r *cliRun) {
		t.Helper()
		if rep := r.completed(t); rep.Requests != 10 || rep.Errors[class] != 10 {
			t.Errorf("%d requests, errors %v; want all 10 %q", rep.Requests, rep.Errors, class)
		}
	}
}

var faultCases = []faultCase{
	{name: "latency_fixed", faults: [][2]string{{"latency_fixed", "300ms"}},
		check: func(t *testing.T, r *cliRun) {
			if rep := r.completed(t); rep.LatencyMS.Min < 300 {
				t.Errorf("min latency %v ms, want at least the 300ms delay", rep.LatencyMS.Min)
			}
		}},
	// A uniform 0..1s delay leaves all 10 requests under 100ms once in 1e10.
	{name: "latency_jitter", faults: [][2]string{{"latency_jitter", "1s"}},
		check: func(t *testing.T, r *cliRun) {
			if rep := r.completed(t); rep.LatencyMS.Max < 100 {
				t.Errorf("max latency %v ms, want a request delayed 100ms or more", rep.LatencyMS.Max)
			}
		}},
	// An exponential delay of mean 500ms is under 50ms for all 10 requests
	// once in 1e10.
	{name: "latency_dist and latency_mean", faults: [][2]string{{"latency_dist", "exponential"}, {"latency_mean", "500ms"}},
		check: func(t *testing.T, r *cliRun) {
			if rep := r.completed(t); rep.LatencyMS.Max < 50 {
				t.Errorf("max latency %v ms, want a request delayed 50ms or more", rep.LatencyMS.Max)
			}
		}},
	{name: "retcode_rate", faults: [][2]string{{"retcode_rate", "1"}}, check: allFailed("retcode " + gateway.RetInternal)},
	{name: "retcode", faults: [][2]string{{"retcode_rate", "1"}, {"retcode", "100-099"}}, check: allFailed("retcode 100-099")},
	{name: "http_error_rate", faults: [][2]string{{"http_error_rate", "1"}}, check: allFailed("http 503")},
	{name: "http_status", faults: [][2]string{{"http_error_rate", "1"}, {"http_status", "502"}}, check: allFailed("http 502")},
	// The run's reachability probe (a logininfo without a Guid) meets the
	// connection faults first: the run is refused, naming what happened.
	{name: "reset_rate", faults: [][2]string{{"reset_rate", "1"}},
		check: func(t *testing.T, r *cliRun) { r.refused(t, "is unreachable", "connection reset by peer") }},
	{name: "malformed_rate", faults: [][2]string{{"malformed_rate", "1"}}, check: allFailed("envelope malformed")},
	{name: "truncated_rate", faults: [][2]string{{"truncated_rate", "1"}}, check: allFailed("envelope truncated")},
	// The run's probe meets the stall: after stall_for (3s; by default
	// 30s, past the probe's 10s: "no answer within 10s") the mock closes
	// the connection.
	{name: "stall_rate and stall_for", faults: [][2]string{{"stall_rate", "1"}, {"stall_for", "3s"}},
		check: func(t *testing.T, r *cliRun) {
			r.refused(t, "is unreachable: EOF")
			if r.took < 3*time.Second {
				t.Errorf("refused after %s; the stall holds the probe's answer 3s", r.took)
			}
		}},
	// A slow body (2s by default) outlasts a 1s timeout; one of 300ms
	// arrives whole, late.
	{name: "slow_body_rate", faults: [][2]string{{"slow_body_rate", "1"}}, plan: "{agents: 2, rate: 10, duration: 1s, timeout: 1s}", check: allFailed("timeout")},
	{name: "slow_body_for", faults: [][2]string{{"slow_body_rate", "1"}, {"slow_body_for", "300ms"}}, plan: "{agents: 2, rate: 10, duration: 1s, timeout: 1s}",
		check: func(t *testing.T, r *cliRun) {
			if rep := r.completed(t); rep.Success != 10 || rep.LatencyMS.Min < 300 {
				t.Errorf("%d ok, min latency %v ms; want all 10 answered, each body over 300ms", rep.Success, rep.LatencyMS.Min)
			}
		}},
	{name: "wrong_phone_rate", faults: [][2]string{{"wrong_phone_rate", "1"}},
		check: func(t *testing.T, r *cliRun) {
			if rep := r.completed(t); rep.ContractViolations != 10 || rep.Violations[gateway.ViolationWrongPhone] != 10 {
				t.Errorf("violations %v; want all 10 answers another agent's phonenum", rep.Violations)
			}
		}},
	{name: "sign_in_fail_rate", faults: [][2]string{{"sign_in_fail_rate", "1"}},
		check: func(t *testing.T, r *cliRun) {
			r.refused(t, "no agent could sign in", "2 retcode "+faultset.DefaultRetcode)
		}},
	{name: "sign_in_latency", faults: [][2]string{{"sign_in_latency", "300ms"}},
		check: func(t *testing.T, r *cliRun) {
			if s := r.completed(t).Calls[gateway.CallSignIn]; s.Requests != 2 || s.LatencyMS.Min < 300 {
				t.Errorf("sign-ins %+v; want 2, each at least 300ms", s)
			}
		}},
	// No rotation is due for an hour and polls are held 20s, past the run
	// and its grace: only the fault answers a poll within the run.
	{name: "rotate_every_poll", faults: [][2]string{{"rotate_every_poll", "true"}},
		mockKeys: "auth_mode: dynamic, guid_interval: 1h, guid_timeout: 2h, poll_wait: 20s", mockFlags: []string{"--guid-interval", "1h", "--guid-timeout", "2h", "--poll-wait", "20s"},
		check: func(t *testing.T, r *cliRun) {
			if p := r.completed(t).Calls[gateway.CallPoll]; p.Requests == 0 || p.Errors != 0 {
				t.Errorf("polls %+v; want polls answered at once with a new Guid", p)
			}
		}},
	{name: "tls_fail_rate", faults: [][2]string{{"tls_fail_rate", "1"}},
		check: func(t *testing.T, r *cliRun) { r.refused(t, "is unreachable", "tls") }},
}

// TestMockFaultKeyEffects: each key of mock.faults changes the run of
// `ccgw load` against its embedded mock: the error class, latency,
// violations or sign-ins the fault makes.
func TestMockFaultKeyEffects(t *testing.T) {
	t.Parallel()
	cases := make([]cliCase, len(faultCases))
	for i, fc := range faultCases {
		var kv []string
		for _, f := range fc.faults {
			kv = append(kv, f[0]+": "+f[1])
		}
		mock := "poll_wait: 200ms"
		if fc.mockKeys != "" {
			mock = fc.mockKeys
		}
		plan := cmp.Or(fc.plan, faultPlan)
		cases[i] = cliCase{name: fc.name, files: embedded("{"+mock+", faults: {"+strings.Join(kv, ", ")+"}}", "", plan), args: loadArgs(), check: fc.check}
	}
	runCLI(t, cases)
}

// TestMockFaultFlagEffects: each fault flag of `ccgw mock` changes the
// run of `ccgw load` against that mock as the key of the same name does,
// and the mock counts the faults it injected.
func TestMockFaultFlagEffects(t *testing.T) {
	t.Parallel()
	procs := make([]*mockProc, len(faultCases))
	var wg sync.WaitGroup
	errs := make([]error, len(faultCases))
	for i, fc := range faultCases {
		flags := append(slices.Clone(dynamicMock), fc.mockFlags...)
		for _, f := range fc.faults {
			flags = append(flags, "--"+flagName(f[0])+"="+f[1])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			procs[i], errs[i] = launchMock(t, flags...)
		}()
	}
	wg.Wait()
	cases := make([]cliCase, len(faultCases))
	for i, fc := range faultCases {
		if errs[i] != nil {
			t.Fatalf("%s: %v", fc.name, errs[i])
		}
		m := procs[i]
		targets := "targets:\n" + strings.Replace(m.target("m", "1001-1008"), "  m:\n", "  m:\n    allow_load: true\n", 1) +
			"plans:\n  p: " + cmp.Or(fc.plan, faultPlan) + "\n"
		cases[i] = cliCase{name: fc.name, files: map[string]string{"targets.yaml": targets}, args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				fc.check(t, r)
				fd, _ := faultset.Lookup(fc.faults[0][0])
				if fd.Scope == faultset.ScopeTLS {
					return // the mock's admin endpoints refuse the handshakes too
				}
				if n := m.fullStats(t).Faults[fd.Counter]; fd.Counter != "" && n == 0 {
					t.Errorf("the mock counted no %s fault", fd.Counter)
				}
			}}
	}
	runCLI(t, cases)
}

// dynamicMock are startMockProc's flags: the agents' password from
// loadEnv, dynamic mode with short Guid timings.
var dynamicMock = []string{"--password-env", pwEnv, "--auth-mode", "dynamic", "--guid-interval", "2s", "--guid-timeout", "6s", "--poll-wait", "500ms"}

// launchMock is startMockProc for a goroutine: it starts `ccgw mock` on a
// free port with the flags, and returns its error instead of failing the
// test. The process is killed at cleanup.
func launchMock(t *testing.T, flags ...string) (*mockProc, error) {
	cert := filepath.Join(t.TempDir(), "mock.pem")
	args := append([]string{"mock", "--addr", "127.0.0.1:0", "--cert-out", cert}, flags...)
	cmd := exec.Command(ccgwBin, args...)
	cmd.Env = append(os.Environ(), loadEnv...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr syncWriter
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				line <- l
			}
		}
		close(line)
	}()
	var url string
	select {
	case u, ok := <-line:
		if !ok {
			return nil, fmt.Errorf("ccgw mock %q exited: %s", flags, stderr.String())
		}
		url = u
	case <-time.After(testscale.D(30 * time.Second)):
		return nil, fmt.Errorf("ccgw mock %q: no listening line within %v", flags, testscale.D(30*time.Second))
	}
	pem, err := os.ReadFile(cert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("ccgw mock --cert-out wrote no certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &mockProc{url: url, cert: cert, hc: &http.Client{Transport: tr, Timeout: testscale.D(10 * time.Second)}}, nil
}

// TestSettingsThatChangeNothingAreRefused: a key or flag with no meaning
// given the others is refused before anything starts, naming it: the keys
// of the pooled attack in a journey plan, a journey in a capacity plan,
// Guid timings of a static gateway, a fault's parameter without its fault.
func TestSettingsThatChangeNothingAreRefused(t *testing.T) {
	t.Parallel()
	journey := func(key string) map[string]string {
		return embedded(quickMock, "", "{agents: 2, rate: 2, duration: 1s, journey: {hold: 1s}, "+key+"}")
	}
	mockArgs := func(flags ...string) []string { return append([]string{"mock", "--addr", "127.0.0.1:0"}, flags...) }
	cases := []cliCase{
		{name: "journey connections", files: journey("connections: 4"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "plans.p.connections: connections does not apply to a journey plan")
			}},
		{name: "journey order", files: journey("order: shuffle"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) { r.refused(t, "plans.p.order: order does not apply to a journey plan") }},
		{name: "journey signin_concurrency", files: journey("signin_concurrency: 2"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "plans.p.signin_concurrency: signin_concurrency does not apply to a journey plan")
			}},
		{name: "journey max_signin_failures", files: journey("max_signin_failures: 1"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "plans.p.max_signin_failures: max_signin_failures does not apply to a journey plan")
			}},
		{name: "capacity journey", files: embedded(quickMock, "", "{agents: 2, capacity: {start: 10, max: 20, step: 1s}, journey: {hold: 1s}}"),
			args: []string{"capacity", "--targets", "{dir}/targets.yaml", "--target", "m", "--plan", "p", "--out", "{dir}/out"},
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "plans.p.journey: journey does not apply to a capacity plan")
			}},
		{name: "mock static guid_timeout_from", files: embedded("{auth_mode: static, guid_timeout_from: rotation}", "", faultPlan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "targets.m.mock.guid_timeout_from: guid_timeout_from does not apply with auth_mode static")
			}},
		{name: "mock static rotate_every_poll", files: embedded("{auth_mode: static, faults: {rotate_every_poll: true}}", "", faultPlan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "targets.m.mock.faults.rotate_every_poll: rotate_every_poll does not apply with auth_mode static")
			}},
		{name: "flag static rotate-every-poll", args: mockArgs("--auth-mode", "static", "--rotate-every-poll"),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "--rotate-every-poll does not apply with --auth-mode static")
			}},
	}
	for _, c := range []struct{ faults, key, needs, value string }{
		{"{retcode: 100-099}", "retcode", "retcode_rate", "above 0"},
		{"{http_status: 502}", "http_status", "http_error_rate", "above 0"},
		{"{stall_for: 1s}", "stall_for", "stall_rate", "above 0"},
		{"{slow_body_for: 1s}", "slow_body_for", "slow_body_rate", "above 0"},
		{"{latency_mean: 5ms}", "latency_mean", "latency_dist", "exponential"},
		{"{latency_dist: exponential, latency_mean: 5ms, latency_jitter: 5ms}", "latency_jitter", "latency_dist", "uniform (or unset)"},
	} {
		want := fmt.Sprintf("targets.m.mock.faults.%s: %s changes nothing unless %s is %s", c.key, c.key, c.needs, c.value)
		cases = append(cases, cliCase{name: "faults " + c.key, files: embedded("{faults: "+c.faults+"}", "", faultPlan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) { r.refused(t, want) }})
		var flags []string
		for _, kv := range strings.Split(strings.Trim(c.faults, "{}"), ", ") {
			k, v, _ := strings.Cut(kv, ": ")
			flags = append(flags, "--"+flagName(k)+"="+v)
		}
		flagWant := fmt.Sprintf("--%s changes nothing unless --%s is %s", flagName(c.key), flagName(c.needs), c.value)
		cases = append(cases, cliCase{name: "flag " + flagName(c.key), args: mockArgs(flags...),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, flagWant)
				if strings.Contains(r.stdout, "listening on") {
					t.Error("the mock started")
				}
			}})
	}
	runCLI(t, cases)
}
