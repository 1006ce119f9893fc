package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/reports"
	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
)

// Progress lines of a 6 s plan or capacity step: printed every 5 s
// unless --quiet.
var (
	loadProgress6s     = regexp.MustCompile(`(?m)^\d+s/6s +requests \d+`)
	capacityProgress6s = regexp.MustCompile(`(?m)^step \d+ \S+/s: \d+s/6s +requests \d+`)
	shardProgress6s    = regexp.MustCompile(`(?m)^\[shard \d\] (run \S+: \d+/\d+ shards +)?\d+s/6s +requests \d+`)
)

// TestLoadFlagEffects: --rate and --duration override the plan, --quiet
// drops the progress lines (TestLoadSIGINT waits for one without it),
// --shard and --run-id make the run one shard of a distributed run.
func TestLoadFlagEffects(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	plan := "{agents: 2, rate: 40, duration: 1s}"
	sixSeconds := embedded(quickMock, "", "{agents: 2, rate: 5, duration: 6s}")
	runCLI(t, []cliCase{
		{name: "rate and duration", files: embedded(quickMock, "", plan), args: loadArgs("--rate", "15", "--duration", "2s"),
			check: func(t *testing.T, r *cliRun) {
				if rep := r.completed(t); rep.Requests != 30 || rep.Rate.Requested != 15 || rep.PlannedDurationS != 2 {
					t.Errorf("%d requests at %v/s over %vs; want the flags' 15/s over 2s, not the plan's 40/s over 1s", rep.Requests, rep.Rate.Requested, rep.PlannedDurationS)
				}
			}},
		{name: "quiet", files: sixSeconds, args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.completed(t)
				if loadProgress6s.MatchString(r.stderr) || !strings.Contains(r.stderr, "sign-out:") {
					t.Errorf("--quiet: a progress line, or no log lines:\n%s", r.stderr)
				}
			}},
		// A shard of a distributed run meets its coordinator before
		// anything else: alone, with none named, it is refused, naming
		// what it needs (TestDistAcceptance runs --shard and --run-id in
		// a whole run).
		{name: "shard", files: oneTarget(urlTarget(m, "m", "1001-1004"), "{agents: 4, rate: 20, duration: 1s}"),
			args: loadArgs("--shard", "1/2", "--run-id", "r-keys-7"),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "--coordinator: shard 1/2 needs HOST:PORT of shard 0")
			}},
	})
}

// capacityArgs are the arguments of `ccgw capacity` of target m and plan
// p of the case's targets.yaml into its out directory.
func capacityArgs(extra ...string) []string {
	return append([]string{"capacity", "--targets", "{dir}/targets.yaml", "--target", "m", "--plan", "p", "--out", "{dir}/out"}, extra...)
}

// readCapacity reads the case's out/capacity.json.
func readCapacity(t *testing.T, r *cliRun) *reports.Capacity {
	t.Helper()
	c, err := reports.ReadCapacity(filepath.Join(r.out(), reports.CapacityFile))
	if err != nil {
		t.Fatalf("exit %d, no capacity.json: %v\nstderr:\n%s", r.code, err, r.stderr)
	}
	return c
}

// maxSteps reads the bound on steps the search planned (capacity.json).
func maxSteps(t *testing.T, r *cliRun) int {
	t.Helper()
	var c struct {
		Settings struct {
			MaxSteps int `json:"max_steps"`
		} `json:"settings"`
	}
	if err := json.Unmarshal([]byte(readText(t, filepath.Join(r.out(), reports.CapacityFile))), &c); err != nil || c.Settings.MaxSteps == 0 {
		t.Fatalf("capacity.json settings.max_steps: %+v, %v", c, err)
	}
	return c.Settings.MaxSteps
}

// TestCapacityEffects: a capacity plan's growth sets the rates of its
// steps and its precision the steps it may take; --confirm lets a search
// against a production target run; --quiet drops the progress lines.
func TestCapacityEffects(t *testing.T) {
	t.Parallel()
	var tight, loose *cliRun
	sixSeconds := "{agents: 2, capacity: {start: 10, max: 10, step: 6s}}"
	runCLI(t, []cliCase{
		{name: "growth", files: embedded(quickMock, "", "{agents: 2, capacity: {start: 10, max: 30, step: 1s, growth: 3}, slo: {saturation: false}}"), args: capacityArgs("--quiet"),
			check: func(t *testing.T, r *cliRun) {
				c := readCapacity(t, r)
				var rates []float64
				for _, s := range c.Steps {
					rates = append(rates, s.Rate)
				}
				if len(rates) < 2 || rates[0] != 10 || rates[1] != 30 && rates[1] != 10 {
					t.Errorf("step rates %v; want 10/s, then x3 (or 10/s again, a step the generator could not drive)", rates)
				}
			}},
		{name: "precision", files: embedded(quickMock, "", `{agents: 2, capacity: {start: 10, max: 40, step: 500ms, precision: "50%"}}`), args: capacityArgs("--quiet"),
			check: func(t *testing.T, r *cliRun) { loose = r; readCapacity(t, r) }},
		{name: "precision left out", files: embedded(quickMock, "", "{agents: 2, capacity: {start: 10, max: 40, step: 500ms}}"), args: capacityArgs("--quiet"),
			check: func(t *testing.T, r *cliRun) {
				tight = r
				readCapacity(t, r)
				if loose != nil && maxSteps(t, tight) <= maxSteps(t, loose) {
					t.Errorf("at most %d steps to 5%% precision, %d to 50%%; want more to the finer", maxSteps(t, tight), maxSteps(t, loose))
				}
				if !strings.Contains(loose.stderr, "precision 50%") {
					t.Errorf("the search's estimate does not give its 50%% precision:\n%s", loose.stderr)
				}
			}},
		{name: "confirm", files: embedded(quickMock, "production: true", sixSeconds), args: capacityArgs("--confirm", "m"),
			check: func(t *testing.T, r *cliRun) {
				if c := readCapacity(t, r); len(c.Steps) == 0 || c.Steps[0].Rate != 10 {
					t.Errorf("steps %+v; want the search run against the confirmed production target", c.Steps)
				}
				if !capacityProgress6s.MatchString(r.stderr) {
					t.Errorf("no progress line in a 6s step without --quiet:\n%s", r.stderr)
				}
			}},
		{name: "confirm left out", files: embedded(quickMock, "production: true", sixSeconds), args: capacityArgs(),
			check: func(t *testing.T, r *cliRun) { r.refused(t, "target m", "--confirm m") }},
		{name: "quiet", files: embedded(quickMock, "", sixSeconds), args: capacityArgs("--quiet"),
			check: func(t *testing.T, r *cliRun) {
				readCapacity(t, r)
				if capacityProgress6s.MatchString(r.stderr) || !strings.Contains(r.stderr, "step 1 (grow)") {
					t.Errorf("--quiet: a progress line, or no log lines:\n%s", r.stderr)
				}
			}},
	})
}

// TestReportFlagEffects: each flag of `ccgw report` changes the report it
// writes from the same results (deterministic synthetic ones: 200
// logininfo results at 100/s, 3% sent late, a few errors and violations):
// names, rates, latency, gates, where it goes and what it prints.
func TestReportFlagEffects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	resultsBin := filepath.Join(dir, "run", "results.bin")
	if err := os.MkdirAll(filepath.Dir(resultsBin), 0o755); err != nil {
		t.Fatal(err)
	}
	// Every 40th answer, if it succeeded, broke the contract instead.
	rs := reportstest.DefaultSpec(200).Results()
	for i := 0; i < len(rs); i += 40 {
		if rs[i].Error == "" {
			rs[i].Error = "contract " + gateway.ViolationWrongPhone
		}
	}
	var buf bytes.Buffer
	if err := reportstest.WriteGob(&buf, rs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(resultsBin, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(dir, "other-meta.json")
	if err := results.WriteMeta(meta, results.Meta{Target: "from-meta", Plan: "meta-plan", Profile: "constant", RequestedRate: 100, PlannedDuration: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	report := func(flags ...string) []string {
		return append(append([]string{"report", "--quiet", "--out", "{dir}/out"}, flags...), resultsBin)
	}
	base := filepath.Join(t.TempDir(), "base")
	if code, _, stderr := runCCGW(t, nil, "report", "--quiet", "--out", base, resultsBin); code != exitOK && code != exitGateFailed {
		t.Fatalf("ccgw report: exit %d\n%s", code, stderr)
	}
	plain := readReport(t, base)
	if plain.ContractViolations == 0 || plain.Success == plain.Requests || plain.Saturation.LateRatio <= 0.01 || hasGate(plain, "error_rate") {
		t.Fatalf("the synthetic results: %d violations, %d of %d ok, late ratio %v, gates %+v; the cases below need violations, errors and late requests",
			plain.ContractViolations, plain.Success, plain.Requests, plain.Saturation.LateRatio, plain.SLO)
	}
	latencyFlags := []string{"p50", "p90", "p95", "p99", "p999", "max", "mean"}
	var all []string
	for _, k := range latencyFlags {
		all = append(all, "--slo-"+k, "1us")
	}
	runCLI(t, []cliCase{
		{name: "out and quiet", args: report(),
			check: func(t *testing.T, r *cliRun) {
				if r.report(t).Requests != 200 || r.stdout != "" {
					t.Errorf("stdout %q; want the report in --out and nothing printed", r.stdout)
				}
			}},
		{name: "quiet left out", args: []string{"report", "--out", "{dir}/out", resultsBin},
			check: func(t *testing.T, r *cliRun) {
				if !strings.Contains(r.stdout, "SLO gates") {
					t.Errorf("stdout %q; want the summary", r.stdout)
				}
			}},
		{name: "meta", args: report("--meta", meta),
			check: func(t *testing.T, r *cliRun) {
				if rep := r.report(t); rep.Target != "from-meta" || rep.Plan != "meta-plan" || rep.Rate.Requested != 100 {
					t.Errorf("report of %s/%s at %v/s; want --meta's from-meta/meta-plan at 100/s", rep.Target, rep.Plan, rep.Rate.Requested)
				}
			}},
		{name: "target, plan and rate", args: report("--meta", meta, "--target", "t2", "--plan", "p2", "--rate", "400"),
			check: func(t *testing.T, r *cliRun) {
				if rep := r.report(t); rep.Target != "t2" || rep.Plan != "p2" || rep.Rate.Requested != 400 {
					t.Errorf("report of %s/%s at %v/s; want the flags' t2/p2 at 400/s", rep.Target, rep.Plan, rep.Rate.Requested)
				}
			}},
		{name: "latency-from-planned", args: report("--latency-from-planned"),
			check: func(t *testing.T, r *cliRun) {
				if rep := r.report(t); !rep.LatencyFromPlanned || rep.LatencyMS.Mean <= plain.LatencyMS.Mean {
					t.Errorf("latency_from_planned %v, mean %v ms (%v without); want the lag of the late requests added", rep.LatencyFromPlanned, rep.LatencyMS.Mean, plain.LatencyMS.Mean)
				}
			}},
		{name: "slo latency flags", args: report(all...),
			check: func(t *testing.T, r *cliRun) {
				rep := r.report(t)
				for _, k := range latencyFlags {
					if g := gate(t, rep, k); g.Pass || g.Threshold != 0.001 {
						t.Errorf("--slo-%s 1us: gate %+v, want failed", k, g)
					}
				}
				if r.code != exitGateFailed {
					t.Errorf("exit %d, want %d", r.code, exitGateFailed)
				}
			}},
		{name: "slo", args: report("--slo", "p75=1us", "--slo", "p75.5=1h"),
			check: func(t *testing.T, r *cliRun) {
				rep := r.report(t)
				if g := gate(t, rep, "p75"); g.Pass || r.code != exitGateFailed {
					t.Errorf("--slo p75=1us: gate %+v, exit %d; want failed, 1", g, r.code)
				}
				if g := gate(t, rep, "p75.5"); !g.Pass {
					t.Errorf("--slo p75.5=1h: gate %+v, want passed", g)
				}
			}},
		{name: "slo-error-rate", args: report("--slo-error-rate", "0.0001"),
			check: func(t *testing.T, r *cliRun) {
				if g := gate(t, r.report(t), "error_rate"); g.Pass || g.Threshold != 0.0001 || r.code != exitGateFailed {
					t.Errorf("gate %+v, exit %d; want the errors over 0.0001, failed", g, r.code)
				}
			}},
		{name: "slo-min-rate-ratio", args: report("--rate", "400", "--slo-min-rate-ratio", "0.9"),
			check: func(t *testing.T, r *cliRun) {
				if g := gate(t, r.report(t), "min_rate_ratio"); g.Pass || g.Actual > 0.3 {
					t.Errorf("gate %+v; want 100/s of 400/s requested failing 0.9", g)
				}
			}},
		{name: "slo-max-contract-violations", args: report("--slo-max-contract-violations", "100000"),
			check: func(t *testing.T, r *cliRun) {
				if g := gate(t, r.report(t), "contract_violations"); !g.Pass || g.Threshold != 100000 {
					t.Errorf("gate %+v; want the %d violations within 100000", g, plain.ContractViolations)
				}
				if g := gate(t, plain, "contract_violations"); g.Pass {
					t.Errorf("without the flag: gate %+v, want the violations failing the default 0", g)
				}
			}},
		{name: "slo-max-late-ratio", args: report("--slo-max-late-ratio", "1"),
			check: func(t *testing.T, r *cliRun) {
				if s := r.report(t).Saturation; strings.Contains(s.Reason, "late") {
					t.Errorf("saturation %+v: no share of late requests saturates with the limit at 1", s)
				}
				if !strings.Contains(plain.Saturation.Reason, "late (limit 1.00%") {
					t.Errorf("without the flag: saturation %+v; want the late requests over the default 1%%", plain.Saturation)
				}
			}},
		{name: "slo-saturation", args: report("--slo-saturation=false"),
			check: func(t *testing.T, r *cliRun) {
				if hasGate(r.report(t), "saturation") || !hasGate(plain, "saturation") {
					t.Errorf("a saturation gate with --slo-saturation=false, or none without")
				}
			}},
	})
}

// TestShardsFlagEffects: --confirm lets `ccgw shards` run a production
// target, --rate, --duration and --run-id reach every shard and the merged
// report, --barrier-timeout gives the run up, --quiet drops the shards'
// progress lines.
func TestShardsFlagEffects(t *testing.T) {
	t.Parallel()
	shards := func(extra ...string) []string {
		return append([]string{"shards", "--shards", "2", "--targets", "{dir}/targets.yaml", "--target", "m", "--plan", "p", "--out", "{dir}/out"}, extra...)
	}
	merged := func(t *testing.T, r *cliRun) *reports.Report {
		t.Helper()
		if r.code != exitOK && r.code != exitGateFailed {
			t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
		}
		return readReport(t, r.out()) // the coordinator's --out holds the run's reports
	}
	plan := "{agents: 2, rate: 40, duration: 1s}"
	sixSeconds := embedded(quickMock, "", "{agents: 2, rate: 5, duration: 6s}")
	runCLI(t, []cliCase{
		{name: "rate, duration and run-id", files: embedded(quickMock, "", plan), args: shards("--rate", "15", "--duration", "2s", "--run-id", "r-shards-9", "--quiet"),
			check: func(t *testing.T, r *cliRun) {
				if rep := merged(t, r); rep.Requests != 30 || rep.Rate.Requested != 15 || rep.RunID != "r-shards-9" {
					t.Errorf("merged %d requests at %v/s, run %q; want 30 at 15/s of run r-shards-9", rep.Requests, rep.Rate.Requested, rep.RunID)
				}
			}},
		{name: "confirm", files: embedded(quickMock, "production: true", plan), args: shards("--confirm", "m", "--quiet"),
			check: func(t *testing.T, r *cliRun) {
				if rep := merged(t, r); rep.Requests != 40 {
					t.Errorf("merged %d requests, want the plan's 40 against the confirmed production target", rep.Requests)
				}
			}},
		{name: "confirm left out", files: embedded(quickMock, "production: true", plan), args: shards("--quiet"),
			check: func(t *testing.T, r *cliRun) {
				if r.code != exitHarness || !strings.Contains(r.stderr, "--confirm m") {
					t.Errorf("exit %d; want the production target refused, naming --confirm m\nstderr:\n%s", r.code, r.stderr)
				}
			}},
		// Sign-ins take 2s each, one at a time: shard 1 (1 agent of 3) is
		// ready after 2s, shard 0 (2 agents) after 4s, past the deadline.
		{name: "barrier-timeout", files: embedded("{poll_wait: 200ms, faults: {sign_in_latency: 2s}}", "", "{agents: 3, rate: 10, duration: 1s, signin_concurrency: 1}"),
			args: shards("--barrier-timeout", "500ms", "--quiet"),
			check: func(t *testing.T, r *cliRun) {
				if r.code != exitHarness || !strings.Contains(r.stderr, "not ready within 500ms") {
					t.Errorf("exit %d; want the run given up, the shards not ready within 500ms\nstderr:\n%s", r.code, r.stderr)
				}
			}},
		{name: "quiet", files: sixSeconds, args: shards("--quiet"),
			check: func(t *testing.T, r *cliRun) {
				merged(t, r)
				if shardProgress6s.MatchString(r.stderr) {
					t.Errorf("--quiet: a shard's progress line:\n%s", r.stderr)
				}
			}},
		{name: "quiet left out", files: sixSeconds, args: shards(),
			check: func(t *testing.T, r *cliRun) {
				merged(t, r)
				if !shardProgress6s.MatchString(r.stderr) {
					t.Errorf("no progress line of the shard in a 6s run:\n%s", r.stderr)
				}
			}},
	})
}
