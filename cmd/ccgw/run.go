package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"ccgw-harness/config"
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

// targetAndPlan reads the targets file and finds the target and the plan
// in it; the error names the file, line and field, or the flag to fix.
func targetAndPlan(targets, target, plan string) (*config.File, *config.Target, *config.Plan, error) {
	if _, err := os.Stat(targets); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil, fmt.Errorf("--targets %s: no such file: want the targets file (--targets FILE or CCGW_TARGETS; default targets.yaml)", targets)
	}
	file, err := config.Load(targets)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := file.Target(target)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := file.Plan(plan)
	if err != nil {
		return nil, nil, nil, err
	}
	return file, t, p, nil
}
