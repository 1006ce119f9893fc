package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/dist"
	"ccgw-harness/gateway"
	"ccgw-harness/load"
	"ccgw-harness/mockgw"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// TestShardFlags: the shard of `ccgw load` comes from --shard or the
// Indexed Job's environment, and every bad value is refused naming the flag
// or variable.
func TestShardFlags(t *testing.T) {
	base := []string{"--target", "gw", "--plan", "p"}
	parse := func(env map[string]string, args ...string) (*loadFlags, error) {
		return parseLoadFlags(append(slices.Clone(base), args...), func(k string) string { return env[k] }, io.Discard)
	}
	tok := "0123456789abcdef0123"
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--shard", "3/3"}, "--shard \"3/3\": shard index 3"},
		{nil, []string{"--shard", "one/3"}, "--shard \"one/3\""},
		{map[string]string{envShardIndex: "abc", envShardCount: "3"}, nil, `JOB_COMPLETION_INDEX="abc"`},
		{map[string]string{envShardIndex: "1"}, nil, "CCGW_SHARD_COUNT is not"},
		{map[string]string{envShardCount: "3"}, nil, "JOB_COMPLETION_INDEX is not"},
		{map[string]string{envShardIndex: "0", envShardCount: "0"}, nil, `CCGW_SHARD_COUNT="0"`},
		{map[string]string{envShardIndex: "3", envShardCount: "3"}, nil, "JOB_COMPLETION_INDEX=3 is not below CCGW_SHARD_COUNT=3"},
		{map[string]string{envShardIndex: "1", envShardCount: "3", envRunToken: tok}, nil, "--coordinator: shard 1/3 needs HOST:PORT of shard 0"},
		{map[string]string{envShardIndex: "1", envShardCount: "3", envCoordinator: "h:9465"}, nil, "CCGW_RUN_TOKEN: shard 1/3 needs the run's token"},
		{map[string]string{envShardIndex: "1", envShardCount: "3", envCoordinator: "h:9465", envRunToken: "short"}, nil, "CCGW_RUN_TOKEN: want at least 16 characters"},
		{map[string]string{envShardIndex: "1", envShardCount: "3", envCoordinator: "h", envRunToken: tok}, nil, `--coordinator: coordinator "h": want HOST:PORT`},
		{map[string]string{envShardIndex: "1", envShardCount: "3", envRunID: "a b"}, nil, "CCGW_RUN_ID: run ID \"a b\""},
		{nil, []string{"--shard", "0/2", "--run-id", "../x"}, "--run-id: run ID"},
		{nil, []string{"--coordinator", "h:1"}, "--coordinator: only for a shard of a distributed run"},
		{nil, []string{"--barrier-timeout", "1m"}, "--barrier-timeout: only for a shard"},
		{nil, []string{"--collect-results"}, "--collect-results: only for a shard"},
		{nil, []string{"--allow-missing-shards"}, "--allow-missing-shards: only for a shard"},
		{nil, []string{"--shard", "0/1", "--heartbeat-timeout", "1s"}, "--heartbeat-timeout: only for a shard"},
		{map[string]string{envCoordinator: "h:1", envRunToken: tok}, []string{"--shard", "0/2", "--barrier-timeout", "0s"}, "--barrier-timeout 0s"},
		{map[string]string{envCoordinator: "h:1", envRunToken: tok}, []string{"--shard", "0/2", "--heartbeat-timeout", "100ms"}, "--heartbeat-timeout 100ms"},
	} {
		_, err := parse(c.env, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("env %v args %v: %v, want an error saying %q", c.env, c.args, err, c.want)
		}
	}
	f, err := parse(map[string]string{envShardIndex: "1", envShardCount: "3", envCoordinator: "ccgw-load-0.ccgw-load:9465", envRunToken: tok})
	if err != nil || f.shard.shard != (pace.Shard{Index: 1, Count: 3}) || !f.shard.given || f.shard.barrierTimeout != dist.DefaultBarrierTimeout ||
		f.shard.coordinator != "ccgw-load-0.ccgw-load:9465" || f.shard.token != tok || f.shard.heartbeatTimeout != dist.DefaultHeartbeatTimeout {
		t.Errorf("Indexed Job environment: %+v, %v", f, err)
	}
	f, err = parse(map[string]string{envShardIndex: "1", envShardCount: "3", envRunID: "r-1", envRunToken: tok}, "--shard", "2/4", "--coordinator", "127.0.0.1:7000",
		"--allow-missing-shards", "--collect-results", "--barrier-timeout", "1m", "--heartbeat-timeout", "2s")
	if err != nil || f.shard.shard != (pace.Shard{Index: 2, Count: 4}) || f.shard.runID != "r-1" || f.shard.coordinator != "127.0.0.1:7000" ||
		!f.shard.allowMissing || !f.shard.collect || f.shard.barrierTimeout != time.Minute || f.shard.heartbeatTimeout != 2*time.Second {
		t.Errorf("flags over the environment: %+v, %v", f, err)
	}
	if f, err := parse(nil); err != nil || f.shard.given {
		t.Errorf("no shard: %+v, %v", f, err)
	}
	// The binary says the same and exits 2.
	code, _, stderr := runCCGW(t, append(slices.Clone(loadEnv), envShardIndex+"=7", envShardCount+"=3"), "load", "--target", "gw", "--plan", "p")
	if code != exitHarness || !strings.Contains(stderr, "JOB_COMPLETION_INDEX=7 is not below CCGW_SHARD_COUNT=3") {
		t.Errorf("ccgw load with a bad index: exit %d, stderr %q", code, stderr)
	}
}

// distPlan is the plan of the distributed tests: 24 agents, 60 req/s for
// 5 s (300 requests), gated on contract violations only (achieved rates
// and latencies depend on the machine).
const distPlan = `plans:
  dist:
    agents: 24
    rate: 60
    duration: 5s
    warmup: 500ms
    connections: 4
    slo: {saturation: false}
`

// TestShardNeverArrives: of three shards only two arrive; they give up at
// the barrier deadline, sign out, write their reports and exit 2 naming
// the missing shard. The missing shard, arriving after the run was given
// up, is refused at once without signing in.
func TestShardNeverArrives(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	const timeout = 4 * time.Second
	r := newDistRun(t, 3, distTargets(t, m, "2101-2124", distPlan), "dist", "--quiet", "--barrier-timeout", timeout.String())
	t0 := time.Now()
	procs := []*loadProc{r.start(0), r.start(1)}
	for i, p := range procs {
		if code := p.wait(t, 2*time.Minute); code != exitHarness {
			t.Errorf("shard %d: exit %d, want 2\nstderr:\n%s", i, code, p.stderr)
		}
		if s := p.stderr.String(); !strings.Contains(s, "shard 2 not ready within 4s") {
			t.Errorf("shard %d must name the missing shard 2:\n%s", i, s)
		}
		dir := r.out(i)
		if i == 0 {
			dir = dist.ShardDir(r.out(0), 0)
		}
		meta, err := results.ReadMeta(filepath.Join(dir, results.MetaFile))
		if err != nil || !strings.Contains(meta.Aborted, "shard 2 not ready") || meta.AbortedBy != results.AbortedByStart || meta.Sent != 0 {
			t.Errorf("shard %d meta.json: aborted %q by %q, sent %d, %v; want the reason and nothing sent", i, meta.Aborted, meta.AbortedBy, meta.Sent, err)
		}
	}
	if d := time.Since(t0); d < timeout {
		t.Errorf("the shards gave up after %s, before the %s deadline", d, timeout)
	}
	if rep := r.report(); !strings.Contains(rep.Aborted, "shard 2 not ready") || rep.Shards == nil || !slices.Equal(rep.Shards.Missing, []int{2}) {
		t.Errorf("the run's report: aborted %q, shards %+v", rep.Aborted, rep.Shards)
	}
	st := m.fullStats(t)
	if st.ActiveSessions != 0 || st.SignOuts != 16 || st.Calls[gateway.CallSignIn].Requests != 16 {
		t.Errorf("mock: %d sign-ins, %d sign-outs, %d sessions left; want 16, 16, 0", st.Calls[gateway.CallSignIn].Requests, st.SignOuts, st.ActiveSessions)
	}
	// The late shard finds no coordinator (it is over): it gives up
	// after its own barrier timeout without signing in.
	late := r.start(2)
	if code := late.wait(t, time.Minute); code != exitHarness || !strings.Contains(late.stderr.String(), "not reachable within 4s") {
		t.Errorf("late shard 2: exit %d, want 2 saying the coordinator is not reachable\nstderr:\n%s", code, late.stderr)
	}
	if n := m.fullStats(t).Calls[gateway.CallSignIn].Requests; n != 16 {
		t.Errorf("the late shard signed in: %d sign-in requests, want still 16", n)
	}
}

// TestReportMergesShards: ccgw report merges shard directories into the
// plan's figures and refuses shards that are not one whole run, naming the
// files.
func TestReportMergesShards(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// writeShard writes shard i of n of run id: 100 results at a third of
	// 90 req/s, and its meta.json.
	writeShard := func(parent, id string, i, n int) string {
		sd := filepath.Join(parent, "shard-"+strconv.Itoa(i))
		if err := os.MkdirAll(sd, 0o755); err != nil {
			t.Fatal(err)
		}
		spec := reportstest.DefaultSpec(100)
		spec.Start, spec.Rate, spec.Seed, spec.FirstAgent = start, 30, uint64(7+i), 1001+20*i
		spec.LateFraction, spec.WorstAgent = 0, 0
		if err := spec.WriteFile(filepath.Join(sd, load.ResultsFile)); err != nil {
			t.Fatal(err)
		}
		meta := results.Meta{Target: "mock", Plan: "smoke", Profile: "constant", RequestedRate: 30, PlannedDuration: 10 * time.Second / 3,
			Agents: 20, Connections: 8, TLSVerify: true, Started: start, RunID: id, Sent: 100, Recorded: 100,
			Shard: &results.ShardInfo{Index: i, Count: n, Share: 1 / float64(n), PlanRequestedRate: 90, PlanAgents: 60}}
		if err := results.WriteMeta(filepath.Join(sd, results.MetaFile), meta); err != nil {
			t.Fatal(err)
		}
		return sd
	}
	good := filepath.Join(dir, "good")
	for i := range 3 {
		writeShard(good, "r1", i, 3)
	}
	code, _, stderr := runCCGW(t, nil, "report", "--quiet", "--slo-saturation=false", "--slo-max-contract-violations", "1000", good)
	if code != exitOK && code != exitGateFailed {
		t.Fatalf("merge: exit %d\n%s", code, stderr)
	}
	rep := readReport(t, filepath.Join(good, "merged"))
	if rep.Requests != 300 || rep.Rate.Requested != 90 || rep.Agents != 60 || rep.Connections != 24 || len(rep.Shards.List) != 3 || rep.RunID != "r1" {
		t.Errorf("merged: %d requests, %v/s requested, %d agents, %d connections, %d shards, run %q; want 300, the plan's 90/s, 60, 24, 3, r1",
			rep.Requests, rep.Rate.Requested, rep.Agents, rep.Connections, len(rep.Shards.List), rep.RunID)
	}
	for i, s := range rep.Shards.List {
		if s.Index != i || s.Requests != 100 || s.FirstSend.IsZero() {
			t.Errorf("merged shard %d: %+v", i, s)
		}
	}
	// The merged report is that of the three results files read as one.
	a := reports.NewAggregator()
	var paths []string
	for i := range 3 {
		paths = append(paths, filepath.Join(good, "shard-"+strconv.Itoa(i), load.ResultsFile))
	}
	if _, _, err := results.ReadFiles(a, paths...); err != nil {
		t.Fatal(err)
	}
	if one := a.Report(results.Meta{}, slo.Objectives{}); one.LatencyMS != rep.LatencyMS || !reflect.DeepEqual(one.Percentiles, rep.Percentiles) {
		t.Errorf("merged latencies %+v, the union's %+v", rep.LatencyMS, one.LatencyMS)
	}
	// Each shard's own report stays: merging never writes into a shard.
	if _, err := os.Stat(filepath.Join(good, "shard-0", reports.JSONFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the merge wrote into shard-0: %v", err)
	}
	if code, _, stderr := runCCGW(t, nil, "report", "--out", filepath.Join(good, "shard-1"), good); code != exitHarness || !strings.Contains(stderr, "is the directory of shard 1") {
		t.Errorf("--out a shard's directory: exit %d, %s", code, stderr)
	}

	mixed := filepath.Join(dir, "mixed")
	a0 := writeShard(mixed, "r1", 0, 2)
	b1 := writeShard(mixed, "r2", 1, 2)
	code, _, stderr = runCCGW(t, nil, "report", mixed)
	if code != exitHarness || !strings.Contains(stderr, "2 different runs") || !strings.Contains(stderr, a0) || !strings.Contains(stderr, b1) {
		t.Errorf("shards of two runs: exit %d, want 2 naming both files\n%s", code, stderr)
	}

	partial := filepath.Join(dir, "partial")
	writeShard(partial, "r3", 0, 3)
	writeShard(partial, "r3", 2, 3)
	code, _, stderr = runCCGW(t, nil, "report", partial)
	if code != exitHarness || !strings.Contains(stderr, "shard 1 is missing") {
		t.Errorf("a missing shard: exit %d, want 2 naming shard 1\n%s", code, stderr)
	}
	code, _, stderr = runCCGW(t, nil, "report", "--allow-missing-shards", "--quiet", partial)
	if code == exitHarness {
		t.Errorf("--allow-missing-shards: exit 2\n%s", stderr)
	}
	if rep := readReport(t, filepath.Join(partial, "merged")); rep.Requests != 200 || !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "shard 1 of 3 missing") }) {
		t.Errorf("merged with a shard missing: %d requests, warnings %q", rep.Requests, rep.Warnings)
	}

	dup := filepath.Join(dir, "dup")
	writeShard(dup, "r4", 0, 2)
	d2 := writeShard(filepath.Join(dir, "dup2"), "r4", 0, 2)
	code, _, stderr = runCCGW(t, nil, "report", "--out", filepath.Join(dir, "dupm"), dup, d2)
	if code != exitHarness || !strings.Contains(stderr, "are both shard 0 of run r4") {
		t.Errorf("shard 0 twice: exit %d\n%s", code, stderr)
	}
}

// decodeResults reads a results file with vegeta's own decoder.
func decodeResults(t *testing.T, path string) []vegeta.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	var out []vegeta.Result
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("%s: result %d: %v", path, len(out), err)
		}
		out = append(out, r)
	}
}

// fullStats reads the mock's counters, retcodes included.
func (m *mockProc) fullStats(t *testing.T) mockgw.Stats {
	t.Helper()
	resp, err := m.hc.Get(m.url + "/ccgw-admin/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s mockgw.Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatalf("mock stats: %v", err)
	}
	return s
}

// startLoadEnv is startLoad with extra environment variables (a shard's).
func startLoadEnv(t *testing.T, env []string, args ...string) *loadProc {
	t.Helper()
	return startLoadEnvCmd(t, env, ccgwBin, args...)
}

// startLoadEnvCmd is startLoadEnv of any command (ccgw under ip netns
// exec).
func startLoadEnvCmd(t *testing.T, env []string, name string, args ...string) *loadProc {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(append(os.Environ(), loadEnv...), env...)
	p := &loadProc{cmd: cmd, stdout: &syncWriter{}, stdoutLines: newLineWriter(), stderr: newLineWriter(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = io.MultiWriter(p.stdout, p.stdoutLines), p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// runCCGWFor is runCCGW bounded by d instead of a minute.
func runCCGWFor(t *testing.T, d time.Duration, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, ccgwBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ccgw %v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// TestShardsEmbeddedMock: `ccgw shards` (make load SHARDS=N) of a mock:
// target starts one mock for all shards and hands them a targets file
// pointing at it; the password reaches them only through the environment;
// the shards meet over the loopback exactly as the Job's pods do, and the
// run's reports are in --out.
func TestShardsEmbeddedMock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.yaml")
	yml := `targets:
  local:
    mock: {auth_mode: dynamic, guid_interval: 2s, guid_timeout: 20s, poll_wait: 500ms}
    agents: {ids: "1001-1012", phonenum_prefix: "7"}
plans:
  tiny: {agents: 12, rate: 30, duration: 3s, connections: 2, slo: {saturation: false}}
`
	if err := os.WriteFile(targets, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for round := range 2 { // a second run into the same --out starts afresh
		code, stdout, stderr := runCCGWFor(t, 3*time.Minute, loadEnv, "shards", "--shards", "3", "--targets", targets, "--target", "local", "--plan", "tiny", "--out", out)
		if code != exitOK {
			t.Fatalf("round %d: ccgw shards: exit %d\nstdout:\n%s\nstderr:\n%s", round, code, stdout, stderr)
		}
		if !strings.Contains(stderr, "one mock gateway for all shards") || !strings.Contains(stderr, "[shard 2] ") || !strings.Contains(stderr, "coordinator (shard 0) on 127.0.0.1:") {
			t.Errorf("round %d: stderr must say one mock serves all shards, where the coordinator is, and show their lines prefixed:\n%s", round, stderr)
		}
		if !strings.Contains(stdout, "3 of 3 shards of run") || !strings.Contains(stdout, "PASS") {
			t.Errorf("round %d: stdout must hold the run's summary:\n%s", round, stdout)
		}
		rep := readReport(t, out)
		if rep.Requests != 90 || rep.Rate.Requested != 30 || rep.Shards == nil || len(rep.Shards.List) != 3 || rep.AgentsSeen != 12 || rep.Success != 90 {
			t.Errorf("round %d: merged %d requests (%d ok, errors %v) of %d agents at %v/s requested, shards %+v; want 90 of 12 at 30/s, 3 shards",
				round, rep.Requests, rep.Success, rep.Errors, rep.AgentsSeen, rep.Rate.Requested, rep.Shards)
		}
		for i := 1; i < 3; i++ {
			if _, err := os.Stat(filepath.Join(out, dist.PodsDir, strconv.Itoa(i), reports.JSONFile)); err != nil {
				t.Errorf("round %d: shard %d's own --out: %v", round, i, err)
			}
		}
	}
	gen := readText(t, filepath.Join(out, "targets.yaml"))
	if !strings.Contains(gen, "password_env: "+shardsPasswordEnv) || !strings.Contains(gen, "url: https://127.0.0.1:") || !strings.Contains(gen, "plans:") {
		t.Errorf("generated targets file:\n%s", gen)
	}
}

// TestShardsInterrupt: SIGINT to ccgw shards reaches every shard once:
// they stop, sign out and write their reports, the coordinator still
// writes the run's (marked interrupted) and the exit code is 130.
func TestShardsInterrupt(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "2201-2208", "allow_load: true"))
	out := filepath.Join(dir, "run")
	p := startLoad(t, "shards", "--shards", "2", "--targets", targets, "--target", "gw", "--plan", "long", "--out", out)
	// The coordinator's progress line, once the attack runs.
	p.waitFor(t, regexp.MustCompile(`^\[shard 0\] run \S+: 2/2 shards +\d+s/30s +requests [1-9]`), 2*time.Minute)
	p.signal(t, os.Interrupt)
	if code := p.wait(t, 2*time.Minute); code != exitInterrupted {
		t.Errorf("exit %d after SIGINT, want 130\nstderr:\n%s", code, p.stderr)
	}
	st := m.fullStats(t)
	if st.ActiveSessions != 0 || st.SignOuts != 8 {
		t.Errorf("mock: %d sessions left, %d sign-outs; want 0 and 8\nstderr:\n%s", st.ActiveSessions, st.SignOuts, p.stderr)
	}
	rep := readReport(t, out)
	if !rep.Interrupted || rep.Shards == nil || len(rep.Shards.List) != 2 || rep.Requests == 0 {
		t.Errorf("merged: interrupted %v, shards %+v, %d requests; want an interrupted run of both", rep.Interrupted, rep.Shards, rep.Requests)
	}
}

// TestShardFailsBeforeStart: a shard that fails before the start (here a
// plan its targets file lacks) gives the run up at once: the coordinator,
// waiting for it, stops long before the barrier timeout, signs out and
// exits 2 naming the failed shard and why.
func TestShardFailsBeforeStart(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	r := newDistRun(t, 2, distTargets(t, m, "2301-2324", distPlan), "dist", "--quiet", "--barrier-timeout", "10m")
	ok := r.start(0)
	ok.waitFor(t, regexp.MustCompile(`coordinator: shard 0 ready`), 2*time.Minute)
	t0 := time.Now()
	r.plan = "nosuch"
	bad := r.start(1)
	if code := bad.wait(t, time.Minute); code != exitHarness {
		t.Errorf("shard 1 with an unknown plan: exit %d, want 2", code)
	}
	if code := ok.wait(t, 2*time.Minute); code != exitHarness {
		t.Errorf("shard 0: exit %d, want 2\nstderr:\n%s", code, ok.stderr)
	}
	if d := time.Since(t0); d > 5*time.Minute {
		t.Errorf("shard 0 gave up %s after shard 1 failed: it waited for the barrier timeout", d)
	}
	// Shard 1 runs another plan: the coordinator refuses it and gives
	// the run up, naming both plans.
	if s := ok.stderr.String() + bad.stderr.String(); !strings.Contains(s, "nosuch") {
		t.Errorf("the shards must say why shard 1 could not run (plan nosuch):\n%s\n%s", ok.stderr, bad.stderr)
	}
	if st := m.fullStats(t); st.ActiveSessions != 0 || st.SignOuts != 12 {
		t.Errorf("mock: %d sessions left, %d sign-outs; want 0 and shard 0's 12", st.ActiveSessions, st.SignOuts)
	}
}

func TestShardsFlags(t *testing.T) {
	env := func(string) string { return "" }
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--target", "t", "--plan", "p"}, "--shards 0: want the number of shard processes, 2 to"},
		{[]string{"--shards", "1", "--target", "t", "--plan", "p"}, "--shards 1"},
		{[]string{"--shards", "1001", "--target", "t", "--plan", "p"}, "--shards 1001"},
		{[]string{"--shards", "2", "--plan", "p"}, "--target"},
		{[]string{"--shards", "2", "--target", "t"}, "--plan"},
		{[]string{"--shards", "2", "--target", "t", "--plan", "p", "--rate", "-1"}, "--rate -1"},
		{[]string{"--shards", "2", "--target", "t", "--plan", "p", "--duration", "0s"}, "--duration 0s"},
		{[]string{"--shards", "2", "--target", "t", "--plan", "p", "--run-id", "a/b"}, "--run-id: run ID"},
		{[]string{"--shards", "2", "--target", "t", "--plan", "p", "--metrics-addr", "nope"}, "--metrics-addr"},
		{[]string{"--shards", "2", "--target", "t", "--plan", "p", "extra"}, `unexpected argument "extra"`},
	} {
		if _, err := parseShardsFlags(c.args, env, io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error saying %q", c.args, err, c.want)
		}
	}
	f, err := parseShardsFlags([]string{"--shards", "4", "--target", "t", "--plan", "p", "--collect-results", "--allow-missing-shards"}, env, io.Discard)
	if err != nil || f.shards != 4 || f.out != filepath.Join("out", "t-p-shards") || f.barrierTimeout != dist.DefaultBarrierTimeout || !f.collect || !f.allowMissing {
		t.Errorf("defaults: %+v, %v", f, err)
	}
}

// TestShardsPassesRunFlags: ccgw shards hands its run's flags to the
// shards as the Job's pods get them. --metrics-addr: the coordinator
// serves the whole run's metrics; --collect-results: a surviving shard's
// results files reach the coordinator's --out; --allow-missing-shards: a
// shard killed mid-run (-9, its pid as the coordinator logged it) leaves
// the verdict to the others' figures (exit 0), the report naming it.
func TestShardsPassesRunFlags(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	out := filepath.Join(t.TempDir(), "run")
	p := startLoad(t, "shards", "--shards", "3", "--targets", distTargets(t, m, "2401-2412", killPlan), "--target", "gw", "--plan", "long",
		"--duration", "8s", "--out", out, "--allow-missing-shards", "--collect-results", "--metrics-addr", "127.0.0.1:0")
	joined := p.waitFor(t, regexp.MustCompile(`coordinator: shard 2/3 joined \(pid \d+ `), 2*time.Minute)
	pid, err := strconv.Atoi(regexp.MustCompile(`\(pid (\d+) `).FindStringSubmatch(joined)[1])
	if err != nil {
		t.Fatal(err)
	}
	p.waitFor(t, regexp.MustCompile(`^\[shard 0\] run \S+: 3/3 shards +\d+s/8s +requests [1-9]`), 2*time.Minute)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 2*time.Minute); code != exitOK {
		t.Fatalf("ccgw shards, shard 2 killed, --allow-missing-shards: exit %d, want 0\nstderr:\n%s", code, p.stderr)
	}
	if !regexp.MustCompile(`\[shard 0\] metrics: .*listening on http://127\.0\.0\.1:\d+`).MatchString(p.stderr.String()) {
		t.Errorf("the coordinator did not serve the run's metrics:\n%s", p.stderr)
	}
	rep := readReport(t, out)
	if rep.Shards == nil || !slices.Equal(rep.Shards.Missing, []int{2}) || len(rep.Shards.List) != 2 {
		t.Errorf("report: shards %+v; want shard 2 missing, 0 and 1 merged", rep.Shards)
	}
	for _, f := range []string{load.ResultsFile, load.CallsFile} {
		if _, err := os.Stat(filepath.Join(out, dist.ShardsDir, "1", f)); err != nil {
			t.Errorf("shard 1's %s was not collected into the coordinator's --out: %v", f, err)
		}
	}
}
