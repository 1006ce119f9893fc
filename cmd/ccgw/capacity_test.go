package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/load"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/metrics"
	"ccgw-harness/reports"
	"ccgw-harness/results"
)

// capacityPlans are the capacity plans of the capacity tests' targets
// files: 8 agents, a p50 gate the mock's capacity model breaks within a
// step once it is overloaded.
const capacityPlans = `plans:
  cap: {agents: 8, capacity: {start: 50, max: 400, step: 1s, precision: 50%, growth: 4}, connections: 16, slo: {p50: 30ms, error_rate: 1%}}
  slow: {agents: 8, capacity: {start: 20, max: 400, step: 3s, precision: 5%}, slo: {p50: 30ms}}
  rate: {agents: 8, rate: 10, duration: 1s}
`

// writeCapacityTargets writes a targets file with the blocks and
// capacityPlans into dir.
func writeCapacityTargets(t *testing.T, dir string, blocks ...string) string {
	t.Helper()
	p := filepath.Join(dir, "targets.yaml")
	if err := os.WriteFile(p, []byte("targets:\n"+strings.Join(blocks, "")+capacityPlans), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCapacityRequireAndReport runs a whole search through the binary
// against `ccgw mock --capacity 100`: --require above the answer exits 1
// and says so in capacity.json, summary.txt and junit.xml; every step's
// results rebuilt by `ccgw report` give the step's own report.json.
func TestCapacityRequireAndReport(t *testing.T) {
	t.Parallel()
	m := startMockProc(t, "--capacity", "100")
	dir := t.TempDir()
	targets := writeCapacityTargets(t, dir, m.target("gw", "1001-1008", "allow_load: true"))
	out := filepath.Join(dir, "out")
	p := startLoad(t, "capacity", "--targets", targets, "--target", "gw", "--plan", "cap", "--out", out, "--require", "400", "--quiet")
	code := p.wait(t, 3*time.Minute)
	c, err := reports.ReadCapacity(filepath.Join(out, reports.CapacityFile))
	if err != nil {
		t.Fatalf("exit %d, no capacity.json: %v\nstderr:\n%s", code, err, p.stderr)
	}
	t.Logf("answer %s (limited_by %s), %d steps", c.Answer, c.LimitedBy, len(c.Steps))
	want := exitGateFailed
	if c.GeneratorLimited() {
		want = exitGeneratorLimited // an honest answer on a machine too loaded to drive the steps
	}
	if code != want || c.RequireMet == nil && !c.GeneratorLimited() || c.RequireMet != nil && *c.RequireMet {
		t.Fatalf("exit %d, require_met %v, limited_by %s; want exit %d: the mock sustains 100/s, --require 400\nstderr:\n%s", code, c.RequireMet, c.LimitedBy, want, p.stderr)
	}
	if c.Found() && *c.MaxSustainableRate > 105 {
		t.Errorf("answer %s: the mock sustains at most 100/s", c.Answer)
	}
	stderr := p.stderr.String()
	for _, w := range []string{"capacity search from 50/s up to 400/s", "at most", "step 1 (grow): 50/s for 1s", "sign-out: 8 agents signed out"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	summary := readText(t, filepath.Join(out, reports.SummaryFile))
	if !strings.Contains(summary, "Require: at least 400 req/s") || !strings.Contains(p.stdout.String(), "reports in "+out) {
		t.Errorf("summary.txt and stdout must carry the requirement and where the reports are:\n%s\n%s", summary, p.stdout)
	}
	if junit := readText(t, filepath.Join(out, reports.JUnitFile)); !strings.Contains(junit, `name="require 400/s"`) {
		t.Errorf("junit.xml lacks the requirement case:\n%s", junit)
	}
	for _, st := range c.Steps {
		rebuilt := filepath.Join(dir, "rebuilt", st.Dir)
		code, _, stderr := runCCGW(t, loadEnv, "report", "--quiet", "--out", rebuilt, filepath.Join(out, st.Dir, "results.bin"))
		if code != exitOK && code != exitGateFailed {
			t.Fatalf("ccgw report over step %d: exit %d\n%s", st.Step, code, stderr)
		}
		live := readText(t, filepath.Join(out, st.Dir, reports.JSONFile))
		if again := readText(t, filepath.Join(rebuilt, reports.JSONFile)); again != live {
			t.Errorf("step %d: ccgw report over %s/results.bin does not reproduce its report.json", st.Step, st.Dir)
		}
		rep := readReport(t, rebuilt)
		if rep.Requests != st.Requests || rep.LatencyMS.P50 != st.LatencyMS.P50 || rep.Pass != (len(st.FailingGates) == 0) {
			t.Errorf("step %d: ccgw report gives %d requests, p50 %v, pass %v; capacity.json %d, %v, failing %v",
				st.Step, rep.Requests, rep.LatencyMS.P50, rep.Pass, st.Requests, st.LatencyMS.P50, st.FailingGates)
		}
	}
	// The same search, had it required its own answer, passes.
	if c.Found() && !c.GeneratorLimited() {
		c.SetRequire(*c.MaxSustainableRate)
		if got := capacityExit(c); got != exitOK {
			t.Errorf("--require at the answer: exit %d, want 0", got)
		}
	}
	st := m.stats(t)
	if st.ActiveSessions != 0 || st.SignIns < 8 || st.SignOuts != st.SignIns {
		t.Errorf("mock: %d active sessions, %d sign-ins, %d sign-outs; want every agent signed out", st.ActiveSessions, st.SignIns, st.SignOuts)
	}
	pw := strings.TrimPrefix(loadEnv[0], pwEnv+"=")
	filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(readText(t, path), pw) {
			t.Errorf("%s holds the agents' password", path)
		}
		return err
	})
}

// stepLine is the log line of the second step starting (the search's
// second rate, or the first one again when its step was invalid and is
// retried).
var stepLine = regexp.MustCompile(`^step 2 \(grow\): (20|40)/s for 3s`)

// TestCapacitySIGINT: the first SIGINT in the middle of a search stops it,
// signs every agent out, writes the steps done so far and exits 130.
func TestCapacitySIGINT(t *testing.T) {
	t.Parallel()
	m := startMockProc(t, "--capacity", "1000")
	dir := t.TempDir()
	targets := writeCapacityTargets(t, dir, m.target("gw", "2001-2008", "allow_load: true"))
	out := filepath.Join(dir, "out")
	p := startLoad(t, "capacity", "--targets", targets, "--target", "gw", "--plan", "slow", "--out", out)
	p.waitFor(t, stepLine, 90*time.Second)
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, 60*time.Second); code != exitInterrupted {
		t.Fatalf("exit %d after SIGINT, want %d\nstderr:\n%s", code, exitInterrupted, p.stderr)
	}
	stderr := p.stderr.String()
	if !strings.Contains(stderr, "stopping the search, signing agents out") || !strings.Contains(stderr, "sign-out: 8 agents signed out") {
		t.Errorf("stderr must say the search stops and 8 agents were signed out:\n%s", stderr)
	}
	c, err := reports.ReadCapacity(filepath.Join(out, reports.CapacityFile))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Interrupted || c.LimitedBy != reports.CapacityLimitedByInterrupted || len(c.Steps) < 1 {
		t.Fatalf("capacity.json: interrupted %v limited_by %s, %d steps; want interrupted with the steps done so far", c.Interrupted, c.LimitedBy, len(c.Steps))
	}
	if s := c.Steps[0]; s.Rate != 20 || s.Interrupted || s.Requests != 60 {
		t.Errorf("step 1 %+v: want the whole first step at 20/s", s)
	}
	for _, s := range c.Steps {
		n, clean := countResults(t, filepath.Join(out, s.Dir, "results.bin"))
		if !clean || uint64(n) != s.Requests {
			t.Errorf("step %d: %s holds %d whole results (clean end %v), capacity.json counts %d", s.Step, s.Dir, n, clean, s.Requests)
		}
	}
	if last := c.Steps[len(c.Steps)-1]; !last.Interrupted && len(c.Steps) < 3 {
		t.Logf("the signal came between steps: last step %d complete", last.Step)
	}
	if !strings.Contains(readText(t, filepath.Join(out, reports.SummaryFile)), "INTERRUPTED") || !strings.Contains(p.stdout.String(), "CAPACITY INTERRUPTED") {
		t.Errorf("summary.txt and stdout must say the search was interrupted:\n%s", p.stdout)
	}
	meta, err := results.ReadMeta(filepath.Join(out, "merged", "meta.json"))
	if err != nil || !meta.Interrupted || !meta.LatencyFromPlanned {
		t.Errorf("merged/meta.json: %+v, %v; want interrupted, latency_from_planned", meta, err)
	}
	st := m.stats(t)
	if st.ActiveSessions != 0 || st.SignIns < 8 || st.SignOuts != st.SignIns {
		t.Errorf("mock after SIGINT: %d active sessions, %d sign-ins, %d sign-outs; want every agent signed out", st.ActiveSessions, st.SignIns, st.SignOuts)
	}
}

// TestCapacityBadInput: bad flags, a plan that is not a capacity search
// (and a capacity plan given to ccgw load) exit 2 naming what to fix,
// before anyone signs in.
func TestCapacityBadInput(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeCapacityTargets(t, dir, m.target("gw", "3001-3008", "allow_load: true"), m.target("noload", "4001-4008"))
	out := filepath.Join(dir, "out")
	base := []string{"capacity", "--targets", targets, "--target", "gw", "--out", out}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"rate plan", append(base, "--plan", "rate"), []string{"plan rate has no capacity block", "ccgw load"}},
		{"missing --plan", base, []string{"--plan", "capacity plan"}},
		{"bad --require", append(base, "--plan", "cap", "--require", "-1"), []string{"-require", "above 0"}},
		{"--require not a number", append(base, "--plan", "cap", "--require", "lots"), []string{"-require"}},
		{"unknown flag", append(base, "--plan", "cap", "--rate", "10"), []string{"-rate", "ccgw capacity -h"}},
		{"stray argument", append(base, "--plan", "cap", "extra"), []string{`unexpected argument "extra"`}},
		{"allow_load", []string{"capacity", "--targets", targets, "--target", "noload", "--plan", "cap", "--out", out}, []string{"target noload", "allow_load: true"}},
		{"capacity plan to ccgw load", []string{"load", "--targets", targets, "--target", "gw", "--plan", "cap", "--out", out}, []string{"plan cap is a capacity search", "ccgw capacity --plan cap"}},
	} {
		code, stdout, stderr := runCCGW(t, loadEnv, tc.args...)
		if code != exitHarness {
			t.Errorf("%s: exit %d, want %d\nstderr: %s", tc.name, code, exitHarness, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q does not name %q", tc.name, strings.TrimSpace(stderr), w)
			}
		}
		if strings.Contains(stdout, "reports in") {
			t.Errorf("%s: the search ran", tc.name)
		}
	}
	code, _, stderr := runCCGW(t, nil, "capacity", "-h")
	if code != exitOK || !strings.Contains(stderr, "3 the generator, not the gateway, stopped the search") || !strings.Contains(stderr, "--require") {
		t.Errorf("ccgw capacity -h: exit %d, must document the exit codes and --require:\n%s", code, stderr)
	}
	m.noSignIn(t, "bad capacity input")
}

// TestCapacityExit: the exit code of each way a search ends.
func TestCapacityExit(t *testing.T) {
	rate := func(r float64) *float64 { return &r }
	for _, tc := range []struct {
		name    string
		c       reports.Capacity
		require float64
		want    int
	}{
		{"answer", reports.Capacity{MaxSustainableRate: rate(600), LimitedBy: "slo:p99"}, 0, exitOK},
		{"answer reaches --require", reports.Capacity{MaxSustainableRate: rate(600), LimitedBy: "slo:p99"}, 500, exitOK},
		{"answer below --require", reports.Capacity{MaxSustainableRate: rate(600), LimitedBy: "slo:p99"}, 700, exitGateFailed},
		{"no answer", reports.Capacity{LimitedBy: "slo:p99"}, 0, exitGateFailed},
		{"max", reports.Capacity{MaxSustainableRate: rate(3000), LimitedBy: "max"}, 0, exitOK},
		{"generator", reports.Capacity{MaxSustainableRate: rate(600), LimitedBy: "generator"}, 0, exitGeneratorLimited},
		{"generator below --require", reports.Capacity{MaxSustainableRate: rate(600), LimitedBy: "generator"}, 700, exitGeneratorLimited},
		{"generator, --require proven", reports.Capacity{MaxSustainableRate: rate(600), LimitedBy: "generator"}, 500, exitOK},
		{"generator, no answer", reports.Capacity{LimitedBy: "generator"}, 0, exitGeneratorLimited},
		{"interrupted", reports.Capacity{MaxSustainableRate: rate(600), LimitedBy: "interrupted", Interrupted: true}, 500, exitInterrupted},
	} {
		c := tc.c
		if tc.require > 0 {
			c.SetRequire(tc.require)
		}
		if got := capacityExit(&c); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
	var b bytes.Buffer
	usage(&b)
	if !strings.Contains(b.String(), "capacity") {
		t.Error("ccgw usage does not list capacity")
	}
}

// TestCapacityMetrics: `ccgw capacity --metrics-addr` serves the live
// metrics of the whole search, and during the linger their logininfo
// latency histogram counts every result of the merged results file, once.
func TestCapacityMetrics(t *testing.T) {
	t.Parallel()
	m := startMockProc(t, "--capacity", "100")
	dir := t.TempDir()
	targets := writeCapacityTargets(t, dir, m.target("gw", "1001-1008", "allow_load: true"))
	out := filepath.Join(dir, "out")
	p := startLoad(t, "capacity", "--targets", targets, "--target", "gw", "--plan", "cap", "--out", out, "--quiet",
		"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "5m")
	url := p.metricsURL(t)
	p.waitFor(t, lingerLine, 3*time.Minute)
	final := scrapeOrFail(t, url, "during the linger")
	logininfo := float64(len(loadtest.OfCall(loadtest.ReadResults(t, filepath.Join(out, "merged", load.ResultsFile)), gateway.CallLoginInfo)))
	if got := final.By(metrics.NameRequestDuration, metrics.LabelCall, nil)[gateway.CallLoginInfo]; logininfo == 0 || got != logininfo {
		t.Errorf("logininfo latency histogram counts %v, the merged results.bin holds %v logininfo results", got, logininfo)
	}
	if v := final.By(metrics.NameStage, metrics.LabelStage, nil); v[metrics.StageDone] != 1 {
		t.Errorf("stage %v during the linger, want done", v)
	}
	noAgentLabels(t, final, 1001, 1008)
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, 30*time.Second); code == exitInterrupted || code == exitHarness {
		t.Fatalf("exit %d after a SIGINT during the linger, want the search's own code\nstderr:\n%s", code, p.stderr)
	}
}
