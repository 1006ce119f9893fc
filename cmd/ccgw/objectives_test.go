package main

import (
	"context"
	"encoding/xml"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"ccgw-harness/config"
	"ccgw-harness/internal/gobuild"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/slo"
)

// These tests run the built ccgw (and scripts/qualify.sh) against the
// embedded mock of a temporary targets.yaml, and judge every objective of
// a plan by its JUnit case: an objective written in targets.yaml is a
// gate, or it is refused with a message naming it; it is never dropped.

// objectivePlans are small plans whose objectives are what the tests
// vary: journeys of 8 agents over 1 s, each signed in for 500 ms; a rate
// plan and capacity searches that cannot run ready_ or calls: objectives.
const objectivePlans = `plans:
  ready: {agents: 8, rate: 8, duration: 1s, journey: {hold: 500ms}, slo: {ready_p99: 1us}}
  signin: {agents: 8, rate: 8, duration: 1s, journey: {hold: 500ms}, slo: {calls: {signin: {p99: 1us}}}}
  generous: {agents: 8, rate: 8, duration: 1s, journey: {hold: 500ms}, slo: {ready_p99: 1h, calls: {signin: {p99: 1h}, logout: {error_rate: "100%"}}}}
  rateready: {agents: 8, rate: 10, duration: 1s, slo: {ready_p99: 5s}}
  capready: {agents: 8, capacity: {start: 10, max: 40, step: 1s}, slo: {p99: 1s, ready_p50: 5s}}
  capcalls: {agents: 8, capacity: {start: 10, max: 40, step: 1s}, slo: {p99: 1s, calls: {logininfo: {p99: 1s}}}}
slo: {saturation: false}   # the machine's load must not decide these verdicts
`

// writeObjectiveTargets writes a targets file with an embedded mock target
// "local" (agents 1001-1030: the contract suite signs in 20) and the plans.
func writeObjectiveTargets(t *testing.T, dir, plans string) string {
	t.Helper()
	p := filepath.Join(dir, "targets.yaml")
	yml := "targets:\n  local:\n    mock: {poll_wait: 500ms}\n    agents: {ids: \"1001-1030\", phonenum_prefix: \"7\"}\n" + plans
	if err := os.WriteFile(p, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// junitCases reads DIR/junit.xml: each test case's state by name ("pass",
// "fail" or "skip").
func junitCases(t *testing.T, dir string) map[string]string {
	t.Helper()
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(readText(t, filepath.Join(dir, "junit.xml"))), &doc); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	out := map[string]string{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				out[c.Name] = "fail"
			case c.Skipped != nil:
				out[c.Name] = "skip"
			default:
				out[c.Name] = "pass"
			}
		}
	}
	return out
}

// TestLoadGatesEveryObjective: a journey plan's ready_ and calls:
// objectives decide `ccgw load`'s exit code and are JUnit cases; the run's
// meta.json records them, so `ccgw report` over its results judges them
// again, its flags overriding them; a ready objective on a plan without
// journey is refused, named.
func TestLoadGatesEveryObjective(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	targets := writeObjectiveTargets(t, dir, objectivePlans)
	for _, c := range []struct {
		plan  string
		code  int
		cases map[string]string // JUnit case -> state
	}{
		{"ready", exitGateFailed, map[string]string{"ready_p99": "fail", "contract violations": "pass"}},
		{"signin", exitGateFailed, map[string]string{"calls.signin.p99": "fail", "contract violations": "pass"}},
		{"generous", exitOK, map[string]string{"ready_p99": "pass", "calls.signin.p99": "pass", "calls.logout.error_rate": "pass"}},
	} {
		out := filepath.Join(dir, c.plan)
		code, stdout, stderr := runCCGW(t, loadEnv, "load", "--targets", targets, "--target", "local", "--plan", c.plan, "--out", out, "--quiet")
		if code != c.code {
			t.Errorf("ccgw load --plan %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", c.plan, code, c.code, stdout, stderr)
			continue
		}
		got := junitCases(t, out)
		for name, state := range c.cases {
			if got[name] != state {
				t.Errorf("plan %s: junit.xml case %s is %q, want %q (cases %v)", c.plan, name, got[name], state, got)
			}
		}
		if c.code == exitGateFailed {
			for name := range c.cases {
				if c.cases[name] == "fail" && !strings.Contains(stdout, name) {
					t.Errorf("plan %s: the summary does not name the failed gate %s:\n%s", c.plan, name, stdout)
				}
			}
		}
	}

	// ccgw report judges the objectives meta.json recorded; a flag
	// overrides one key and leaves the others.
	results := filepath.Join(dir, "ready", "results.bin")
	again := filepath.Join(dir, "again")
	if code, _, stderr := runCCGW(t, loadEnv, "report", "--quiet", "--out", again, results); code != exitGateFailed || junitCases(t, again)["ready_p99"] != "fail" {
		t.Errorf("ccgw report over the ready run: exit %d, ready_p99 %q; want exit 1, the recorded ready_p99 failed\n%s", code, junitCases(t, again)["ready_p99"], stderr)
	}
	relaxed := filepath.Join(dir, "relaxed")
	code, _, stderr := runCCGW(t, loadEnv, "report", "--quiet", "--out", relaxed, "--slo", "ready_p99.0=1h", results)
	if got := junitCases(t, relaxed); code != exitOK || got["ready_p99.0"] != "pass" || got["ready_p99"] != "" {
		t.Errorf("ccgw report --slo ready_p99.0=1h: exit %d, cases %v; want exit 0, ready_p99.0 passed in place of the recorded ready_p99\n%s", code, got, stderr)
	}

	// ready_p99 on a plan without journey: refused, named, before any
	// agent signs in.
	out := filepath.Join(dir, "rateready")
	code, stdout, stderr := runCCGW(t, loadEnv, "load", "--targets", targets, "--target", "local", "--plan", "rateready", "--out", out)
	if code != exitHarness || !strings.Contains(stderr, "plan rateready: objective ready_p99 has no meaning in a plan without journey") || strings.Contains(stdout, "reports in") {
		t.Errorf("ccgw load --plan rateready: exit %d, want %d and the objective named\nstderr: %s", code, exitHarness, stderr)
	}
}

// TestCapacityRefusesMeaninglessObjectives: a capacity step runs
// logininfo at one rate, so a ready_ or calls: objective of a capacity
// plan would pass unjudged: ccgw capacity refuses them, naming the key,
// before anything starts (the loader itself refuses a journey block in a
// capacity plan: TestSettingsThatChangeNothingAreRefused).
func TestCapacityRefusesMeaninglessObjectives(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	targets := writeObjectiveTargets(t, dir, objectivePlans)
	for plan, want := range map[string]string{
		"capready": "plan capready: objective ready_p50 has no meaning in a capacity search",
		"capcalls": "plan capcalls: objective calls.logininfo.p99 has no meaning in a capacity search",
	} {
		out := filepath.Join(dir, plan)
		code, stdout, stderr := runCCGW(t, loadEnv, "capacity", "--targets", targets, "--target", "local", "--plan", plan, "--out", out)
		if code != exitHarness || !strings.Contains(stderr, want) || strings.Contains(stdout, "reports in") {
			t.Errorf("ccgw capacity --plan %s: exit %d, want %d and %q\nstderr: %s", plan, code, exitHarness, want, stderr)
		}
	}
}

// TestShardsGateEveryObjective: the merged verdict of a distributed run
// judges the journey plan's ready objective the shards recorded.
func TestShardsGateEveryObjective(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	targets := writeObjectiveTargets(t, dir, objectivePlans)
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCCGWFor(t, testscale.D(2*time.Minute), loadEnv, "shards", "--shards", "2", "--targets", targets, "--target", "local", "--plan", "ready", "--out", out)
	if code != exitGateFailed {
		t.Fatalf("ccgw shards --plan ready: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitGateFailed, stdout, stderr)
	}
	merged := out // the coordinator's --out holds the run's merged reports
	if got := junitCases(t, merged); got["ready_p99"] != "fail" || got["contract violations"] != "pass" {
		t.Errorf("merged junit.xml cases %v: want ready_p99 failed", got)
	}
	if rep := readReport(t, merged); rep.Shards == nil || rep.Shards.Count != 2 || len(rep.Shards.Missing) != 0 || rep.Journeys.Started != 8 {
		t.Errorf("merged report: shards %+v, %d journeys; want 2 shards, none missing, 8 journeys", rep.Shards, rep.Journeys.Started)
	}
}

// objectiveGates are the JUnit case names of objectives o: one per key.
func objectiveGates(o slo.Objectives) []string {
	var names []string
	for k := range o.Latency {
		names = append(names, k)
	}
	for k := range o.Ready {
		names = append(names, slo.ReadyGate(k))
	}
	for call, c := range o.Calls {
		for k := range c.Latency {
			names = append(names, slo.CallGate(call, k))
		}
		if c.ErrorRate != nil {
			names = append(names, slo.CallGate(call, slo.KeyErrorRate))
		}
	}
	if o.ErrorRate != nil {
		names = append(names, slo.GateErrorRate)
	}
	if o.MinRateRatio != nil {
		names = append(names, slo.GateMinRateRatio)
	}
	if o.SaturationGated() {
		names = append(names, slo.GateSaturation)
	}
	names = append(names, "contract violations")
	slices.Sort(names)
	return names
}

// yamlSet sets the scalar at path (mapping keys from the document root)
// of doc to v, adding the last key when it is missing.
func yamlSet(t *testing.T, doc *yaml.Node, v string, path ...string) {
	t.Helper()
	n := doc.Content[0]
	for i, k := range path {
		if n.Kind != yaml.MappingNode {
			t.Fatalf("targets.yaml: %s is not a mapping", strings.Join(path[:i], "."))
		}
		var next *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == k {
				next = n.Content[j+1]
			}
		}
		if next == nil {
			if i < len(path)-1 {
				t.Fatalf("targets.yaml has no %s", strings.Join(path[:i+1], "."))
			}
			next = &yaml.Node{Kind: yaml.ScalarNode}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, next)
		}
		n = next
	}
	*n = yaml.Node{Kind: yaml.ScalarNode, Value: v}
}

// TestRepoObjectivesAreJUnitCases: the objectives the repository decides
// for its shiftstart plan (targets.yaml: the global slo and the plan's
// ready_ and calls: ones) each appear in junit.xml as a test case of a
// `ccgw load` run of that plan, shrunk to 8 agents over 1 s.
func TestRepoObjectivesAreJUnitCases(t *testing.T) {
	t.Parallel()
	root, err := gobuild.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	repo, err := config.Load(filepath.Join(root, "targets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := repo.SLOFor(repo.Plans["shiftstart"])
	if len(want.Ready) == 0 || len(want.Calls) == 0 {
		t.Fatalf("the shiftstart plan has no ready_ or calls: objectives (%+v): this test checks that they reach junit.xml", want)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(readText(t, filepath.Join(root, "targets.yaml"))), &doc); err != nil {
		t.Fatal(err)
	}
	for path, v := range map[string]string{
		"plans.shiftstart.agents": "8", "plans.shiftstart.rate": "8", "plans.shiftstart.duration": "1s",
		"plans.shiftstart.journey.hold": "500ms", "plans.shiftstart.journey.repeat": "250ms",
		"targets.mock.mock.poll_wait": "500ms",
	} {
		yamlSet(t, &doc, v, strings.Split(path, ".")...)
	}
	b, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.yaml")
	if err := os.WriteFile(targets, b, 0o644); err != nil {
		t.Fatal(err)
	}
	small, err := config.Load(targets)
	if err != nil {
		t.Fatal(err)
	}
	if got := small.SLOFor(small.Plans["shiftstart"]); !reflect.DeepEqual(got, want) {
		t.Fatalf("shrinking the plan changed its objectives:\n got %+v\nwant %+v", got, want)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCCGW(t, loadEnv, "load", "--targets", targets, "--target", "mock", "--plan", "shiftstart", "--out", out, "--quiet")
	if code != exitOK && code != exitGateFailed {
		t.Fatalf("ccgw load --plan shiftstart: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	got := junitCases(t, out)
	if names := slices.Sorted(maps.Keys(got)); !reflect.DeepEqual(names, objectiveGates(want)) {
		t.Errorf("junit.xml cases %v\nwant one per objective of targets.yaml's shiftstart: %v", names, objectiveGates(want))
	}
	for name, state := range got {
		if state == "skip" {
			t.Errorf("junit.xml case %s was skipped: the run had nothing to judge it on", name)
		}
	}
}

// TestQualifyGatesReady: scripts/qualify.sh (make qualify) runs the
// contract suite, then `ccgw load` of a journey plan whose ready_p99 is
// 1us: the gate fails the qualification (exit 1) and junit.xml names it.
func TestQualifyGatesReady(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"make", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s on PATH: qualify.sh needs it", tool)
		}
	}
	root, err := gobuild.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	targets := writeObjectiveTargets(t, dir, objectivePlans)
	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithTimeout(context.Background(), testscale.D(gobuild.Timeout+3*time.Minute))
	defer cancel()
	// The environment of a plain shell: no make of an enclosing `make test`,
	// no contract-suite filters.
	env := append(slices.Clone(loadEnv), "MAKEFLAGS=", "MFLAGS=", "MAKELEVEL=", "LABELS=", "CONTRACT_ARGS=")
	build := exec.CommandContext(ctx, "make", "--no-print-directory", "build") // what make qualify runs first
	build.Dir, build.Env = root, append(os.Environ(), env...)
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, b)
	}
	cmd := exec.CommandContext(ctx, "bash", "scripts/qualify.sh", targets, "local", "ready", out)
	cmd.Dir, cmd.Env = root, append(os.Environ(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil && (cmd.ProcessState == nil || cmd.ProcessState.ExitCode() < 0) {
		t.Fatalf("qualify.sh: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	code := cmd.ProcessState.ExitCode()
	if !strings.Contains(stdout.String(), "== 2/3 load plan ready") {
		t.Fatalf("qualify.sh: exit %d before the load plan: the contract suite failed against the mock (see %s)\nstdout:\n%s\nstderr:\n%s",
			code, filepath.Join(out, "contract-junit.xml"), stdout.String(), stderr.String())
	}
	if code != exitGateFailed || !strings.Contains(stderr.String(), "qualify: FAIL: an SLO gate failed") {
		t.Errorf("qualify.sh with ready_p99: 1us: exit %d, want %d and the gate failure\nstdout:\n%s\nstderr:\n%s", code, exitGateFailed, stdout.String(), stderr.String())
	}
	if got := junitCases(t, out); got["ready_p99"] != "fail" {
		t.Errorf("junit.xml cases %v: want ready_p99 failed", got)
	}
}

// TestClosedPlanSkipsMinRateRatio: a closed-model plan keeps a concurrency,
// not a rate, so the global min_rate_ratio has nothing to judge there: its
// JUnit case is skipped, saying why, and the run passes on the other
// gates, where it used to fail every closed run ("rate ratio unknown").
func TestClosedPlanSkipsMinRateRatio(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	targets := writeObjectiveTargets(t, dir, `plans:
  closed: {agents: 8, concurrency: 2, duration: 1s, connections: 2}
slo: {min_rate_ratio: 0.95, saturation: false}
`)
	out := filepath.Join(dir, "closed")
	code, stdout, stderr := runCCGW(t, loadEnv, "load", "--targets", targets, "--target", "local", "--plan", "closed", "--out", out, "--quiet")
	if code != exitOK {
		t.Fatalf("ccgw load --plan closed: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if got := junitCases(t, out); got["min_rate_ratio"] != "skip" {
		t.Errorf("closed plan: junit.xml case min_rate_ratio is %q, want skip (cases %v)", got["min_rate_ratio"], got)
	}
	if junit := readText(t, filepath.Join(out, "junit.xml")); !strings.Contains(junit, "closed-model plan") {
		t.Errorf("closed plan: the skipped min_rate_ratio case does not say why:\n%s", junit)
	}
}

// TestLoadCallObjectivesEveryCall: an objective under slo.calls decides
// the verdict for every call a journey makes (signin, logininfo, poll,
// logout: an impossible p99 fails its case and the run), its error_rate
// counts that call's failures (sign-ins the mock refuses), and a call the
// run never made (forcelogin without 100-002, updateguid) is a skipped case
// saying so, never a silent pass.
func TestLoadCallObjectivesEveryCall(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plans := "plans:\n"
	for _, call := range slo.GatedCalls() {
		plans += "  " + call + ": {agents: 8, rate: 8, duration: 1s, journey: {hold: 1s}, slo: {calls: {" + call + ": {p99: 1us}}}}\n"
	}
	plans += "  signinerrors: {agents: 8, rate: 8, duration: 1s, journey: {hold: 500ms}, slo: {calls: {signin: {error_rate: 0}}}}\n"
	plans += "slo: {saturation: false}\n"
	targets := writeObjectiveTargets(t, dir, plans)
	// A second target whose mock refuses half the agents' sign-ins.
	yml := readText(t, targets)
	yml = strings.Replace(yml, "plans:\n", "  failing:\n    mock: {poll_wait: 500ms, faults: {sign_in_fail_rate: 0.5}}\n    agents: {ids: \"1001-1030\", phonenum_prefix: \"7\"}\nplans:\n", 1)
	if err := os.WriteFile(targets, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		target, plan, gate, state string
		code                      int
	}{
		{"local", "signin", "calls.signin.p99", "fail", exitGateFailed},
		{"local", "logininfo", "calls.logininfo.p99", "fail", exitGateFailed},
		{"local", "poll", "calls.poll.p99", "fail", exitGateFailed},
		{"local", "logout", "calls.logout.p99", "fail", exitGateFailed},
		{"local", "forcelogin", "calls.forcelogin.p99", "skip", exitOK},
		{"local", "updateguid", "calls.updateguid.p99", "skip", exitOK},
		{"failing", "signinerrors", "calls.signin.error_rate", "fail", exitGateFailed},
	} {
		out := filepath.Join(dir, c.target+"-"+c.plan)
		code, stdout, stderr := runCCGW(t, loadEnv, "load", "--targets", targets, "--target", c.target, "--plan", c.plan, "--out", out, "--quiet")
		if code != c.code {
			t.Errorf("ccgw load --target %s --plan %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", c.target, c.plan, code, c.code, stdout, stderr)
			continue
		}
		if got := junitCases(t, out); got[c.gate] != c.state {
			t.Errorf("plan %s: junit.xml case %s is %q, want %q (cases %v)", c.plan, c.gate, got[c.gate], c.state, got)
		}
	}
}
