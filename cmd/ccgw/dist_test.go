package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ccgw-harness/dist"
	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/load"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/metrics"
	"ccgw-harness/reports"
	"ccgw-harness/results"
)

// These tests run a distributed run as the Kubernetes Indexed Job runs
// it: one `ccgw load` process per shard, each with the Job's environment
// (JOB_COMPLETION_INDEX, CCGW_SHARD_COUNT, CCGW_RUN_ID, CCGW_COORDINATOR
// on the loopback, CCGW_RUN_TOKEN), shard 0 coordinating, against one
// `ccgw mock` process with second-scale Guid rotation.

// distRun is the Job of a test: its coordinator address and token.
type distRun struct {
	t           *testing.T
	n           int
	coord       string
	token, id   string
	targets     string
	plan        string
	dir         string
	extra       []string // more ccgw load flags of every shard
	netns       []string // per shard: the network namespace to run in ("": this one)
	coordinator string   // --coordinator as every shard gets it
}

// newDistRun is a run of n shards of plan in targets.
func newDistRun(t *testing.T, n int, targets, plan string, extra ...string) *distRun {
	t.Helper()
	return &distRun{t: t, n: n, coord: freeLoopback(t), token: dist.NewToken(), id: "t-" + strconv.Itoa(os.Getpid()) + "-" + plan,
		targets: targets, plan: plan, dir: t.TempDir(), extra: extra}
}

// freeLoopback is a loopback address free a moment ago.
func freeLoopback(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// out is shard i's --out: the run's reports for shard 0.
func (r *distRun) out(i int) string {
	if i == 0 {
		return filepath.Join(r.dir, "run")
	}
	return filepath.Join(r.dir, "pod-"+strconv.Itoa(i))
}

// start starts shard i.
func (r *distRun) start(i int) *loadProc {
	r.t.Helper()
	coord := r.coord
	if r.coordinator != "" {
		coord = r.coordinator
	}
	env := []string{envRunToken + "=" + r.token}
	args := append([]string{"load", "--targets", r.targets, "--target", "gw", "--plan", r.plan, "--out", r.out(i)}, r.extra...)
	// The last shard is told its place in the run by flags (--shard,
	// --run-id, --coordinator), the others by the variables a Job's pods
	// get: both must meet.
	if i == r.n-1 {
		args = append(args, "--shard", strconv.Itoa(i)+"/"+strconv.Itoa(r.n), "--run-id", r.id, "--coordinator", coord)
	} else {
		env = append(env, envShardIndex+"="+strconv.Itoa(i), envShardCount+"="+strconv.Itoa(r.n), envRunID+"="+r.id, envCoordinator+"="+coord)
	}
	if len(r.netns) > i && r.netns[i] != "" {
		return startInNetns(r.t, r.netns[i], env, args...)
	}
	return startLoadEnv(r.t, env, args...)
}

// startAll starts every shard, the coordinator first.
func (r *distRun) startAll() []*loadProc {
	r.t.Helper()
	procs := make([]*loadProc, r.n)
	for i := range r.n {
		procs[i] = r.start(i)
	}
	return procs
}

// report reads the run's report.json.
func (r *distRun) report() *reports.Report { return readReport(r.t, r.out(0)) }

// noSecrets fails if any file of the run or any output holds the token or
// the agents' password.
func (r *distRun) noSecrets(procs []*loadProc) {
	r.t.Helper()
	pw := strings.TrimPrefix(loadEnv[0], pwEnv+"=")
	for i, p := range procs {
		for _, s := range []string{p.stderr.String(), p.stdout.String()} {
			if strings.Contains(s, r.token) || strings.Contains(s, pw) {
				r.t.Errorf("shard %d printed the run token or the agents' password", i)
			}
		}
	}
	err := filepath.WalkDir(r.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil || bytes.Contains(b, []byte(r.token)) || bytes.Contains(b, []byte(pw)) {
			r.t.Errorf("%s holds the run token or the agents' password (or cannot be read: %v)", path, err)
		}
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

// distTargets writes a targets file of target gw on mock m (agents ids)
// with the plans.
func distTargets(t *testing.T, m *mockProc, ids, plans string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(p, []byte("targets:\n"+m.target("gw", ids, "allow_load: true")+plans), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDistAcceptance is issue 19's first acceptance test: three shards
// as separate processes with the Job's environment against one mock with
// rotating Guids: their agents are disjoint, they start at one instant
// (shards.start_skew_ms), every request is in shard 0's merged report,
// which equals what ccgw report makes of the shards' results files
// (collected to the coordinator), and all three exit 0.
func TestDistAcceptance(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	r := newDistRun(t, 3, distTargets(t, m, "3001-3024", distPlan), "dist", "--collect-results", "--quiet")
	procs := r.startAll()
	for i, p := range procs {
		if code := p.wait(t, 3*time.Minute); code != exitOK {
			t.Fatalf("shard %d: exit %d, want 0\nstderr:\n%s", i, code, p.stderr)
		}
	}
	out := r.out(0)
	rep := r.report()
	st := m.fullStats(t)
	t.Logf("3 shards: start skew %.3f ms, %d requests merged, p99 %v ms; mock rotations %d", rep.Shards.StartSkewMS, rep.Requests, rep.LatencyMS.P99, st.Rotations)
	if rep.Requests != 300 || rep.Agents != 24 || rep.Rate.Requested != 60 || !rep.Pass || rep.RunID != r.id {
		t.Errorf("merged: %d requests of %d agents at %v/s requested, pass %v, run %q; want 300 of 24 at 60/s, a pass, run %s",
			rep.Requests, rep.Agents, rep.Rate.Requested, rep.Pass, rep.RunID, r.id)
	}
	if s := rep.Shards; s == nil || s.Count != 3 || len(s.List) != 3 || len(s.Missing) != 0 || s.StartSkewMS < 0 {
		t.Fatalf("merged shards %+v: want 3 of 3, none missing, a start skew", rep.Shards)
	}
	if !strings.Contains(readText(t, filepath.Join(out, reports.SummaryFile)), "3 of 3 shards of run "+r.id) {
		t.Error("the summary does not name the run's 3 shards")
	}
	if !strings.Contains(procs[0].stdout.String(), "PASS") {
		t.Errorf("shard 0's stdout must hold the run's summary and verdict:\n%s", procs[0].stdout)
	}
	// One start: every shard's schedule counts from the one instant.
	var sent uint64
	var started time.Time
	owner := map[string]int{}
	for i := range 3 {
		sd := dist.ShardDir(out, i)
		meta, err := results.ReadMeta(filepath.Join(sd, results.MetaFile))
		if err != nil {
			t.Fatal(err)
		}
		if meta.Shard == nil || meta.Shard.Index != i || meta.Agents != 8 || meta.RunID != r.id {
			t.Errorf("shard %d meta.json: shard %+v, agents %d, run %q", i, meta.Shard, meta.Agents, meta.RunID)
		}
		if i == 0 {
			started = meta.Started
		} else if !meta.Started.Equal(started) || started.IsZero() {
			t.Errorf("shard %d's schedule starts at %s, shard 0's at %s: want the one instant", i, meta.Started, started)
		}
		sent += meta.Sent
		for _, res := range loadtest.OfCall(decodeResults(t, filepath.Join(sd, load.ResultsFile)), gateway.CallLoginInfo) {
			if prev, ok := owner[res.URL]; ok && prev != i {
				t.Errorf("agent %s sent requests in shards %d and %d", res.URL, prev, i)
			}
			owner[res.URL] = i
		}
		if _, err := os.Stat(filepath.Join(sd, reports.JSONFile)); err != nil {
			t.Errorf("shard %d has no report of its own under shards/%d: %v", i, i, err)
		}
		if rs := decodeResults(t, filepath.Join(sd, load.CallsFile)); len(loadtest.OfCall(rs, gateway.CallSignIn)) != 8 {
			t.Errorf("shard %d's calls.bin under shards/%d holds %d sign-ins; want its 8 agents'", i, i, len(loadtest.OfCall(rs, gateway.CallSignIn)))
		}
	}
	if sent != 300 || len(owner) != 24 {
		t.Errorf("the shards sent %d requests from %d agents; want 300 from 24", sent, len(owner))
	}
	si := st.Calls[gateway.CallSignIn]
	if si.Requests != 24 || st.Calls[gateway.CallForceLogin].Requests != 0 || st.SignOuts != 24 || st.ActiveSessions != 0 {
		t.Errorf("mock: %d sign-ins, %d forced, %d sign-outs, %d sessions left; want each of 24 agents in and out once",
			si.Requests, st.Calls[gateway.CallForceLogin].Requests, st.SignOuts, st.ActiveSessions)
	}
	// The merged report is what ccgw report makes of the shards' files.
	again := filepath.Join(r.dir, "again")
	code, _, stderr := runCCGW(t, loadEnv, "report", "--quiet", "--out", again, filepath.Join(out, dist.ShardsDir))
	if code != exitOK {
		t.Fatalf("ccgw report of the shards' files: exit %d\n%s", code, stderr)
	}
	if a, b := readText(t, filepath.Join(out, reports.JSONFile)), readText(t, filepath.Join(again, reports.JSONFile)); a != b {
		t.Errorf("the coordinator's report.json differs from ccgw report's over the shards' results files:\ncoordinator: %s\nccgw report: %s", a, b)
	}
	r.noSecrets(procs)
}

// abortPlan is a 40 s plan stopped once 20 % of a 2 s window fail.
const abortPlan = `plans:
  doomed:
    agents: 12
    rate: 30
    duration: 40s
    connections: 4
    slo: {saturation: false}
    abort_when: {error_rate: "20%", window: 2s}
`

// TestDistAbortWhen is issue 19's second acceptance test: a 40 s plan
// against a gateway failing half its calls ends within seconds of its
// 2 s window: every shard stops, signs its agents out and writes its
// reports; the run's report says why (aborted), its abort_when gate fails,
// and the coordinator exits 1 (the others 0: they ran their part).
func TestDistAbortWhen(t *testing.T) {
	t.Parallel()
	m := startMockProc(t, "--http-error-rate", "0.5")
	r := newDistRun(t, 3, distTargets(t, m, "3101-3112", abortPlan), "doomed", "--quiet")
	procs := r.startAll()
	started := procs[0].waitFor(t, regexp.MustCompile(`the attack starts at`), 2*time.Minute)
	t0 := time.Now()
	procs[0].waitFor(t, regexp.MustCompile(`^coordinator: abort_when: error rate`), time.Minute)
	tripped := time.Now()
	for _, p := range procs {
		p.waitFor(t, regexp.MustCompile(`^sign-out: 4 agents signed out`), time.Minute)
	}
	signedOut := time.Since(tripped)
	codes := make([]int, 3)
	for i, p := range procs {
		codes[i] = p.wait(t, 2*time.Minute)
	}
	elapsed := time.Since(t0)
	t.Logf("%s; abort_when tripped %s later, the last agent was signed out %s after that, every shard ended %s after the start",
		started, tripped.Sub(t0).Round(time.Millisecond), signedOut.Round(time.Millisecond), elapsed.Round(time.Millisecond))
	if codes[0] != exitGateFailed || codes[1] != exitOK || codes[2] != exitOK {
		t.Fatalf("exit codes %v, want 1 0 0\nshard 0:\n%s", codes, procs[0].stderr)
	}
	if elapsed > testscale.D(30*time.Second) {
		t.Errorf("the run ended %s after the start: not stopped by its 2 s window", elapsed)
	}
	rep := r.report()
	if rep.AbortedBy != results.AbortedByRule || !strings.Contains(rep.Aborted, "error rate") || !strings.Contains(rep.Aborted, "above abort_when's 20%") || rep.Pass {
		t.Errorf("report: aborted %q by %q, pass %v", rep.Aborted, rep.AbortedBy, rep.Pass)
	}
	if !slices.ContainsFunc(rep.SLO, func(g reports.Gate) bool { return g.Name == reports.GateAbortWhen && !g.Pass }) {
		t.Errorf("gates %+v: want abort_when failed", rep.SLO)
	}
	if rep.Requests == 0 || rep.Requests >= 1200 {
		t.Errorf("%d requests: want some, far fewer than the plan's 1200", rep.Requests)
	}
	for i := range 3 {
		meta, err := results.ReadMeta(filepath.Join(dist.ShardDir(r.out(0), i), results.MetaFile))
		if err != nil || meta.AbortedBy != results.AbortedByRule || meta.Interrupted {
			t.Errorf("shard %d meta.json: aborted %q by %q, interrupted %v, %v", i, meta.Aborted, meta.AbortedBy, meta.Interrupted, err)
		}
	}
	if st := m.stats(t); !st.accounted() || st.SignIns != 12 {
		t.Errorf("mock: %+v: want the 12 agents signed in and all signed out", st)
	}
	if !strings.Contains(readText(t, filepath.Join(r.out(0), reports.SummaryFile)), "ABORTED by abort_when") {
		t.Error("the summary does not say the run was aborted")
	}
}

// killPlan is a plan long enough to kill a shard in the middle of it.
const killPlan = `plans:
  long:
    agents: 12
    rate: 30
    duration: 30s
    connections: 4
    slo: {saturation: false}
`

// TestDistShardKilled is issue 19's kill test: a shard killed with -9 in
// the middle of the run is noticed at once (its connection breaks), the
// others go on to the plan's end, the report names it missing with every
// request the others measured, the others' agents are signed out, and the
// run fails (exit 2).
func TestDistShardKilled(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	r := newDistRun(t, 3, distTargets(t, m, "3201-3212", killPlan), "long", "--duration", "10s")
	procs := r.startAll()
	procs[2].waitFor(t, regexp.MustCompile(`^\d+s/10s +requests [1-9]`), 2*time.Minute)
	if err := procs[2].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	lost := procs[0].waitFor(t, regexp.MustCompile(`coordinator: shard 2 lost`), time.Minute)
	t.Logf("the coordinator noticed the death after %s: %s", time.Since(t0).Round(time.Millisecond), lost)
	if c := procs[2].wait(t, time.Minute); c != -1 {
		t.Errorf("the killed shard exited %d", c)
	}
	if c := procs[1].wait(t, 2*time.Minute); c != exitOK {
		t.Errorf("shard 1: exit %d, want 0 (it ran its part)\n%s", c, procs[1].stderr)
	}
	if c := procs[0].wait(t, 2*time.Minute); c != exitHarness {
		t.Errorf("coordinator: exit %d, want 2 (a shard missing)\n%s", c, procs[0].stderr)
	}
	rep := r.report()
	var sent uint64
	for i := range 2 {
		meta, err := results.ReadMeta(filepath.Join(r.out(i), dist.ShardsDir, "0", results.MetaFile))
		if i == 1 {
			meta, err = results.ReadMeta(filepath.Join(r.out(1), results.MetaFile))
		}
		if err != nil || meta.Interrupted || meta.Aborted != "" {
			t.Errorf("shard %d meta.json: interrupted %v, aborted %q, %v", i, meta.Interrupted, meta.Aborted, err)
		}
		sent += meta.Sent
	}
	if !slices.Equal(rep.Shards.Missing, []int{2}) || len(rep.Shards.List) != 2 || rep.Requests != sent || sent != 200 {
		t.Errorf("report: missing %v, %d shards merged, %d requests; want shard 2 missing and the others' %d (all 200 of theirs)", rep.Shards.Missing, len(rep.Shards.List), rep.Requests, sent)
	}
	// The mock holds exactly the killed shard's 4 agents.
	if st := m.stats(t); st.SignIns != 12 || st.SignOuts != 8 || st.ActiveSessions != 4 {
		t.Errorf("mock: %d sign-ins, %d sign-outs, %d sessions left; want the survivors' 8 agents signed out, the killed shard's 4 left", st.SignIns, st.SignOuts, st.ActiveSessions)
	}
}

// TestDistAllowMissingShards: with --allow-missing-shards a shard lost
// mid-run no longer fails the run: the coordinator judges what the others
// measured (exit 0 here), and the report still names the missing shard.
func TestDistAllowMissingShards(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	r := newDistRun(t, 2, distTargets(t, m, "3231-3242", killPlan), "long", "--duration", "8s", "--allow-missing-shards")
	procs := r.startAll()
	procs[1].waitFor(t, regexp.MustCompile(`^\d+s/8s +requests [1-9]`), 2*time.Minute)
	if err := procs[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	procs[1].wait(t, time.Minute)
	if c := procs[0].wait(t, 2*time.Minute); c != exitOK {
		t.Errorf("coordinator: exit %d, want 0 (a shard missing, allowed)\n%s", c, procs[0].stderr)
	}
	if rep := r.report(); rep.Shards == nil || !slices.Equal(rep.Shards.Missing, []int{1}) || rep.Requests == 0 {
		t.Errorf("report: shards %+v, %d requests; want shard 1 named missing and shard 0's requests judged", rep.Shards, rep.Requests)
	}
}

// TestDistCoordinatorKilled: the coordinator killed with -9 makes every
// other shard stop at once, sign its agents out, write its own reports
// and exit 2.
func TestDistCoordinatorKilled(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	r := newDistRun(t, 3, distTargets(t, m, "3301-3312", killPlan), "long")
	procs := r.startAll()
	procs[0].waitFor(t, regexp.MustCompile(`^run \S+: 3/3 shards +\d+s/30s +requests [1-9]`), 2*time.Minute)
	if err := procs[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	for i := 1; i < 3; i++ {
		if c := procs[i].wait(t, time.Minute); c != exitHarness {
			t.Errorf("shard %d: exit %d, want 2\n%s", i, c, procs[i].stderr)
		}
		if !strings.Contains(procs[i].stderr.String(), "lost the coordinator") {
			t.Errorf("shard %d does not say it lost its coordinator:\n%s", i, procs[i].stderr)
		}
		meta, err := results.ReadMeta(filepath.Join(r.out(i), results.MetaFile))
		if err != nil || meta.AbortedBy != results.AbortedByCoordinator || meta.Sent == 0 {
			t.Errorf("shard %d meta.json: aborted %q by %q, sent %d, %v", i, meta.Aborted, meta.AbortedBy, meta.Sent, err)
		}
		if _, err := os.Stat(filepath.Join(r.out(i), reports.JSONFile)); err != nil {
			t.Errorf("shard %d wrote no report of its own: %v", i, err)
		}
	}
	t.Logf("the other shards ended %s after the coordinator's death", time.Since(t0).Round(time.Millisecond))
	if st := m.stats(t); st.SignOuts != 8 || st.ActiveSessions != 4 {
		t.Errorf("mock: %d sign-outs, %d sessions left; want shards 1 and 2's 8 agents signed out, the coordinator's 4 left", st.SignOuts, st.ActiveSessions)
	}
}

// TestLoadAbortWhen: a single `ccgw load` honours abort_when too: a 40 s
// plan against a gateway failing half its calls stops within seconds of
// its 2 s window, signs out, says why and exits 1.
func TestLoadAbortWhen(t *testing.T) {
	t.Parallel()
	m := startMockProc(t, "--http-error-rate", "0.5")
	out := filepath.Join(t.TempDir(), "out")
	p := startLoad(t, "load", "--targets", distTargets(t, m, "3501-3512", abortPlan), "--target", "gw", "--plan", "doomed", "--out", out)
	p.waitFor(t, regexp.MustCompile(`^sign-in: 12 of 12 agents signed in`), 2*time.Minute)
	t0 := time.Now()
	if code := p.wait(t, 2*time.Minute); code != exitGateFailed {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", code, p.stderr)
	}
	t.Logf("the run ended %s after its sign-in", time.Since(t0).Round(time.Millisecond))
	if time.Since(t0) > testscale.D(30*time.Second) {
		t.Errorf("the 40 s run ended %s after its sign-in: not stopped by its 2 s window", time.Since(t0))
	}
	rep := readReport(t, out)
	if rep.AbortedBy != results.AbortedByRule || !strings.Contains(rep.Aborted, "above abort_when's 20%") || rep.Interrupted || rep.Pass {
		t.Errorf("report: aborted %q by %q, interrupted %v, pass %v", rep.Aborted, rep.AbortedBy, rep.Interrupted, rep.Pass)
	}
	if st := m.stats(t); !st.accounted() || st.SignIns != 12 {
		t.Errorf("mock: %+v: want the 12 agents signed in and out", st)
	}
}

// TestLoadAbortWhenP99: abort_when's p99 bound stops a run on latency
// alone (no request fails: the mock answers every logininfo 50 ms late),
// and its window is the one the reason names.
func TestLoadAbortWhenP99(t *testing.T) {
	t.Parallel()
	m := startMockProc(t, "--latency-fixed", "50ms")
	out := filepath.Join(t.TempDir(), "out")
	plan := `plans:
  slow:
    agents: 6
    rate: 20
    duration: 40s
    connections: 4
    slo: {saturation: false}
    abort_when: {p99: 10ms, window: 1s}
`
	p := startLoad(t, "load", "--targets", distTargets(t, m, "3521-3526", plan), "--target", "gw", "--plan", "slow", "--out", out)
	if code := p.wait(t, 2*time.Minute); code != exitGateFailed {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", code, p.stderr)
	}
	rep := readReport(t, out)
	if rep.AbortedBy != results.AbortedByRule || !strings.Contains(rep.Aborted, "p99") || !strings.Contains(rep.Aborted, "1s") || rep.ErrorRate != 0 || rep.Pass {
		t.Errorf("report: aborted %q by %q, error rate %v, pass %v; want stopped by abort_when's p99 over its 1s window, no errors", rep.Aborted, rep.AbortedBy, rep.ErrorRate, rep.Pass)
	}
	if rep.Requests >= 800 {
		t.Errorf("%d requests: the 40 s plan (800 requests) ran to its end", rep.Requests)
	}
	if st := m.stats(t); !st.accounted() || st.SignIns != 6 {
		t.Errorf("mock: %+v: want the 6 agents signed in and out", st)
	}
}

// TestDistMetrics: the coordinator's --metrics-addr serves the whole run
// (one scrape target): its counts are every shard's, and after the run
// they equal the merged report's; the other shards serve nothing.
func TestDistMetrics(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	r := newDistRun(t, 2, distTargets(t, m, "3601-3624", distPlan), "dist", "--quiet", "--metrics-addr", "127.0.0.1:0", "--metrics-linger", "5m")
	procs := r.startAll()
	url := strings.TrimPrefix(procs[0].waitFor(t, regexp.MustCompile(`^metrics: the whole run's, listening on http://127\.0\.0\.1:\d+/metrics$`), time.Minute), "metrics: the whole run's, listening on ")
	procs[1].waitFor(t, regexp.MustCompile(`^metrics: the coordinator \(shard 0\) serves the whole run's`), time.Minute)
	if c := procs[1].wait(t, 2*time.Minute); c != exitOK {
		t.Fatalf("shard 1: exit %d\n%s", c, procs[1].stderr)
	}
	procs[0].waitFor(t, lingerLine, 2*time.Minute)
	final := scrapeOrFail(t, url, "during the linger")
	rep := r.report()
	if n, _ := final.Sum(metrics.NameRequests, logininfoSel); uint64(n) != rep.Requests || n != 300 {
		t.Errorf("%s{call=logininfo} = %v during the linger; the merged report counts %d (want 300)", metrics.NameRequests, n, rep.Requests)
	}
	for name, want := range map[string]float64{metrics.NameAgents: 24, metrics.NameSignInAttempts: 24, metrics.NameAgentsSignedIn: 0} {
		if got, _ := final.Sum(name, nil); got != want {
			t.Errorf("%s = %v, want %v (both shards)", name, got, want)
		}
	}
	if v := final.By(metrics.NameStage, metrics.LabelStage, nil); v[metrics.StageDone] != 1 {
		t.Errorf("stage %v during the linger, want done", v)
	}
	if _, ok := final.Sum("process_cpu_seconds_total", nil); !ok {
		t.Error("no process metrics of the coordinator")
	}
	noAgentLabels(t, final, 3601, 3624)
	procs[0].signal(t, syscall.SIGINT)
	if c := procs[0].wait(t, time.Minute); c != exitOK && c != exitGateFailed {
		t.Errorf("coordinator: exit %d after the linger", c)
	}
}
