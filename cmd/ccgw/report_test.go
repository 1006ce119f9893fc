package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/reports/reportstest"
)

// TestReportEqualsLiveRun: `ccgw report` over a completed run's directory
// (results.bin, calls.bin and meta.json), or over its results.bin (the
// calls.bin and meta.json beside it read too), writes the very report.json
// the live run wrote (top level, calls, everything), and reaches the same
// verdict. results.bin holds what the top level counts; calls.bin the
// agents' own calls.
func TestReportEqualsLiveRun(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "1001-1008", "allow_load: true"))
	out := filepath.Join(dir, "out")
	liveCode, _, stderr := runCCGW(t, loadEnv, "load", "--targets", targets, "--target", "gw", "--plan", "short", "--out", out, "--quiet")
	if liveCode != exitOK && liveCode != exitGateFailed {
		t.Fatalf("ccgw load: exit %d\nstderr:\n%s", liveCode, stderr)
	}
	live := readText(t, filepath.Join(out, "report.json"))
	liveRep := readReport(t, out)
	if n, clean := countResults(t, filepath.Join(out, "results.bin")); uint64(n) != liveRep.Requests || !clean {
		t.Errorf("results.bin holds %d results (clean end %v), report.json counts %d requests", n, clean, liveRep.Requests)
	}
	calls := loadtest.CallCounts(loadtest.ReadResults(t, filepath.Join(out, "calls.bin")))
	if calls[gateway.CallSignIn] != 8 || calls[gateway.CallLogout] != 8 || calls[gateway.CallLoginInfo] != 0 ||
		calls[gateway.CallPoll] != liveRep.Calls[gateway.CallPoll].Requests {
		t.Errorf("calls.bin holds %v; want 8 sign-ins and sign-outs, report.json's %d polls, no logininfo", calls, liveRep.Calls[gateway.CallPoll].Requests)
	}

	again := filepath.Join(dir, "again")
	code, stdout, stderr := runCCGW(t, loadEnv, "report", "--out", again, out)
	if code != liveCode {
		t.Errorf("ccgw report DIR: exit %d, the live run's was %d\nstderr:\n%s", code, liveCode, stderr)
	}
	rebuilt := readText(t, filepath.Join(again, "report.json"))
	if rebuilt != live {
		t.Errorf("report.json from ccgw report DIR differs from the live run's: %s", firstLineDiff(rebuilt, live))
	}
	byFile := filepath.Join(dir, "byfile")
	if code, _, stderr := runCCGW(t, loadEnv, "report", "--quiet", "--out", byFile, filepath.Join(out, "results.bin")); code != liveCode {
		t.Errorf("ccgw report DIR/results.bin: exit %d, the live run's was %d\nstderr:\n%s", code, liveCode, stderr)
	}
	if rebuilt := readText(t, filepath.Join(byFile, "report.json")); rebuilt != live {
		t.Errorf("report.json from ccgw report DIR/results.bin differs from the live run's: %s", firstLineDiff(rebuilt, live))
	}
	rep := readReport(t, again)
	if rep.Requests != 40 || rep.Target != "gw" || rep.Plan != "short" || rep.Rate.Requested != 40 || rep.Partial {
		t.Errorf("rebuilt report: %d requests of %s/%s at %v/s requested, partial %v; want 40 of gw/short at 40/s, complete",
			rep.Requests, rep.Target, rep.Plan, rep.Rate.Requested, rep.Partial)
	}
	if !strings.Contains(stdout, "target gw, plan short") {
		t.Errorf("ccgw report must print the summary on stdout:\n%s", stdout)
	}
	for _, f := range []string{"summary.txt", "report.md", "report.html", "junit.xml", "latency.hgrm"} {
		if _, err := os.Stat(filepath.Join(again, f)); err != nil {
			t.Errorf("ccgw report did not write %s: %v", f, err)
		}
	}
}

// firstLineDiff describes where two texts first differ.
func firstLineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var x, y string
		if i < len(g) {
			x = g[i]
		}
		if i < len(w) {
			y = w[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n  got:  " + x + "\n  want: " + y
		}
	}
	return "equal"
}

// TestReportOnKilledRun: after `kill -9` in the middle of a run, `ccgw
// report` over its results.bin works (exit 0 or 1 by the gates, never 2),
// says the results are partial, and counts exactly the results decodable
// from the file; so does a copy cut inside its last result.
func TestReportOnKilledRun(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "1001-1008", "allow_load: true"))
	out := filepath.Join(dir, "out")
	p := startLoad(t, "load", "--targets", targets, "--target", "gw", "--plan", "long", "--out", out, "--quiet")
	p.waitFor(t, signedInLine, 40*time.Second)
	results := filepath.Join(out, "results.bin")
	// Wait (bounded) until the run has flushed a few dozen results.
	deadline := time.Now().Add(testscale.D(20 * time.Second))
	for {
		if st, err := os.Stat(results); err == nil && st.Size() > 6<<10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("results.bin did not grow past 6 KiB within %v\nstderr:\n%s", testscale.D(20*time.Second), p.stderr)
		}
		time.Sleep(50 * time.Millisecond) // polling the file, bounded by the deadline
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 10*time.Second); code != -1 {
		t.Fatalf("kill -9: exit code %d, want death by signal", code)
	}
	if _, err := os.Stat(filepath.Join(out, "report.json")); err == nil {
		t.Fatal("the killed run wrote report.json: it was not killed mid-run")
	}
	n, clean := countResults(t, results)
	if n == 0 {
		t.Fatal("results.bin holds no whole result")
	}

	check := func(name, file string, want int, wantWarn string) {
		t.Helper()
		dir2 := filepath.Join(dir, name)
		code, stdout, stderr := runCCGW(t, loadEnv, "report", "--out", dir2, file)
		if code != exitOK && code != exitGateFailed {
			t.Fatalf("%s: ccgw report: exit %d, want 0 or 1 (the gates' verdict)\nstderr:\n%s", name, code, stderr)
		}
		rep := readReport(t, dir2)
		if !rep.Partial || rep.Requests != uint64(want) {
			t.Errorf("%s: report.json partial %v, requests %d; want partial and %d (the whole results in the file)", name, rep.Partial, rep.Requests, want)
		}
		if rep.Target != "gw" || rep.Plan != "long" || rep.PlannedDurationS != 30 {
			t.Errorf("%s: report.json %s/%s planned %vs: meta.json beside the file was not used", name, rep.Target, rep.Plan, rep.PlannedDurationS)
		}
		if !strings.Contains(stderr, wantWarn) {
			t.Errorf("%s: stderr %q does not warn %q", name, stderr, wantWarn)
		}
		if !strings.Contains(stdout, "PARTIAL") || !strings.Contains(readText(t, filepath.Join(dir2, "summary.txt")), "PARTIAL") {
			t.Errorf("%s: the summary does not say the results are partial:\n%s", name, stdout)
		}
	}
	// The files as the killed run left them (ccgw report reads the
	// calls.bin beside results.bin too; either may be cut).
	if _, callsClean := countResults(t, filepath.Join(out, "calls.bin")); !callsClean {
		clean = false
	}
	warn := "probably killed"
	if !clean {
		warn = "truncated"
	}
	check("killed", results, n, warn)

	// A copy cut inside its last result, as a kill in the middle of a
	// write leaves it.
	data, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut")
	if err := os.MkdirAll(cut, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := readText(t, filepath.Join(out, "meta.json"))
	if err := os.WriteFile(filepath.Join(cut, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cut, "results.bin"), data[:len(data)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	cn, cclean := countResults(t, filepath.Join(cut, "results.bin"))
	if cclean || cn > n || cn < n-1 {
		t.Fatalf("cut copy: %d whole results (clean end %v); want %d or %d and a cut end", cn, cclean, n-1, n)
	}
	check("cut-report", filepath.Join(cut, "results.bin"), cn, "truncated")
}

// TestReportBadInput: each bad flag or file exits 2 with a message naming
// it and what is allowed, and writes no report.
func TestReportBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bin")
	// A tiny but real results file, as the load engine writes them.
	var buf bytes.Buffer
	if err := reportstest.WriteGob(&buf, reportstest.DefaultSpec(50).Results()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"junk.bin":   "hello, junk\x00\x01\x02 not results",
		"yaml.bin":   "targets:\n  gw: {url: https://gw:8043}\n",
		"csv.txt":    "12,not,a,result\n",
		"html.bin":   "<!DOCTYPE html><html></html>\n",
		"binary.bin": "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out")
	missing := filepath.Join(dir, "nosuch", "results.bin")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown flag", []string{"--no-such-flag", good}, []string{"-no-such-flag", "Usage: ccgw report"}},
		{"no file", nil, []string{"no run DIR or results FILE given", "Usage: ccgw report"}},
		{"missing file", []string{missing}, []string{missing, "no such file"}},
		{"a directory", []string{dir}, []string{dir, "not a results file"}},
		{"flag after the files", []string{good, "--quiet"}, []string{"--quiet", "put flags before FILE"}},
		{"bad --slo", []string{"--slo", "p99", good}, []string{"-slo", "KEY=DURATION"}},
		{"bad --slo key", []string{"--slo", "p77x=1s", good}, []string{"p77x", "pNN"}},
		{"zero --slo-p99", []string{"--slo-p99", "0s", good}, []string{"--slo-p99", "positive duration"}},
		{"bad --slo-p99", []string{"--slo-p99", "soon", good}, []string{"-slo-p99", `"soon"`}},
		{"bad --slo-error-rate", []string{"--slo-error-rate", "2", good}, []string{"error_rate", "0..1"}},
		{"negative --rate", []string{"--rate", "-1", good}, []string{"--rate", ">= 0"}},
		{"bad --meta", []string{"--meta", filepath.Join(dir, "yaml.bin"), good}, []string{"--meta", "yaml.bin"}},
	} {
		args := append([]string{"report", "--quiet", "--out", out}, tc.args...)
		if tc.name == "no file" {
			args = []string{"report", "--out", out}
		}
		code, _, stderr := runCCGW(t, loadEnv, args...)
		if code != exitHarness {
			t.Errorf("%s: exit %d, want %d\nstderr: %s", tc.name, code, exitHarness, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr does not name %q:\n%s", tc.name, w, firstLines(stderr, 3))
			}
		}
	}
	for name := range files {
		f := filepath.Join(dir, name)
		code, _, stderr := runCCGW(t, loadEnv, "report", "--quiet", "--out", out, f)
		if code != exitHarness || !strings.Contains(stderr, f+": not a vegeta results file (gob, json or csv)") {
			t.Errorf("%s: exit %d, stderr %q; want %d and a message naming the file and the formats read", name, code, stderr, exitHarness)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "report.json")); err == nil {
		t.Error("a bad invocation wrote report.json")
	}
	// The good file itself is fine (so the failures above are the flags').
	if code, _, stderr := runCCGW(t, loadEnv, "report", "--quiet", "--out", out, good); code == exitHarness {
		t.Errorf("the good results file: exit %d\n%s", code, stderr)
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	return strings.Join(l[:min(n, len(l))], "\n")
}

// TestJourneyRunAndReport: `ccgw load` runs a journey plan, and `ccgw
// report` over its directory writes the same report.json (calls and
// journeys included, though results.bin holds only the journeys' logininfo
// and their sign-ins, polls and sign-outs are in calls.bin); ready and
// per-call gates given as flags decide the exit code and are JUnit cases.
func TestJourneyRunAndReport(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "1101-1108", "allow_load: true"))
	out := filepath.Join(dir, "out")
	liveCode, stdout, stderr := runCCGW(t, loadEnv, "load", "--targets", targets, "--target", "gw", "--plan", "shift", "--out", out, "--quiet")
	if liveCode != exitOK && liveCode != exitGateFailed {
		t.Fatalf("ccgw load: exit %d\nstderr:\n%s", liveCode, stderr)
	}
	rep := readReport(t, out)
	j := rep.Journeys
	if j.Planned != 8 || j.Started != 8 || j.Completed != 8 || rep.Calls["signin"].Requests != 8 || rep.Calls["logout"].Requests != 8 ||
		rep.Calls["logininfo"].Requests != 8*(1+3) {
		t.Errorf("journeys %+v, calls signin %d logininfo %d logout %d: want 8 journeys completed, 8 sign-ins and sign-outs, 32 logininfo",
			j, rep.Calls["signin"].Requests, rep.Calls["logininfo"].Requests, rep.Calls["logout"].Requests)
	}
	if !strings.Contains(stdout, "Journeys (time to softphone-ready)") || !strings.Contains(stdout, "Calls") {
		t.Errorf("the summary shows no journeys or calls:\n%s", stdout)
	}
	if s := m.stats(t); s.ActiveSessions != 0 {
		t.Errorf("%d sessions left on the mock", s.ActiveSessions)
	}
	live := readText(t, filepath.Join(out, "report.json"))
	again := filepath.Join(dir, "again")
	if n, _ := countResults(t, filepath.Join(out, "results.bin")); uint64(n) != rep.Requests || n != 32 {
		t.Errorf("results.bin holds %d results, report.json counts %d requests; want 32", n, rep.Requests)
	}
	code, _, stderr := runCCGW(t, loadEnv, "report", "--out", again, "--quiet", out)
	if code != liveCode {
		t.Errorf("ccgw report: exit %d, the live run's was %d\nstderr:\n%s", code, liveCode, stderr)
	}
	if rebuilt := readText(t, filepath.Join(again, "report.json")); rebuilt != live {
		t.Errorf("report.json from ccgw report differs from the live run's: %s", firstLineDiff(rebuilt, live))
	}

	gated := filepath.Join(dir, "gated")
	code, _, stderr = runCCGW(t, loadEnv, "report", "--out", gated, "--quiet", "--slo", "ready_p99=1us", "--slo", "calls.signin.p50=1h",
		"--slo-call-error-rate", "logout=0", "--slo-call-error-rate", "updateguid=0", filepath.Join(out, "results.bin"))
	if code != exitGateFailed {
		t.Errorf("ccgw report --slo ready_p99=1us: exit %d, want %d\n%s", code, exitGateFailed, stderr)
	}
	g := readReport(t, gated)
	byName := map[string]bool{}
	for _, gate := range g.SLO {
		byName[gate.Name] = gate.Pass
	}
	if pass, ok := byName["ready_p99"]; !ok || pass || !byName["calls.signin.p50"] || !byName["calls.logout.error_rate"] || !byName["calls.updateguid.error_rate"] {
		t.Errorf("gates %v: want ready_p99 failed, calls.signin.p50, calls.logout.error_rate and (skipped) calls.updateguid.error_rate passed", byName)
	}
	junit := readText(t, filepath.Join(gated, "junit.xml"))
	for _, want := range []string{`name="ready_p99"`, `name="calls.signin.p50"`, `<skipped message="calls.updateguid.error_rate: no updateguid calls in this run"`} {
		if !strings.Contains(junit, want) {
			t.Errorf("junit.xml lacks %s:\n%s", want, junit)
		}
	}
	for _, bad := range [][]string{{"--slo", "calls.signon.p99=1s"}, {"--slo", "ready_median=1s"}, {"--slo-call-error-rate", "poll=2"}, {"--slo-call-error-rate", "other=0"}} {
		if code, _, _ := runCCGW(t, loadEnv, append(append([]string{"report", "--out", filepath.Join(dir, "bad"), "--quiet"}, bad...), filepath.Join(out, "results.bin"))...); code != exitHarness {
			t.Errorf("ccgw report %v: exit %d, want %d", bad, code, exitHarness)
		}
	}
}

// TestReportOnKilledJourneyRun: results whose journeys lack an outcome
// (the run was killed before they ended) are reported partial.
func TestReportOnKilledJourneyRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	spec := reportstest.DefaultJourneySpec(40)
	rs, _ := spec.Results()
	cut := rs[:len(rs)*2/3]
	var buf bytes.Buffer
	if err := reportstest.WriteGob(&buf, cut); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results.bin")
	if err := os.WriteFile(results, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	meta := `{"target":"mock","plan":"shiftstart","requested_rate":0,"planned_duration_s":8,"agents":100,"agents_failed":0,"connections":0,` +
		`"http2":false,"tls_verify":true,"re_signins":0,"interrupted":false,"journeys":40,"journey_rate":10,"journey_hold_s":4,"journey_repeat_s":1.5}`
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCCGW(t, nil, "report", "--quiet", results)
	if code == exitHarness || !strings.Contains(stderr, "journeys have no outcome") {
		t.Fatalf("ccgw report: exit %d, stderr %s", code, stderr)
	}
	if rep := readReport(t, dir); !rep.Partial || rep.Journeys.Started == rep.Journeys.Completed+rep.Journeys.Failed {
		t.Errorf("partial %v journeys %+v", rep.Partial, rep.Journeys)
	}
}
