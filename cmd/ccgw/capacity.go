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

	"ccgw-harness/capacity"
	"ccgw-harness/config"
	"ccgw-harness/internal/errext"
	"ccgw-harness/load"
	"ccgw-harness/reports"
)

// exitGeneratorLimited is ccgw capacity's exit code when the generator, not
// the gateway, ended the search (and --require, if given, is not proven).
const exitGeneratorLimited = 3

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
	if err := parseFlags(newCapacityFlags(f, env), "capacity", args, stderr); err != nil {
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
	job, err := capacity.New(target, plan, f.out, capacity.WithConfirm(f.confirm), capacity.WithProgress(prog),
		capacity.WithSLO(objs), capacity.WithRequire(f.require), capacity.WithMetrics(live.Metrics()))
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
