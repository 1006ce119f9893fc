package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/connect"
	"ccgw-harness/dist"
	"ccgw-harness/internal/errext"
	"ccgw-harness/load"
	"ccgw-harness/metrics"
	"ccgw-harness/reports"
)

// loadFlags is the parsed command line of `ccgw load`.
type loadFlags struct {
	planFlags
	rate     float64
	duration time.Duration
	quiet    bool
	shard    shardFlags
	metrics  metricsFlags
}

// newLoadFlags returns the flag set of `ccgw load`, parsing into f (env
// supplies the defaults of --targets and --target). It prints nothing.
func newLoadFlags(f *loadFlags, env func(string) string) *flag.FlagSet {
	fs := newFlagSet("load")
	f.planFlags.register(fs, env, planText{inFile: " in the targets file", plan: "plan", out: "write results and reports into `DIR`"})
	fs.Func("rate", "override the plan: a constant `R` requests/s (above 0, at most 1e6) for the plan's length", func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 || v > config.MaxRate {
			return fmt.Errorf("want requests/s above 0 and at most %g, e.g. 200", float64(config.MaxRate))
		}
		f.rate = v
		return nil
	})
	fs.Func("duration", "override the plan's length: a Go duration `D` such as 30s or 5m", func(s string) error {
		v, err := time.ParseDuration(s)
		if err != nil || v <= 0 || v > config.MaxPlanDuration {
			return fmt.Errorf("want a positive duration of at most %s, e.g. 30s or 5m", config.MaxPlanDuration)
		}
		f.duration = v
		return nil
	})
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines (warnings and the summary are still printed)")
	f.shard.register(fs)
	f.metrics.register(fs)
	return fs
}

// parseLoadFlags parses the command line (env supplies the defaults of
// --targets and --target). Errors name the flag and what it accepts; -h
// prints the usage.
func parseLoadFlags(args []string, env func(string) string, stderr io.Writer) (*loadFlags, error) {
	f := &loadFlags{}
	fs := newLoadFlags(f, env)
	if err := parseFlags(fs, "load", args, stderr); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if err := f.shard.resolve(env, set); err != nil {
		return nil, err
	}
	return f, nil
}

func runLoad(args []string, stdout, stderr io.Writer) error {
	f, err := parseLoadFlags(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rs := startRun("ccgw load", f.quiet, stderr,
		"stopping the attack, signing agents out and writing the reports",
		"agents may stay signed in; results.bin and calls.bin hold what was flushed")
	defer rs.stop()
	return loadMain(rs.ctx, f, rs.prog, stdout, stderr, rs.linger)
}

// loadMain does the work of `ccgw load` once the flags are parsed.
func loadMain(ctx context.Context, f *loadFlags, prog *load.Progress, stdout, stderr io.Writer, linger *lingerStop) error {
	if f.shard.shard.Sharded() {
		return shardMain(ctx, f, prog, stdout, stderr, linger)
	}
	file, target, plan, err := f.load()
	if err != nil {
		return err
	}
	objs := file.SLOFor(plan)
	live, err := f.metrics.newMetrics(target.Name, plan.Name, objs)
	if err != nil {
		return err
	}
	// abort_when: the run judges its own last seconds, as a distributed
	// run's coordinator judges the whole run's.
	stop := make(chan load.Stop, 1)
	agg := reports.NewAggregator()
	opts := []load.Option{load.WithConfirm(f.confirm), load.WithProgress(prog),
		load.WithSLO(objs), load.WithMetrics(live.Metrics()),
		load.WithRate(f.rate), load.WithDuration(f.duration), load.WithStop(stop), load.WithAggregator(agg)}
	if f.shard.given { // --shard 0/1: a run of one shard
		opts = append(opts, load.WithShard(f.shard.shard), load.WithRunID(f.shard.runID))
	}
	job, err := load.NewJob(target, plan, f.out, opts...)
	if err != nil {
		return err
	}
	if err := live.serve(prog); err != nil {
		return err
	}
	defer live.close()
	rt, err := openTarget(ctx, target, plan, prog, "run")
	if err != nil {
		return err
	}
	defer rt.Close()
	if rule := dist.RuleOf(plan.AbortWhen); rule != nil {
		prog.Logf("abort_when: the run stops when its %s", rule)
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go dist.WatchRule(wctx, rule, job, agg, stop, prog.Logf)
	}
	outc, err := job.Run(ctx, rt.Client, rt.Config)
	if outc != nil && outc.Report != nil {
		printSummary(stdout, f.out)
	}
	live.finish(ctx, prog, linger)
	switch {
	case err != nil && outc != nil && outc.Report == nil && ctx.Err() != nil:
		return errext.WithExitCode(err, exitInterrupted)
	case err != nil:
		return err
	case outc.Meta.Interrupted:
		return errext.WithExitCode(nil, exitInterrupted)
	case !outc.Report.Pass:
		return errext.WithExitCode(nil, exitGateFailed)
	}
	return nil
}

// printSummary prints the summary of the reports a run wrote into dir.
func printSummary(stdout io.Writer, dir string) {
	if b, err := os.ReadFile(filepath.Join(dir, reports.SummaryFile)); err == nil {
		stdout.Write(b)
	}
	fmt.Fprintf(stdout, "\nreports in %s\n", dir)
}

// shardMain is `ccgw load` as one shard of a distributed run: it joins the
// run (shard 0 coordinates it) before anything else, so that whatever
// stops it before the start gives the run up for every shard at once.
func shardMain(ctx context.Context, f *loadFlags, prog *load.Progress, stdout, stderr io.Writer, linger *lingerStop) error {
	s := &f.shard
	coord := s.shard.Index == 0
	opts := append(s.options(), dist.WithLog(prog.Logf))
	var merged *metrics.Merged
	if coord {
		opts = append(opts, dist.WithProgress(prog))
		if f.metrics.addr != "" {
			var err error
			if merged, err = metrics.NewMerged(); err != nil {
				return err
			}
			opts = append(opts, dist.WithMerged(merged))
		}
	}
	m, err := dist.Join(ctx, s.config(f.target, f.plan, f.out), opts...)
	if err != nil {
		if ctx.Err() != nil {
			return errext.WithExitCode(errors.New("interrupted before the run started"), exitInterrupted)
		}
		return fmt.Errorf("shard %s: %v", s.shard, err)
	}
	defer m.Close()
	live := &liveMetrics{addr: f.metrics.addr, linger: f.metrics.linger}
	// fail ends the shard's part before or instead of its run: the
	// coordinator learns why (before the start, the run is given up). Its
	// message is logged at once, before what the run's end logs, not as
	// the exit's message: the run's log tells what happened in order.
	fail := func(format string, args ...any) error {
		why := fmt.Sprintf(format, args...)
		fmt.Fprintf(stderr, "ccgw load: shard %s: %s\n", s.shard, why)
		m.Fail(why)
		code, o := m.Finish(ctx, nil, errors.New(why))
		if o != nil && o.Report != nil {
			printSummary(stdout, f.out)
		}
		return errext.WithExitCode(nil, max(code, exitHarness))
	}
	switch {
	case coord && merged != nil:
		srv, err := metrics.ServeHandler(f.metrics.addr, merged.Handler())
		if err != nil {
			return fail("--metrics-addr %v", err)
		}
		live.srv = srv
		defer live.close()
		prog.Logf("metrics: the whole run's, listening on %s", srv.URL())
	case f.metrics.addr != "":
		prog.Logf("metrics: the coordinator (shard 0) serves the whole run's; --metrics-addr %s is not served by shard %s", f.metrics.addr, s.shard)
	}
	file, target, plan, err := f.load()
	if err != nil {
		return fail("%v", err)
	}
	if target.Mock != nil {
		return fail("target %s is an embedded mock (mock:): each shard would start a gateway of its own; run the shards with ccgw shards (make load SHARDS=N), which starts one mock for all, or point the target at one ccgw mock with url:", target.Name)
	}
	objs := file.SLOFor(plan)
	if coord {
		planned := plan.Total()
		if f.duration > 0 {
			planned = f.duration
		}
		m.Coordinator().SetPlanned(planned)
		if rule := dist.RuleOf(plan.AbortWhen); rule != nil {
			m.Coordinator().SetRule(rule)
			prog.Logf("abort_when: the run stops when its %s", rule)
		}
	}
	var mm *metrics.Metrics
	if m.SendsMetrics() {
		if mm, err = runMetrics(target.Name, plan.Name, objs, metrics.WithoutRuntimeMetrics()); err != nil {
			return fail("%v", err)
		}
	}
	job, err := load.NewJob(target, plan, m.Out(), append([]load.Option{
		load.WithConfirm(f.confirm), load.WithProgress(prog), load.WithSLO(objs), load.WithMetrics(mm),
		load.WithRate(f.rate), load.WithDuration(f.duration)}, m.Options()...)...)
	if err != nil {
		return fail("%v", err)
	}
	m.Attach(job, mm)
	rt, err := connect.Open(ctx, target, connect.WithHTTP2(plan.HTTP2))
	if err != nil {
		return fail("%v", err)
	}
	defer rt.Close()
	outc, runErr := job.Run(ctx, rt.Client, rt.Config)
	if runErr != nil {
		fmt.Fprintf(stderr, "ccgw load: shard %s: %v\n", s.shard, runErr)
	}
	code, o := m.Finish(ctx, outc, runErr)
	if !coord {
		if outc != nil && outc.Report != nil {
			fmt.Fprintf(stderr, "ccgw load: shard %s of run %s: its own reports in %s (a diagnostic: the run's verdict is the coordinator's)\n", s.shard, m.RunID(), outc.Dir)
		}
		return errext.WithExitCode(nil, code)
	}
	if o != nil && o.Report != nil {
		printSummary(stdout, f.out)
		rep := o.Report
		fmt.Fprintf(stderr, "ccgw load: run %s: %d of %d shards merged, start skew %s", m.RunID(), len(rep.Shards.List), rep.Shards.Count, rep.Shards.StartSkew().Round(time.Millisecond))
		if len(o.Missing) > 0 {
			fmt.Fprintf(stderr, ", missing %v", o.Missing)
		}
		fmt.Fprintf(stderr, "; exit %d\n", code)
	}
	live.finish(ctx, prog, linger)
	return errext.WithExitCode(nil, code)
}

// Garbage-collector settings of a load run, unless GOGC or GOMEMLIMIT say
// otherwise. A generator's live heap is small and bounded (the aggregator
// does not grow with results), so collecting four times less often saves
// CPU on the request path; the soft limit brings collection back should the
// heap ever grow.
const (
	loadGCPercent   = 400
	loadMemoryLimit = 1 << 30
)

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(loadGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(loadMemoryLimit)
	}
}
