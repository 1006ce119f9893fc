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

const loadUsage = `Usage: ccgw load --targets FILE --target NAME --plan NAME [--out DIR] [flags]

Runs a load plan from the targets file against a target: signs the plan's
agents in, keeps their sessions alive (event polling, Guid rotation), sends
POST .../logininfo at the plan's rate with each agent's current Guid, judges
every answer by the contract, signs every agent out, and writes into DIR:
results.bin (vegeta results of the logininfo requests report.json's top
level counts, so that vegeta report, plot and encode over it agree with
it), calls.bin (the agents' own calls: sign-in, event polls, sign-out),
meta.json, report.json, summary.txt, report.md, report.html, junit.xml and
latency.hgrm. See docs/results-files.md.

A journey plan (journey: {hold, repeat}) instead starts agents' journeys at
the plan's rate: each agent signs in, asks for its softphone token, keeps
its session alive by event polls, asks again every repeat, and signs out
after hold; the reports add time to softphone-ready and per-call figures.
A plan that needs more agents than it has for its overlapping journeys is
refused before anything starts.

Every objective in effect (the global slo: overridden by the plan's) is a
gate and a junit.xml test case named as its key: p99, error_rate,
ready_p99, calls.signin.p99...; meta.json records them for ccgw report.

Refused before anyone signs in: a target without allow_load: true, a target
marked production: true without --confirm NAME, an objective that means
nothing in the plan (ready_* without journey:), and an output directory
that cannot be written. The target's max_rate caps every plan.

Progress goes to stderr (one rewritten line on a terminal, a line every 5 s
otherwise); the summary goes to stdout. The first SIGINT/SIGTERM stops the
attack, lets requests under way finish, signs the agents out and writes the
reports (exit 130); a second one exits at once.

With --metrics-addr, Prometheus metrics are served at
http://HOST:PORT/metrics from before sign-in until --metrics-linger (30s)
after the reports, so the last scrape sees the final counts; the address is
printed ("metrics: listening on ..."). A signal during the linger ends it,
with the run's exit code; an interrupted run does not linger.

Exit codes: 0 every SLO gate held, 1 a gate failed, 2 harness error (bad
flag or config, refused, target unreachable, output not writable), 130
interrupted.

A plan's abort_when: {error_rate, p99, window} stops the run as soon as
the figures of its last window break it: the attack stops, the agents sign
out, the reports say why (aborted) and its abort_when gate fails (exit 1).

Distributed runs: --shard I/N (default from JOB_COMPLETION_INDEX and
CCGW_SHARD_COUNT, as a Kubernetes Indexed Job sets them) runs shard I of N:
agent k of the plan goes to shard k mod N, and hit g of the plan's schedule
to shard g mod N, so the shards add up to the plan. Shard 0 coordinates the
run: it listens on the port of --coordinator HOST:PORT (CCGW_COORDINATOR),
which every other shard reaches; every shard proves it belongs to the run
with CCGW_RUN_TOKEN (never sent over the network). Every shard signs in and
warms up, then all start the measured attack at one instant the coordinator
chooses; a shard not ready --barrier-timeout after the coordinator started
makes every shard give up (sign-out, reports, exit 2). Each shard sends its
figures every second: the coordinator's progress line, --metrics-addr and
abort_when are the whole run's. At the end the coordinator writes the run's
reports into its --out (each shard's own under shards/I) and exits with the
run's verdict; the other shards exit 0 when they ran their part, 2 when
they could not. A shard lost mid-run (--heartbeat-timeout) is named in the
report and fails the run unless --allow-missing-shards; a shard that loses
its coordinator stops, signs out, writes its own reports and exits 2.
ccgw shards runs N shards on this machine.

Examples:
  ccgw load --targets targets.yaml --target mock --plan smoke --out out/smoke
  ccgw load --targets targets.yaml --target mock --plan shiftstart --out out/shiftstart
  ccgw load --target staging --plan golive --rate 200 --duration 2m --out out/staging-200
  CCGW_TARGETS=targets.yaml ccgw load --target prod --plan smoke --confirm prod --quiet
  JOB_COMPLETION_INDEX=1 CCGW_SHARD_COUNT=3 CCGW_COORDINATOR=ccgw-load-0.ccgw-load:9465 CCGW_RUN_TOKEN=... ccgw load --target staging --plan golive --out /reports
  ccgw load --target staging --plan soak --metrics-addr :9464 --metrics-linger 1m

Flags:
`

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
	if err := parseFlags(fs, "load", loadUsage, args, stderr); err != nil {
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
