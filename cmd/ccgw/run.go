package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"ccgw-harness/config"
	"ccgw-harness/connect"
	"ccgw-harness/internal/errext"
	"ccgw-harness/load"
)

// runSetup is what `ccgw load` and `ccgw capacity` share before their
// work: the progress output and the signal handling of a run.
type runSetup struct {
	prog   *load.Progress
	ctx    context.Context // cancelled by the first SIGINT/SIGTERM
	linger *lingerStop     // a signal once the run is over ends the metrics linger
	stop   func()          // releases the signal handling
}

// startRun tunes the garbage collector, builds the progress output on
// stderr and handles signals for command cmd: the first SIGINT/SIGTERM
// cancels the context (logging stopping), a second one exits at once with
// 130 (logging quitting); after the run, a signal only ends the metrics
// linger. Call stop when the run is done.
func startRun(cmd string, quiet bool, stderr io.Writer, stopping, quitting string) *runSetup {
	tuneGC(os.Getenv)
	tty := false
	if fh, ok := stderr.(*os.File); ok {
		tty = isTerminal(fh)
	}
	prog := load.NewProgress(stderr, tty, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	linger := &lingerStop{}
	go func() {
		select {
		case s := <-sigs:
			if linger.interrupt() {
				return // the run is over: the signal ends the metrics linger
			}
			prog.Logf("%s: %s: %s (again to quit at once)", cmd, s, stopping)
			cancel()
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			prog.Logf("%s: %s again: quitting at once (%s)", cmd, s, quitting)
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	return &runSetup{prog: prog, ctx: ctx, linger: linger, stop: func() {
		close(done)
		signal.Stop(sigs)
		cancel()
	}}
}

// isTerminal reports whether f is a character device (a terminal): then
// the progress line is rewritten in place.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// planFlags is the flag group of the commands that run a plan against a
// target (load, capacity, shards): --targets, --target, --plan, --out and
// --confirm, CCGW_TARGETS and CCGW_TARGET giving the defaults.
type planFlags struct {
	targets, target, plan, out, confirm string
	text                                planText
}

// planText is what the commands say differently of the group.
type planText struct {
	inFile    string // after NAME in --target's and --plan's usage: " in the targets file", or ""
	plan      string // what --plan names: "plan" or "capacity plan"
	out       string // --out's usage, before its default
	outSuffix string // of the default --out: out/TARGET-PLAN and this
}

// register adds the group to fs (env supplies the defaults of --targets
// and --target).
func (f *planFlags) register(fs *flag.FlagSet, env func(string) string, t planText) {
	f.text = t
	defTargets := env("CCGW_TARGETS")
	if defTargets == "" {
		defTargets = "targets.yaml"
	}
	fs.StringVar(&f.targets, "targets", defTargets, "the targets file `FILE` (env CCGW_TARGETS)")
	fs.StringVar(&f.target, "target", env("CCGW_TARGET"), "the target `NAME`"+t.inFile+" (env CCGW_TARGET)")
	fs.StringVar(&f.plan, "plan", "", "the "+t.plan+" `NAME`"+t.inFile)
	fs.StringVar(&f.out, "out", "", t.out+" (default out/TARGET-PLAN"+t.outSuffix+")")
	fs.StringVar(&f.confirm, "confirm", "", "the target's `NAME` again, required for a target marked production")
}

// check checks the group once parsed, naming the flag (or variable) to
// set, and fills in the default --out.
func (f *planFlags) check() error {
	switch {
	case f.targets == "":
		return errors.New("--targets: want the targets file (or set CCGW_TARGETS)")
	case f.target == "":
		return errors.New("--target: want a target name from the targets file (or set CCGW_TARGET)")
	case f.plan == "":
		return fmt.Errorf("--plan: want a %s name from the targets file", f.text.plan)
	}
	if f.out == "" {
		f.out = filepath.Join("out", f.target+"-"+f.plan+f.text.outSuffix)
	}
	return nil
}

// load reads the targets file and finds the target and the plan in it;
// the error names the file, line and field, or the flag to fix.
func (f *planFlags) load() (*config.File, *config.Target, *config.Plan, error) {
	if _, err := os.Stat(f.targets); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil, fmt.Errorf("--targets %s: no such file: want the targets file (--targets FILE or CCGW_TARGETS; default targets.yaml)", f.targets)
	}
	file, err := config.Load(f.targets)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := file.Target(f.target)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := file.Plan(f.plan)
	if err != nil {
		return nil, nil, nil, err
	}
	return file, t, p, nil
}

// openTarget connects to target for plan (starting the embedded mock of a
// mock: target); what names the work, for a signal before it starts.
func openTarget(ctx context.Context, target *config.Target, plan *config.Plan, prog *load.Progress, what string) (*connect.Target, error) {
	rt, err := connect.Open(ctx, target, connect.WithHTTP2(plan.HTTP2))
	if err != nil {
		if ctx.Err() != nil {
			return nil, errext.WithExitCode(fmt.Errorf("interrupted before the %s started", what), exitInterrupted)
		}
		return nil, err
	}
	if rt.Mock != nil {
		prog.Logf("target %s: embedded mock gateway at %s", target.Name, rt.URL())
	}
	return rt, nil
}

// newFlagSet is the flag set of command name that prints nothing: errors
// are reported once, by run, naming the flag; parseFlags prints -h.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("ccgw "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs (from newFlagSet) for command name: -h
// prints its usage (printUsage) to stderr and returns flag.ErrHelp; a bad
// flag, or an argument where the command takes flags only, is an error
// naming it.
func parseFlags(fs *flag.FlagSet, name string, args []string, stderr io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stderr, fs, name)
			return err
		}
		return fmt.Errorf("%w (see ccgw %s -h)", err, name)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; see ccgw %s -h)", fs.Arg(0), name)
	}
	return nil
}
