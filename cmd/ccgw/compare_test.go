package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/reports"
	"ccgw-harness/reports/render"
	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// compareRun writes a run directory (report.json and the other reports) for
// generated results, changed by mod, with run metadata m, and returns the
// directory.
func compareRun(t *testing.T, m results.Meta, mod func([]vegeta.Result)) string {
	t.Helper()
	spec := reportstest.DefaultSpec(1000)
	spec.LateFraction = 0 // an unsaturated generator: no notes to wade through
	rs := spec.Results()
	if mod != nil {
		mod(rs)
	}
	a := reports.NewAggregator()
	for i := range rs {
		a.Add(&rs[i])
	}
	dir := t.TempDir()
	if err := render.WriteRun(dir, a.Report(m, slo.Objectives{}), a); err != nil {
		t.Fatal(err)
	}
	return dir
}

// noExitSleep stops the race-enabled binary from sleeping a second when it
// exits 0 (the race runtime's atexit_sleep_ms), which would make these
// many short runs slow.
var noExitSleep = []string{"GORACE=atexit_sleep_ms=0"}

func compareMeta() results.Meta {
	return results.Meta{Target: "mock", Plan: "smoke", Profile: "constant", RequestedRate: 100,
		PlannedDuration: 10 * time.Second, Agents: 20, Connections: 8, TLSVerify: true}
}

// slower scales every latency by 1.6: +60 % and, at ~2 ms and up, more
// than 1 ms on every percentile.
func slower(rs []vegeta.Result) {
	for i := range rs {
		rs[i].Latency = rs[i].Latency * 8 / 5
	}
}

// moreErrors turns every 50th success into an HTTP 503 (+2 percentage
// points of errors).
func moreErrors(rs []vegeta.Result) {
	for i := range rs {
		if i%50 == 0 && rs[i].Error == "" {
			rs[i].Code, rs[i].Error = 503, "http 503"
		}
	}
}

// TestCompareCommand runs `ccgw compare` as a release pipeline does: exit 0
// when nothing regressed, 1 on a regression, the table on stdout, the
// warning when the runs are not comparable, and the --out files.
func TestCompareCommand(t *testing.T) {
	base := compareRun(t, compareMeta(), nil)
	same := compareRun(t, compareMeta(), nil)
	slow := compareRun(t, compareMeta(), slower)
	errs := compareRun(t, compareMeta(), moreErrors)
	other := compareMeta()
	other.Plan, other.RequestedRate = "golive", 200
	golive := compareRun(t, other, nil)
	baseJSON, slowJSON := filepath.Join(base, "report.json"), filepath.Join(slow, "report.json")

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   []string // substrings of stdout
		stderr   []string
		noStdout []string
	}{
		{name: "no change passes", args: []string{base, same}, code: exitOK,
			stdout: []string{"ccgw compare: baseline mock/smoke vs current mock/smoke", "PASS: no regression in 7 gates",
				"requests", "throughput", "error_rate", "p99.9", "retcode", "p99 by gateway node", baseJSON},
			noStdout: []string{"NOT COMPARABLE", "REGRESSED"}},
		{name: "latency regression fails", args: []string{baseJSON, slowJSON}, code: exitGateFailed,
			stdout: []string{"REGRESSED", "FAIL: 5 of 7 gates failed (p50, p90, p95, p99, p99.9)", "+60.0%"}},
		{name: "improvement passes", args: []string{slowJSON, baseJSON}, code: exitOK,
			stdout: []string{"improved", "PASS: no regression in 7 gates; improved: p50, p90, p95, p99, p99.9"}},
		{name: "looser threshold", args: []string{"--max-latency-regression", "75%", base, slow}, code: exitOK,
			stdout: []string{"+75% and +1ms", "PASS"}},
		{name: "high minimum delta", args: []string{"--min-latency-delta", "10s", base, slow}, code: exitOK,
			stdout: []string{"PASS"}},
		{name: "gates disabled, flags after the runs", args: []string{base, slow, "--no-gates"}, code: exitOK,
			stdout: []string{"regressed (not enforced)", "NOT GATED: gates disabled; would have failed: p50"}},
		{name: "error rate increase fails", args: []string{base, errs}, code: exitGateFailed,
			stdout: []string{"http 503", "FAIL: 1 of 7 gates failed (error_rate)"}},
		{name: "error rate within a raised threshold", args: []string{"--max-error-rate-increase", "2.5%", base, errs}, code: exitOK,
			stdout: []string{"+2.50 pp", "PASS"}},
		{name: "throughput drop beyond a tightened threshold", args: []string{"--max-throughput-drop", "1%", "--max-error-rate-increase", "2.5%", base, errs}, code: exitGateFailed,
			stdout: []string{"FAIL: 1 of 7 gates failed (throughput)"}},
		{name: "not comparable: warned, not failed", args: []string{base, golive}, code: exitOK,
			stdout: []string{"NOT COMPARABLE: plan differs: baseline smoke, current golive; requested rate differs by +100.0%", "PASS"},
			stderr: []string{"warning: the runs are not comparable: plan differs"}},
		{name: "not comparable, strict", args: []string{"--strict", base, golive}, code: exitGateFailed,
			stdout: []string{"Strict: this fails the comparison", "FAIL: 1 of 8 gates failed (comparable)"}},
		{name: "markdown", args: []string{"--format", "md", base, slow}, code: exitGateFailed,
			stdout: []string{"# ccgw compare:", "| p99 |", "| REGRESSED |", "**FAIL: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCCGW(t, noExitSleep, append([]string{"compare"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.noStdout {
				if strings.Contains(stdout, s) {
					t.Errorf("stdout has %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}

	t.Run("json and --out", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "cmp")
		code, stdout, stderr := runCCGW(t, noExitSleep, "compare", "--format", "json", "--out", out, base, slow)
		if code != exitGateFailed {
			t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
		}
		var c reports.Comparison
		if err := json.Unmarshal([]byte(stdout), &c); err != nil {
			t.Fatalf("--format json: stdout is no JSON comparison: %v\n%s", err, stdout)
		}
		if c.Pass || !c.Comparable || len(c.Gates) != 7 || c.Current.Source != slowJSON {
			t.Errorf("comparison: pass %v comparable %v gates %d source %q", c.Pass, c.Comparable, len(c.Gates), c.Current.Source)
		}
		for _, name := range []string{reports.CompareTextFile, reports.CompareJSONFile, reports.CompareMarkdownFile, reports.CompareJUnitFile} {
			b, err := os.ReadFile(filepath.Join(out, name))
			if err != nil || len(b) == 0 {
				t.Errorf("--out: %s: %v", name, err)
			}
			if name == reports.CompareJSONFile && string(b) != stdout {
				t.Errorf("--out compare.json differs from the --format json output")
			}
			if name == reports.CompareJUnitFile && (strings.Count(string(b), "<testcase ") != 7 || strings.Count(string(b), "<failure ") != 5) {
				t.Errorf("compare-junit.xml: want 7 test cases, 5 failures:\n%s", b)
			}
		}
		if !strings.Contains(stderr, "into "+out) {
			t.Errorf("stderr does not say where the files went: %s", stderr)
		}
	})
}

// TestCompareCommandHarnessErrors: bad input is exit 2 with a message that
// names the file or flag and what is allowed.
func TestCompareCommandHarnessErrors(t *testing.T) {
	base := compareRun(t, compareMeta(), nil)
	empty := t.TempDir()
	meta := filepath.Join(empty, "meta.json")
	if err := results.WriteMeta(meta, compareMeta()); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(empty, "results.bin")
	if err := reportstest.DefaultSpec(10).WriteFile(bin); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(empty, "nope", "report.json")
	for _, tc := range []struct {
		name   string
		args   []string
		stderr []string
	}{
		{"missing file", []string{base, missing}, []string{"current " + missing + ": no such file or directory", "want a run directory holding report.json"}},
		{"directory without report.json", []string{empty, base}, []string{"baseline " + empty + ": no report.json in this directory"}},
		{"meta.json is no report", []string{base, meta}, []string{meta + `: not a report.json (no "requests" key)`}},
		{"results file is no report", []string{bin, base}, []string{bin + ": not a report.json (invalid character"}},
		{"one run", []string{base}, []string{"want BASELINE and CURRENT", "got 1 argument"}},
		{"three runs", []string{base, base, base}, []string{"got 3 argument"}},
		{"bad percentage", []string{"--max-latency-regression", "ten", base, base}, []string{`invalid value "ten" for flag -max-latency-regression`, "want a percentage from 0% to 1000%"}},
		{"percentage without %", []string{"--max-throughput-drop", "5", base, base}, []string{"flag -max-throughput-drop", "such as 10%"}},
		{"error rate above 100%", []string{"--max-error-rate-increase", "150%", base, base}, []string{"flag -max-error-rate-increase", "from 0% to 100%"}},
		{"negative minimum delta", []string{"--min-latency-delta", "-1ms", base, base}, []string{"--min-latency-delta -1ms: want a duration >= 0"}},
		{"bad format", []string{"--format", "xml", base, base}, []string{`--format "xml": want text, md or json`}},
		{"unknown flag", []string{"--bogus", base, base}, []string{"flag provided but not defined: -bogus", "ccgw compare -h"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCCGW(t, noExitSleep, append([]string{"compare"}, tc.args...)...)
			if code != exitHarness {
				t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("harness error with output on stdout:\n%s", stdout)
			}
		})
	}

	code, _, stderr := runCCGW(t, noExitSleep, "compare", "-h")
	if code != exitOK || !strings.Contains(stderr, "Usage: ccgw compare [flags] BASELINE CURRENT") || !strings.Contains(stderr, "-max-latency-regression PERCENT") {
		t.Errorf("-h: exit %d, usage:\n%s", code, stderr)
	}
}
