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

Distributed runs: --shard I/N (default from JOB_COMPLETION_INDEX and
CCGW_SHARD_COUNT, as a Kubernetes Indexed Job sets them) runs shard I of N:
agent k of the plan goes to shard k mod N, and hit g of the plan's schedule
to shard g mod N, so the shards add up to the plan. With --barrier DIR (a
directory all shards write) every shard signs in and warms up, then waits
until all are ready and starts the measured attack at one agreed instant; a
shard not ready --barrier-timeout after the first joined makes every shard
give up (sign-out, reports, exit 2, naming it). A shard exits 0 when it ran,
whatever its own gates: its report is a diagnostic, and the run's verdict
comes from ccgw report merging the shards. ccgw shards runs N shards on
this machine.

Examples:
  ccgw load --targets targets.yaml --target mock --plan smoke --out out/smoke
  ccgw load --targets targets.yaml --target mock --plan shiftstart --out out/shiftstart
  ccgw load --target staging --plan golive --rate 200 --duration 2m --out out/staging-200
  CCGW_TARGETS=targets.yaml ccgw load --target prod --plan smoke --confirm prod --quiet
  JOB_COMPLETION_INDEX=1 CCGW_SHARD_COUNT=3 ccgw load --target staging --plan golive --barrier /data/run-7/barrier --out /data/run-7/shard-1
  ccgw load --target staging --plan soak --metrics-addr :9464 --metrics-linger 1m

Flags:
`

// loadFlags is the parsed command line of `ccgw load`.
type loadFlags struct {
	targets, target, plan, out, confirm string
	rate                                float64
	duration                            time.Duration
	quiet                               bool
	shard                               shardFlags
	metrics                             metricsFlags
}

// newLoadFlags returns the flag set of `ccgw load`, parsing into f (env
// supplies the defaults of --targets and --target). It prints nothing:
// errors are reported once, by the caller, naming the flag.
func newLoadFlags(f *loadFlags, env func(string) string) *flag.FlagSet {
	fs := flag.NewFlagSet("ccgw load", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	defTargets := env("CCGW_TARGETS")
	if defTargets == "" {
		defTargets = "targets.yaml"
	}
	fs.StringVar(&f.targets, "targets", defTargets, "the targets file `FILE` (env CCGW_TARGETS)")
	fs.StringVar(&f.target, "target", env("CCGW_TARGET"), "the target `NAME` in the targets file (env CCGW_TARGET)")
	fs.StringVar(&f.plan, "plan", "", "the plan `NAME` in the targets file")
	fs.StringVar(&f.out, "out", "", "write results and reports into `DIR` (default out/TARGET-PLAN)")
	fs.StringVar(&f.confirm, "confirm", "", "the target's `NAME` again, required for a target marked production")
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
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, loadUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, fmt.Errorf("ccgw load: %w (see ccgw load -h)", err)
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("ccgw load: unexpected argument %q (flags only; see ccgw load -h)", fs.Arg(0))
	case f.targets == "":
		return nil, errors.New("ccgw load: --targets: want the targets file (or set CCGW_TARGETS)")
	case f.target == "":
		return nil, errors.New("ccgw load: --target: want a target name from the targets file (or set CCGW_TARGET)")
	case f.plan == "":
		return nil, errors.New("ccgw load: --plan: want a plan name from the targets file")
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if err := f.shard.resolve(env, set); err != nil {
		return nil, fmt.Errorf("ccgw load: %v", err)
	}
	if f.out == "" {
		f.out = filepath.Join("out", f.target+"-"+f.plan)
	}
	return f, nil
}

func runLoad(args []string, stdout, stderr io.Writer) int {
	f, err := parseLoadFlags(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitHarness
	}
	rs := startRun("ccgw load", f.quiet, stderr,
		"stopping the attack, signing agents out and writing the reports",
		"agents may stay signed in; results.bin and calls.bin hold what was flushed")
	defer rs.stop()
	return loadMain(rs.ctx, f, rs.prog, stdout, stderr, rs.linger)
}

// loadMain does the work of `ccgw load` once the flags are parsed.
func loadMain(ctx context.Context, f *loadFlags, prog *load.Progress, stdout, stderr io.Writer, linger *lingerStop) (code int) {
	var why string // the harness error the run ends with
	fail := func(format string, args ...any) int {
		why = fmt.Sprintf(format, args...)
		fmt.Fprintf(stderr, "ccgw load: %s\n", why)
		return exitHarness
	}
	sess, err := f.shard.join(prog.Logf)
	if err != nil {
		return fail("%v", err)
	}
	var outc *load.Outcome
	defer func() { sess.end(f.shard.shard.Index, code, why, outc) }()
	file, target, plan, err := targetAndPlan(f.targets, f.target, f.plan)
	if err != nil {
		return fail("%v", err)
	}
	if f.shard.shard.Sharded() && target.Mock != nil {
		return fail("target %s is an embedded mock (mock:): each shard would start a gateway of its own; run the shards with ccgw shards (make load SHARDS=N), which starts one mock for all, or point the target at one ccgw mock with url:", target.Name)
	}
	objs := file.SLOFor(plan)
	var mopts []metrics.Option
	if f.shard.shard.Sharded() {
		mopts = append(mopts, metrics.WithShard(strconv.Itoa(f.shard.shard.Index)))
	}
	live, err := f.metrics.newMetrics(target.Name, plan.Name, objs, mopts...)
	if err != nil {
		return fail("%v", err)
	}
	job, err := load.NewJob(target, plan, f.out, append([]load.Option{
		load.WithConfirm(f.confirm), load.WithProgress(prog),
		load.WithSLO(objs), load.WithMetrics(live.Metrics()),
		load.WithRate(f.rate), load.WithDuration(f.duration)}, f.shard.options(sess)...)...)
	if err != nil {
		return fail("%v", err)
	}
	if err := live.serve(prog); err != nil {
		return fail("%v", err)
	}
	defer live.close()
	rt, err := connect.Open(ctx, target, connect.WithHTTP2(plan.HTTP2))
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "ccgw load: interrupted before the run started")
			return exitInterrupted
		}
		return fail("%v", err)
	}
	defer rt.Close()
	if rt.Mock != nil {
		prog.Logf("target %s: embedded mock gateway at %s", target.Name, rt.URL())
	}
	outc, err = job.Run(ctx, rt.Client, rt.Config)
	if outc != nil && outc.Report != nil {
		if b, rerr := os.ReadFile(filepath.Join(f.out, reports.SummaryFile)); rerr == nil {
			stdout.Write(b)
		}
		fmt.Fprintf(stdout, "\nreports in %s\n", f.out)
	}
	live.finish(ctx, prog, linger)
	switch {
	case err != nil && outc != nil && outc.Report == nil && ctx.Err() != nil:
		fmt.Fprintf(stderr, "ccgw load: %v\n", err)
		return exitInterrupted
	case err != nil:
		return fail("%v", err)
	case outc.Meta.Interrupted:
		return exitInterrupted
	case !outc.Report.Pass && f.shard.given:
		fmt.Fprintf(stderr, "ccgw load: shard %s: its own gates failed (a diagnostic: the run's verdict is the merged report's, ccgw report)\n", f.shard.shard)
	case !outc.Report.Pass:
		return exitGateFailed
	}
	return exitOK
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
