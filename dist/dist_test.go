package dist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/internal/testscale"
	"ccgw-harness/load"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

const testToken = "test-token-0123456789abcdef"

// shardRun is one in-process shard: its Member and what its run gave.
type shardRun struct {
	code int
	co   *Outcome
	outc *load.Outcome
	err  error
	m    *Member
}

// runShard joins the run as shard i of n, runs the env's plan and
// finishes, as ccgw load does.
func runShard(ctx context.Context, t *testing.T, e *loadtest.Env, cfg Config, opts ...Option) *shardRun {
	m, err := Join(ctx, cfg, opts...)
	if err != nil {
		return &shardRun{code: exitHarness, err: err}
	}
	defer m.Close()
	off := false // a loaded machine may fall behind: not what these tests judge
	job, err := load.NewJob(e.Target, e.Plan, m.Out(), append(m.Options(), load.WithSLO(slo.Objectives{Saturation: &off}))...)
	if err != nil {
		m.Fail(err.Error())
		code, co := m.Finish(ctx, nil, err)
		return &shardRun{code: code, co: co, err: err, m: m}
	}
	m.Attach(job, nil)
	outc, err := job.Run(ctx, e.Client, e.Target)
	code, co := m.Finish(ctx, outc, err)
	return &shardRun{code: code, co: co, outc: outc, err: err, m: m}
}

// shardCfg is shard i of n's Config for a coordinator at addr.
func shardCfg(i, n int, addr, out string) Config {
	return Config{Shard: pace.Shard{Index: i, Count: n}, Coordinator: addr, Token: testToken, RunID: "run-t",
		Target: "mock", Plan: "test", Version: "v-test", Out: out}
}

// listen is a loopback listener on a port the system chooses.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestRunOfThree: three shards of one process, each its own Member over
// loopback TCP (shard 0 coordinating), split the plan, start at one
// instant, and the coordinator's report of their figures equals the
// report of their results files read as one.
func TestRunOfThree(t *testing.T) {
	e := loadtest.New(t, loadtest.Spec{Agents: 6, Rate: 60, Duration: 2 * time.Second, Password: "pw-7"})
	e.Plan.Name, e.Target.Name = "test", "mock"
	dir := t.TempDir()
	ln := listen(t)
	addr := ln.Addr().String()
	ctx := context.Background()
	var logs syncBuf
	runs := make([]*shardRun, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := filepath.Join(dir, "own-"+strconv.Itoa(i))
			opts := []Option{WithLog(logs.logf), WithStartLead(300 * time.Millisecond), WithCollectResults(true)}
			if i == 0 {
				out = filepath.Join(dir, "run")
				opts = append(opts, WithListener(ln))
			}
			runs[i] = runShard(ctx, t, e, shardCfg(i, 3, addr, out), opts...)
		}()
	}
	wg.Wait()
	for i, r := range runs {
		if r.err != nil || r.code != exitOK {
			var gates []reports.Gate
			if r.co != nil && r.co.Report != nil {
				gates = r.co.Report.SLO
			}
			t.Fatalf("shard %d: code %d, %v, gates %+v\nlog:\n%s", i, r.code, r.err, gates, logs.String())
		}
	}
	co := runs[0].co
	if co == nil || co.Code != exitOK || co.Report == nil || len(co.Missing) != 0 {
		t.Fatalf("coordinator outcome %+v\nlog:\n%s", co, logs.String())
	}
	var sent uint64
	for _, r := range runs {
		sent += r.outc.Sent
		if !r.outc.Meta.Started.Equal(runs[0].outc.Meta.Started) {
			t.Errorf("shard schedules start at %s and %s: want the one instant", r.outc.Meta.Started, runs[0].outc.Meta.Started)
		}
	}
	rep := co.Report
	if sent != 120 || rep.Requests != 120 || rep.Agents != 6 || rep.Shards == nil || rep.Shards.Count != 3 || len(rep.Shards.List) != 3 {
		t.Errorf("sent %d, merged %d requests of %d agents, shards %+v; want 120 of 6 agents, 3 shards", sent, rep.Requests, rep.Agents, rep.Shards)
	}
	// What ccgw report makes of the collected results files.
	out := filepath.Join(dir, "run")
	var in []results.ShardInput
	var files []string
	for i := range 3 {
		sd := ShardDir(out, i)
		m, err := results.ReadMeta(filepath.Join(sd, results.MetaFile))
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, results.ShardInput{Results: filepath.Join(sd, load.ResultsFile), Dir: sd, Meta: m})
		files = append(files, filepath.Join(sd, load.ResultsFile))
	}
	meta, _, err := results.MergeShardMeta(in, false)
	if err != nil {
		t.Fatal(err)
	}
	a := reports.NewAggregator()
	stats, err := results.ReadFilesEach(a, files...)
	if err != nil {
		t.Fatal(err)
	}
	meta.AddFileStats(stats)
	want, _ := json.Marshal(a.Report(meta, *meta.SLO))
	got, err := os.ReadFile(filepath.Join(out, reports.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var gotR reports.Report
	if err := json.Unmarshal(got, &gotR); err != nil {
		t.Fatal(err)
	}
	gotJ, _ := json.Marshal(&gotR)
	if !bytes.Equal(want, gotJ) {
		t.Errorf("the coordinator's report.json differs from the report of the shards' results files:\nwant %s\ngot  %s", want, gotJ)
	}
	if strings.Contains(logs.String(), testToken) {
		t.Error("the log holds the run token")
	}
}

// TestRefusals: a shard without the run's token is refused and changes
// nothing; a shard of the run that is not what the run needs (another
// count or run) or joins twice gives the run up; a shard arriving after
// the start is refused.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var logs syncBuf
	// coordinator starts a run of n shards on a fresh port.
	coordinator := func(n int) (*Member, string) {
		t.Helper()
		ln := listen(t)
		m0, err := Join(ctx, shardCfg(0, n, ln.Addr().String(), filepath.Join(dir, "run-"+ln.Addr().String())), WithListener(ln), WithLog(logs.logf))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m0.Close)
		return m0, ln.Addr().String()
	}
	stopped := func(m *Member, want string) {
		t.Helper()
		select {
		case s := <-m.stops:
			if s.By != results.AbortedByStart || !strings.Contains(s.Reason, want) {
				t.Errorf("stopped %+v, want by start saying %q", s, want)
			}
		case <-time.After(testscale.D(10 * time.Second)):
			t.Fatalf("not stopped (want %q)", want)
		}
	}

	m0, addr := coordinator(3)
	bad := shardCfg(1, 3, addr, filepath.Join(dir, "x"))
	bad.Token = "another-run-token-0123456789"
	if _, err := Join(ctx, bad); err == nil || !strings.Contains(err.Error(), "not of this run") {
		t.Errorf("another token: %v", err)
	}
	if _, err := Join(ctx, Config{Shard: pace.Shard{Index: 1, Count: 3}, Coordinator: addr, Token: "short", Out: dir}); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("a short token: %v", err)
	}
	select {
	case s := <-m0.stops:
		t.Fatalf("a shard without the token stopped the run: %+v", s)
	default:
	}
	if _, err := Join(ctx, shardCfg(1, 4, addr, filepath.Join(dir, "x"))); err == nil || !strings.Contains(err.Error(), "has 3 shards") {
		t.Errorf("another count: %v", err)
	}
	stopped(m0, "has 3 shards")
	if _, err := Join(ctx, shardCfg(2, 3, addr, filepath.Join(dir, "x"))); err == nil || !strings.Contains(err.Error(), "was given up before shard 2 arrived") {
		t.Errorf("after the run was given up: %v", err)
	}

	m0, addr = coordinator(3)
	other := shardCfg(1, 3, addr, filepath.Join(dir, "x"))
	other.RunID = "run-u"
	if _, err := Join(ctx, other); err == nil || !strings.Contains(err.Error(), "started for run run-u") {
		t.Errorf("another run: %v", err)
	}
	stopped(m0, "started for run run-u")

	m0, addr = coordinator(3)
	m1, err := Join(ctx, shardCfg(1, 3, addr, filepath.Join(dir, "x")))
	if err != nil {
		t.Fatal(err)
	}
	defer m1.Close()
	if _, err := Join(ctx, shardCfg(1, 3, addr, filepath.Join(dir, "y"))); err == nil || !strings.Contains(err.Error(), "joined twice") {
		t.Errorf("shard 1 again: %v", err)
	}
	stopped(m0, "joined twice")
	stopped(m1, "joined twice")

	// A run of two that started: a third comer is refused.
	m0, addr = coordinator(2)
	m1, err = Join(ctx, shardCfg(1, 2, addr, filepath.Join(dir, "x")))
	if err != nil {
		t.Fatal(err)
	}
	defer m1.Close()
	var wg sync.WaitGroup
	for _, m := range []*Member{m0, m1} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.gate(ctx); err != nil {
				t.Errorf("gate: %v", err)
			}
		}()
	}
	wg.Wait()
	if _, err := Join(ctx, shardCfg(1, 2, addr, filepath.Join(dir, "z"))); err == nil || !strings.Contains(err.Error(), "arrived late") {
		t.Errorf("after the start: %v", err)
	}
	if strings.Contains(logs.String(), testToken) {
		t.Error("the log holds the run token")
	}
}

// TestLostBothWays: a shard that goes silent is lost within the heartbeat
// timeout, and a shard whose coordinator goes silent loses it as fast.
func TestLostBothWays(t *testing.T) {
	dir := t.TempDir()
	ln := listen(t)
	addr := ln.Addr().String()
	ctx := context.Background()
	const timeout = 600 * time.Millisecond
	var logs syncBuf
	m0, err := Join(ctx, shardCfg(0, 2, addr, filepath.Join(dir, "run")), WithListener(ln), WithHeartbeatTimeout(timeout), WithLog(logs.logf))
	if err != nil {
		t.Fatal(err)
	}
	defer m0.Close()
	// A shard that proves the token and then says nothing: the
	// coordinator loses it (before the start: the run is given up).
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	silent := &Member{cfg: shardCfg(1, 2, addr, dir), set: newSettings(nil)}
	if err := silent.handshake(nc); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	select {
	case s := <-m0.stops:
		if !strings.Contains(s.Reason, "shard 1 was lost before the start") {
			t.Errorf("stop %+v", s)
		}
	case <-time.After(testscale.D(30 * time.Second)):
		t.Fatalf("the silent shard was not lost\nlog:\n%s", logs.String())
	}
	if d := time.Since(t0); d < timeout {
		t.Errorf("lost after %s, before the heartbeat timeout %s", d, timeout)
	}

	// A coordinator that proves the token and then says nothing.
	ln2 := listen(t)
	defer ln2.Close()
	go func() {
		c, err := ln2.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		co := &Coordinator{cfg: shardCfg(0, 2, "", ""), set: newSettings([]Option{WithHeartbeatTimeout(timeout)}), rk: runKey(testToken),
			runID: "run-t", peers: map[int]*peer{}, settled: make(chan struct{}), quit: make(chan struct{})}
		cc := newConn(c, 'c', time.Second)
		nonce := newNonce()
		_ = cc.send(&msg{T: tChallenge, V: protocolVersion, Nonce: nonce})
		h, mac, payload, err := cc.recvPlain()
		if err != nil {
			return
		}
		cc.key = sessionKey(co.rk, nonce, h.Nonce)
		if !cc.verify(mac, payload) {
			return
		}
		_, w, _ := co.join(h, cc)
		_ = cc.send(w)
		_, _ = io.ReadAll(c) // silent until the shard hangs up
	}()
	m1, err := Join(ctx, shardCfg(1, 2, ln2.Addr().String(), filepath.Join(dir, "own-1")))
	if err != nil {
		t.Fatal(err)
	}
	defer m1.Close()
	select {
	case s := <-m1.stops:
		if s.By != results.AbortedByCoordinator || !strings.Contains(s.Reason, "lost the coordinator") {
			t.Errorf("stop %+v", s)
		}
	case <-time.After(testscale.D(30 * time.Second)):
		t.Fatal("the shard did not lose its silent coordinator")
	}
	if _, err := m1.gate(ctx); err == nil {
		t.Error("the gate opened without a coordinator")
	} else if ae := (*load.AbortError)(nil); !errors.As(err, &ae) || ae.By != results.AbortedByCoordinator {
		t.Errorf("gate: %v", err)
	}
}

// TestRule: an abort_when rule breaks on the window's error rate or p99,
// is due only once the attack ran a window, and names what broke it.
func TestRule(t *testing.T) {
	rate := 0.2
	r := &Rule{ErrorRate: &rate, P99: 500 * time.Millisecond, Window: 2 * time.Second}
	start := time.Unix(1000, 0)
	if r.Due(start, start.Add(time.Second)) || !r.Due(start, start.Add(2*time.Second)) || r.Due(time.Time{}, start) {
		t.Error("Due")
	}
	a := reports.NewAggregator()
	var w reports.Window
	w.Add(a.State(false), nil)
	if _, broke := r.Judge(&w); broke {
		t.Error("an empty window broke the rule")
	}
	if s := r.String(); s != "error rate above 20% or p99 above 500ms over the last 2s" {
		t.Errorf("String %q", s)
	}
}

// syncBuf collects log lines from any goroutine.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(strings.TrimSpace(fmt.Sprintf(format, args...)) + "\n")
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAllowMissingShards: a shard lost in the middle of the run (its
// connection cut) leaves the coordinator's report without it, named
// missing; with WithAllowMissingShards the run passes on the other's
// figures, and the lost shard, having lost its coordinator, stops and
// signs out.
func TestAllowMissingShards(t *testing.T) {
	e := loadtest.New(t, loadtest.Spec{Agents: 4, Rate: 40, Duration: 4 * time.Second, Password: "pw-7"})
	e.Plan.Name, e.Target.Name = "test", "mock"
	dir := t.TempDir()
	ln := listen(t)
	addr := ln.Addr().String()
	ctx := context.Background()
	var logs syncBuf
	var co *shardRun
	done := make(chan struct{})
	go func() {
		defer close(done)
		co = runShard(ctx, t, e, shardCfg(0, 2, addr, filepath.Join(dir, "run")), WithListener(ln), WithLog(logs.logf),
			WithStartLead(200*time.Millisecond), WithAllowMissingShards(true))
	}()
	m1, err := Join(ctx, shardCfg(1, 2, addr, filepath.Join(dir, "own-1")), WithLog(logs.logf))
	if err != nil {
		t.Fatal(err)
	}
	defer m1.Close()
	off := false
	job, err := load.NewJob(e.Target, e.Plan, m1.Out(), append(m1.Options(), load.WithSLO(slo.Objectives{Saturation: &off}))...)
	if err != nil {
		t.Fatal(err)
	}
	m1.Attach(job, nil)
	go func() {
		deadline := time.Now().Add(testscale.D(time.Minute))
		for job.Status().Stage != "measure" && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond) // polling the job's stage, bounded
		}
		_ = m1.c.close() // cut off
	}()
	outc, err := job.Run(ctx, e.Client, e.Target)
	code, _ := m1.Finish(ctx, outc, err)
	if code != exitHarness || outc.Meta.AbortedBy != results.AbortedByCoordinator || outc.SignOut.SignedOut != 2 {
		t.Errorf("the cut shard: code %d, aborted %q by %q, sign-out %s; want 2, by coordinator, its 2 agents out", code, outc.Meta.Aborted, outc.Meta.AbortedBy, outc.SignOut)
	}
	<-done
	if co.code != exitOK || co.co == nil || co.co.Report == nil || len(co.co.Missing) != 1 || co.co.Missing[0] != 1 {
		t.Fatalf("coordinator: code %d, outcome %+v\nlog:\n%s", co.code, co.co, logs.String())
	}
	rep := co.co.Report
	if rep.Shards.Count != 2 || len(rep.Shards.List) != 1 || rep.Requests != co.outc.Sent || co.outc.Sent != 80 {
		t.Errorf("report: shards %+v, %d requests; want shard 0's 80 alone", rep.Shards, rep.Requests)
	}
	if e.Mock.Stats().ActiveSessions != 0 {
		t.Errorf("the mock holds %d sessions", e.Mock.Stats().ActiveSessions)
	}
}
