package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"ccgw-harness/config"
	"ccgw-harness/internal/errext"
	"ccgw-harness/load"
	"ccgw-harness/reports"
)

// exitGeneratorLimited is ccgw capacity's exit code when the generator, not
// the gateway, ended the search (and --require, if given, is not proven).
const exitGeneratorLimited = 3

const capacityUsage = `Usage: ccgw capacity --targets FILE --target NAME --plan NAME [--out DIR] [--require R] [flags]

Finds the highest logininfo rate the target sustains while every SLO gate
holds. The plan needs a capacity block, e.g.

  plans:
    capacity:
      agents: 200
      capacity: {start: 100, max: 3000, step: 10s, precision: 5%}
      warmup: 5s
      connections: 128
      slo: {p99: 100ms, error_rate: 1%}

It signs the plan's agents in once and keeps them alive for the whole
search, then runs steps at constant rates: growing by capacity.growth
(default x2) from start until a step fails (or max), then bisecting between
the last passing and the first failing rate until they are within
precision, and one more step to confirm the answer. Each step is judged on
its own results by every SLO gate, with latency counted from each
request's planned send time (lag + response time). A step sends logininfo
only: a plan with journey:, or with ready_* or calls: objectives, is
refused, the key named. A step the generator
could not drive (it sent at less than 98% of the planned rate, or only its
lag broke a latency gate) is invalid, not failed: the answer is then "at
least R; the generator, not the gateway, stopped here". Between steps the
gateway is drained (single probes until it answers as fast as when idle).
Before it starts it prints how long the search takes at most.

Writes into DIR: capacity.json (max_sustainable_rate, limited_by, steps),
summary.txt, report.html (the capacity curve), junit.xml, a directory per
step steps/NN-RATE/ (results.bin, meta.json and its reports; ccgw report
over its directory reproduces them) and merged/ (results.bin: every step's
logininfo results; calls.bin: the agents' own calls of the search).

The first SIGINT/SIGTERM stops the search, signs every agent out and writes
the steps done so far (exit 130); a second one exits at once.

Exit codes: 0 the search found an answer (and it reaches --require R),
1 the answer is below --require R, or not even the start rate passed,
2 harness error (bad flag or config, refused, target unreachable, output
not writable), 3 the generator, not the gateway, stopped the search (below
--require R, if given), 130 interrupted.

Examples:
  ccgw capacity --targets targets.yaml --target mock-capacity --plan capacity --out out/capacity
  ccgw capacity --target staging --plan capacity --require 450 --out out/staging-capacity
  CCGW_TARGETS=targets.yaml ccgw capacity --target prod --plan capacity --confirm prod
  ccgw capacity --target staging --plan capacity --metrics-addr :9464 --out out/staging-capacity

Flags:
`

// capacityFlags is the parsed command line of `ccgw capacity`.
type capacityFlags struct {
	planFlags
	require float64
	quiet   bool
	metrics metricsFlags
}

// newCapacityFlags returns the flag set of `ccgw capacity`, parsing into
// f (env supplies the defaults of --targets and --target). It prints
// nothing.
func newCapacityFlags(f *capacityFlags, env func(string) string) *flag.FlagSet {
	fs := newFlagSet("capacity")
	f.planFlags.register(fs, env, planText{inFile: " in the targets file", plan: "capacity plan", out: "write the results and reports into `DIR`"})
	fs.Func("require", "fail (exit 1) when the answer is below `R` requests/s", func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 || v > config.MaxRate {
			return fmt.Errorf("want requests/s above 0 and at most %g, e.g. 450", float64(config.MaxRate))
		}
		f.require = v
		return nil
	})
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines (log lines and the summary are still printed)")
	f.metrics.register(fs)
	return fs
}

// parseCapacityFlags parses the command line (env supplies the defaults
// of --targets and --target). Errors name the flag and what it accepts.
func parseCapacityFlags(args []string, env func(string) string, stderr io.Writer) (*capacityFlags, error) {
	f := &capacityFlags{}
	if err := parseFlags(newCapacityFlags(f, env), "capacity", capacityUsage, args, stderr); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

func runCapacity(args []string, stdout, stderr io.Writer) error {
	f, err := parseCapacityFlags(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rs := startRun("ccgw capacity", f.quiet, stderr,
		"stopping the search, signing agents out and writing the steps done so far",
		"agents may stay signed in; the step's results.bin holds what was flushed")
	defer rs.stop()
	return capacityMain(rs.ctx, f, rs.prog, stdout, rs.linger)
}

// capacityMain does the work of `ccgw capacity` once the flags are parsed.
func capacityMain(ctx context.Context, f *capacityFlags, prog *load.Progress, stdout io.Writer, linger *lingerStop) error {
	file, target, plan, err := f.load()
	if err != nil {
		return err
	}
	objs := file.SLOFor(plan)
	live, err := f.metrics.newMetrics(target.Name, plan.Name, objs)
	if err != nil {
		return err
	}
	job, err := load.NewCapacityJob(target, plan, f.out, load.WithConfirm(f.confirm), load.WithProgress(prog),
		load.WithSLO(objs), load.WithRequire(f.require), load.WithMetrics(live.Metrics()))
	if err != nil {
		return err
	}
	if err := live.serve(prog); err != nil {
		return err
	}
	defer live.close()
	rt, err := openTarget(ctx, target, plan, prog, "search")
	if err != nil {
		return err
	}
	defer rt.Close()
	outc, err := job.Run(ctx, rt.Client, rt.Config)
	if outc != nil && outc.Capacity != nil {
		printSummary(stdout, f.out)
	}
	live.finish(ctx, prog, linger)
	switch {
	case err != nil && ctx.Err() != nil:
		return errext.WithExitCode(err, exitInterrupted)
	case err != nil:
		return err
	}
	return errext.WithExitCode(nil, capacityExit(outc.Capacity))
}

// capacityExit maps a search's result to the exit code.
func capacityExit(c *reports.Capacity) int {
	switch {
	case c.Interrupted:
		return exitInterrupted
	case c.Require != nil && c.RequireMet != nil && *c.RequireMet:
		return exitOK
	case c.GeneratorLimited():
		return exitGeneratorLimited
	case c.Require != nil && c.RequireMet != nil && !*c.RequireMet, !c.Found():
		return exitGateFailed
	}
	return exitOK
}
