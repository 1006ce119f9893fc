package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"ccgw-harness/config"
	"ccgw-harness/connect"
	"ccgw-harness/load"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
)

const shardsUsage = `Usage: ccgw shards --shards N --targets FILE --target NAME --plan NAME [--out DIR] [flags]

Runs a load plan as N shard processes on this machine, exactly as the
Kubernetes Indexed Job of deploy/kubernetes runs it: N 'ccgw load'
processes with JOB_COMPLETION_INDEX, CCGW_SHARD_COUNT and CCGW_RUN_ID in
their environment, one start barrier directory and an output directory
each, then 'ccgw report --barrier' merging their results into the run's
one verdict (printed, and its exit code is this command's).

For a target with a mock: block, ONE mock gateway is started here for all
shards (a 'ccgw load' of an embedded mock would start one per process), and
the shards get a generated targets file pointing at it (url, tls.ca_file,
password_env). Any other target is used as the targets file says.

DIR (default out/TARGET-PLAN-shards) gets barrier/ (the barrier's files),
shard-0/ ... shard-N-1/ (each shard's results and own report, a
diagnostic), merged/ (the run's reports: summary.txt, report.json,
junit.xml, ...), and for a mock target mock.pem and targets.yaml. A DIR of
an earlier ccgw shards run is cleared of those first.

The shards' stderr is shown prefixed with [shard I]. The first SIGINT or
SIGTERM is passed on to every shard (they stop, sign out and write their
reports; the merge still runs; exit 130); a second one makes them quit at
once.

Exit codes: those of ccgw report: 0 every gate of the merged run held, 1 a
gate failed, 2 harness error (a shard failed or the run was given up at
its barrier), 130 interrupted.

Examples:
  ccgw shards --shards 3 --targets targets.yaml --target mock --plan smoke
  make load SHARDS=3 PLAN=smoke
  ccgw shards --shards 4 --target staging --plan golive --out out/golive-4 --barrier-timeout 10m

Flags:
`

// Names of the local run's files and directories (the same layout as the
// Kubernetes manifests' volume: deploy/kubernetes).
const (
	shardsBarrierDir = "barrier"
	shardsMergedDir  = "merged"
	shardsDirPrefix  = "shard-"
	// shardsPasswordEnv carries the agents' password to the shards of an
	// embedded mock target (the generated targets file names it).
	shardsPasswordEnv = "CCGW_SHARDS_AGENT_PASSWORD"
	// shardsMergeWait bounds the merge's wait for done files: every shard
	// has ended by then.
	shardsMergeWait = time.Minute
)

// shardsFlags is the parsed command line of `ccgw shards`.
type shardsFlags struct {
	targets, target, plan, out, confirm, runID string
	shards                                     int
	rate                                       float64
	duration, barrierTimeout                   time.Duration
	quiet                                      bool
	set                                        map[string]bool
}

func parseShardsFlags(args []string, env func(string) string, stderr io.Writer) (*shardsFlags, error) {
	f := &shardsFlags{set: map[string]bool{}}
	fs := flag.NewFlagSet("ccgw shards", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	defTargets := env("CCGW_TARGETS")
	if defTargets == "" {
		defTargets = "targets.yaml"
	}
	fs.IntVar(&f.shards, "shards", 0, "run `N` shard processes (1 to "+strconv.Itoa(pace.MaxShards)+")")
	fs.StringVar(&f.targets, "targets", defTargets, "the targets file `FILE` (env CCGW_TARGETS)")
	fs.StringVar(&f.target, "target", env("CCGW_TARGET"), "the target `NAME` (env CCGW_TARGET)")
	fs.StringVar(&f.plan, "plan", "", "the plan `NAME`")
	fs.StringVar(&f.out, "out", "", "write everything into `DIR` (default out/TARGET-PLAN-shards)")
	fs.StringVar(&f.confirm, "confirm", "", "the target's `NAME` again, required for a target marked production")
	fs.StringVar(&f.runID, "run-id", "", "the run's `ID` (default: the time and a random suffix)")
	fs.Float64Var(&f.rate, "rate", 0, "override the plan: a constant `R` requests/s, all shards together")
	fs.DurationVar(&f.duration, "duration", 0, "override the plan's length `D`")
	fs.DurationVar(&f.barrierTimeout, "barrier-timeout", load.DefaultBarrierTimeout, "give the run up when a shard is not ready `D` after the first joined")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines from the shards")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, shardsUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, fmt.Errorf("ccgw shards: %v (see ccgw shards -h)", err)
	}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("ccgw shards: unexpected argument %q (flags only; see ccgw shards -h)", fs.Arg(0))
	case f.shards < 1 || f.shards > pace.MaxShards:
		return nil, fmt.Errorf("ccgw shards: --shards %d: want the number of shard processes, 1 to %d", f.shards, pace.MaxShards)
	case f.target == "":
		return nil, errors.New("ccgw shards: --target: want a target name from the targets file (or set CCGW_TARGET)")
	case f.plan == "":
		return nil, errors.New("ccgw shards: --plan: want a plan name from the targets file")
	case f.rate < 0 || math.IsNaN(f.rate) || math.IsInf(f.rate, 0) || f.rate > config.MaxRate:
		return nil, fmt.Errorf("ccgw shards: --rate %v: want requests/s above 0 and at most %g", f.rate, float64(config.MaxRate))
	case f.set["rate"] && f.rate == 0:
		return nil, errors.New("ccgw shards: --rate 0: want requests/s above 0")
	case f.duration < 0 || (f.set["duration"] && f.duration == 0) || f.duration > config.MaxPlanDuration:
		return nil, fmt.Errorf("ccgw shards: --duration %s: want a positive duration of at most %s", f.duration, config.MaxPlanDuration)
	case f.barrierTimeout <= 0 || f.barrierTimeout > maxBarrierTimeout:
		return nil, fmt.Errorf("ccgw shards: --barrier-timeout %s: want a positive duration of at most %s", f.barrierTimeout, maxBarrierTimeout)
	}
	if f.runID != "" {
		if err := load.ValidRunID(f.runID); err != nil {
			return nil, fmt.Errorf("ccgw shards: --run-id: %v", err)
		}
	}
	if f.out == "" {
		f.out = filepath.Join("out", f.target+"-"+f.plan+"-shards")
	}
	return f, nil
}

func runShards(args []string, stdout, stderr io.Writer) int {
	f, err := parseShardsFlags(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitHarness
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	return shardsMain(f, sigs, stdout, stderr)
}

// shardsMain does the work of `ccgw shards` once the flags are parsed;
// sigs delivers the signals to pass on to the shards.
func shardsMain(f *shardsFlags, sigs <-chan os.Signal, stdout, stderr io.Writer) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "ccgw shards: "+format+"\n", args...)
		return exitHarness
	}
	exe, err := os.Executable()
	if err != nil {
		return fail("cannot find the ccgw binary to start the shards: %v", err)
	}
	_, target, _, err := targetAndPlan(f.targets, f.target, f.plan)
	if err != nil {
		return fail("%v", err)
	}
	if err := prepareShardsOut(f.out); err != nil {
		return fail("--out %s: %v", f.out, err)
	}
	runID := f.runID
	if runID == "" {
		runID = load.NewRunID(time.Now())
	}
	targets, extraEnv := f.targets, []string(nil)
	if target.Mock != nil {
		// One mock for every shard, here; the shards reach it by url.
		rt, err := connect.Open(context.Background(), target)
		if err != nil {
			return fail("%v", err)
		}
		defer func() {
			if n := rt.Mock.Stats().ActiveSessions; n != 0 {
				fmt.Fprintf(stderr, "ccgw shards: warning: the mock still holds %d sessions after the shards ended\n", n)
			}
			rt.Close()
		}()
		if targets, err = writeMockTargets(f.out, f.targets, rt); err != nil {
			return fail("%v", err)
		}
		extraEnv = append(extraEnv, shardsPasswordEnv+"="+rt.Config.Agents.Password)
		fmt.Fprintf(stderr, "ccgw shards: target %s: one mock gateway for all shards at %s (targets file %s)\n", target.Name, rt.URL(), targets)
	}
	barrier := filepath.Join(f.out, shardsBarrierDir)
	fmt.Fprintf(stderr, "ccgw shards: run %s: %d shards of plan %s against target %s, barrier %s\n", runID, f.shards, f.plan, target.Name, barrier)

	var mu sync.Mutex // serialises the shards' stderr lines
	procs := make([]*exec.Cmd, f.shards)
	for i := range f.shards {
		args := []string{"load", "--targets", targets, "--target", f.target, "--plan", f.plan,
			"--barrier", barrier, "--barrier-timeout", f.barrierTimeout.String(),
			"--out", filepath.Join(f.out, shardsDirPrefix+strconv.Itoa(i))}
		if f.set["rate"] {
			args = append(args, "--rate", strconv.FormatFloat(f.rate, 'f', -1, 64))
		}
		if f.set["duration"] {
			args = append(args, "--duration", f.duration.String())
		}
		if f.confirm != "" {
			args = append(args, "--confirm", f.confirm)
		}
		if f.quiet {
			args = append(args, "--quiet")
		}
		cmd := exec.Command(exe, args...)
		cmd.Env = append(shardEnv(os.Environ()), extraEnv...)
		cmd.Env = append(cmd.Env, envShardIndex+"="+strconv.Itoa(i), envShardCount+"="+strconv.Itoa(f.shards), envRunID+"="+runID)
		cmd.Stdout = io.Discard // each shard's summary is in its summary.txt
		cmd.Stderr = &prefixWriter{prefix: fmt.Sprintf("[shard %d] ", i), w: stderr, mu: &mu}
		// Own process group: a terminal's Ctrl-C reaches this process only,
		// which passes it on once (a second SIGINT makes a shard quit at
		// once, leaving its agents signed in).
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			for _, p := range procs[:i] {
				_ = p.Process.Kill()
				_ = p.Wait()
			}
			return fail("starting shard %d: %v", i, err)
		}
		procs[i] = cmd
	}

	codes := make([]int, f.shards)
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.Wait()
			codes[i] = p.ProcessState.ExitCode()
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	interrupted := false
wait:
	for signals := 0; ; {
		select {
		case <-allDone:
			break wait
		case s := <-sigs:
			signals++
			interrupted = true
			if signals == 1 {
				fmt.Fprintf(stderr, "ccgw shards: %s: stopping every shard (they sign out and write their reports; again to quit at once)\n", s)
			} else {
				fmt.Fprintf(stderr, "ccgw shards: %s again: the shards quit at once\n", s)
			}
			for _, p := range procs {
				_ = p.Process.Signal(os.Interrupt)
			}
		}
	}
	worst := exitOK
	for i, c := range codes {
		switch {
		case c == exitInterrupted:
			interrupted = true
		case c != exitOK:
			fmt.Fprintf(stderr, "ccgw shards: shard %d exited with code %d\n", i, c)
			worst = exitHarness
		}
	}

	// The merge, as the Kubernetes merge Job runs it.
	// The shards' directories are named one by one: DIR may also hold
	// the results.bin of an earlier run of one process.
	margs := []string{"report", "--barrier", barrier, "--barrier-timeout", shardsMergeWait.String(), "--out", filepath.Join(f.out, shardsMergedDir)}
	for i := range f.shards {
		margs = append(margs, filepath.Join(f.out, shardsDirPrefix+strconv.Itoa(i)))
	}
	merge := exec.Command(exe, margs...)
	merge.Env = os.Environ()
	merge.Stdout, merge.Stderr = stdout, stderr
	err = merge.Run()
	code := merge.ProcessState.ExitCode()
	if err != nil && code < 0 {
		return fail("merging the shards: %v", err)
	}
	fmt.Fprintf(stdout, "\nrun %s: the merged reports are in %s; each shard's own in %s\n", runID,
		filepath.Join(f.out, shardsMergedDir), filepath.Join(f.out, shardsDirPrefix+"I"))
	switch {
	case interrupted:
		return exitInterrupted
	case worst == exitHarness || code == exitHarness:
		return exitHarness
	}
	return code
}

// shardEnv is env without the shard variables (the shards get their own).
func shardEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == envShardIndex || k == envShardCount || k == envRunID || k == shardsPasswordEnv {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// prepareShardsOut creates out, first clearing what an earlier ccgw shards
// run left there (its barrier, shard and merged directories): a fresh run
// needs a fresh barrier. A barrier directory that is not one is refused.
func prepareShardsOut(out string) error {
	b := filepath.Join(out, shardsBarrierDir)
	if _, err := os.Stat(b); err == nil {
		if _, err := load.ReadBarrierRun(b); err != nil {
			return fmt.Errorf("%s exists but is not the barrier of an earlier ccgw shards run: choose another --out", b)
		}
		ents, err := os.ReadDir(out)
		if err != nil {
			return err
		}
		for _, e := range ents {
			n := e.Name()
			if _, isShard := shardDirIndex(n); e.IsDir() && (isShard || n == shardsBarrierDir || n == shardsMergedDir) {
				if err := os.RemoveAll(filepath.Join(out, n)); err != nil {
					return err
				}
			}
		}
	}
	return reports.PrepareDir(out)
}

// shardDirIndex parses "shard-N".
func shardDirIndex(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, shardsDirPrefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil && i >= 0 && strconv.Itoa(i) == s
}

// writeMockTargets writes out/targets.yaml: the targets file at path with
// the mock target replaced by a url target of the running mock rt (its
// certificate in out/mock.pem, the agents' password in shardsPasswordEnv),
// the plans and objectives as they are.
func writeMockTargets(out, path string, rt *connect.Target) (string, error) {
	cert, err := filepath.Abs(filepath.Join(out, "mock.pem"))
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(cert, rt.Mock.CertPEM(), 0o644); err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("%s: %v", path, err)
	}
	t := rt.Config
	node, err := mockTargetNode(t, rt.URL(), cert)
	if err != nil {
		return "", err
	}
	if !replaceTarget(&doc, t.Name, node) {
		return "", fmt.Errorf("%s: target %s not found under targets", path, t.Name)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Generated by ccgw shards from %s: target %s is the mock gateway this run started.\n", path, t.Name)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", err
	}
	gen := filepath.Join(out, "targets.yaml")
	if err := os.WriteFile(gen, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	return gen, nil
}

// mockTargetNode is the targets.yaml block of a url target for the running
// mock of t.
func mockTargetNode(t *config.Target, url, cert string) (*yaml.Node, error) {
	agents := map[string]any{
		"ids":          config.FormatIDs(t.Agents.IDs),
		"password_env": shardsPasswordEnv,
	}
	if t.Agents.PhonenumPrefix != "" {
		agents["phonenum_prefix"] = t.Agents.PhonenumPrefix
	}
	if t.Agents.File != "" {
		abs, err := filepath.Abs(t.Agents.File)
		if err != nil {
			return nil, err
		}
		agents["file"] = abs
	}
	m := map[string]any{
		"url":            url,
		"tls":            map[string]any{"ca_file": cert},
		"auth_mode":      string(t.AuthMode),
		"guid_interval":  t.GuidInterval.String(),
		"guid_timeout":   t.GuidTimeout.String(),
		"idle_timeout":   t.IdleTimeout.String(),
		"poll_wait":      t.PollWait.String(),
		"agent_id_range": []int{t.AgentIDRange.Min, t.AgentIDRange.Max},
		"agents":         agents,
		"allow_load":     t.AllowLoad,
		"production":     t.Production,
		"force_login":    t.ForceLogin,
	}
	if t.MaxRate > 0 {
		m["max_rate"] = t.MaxRate
	}
	var n yaml.Node
	if err := n.Encode(m); err != nil {
		return nil, err
	}
	return &n, nil
}

// replaceTarget puts node in place of target name's block in doc.
func replaceTarget(doc *yaml.Node, name string, node *yaml.Node) bool {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return false
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "targets" || top.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		ts := top.Content[i+1]
		for k := 0; k+1 < len(ts.Content); k += 2 {
			if ts.Content[k].Value == name {
				ts.Content[k+1] = node
				return true
			}
		}
	}
	return false
}

// prefixWriter writes whole lines to w, each with prefix, one writer at a
// time.
type prefixWriter struct {
	prefix string
	w      io.Writer
	mu     *sync.Mutex
	part   []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.part = append(p.part, b...)
	for {
		i := bytes.IndexByte(p.part, '\n')
		if i < 0 {
			break
		}
		line := p.part[:i+1]
		// A terminal's rewritten progress line arrives with \r: keep the
		// last state only.
		if j := bytes.LastIndexByte(line[:i], '\r'); j >= 0 {
			line = line[j+1:]
		}
		if _, err := io.WriteString(p.w, p.prefix+string(line)); err != nil {
			return len(b), err
		}
		p.part = p.part[i+1:]
	}
	return len(b), nil
}
