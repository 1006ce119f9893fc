package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"ccgw-harness/load"
	"ccgw-harness/metrics"
	"ccgw-harness/slo"
)

// metricsFlags are the live-metrics flags of a command that runs load
// plans (ccgw load; ccgw capacity registers them the same way).
type metricsFlags struct {
	addr   string
	linger time.Duration
}

// register adds --metrics-addr and --metrics-linger to fs.
func (m *metricsFlags) register(fs *flag.FlagSet) {
	m.linger = metrics.DefaultLinger
	fs.Func("metrics-addr", "serve Prometheus metrics at http://`HOST:PORT`/metrics from before sign-in until --metrics-linger after the reports (port 0: a free port, printed; :PORT: every interface)", func(s string) error {
		if err := metrics.CheckAddr(s); err != nil {
			return err
		}
		m.addr = s
		return nil
	})
	fs.Func("metrics-linger", fmt.Sprintf("with --metrics-addr: keep serving for `D` after the reports are written, so the last scrape sees the final counts (default %s; 0: stop at once; a signal ends it)", metrics.DefaultLinger), func(s string) error {
		v, err := time.ParseDuration(s)
		if err != nil || v < 0 || v > time.Hour {
			return fmt.Errorf("want a duration from 0 to 1h, e.g. 30s")
		}
		m.linger = v
		return nil
	})
}

// liveMetrics is a command's live metrics and their server; a nil
// *liveMetrics (no --metrics-addr) does nothing.
type liveMetrics struct {
	m      *metrics.Metrics
	srv    *metrics.Server
	addr   string
	linger time.Duration
}

// newMetrics returns the metrics of a run of plan against target judged by
// objectives o (its latency and ready bounds become bucket bounds), or nil
// without --metrics-addr. Nothing listens yet (see serve).
func (m *metricsFlags) newMetrics(target, plan string, o slo.Objectives) (*liveMetrics, error) {
	if m.addr == "" {
		return nil, nil
	}
	mm, err := runMetrics(target, plan, o)
	if err != nil {
		return nil, err
	}
	return &liveMetrics{m: mm, addr: m.addr, linger: m.linger}, nil
}

// runMetrics are the metrics of a run of plan against target judged by
// objectives o: its latency and ready bounds become bucket bounds.
func runMetrics(target, plan string, o slo.Objectives, opts ...metrics.Option) (*metrics.Metrics, error) {
	return metrics.New(append([]metrics.Option{metrics.WithTarget(target), metrics.WithPlan(plan),
		metrics.WithLatencyThresholds(slices.Collect(maps.Values(o.Latency))...),
		metrics.WithReadyThresholds(slices.Collect(maps.Values(o.Ready))...)}, opts...)...)
}

// Metrics is what load.WithMetrics takes (nil without --metrics-addr).
func (l *liveMetrics) Metrics() *metrics.Metrics {
	if l == nil {
		return nil
	}
	return l.m
}

// serve starts listening and prints the address (the real port when 0
// was asked). The error names the flag and the address.
func (l *liveMetrics) serve(prog *load.Progress) error {
	if l == nil {
		return nil
	}
	srv, err := metrics.Serve(l.addr, l.m)
	if err != nil {
		return fmt.Errorf("--metrics-addr %v", err)
	}
	l.srv = srv
	prog.Logf("metrics: listening on %s", srv.URL())
	return nil
}

// finish keeps serving for the linger unless ctx was cancelled (an
// interrupted run ends at once, as without metrics); stop ends the linger
// early. Then the server is closed.
func (l *liveMetrics) finish(ctx context.Context, prog *load.Progress, stop *lingerStop) {
	if l == nil || l.srv == nil {
		return
	}
	if l.linger > 0 && ctx.Err() == nil {
		ended := stop.begin()
		prog.Logf("metrics: serving the final counts at %s for %s (a signal ends it)", l.srv.URL(), l.linger)
		lctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-ended:
				cancel()
			case <-lctx.Done():
			}
		}()
		_ = l.srv.Linger(lctx, l.linger)
		cancel()
		return
	}
	l.close()
}

// close stops the server at once.
func (l *liveMetrics) close() {
	if l != nil && l.srv != nil {
		_ = l.srv.Close()
	}
}

// lingerStop lets a command's signal handler end the metrics linger: a
// signal during the linger ends it (the exit code stays the run's) instead
// of interrupting a run that is over.
type lingerStop struct {
	mu sync.Mutex
	ch chan struct{} // open while lingering
}

// begin starts a linger: the channel is closed by the next interrupt.
func (l *lingerStop) begin() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ch = make(chan struct{})
	return l.ch
}

// interrupt ends the linger under way and reports whether there was one.
func (l *lingerStop) interrupt() bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ch == nil {
		return false
	}
	close(l.ch)
	l.ch = nil
	return true
}
