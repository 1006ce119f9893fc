package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/connect"
	"ccgw-harness/dist"
	"ccgw-harness/internal/errext"
	"ccgw-harness/metrics"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
)

// shardsPasswordEnv carries the agents' password to the shards of an
// embedded mock target (the generated targets file names it).
const shardsPasswordEnv = "CCGW_SHARDS_AGENT_PASSWORD"

// shardsFlags is the parsed command line of `ccgw shards`.
type shardsFlags struct {
	planFlags
	runID, metricsAddr           string
	shards                       int
	rate                         float64
	duration, barrierTimeout     time.Duration
	quiet, allowMissing, collect bool
	set                          map[string]bool
}

// newShardsFlags returns the flag set of `ccgw shards`, parsing into f
// (env supplies the defaults of --targets and --target). It prints
// nothing.
func newShardsFlags(f *shardsFlags, env func(string) string) *flag.FlagSet {
	fs := newFlagSet("shards")
	f.planFlags.register(fs, env, planText{plan: "plan", out: "write everything into `DIR`", outSuffix: "-shards"})
	fs.IntVar(&f.shards, "shards", 0, "run `N` shard processes (2 to "+strconv.Itoa(pace.MaxShards)+")")
	fs.StringVar(&f.runID, "run-id", "", "the run's `ID` (default: the time and a random suffix)")
	fs.Float64Var(&f.rate, "rate", 0, "override the plan: a constant `R` requests/s, all shards together")
	fs.DurationVar(&f.duration, "duration", 0, "override the plan's length `D`")
	fs.DurationVar(&f.barrierTimeout, "barrier-timeout", dist.DefaultBarrierTimeout, "give the run up when a shard is not ready `D` after the coordinator started")
	fs.BoolVar(&f.allowMissing, "allow-missing-shards", false, "a run with shards lost passes on the others' figures (default: exit 2)")
	fs.BoolVar(&f.collect, "collect-results", false, "every shard sends its results file to the coordinator (DIR/shards/I/results.bin)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "the coordinator serves the whole run's Prometheus metrics at http://`HOST:PORT`/metrics")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines")
	return fs
}

// parseShardsFlags parses the command line (env supplies the defaults of
// --targets and --target). Errors name the flag and what it accepts.
func parseShardsFlags(args []string, env func(string) string, stderr io.Writer) (*shardsFlags, error) {
	f := &shardsFlags{set: map[string]bool{}}
	fs := newShardsFlags(f, env)
	if err := parseFlags(fs, "shards", args, stderr); err != nil {
		return nil, err
	}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if f.shards < 2 || f.shards > pace.MaxShards {
		return nil, fmt.Errorf("--shards %d: want the number of shard processes, 2 to %d (one is ccgw load)", f.shards, pace.MaxShards)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	switch {
	case f.rate < 0 || math.IsNaN(f.rate) || math.IsInf(f.rate, 0) || f.rate > config.MaxRate:
		return nil, fmt.Errorf("--rate %v: want requests/s above 0 and at most %g", f.rate, float64(config.MaxRate))
	case f.set["rate"] && f.rate == 0:
		return nil, errors.New("--rate 0: want requests/s above 0")
	case f.duration < 0 || (f.set["duration"] && f.duration == 0) || f.duration > config.MaxPlanDuration:
		return nil, fmt.Errorf("--duration %s: want a positive duration of at most %s", f.duration, config.MaxPlanDuration)
	case f.barrierTimeout <= 0 || f.barrierTimeout > dist.MaxBarrierTimeout:
		return nil, fmt.Errorf("--barrier-timeout %s: want a positive duration of at most %s", f.barrierTimeout, dist.MaxBarrierTimeout)
	}
	if f.runID != "" {
		if err := dist.ValidRunID(f.runID); err != nil {
			return nil, fmt.Errorf("--run-id: %v", err)
		}
	}
	if f.metricsAddr != "" {
		if err := metrics.CheckAddr(f.metricsAddr); err != nil {
			return nil, fmt.Errorf("--metrics-addr %v", err)
		}
	}
	return f, nil
}

func runShards(args []string, stdout, stderr io.Writer) error {
	f, err := parseShardsFlags(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	return shardsMain(f, sigs, stdout, stderr)
}

// shardsMain does the work of `ccgw shards` once the flags are parsed;
// sigs delivers the signals to pass on to the shards.
func shardsMain(f *shardsFlags, sigs <-chan os.Signal, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find the ccgw binary to start the shards: %v", err)
	}
	_, target, _, err := f.load()
	if err != nil {
		return err
	}
	if err := prepareShardsOut(f.out); err != nil {
		return fmt.Errorf("--out %s: %v", f.out, err)
	}
	targets, env := f.targets, os.Environ()
	if target.Mock != nil {
		// One mock for every shard, here; the shards reach it by url.
		rt, err := connect.Open(context.Background(), target)
		if err != nil {
			return err
		}
		defer func() {
			if n := rt.Mock.Stats().ActiveSessions; n != 0 {
				fmt.Fprintf(stderr, "ccgw shards: warning: the mock still holds %d sessions after the shards ended\n", n)
			}
			rt.Close()
		}()
		if targets, err = writeMockTargets(f.out, f.targets, rt); err != nil {
			return err
		}
		env = append(env, shardsPasswordEnv+"="+rt.Config.Agents.Password)
		fmt.Fprintf(stderr, "ccgw shards: target %s: one mock gateway for all shards at %s (targets file %s)\n", target.Name, rt.URL(), targets)
	}
	args := []string{"--targets", targets, "--target", f.target, "--plan", f.plan, "--barrier-timeout", f.barrierTimeout.String()}
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
	if f.allowMissing {
		args = append(args, "--allow-missing-shards")
	}
	if f.collect {
		args = append(args, "--collect-results")
	}
	if f.metricsAddr != "" {
		args = append(args, "--metrics-addr", f.metricsAddr)
	}
	l := &dist.Local{Exe: exe, Shards: f.shards, Args: args, Out: f.out, RunID: f.runID, Env: env, Stdout: stdout, Stderr: stderr}
	code, err := l.Run(sigs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nthe run's reports are in %s; each shard's own figures in %s\n", f.out, filepath.Join(f.out, dist.ShardsDir, "I"))
	return errext.WithExitCode(nil, code)
}

// prepareShardsOut creates out, first clearing the shards' directories an
// earlier ccgw shards run left there (shards/ and pods/).
func prepareShardsOut(out string) error {
	for _, d := range []string{dist.ShardsDir, dist.PodsDir} {
		if err := os.RemoveAll(filepath.Join(out, d)); err != nil {
			return err
		}
	}
	return reports.PrepareDir(out)
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
	gen, err := config.RetargetURL(path, data, rt.Config, rt.URL(), cert, shardsPasswordEnv)
	if err != nil {
		return "", err
	}
	head := fmt.Sprintf("# Generated by ccgw shards from %s: target %s is the mock gateway this run started.\n", path, rt.Config.Name)
	p := filepath.Join(out, "targets.yaml")
	return p, os.WriteFile(p, append([]byte(head), gen...), 0o644)
}
