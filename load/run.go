package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/reports"
)

// Files a run writes into its output directory besides those of
// reports.WriteAll.
const (
	// ResultsFile holds every judged result, vegeta gob-encoded.
	ResultsFile = "results.bin"
	// MetaFile holds the run's metadata (reports.Meta).
	MetaFile = reports.MetaFile
)

// probeSize is how much the output check writes (and removes), so that a
// full disk is found before anyone signs in.
const probeSize = 64 << 10

// Option configures Run.
type Option func(*runConfig)

type runConfig struct {
	confirm   string
	progress  *Progress
	slo       reports.SLO
	rate      float64
	duration  time.Duration
	poolOpts  []PoolOption
	keepOpts  []KeepAliveOption
	onStarted func()
}

// WithConfirm gives the name the operator typed with --confirm; a target
// marked production runs only when it is the target's name.
func WithConfirm(name string) Option { return func(c *runConfig) { c.confirm = name } }

// WithProgress prints the run's progress and log lines through p (nil:
// silent).
func WithProgress(p *Progress) Option { return func(c *runConfig) { c.progress = p } }

// WithSLO sets the gates the run is judged by (from config.File.SLOFor; see
// SLOFromConfig). Without it only the default gates apply (contract
// violations and generator saturation).
func WithSLO(s reports.SLO) Option { return func(c *runConfig) { c.slo = s } }

// WithRate overrides the plan's rate (see Override).
func WithRate(r float64) Option { return func(c *runConfig) { c.rate = r } }

// WithDuration overrides the plan's duration (see Override).
func WithDuration(d time.Duration) Option { return func(c *runConfig) { c.duration = d } }

// WithPoolOptions adds options for the agent pool.
func WithPoolOptions(o ...PoolOption) Option {
	return func(c *runConfig) { c.poolOpts = append(c.poolOpts, o...) }
}

// WithKeepAliveOptions adds options for the keep-alive polling.
func WithKeepAliveOptions(o ...KeepAliveOption) Option {
	return func(c *runConfig) { c.keepOpts = append(c.keepOpts, o...) }
}

// WithAttackStarted calls f just before the measured attack starts (after
// sign-in and warm-up), on the run's goroutine: f must not block. For tests
// that act on a running attack.
func WithAttackStarted(f func()) Option { return func(c *runConfig) { c.onStarted = f } }

// SLOFromConfig converts the configuration's objectives to the reports'.
func SLOFromConfig(s config.SLO) reports.SLO {
	return reports.SLO{
		Latency:               s.Latency,
		ErrorRate:             s.ErrorRate,
		MinRateRatio:          s.MinRateRatio,
		MaxContractViolations: s.MaxContractViolations,
		MaxLateRatio:          s.MaxLateRatio,
		Saturation:            s.Saturation,
	}
}

// Outcome is what a run produced.
type Outcome struct {
	// Report is the run's report (nil when the run was refused before it
	// started). Report.Pass is the SLO verdict.
	Report *reports.Report
	// Meta is the run's metadata as written to meta.json.
	Meta reports.Meta
	// Dir is the output directory.
	Dir     string
	SignIn  SignInSummary
	SignOut SignOutSummary
	// Sent is the number of requests the measured attack made (targets the
	// targeter handed out); Recorded the number of results written to the
	// results file. They are equal unless writing failed.
	Sent, Recorded uint64
	// Polls and Rotations count the keep-alive's event polls and the Guid
	// switches they brought.
	Polls, Rotations int64
}

// RefusedError is a run refused by a safety rail (allow_load, production
// without --confirm) or by a check before anything was sent.
type RefusedError struct{ Reason string }

// Error implements error.
func (e *RefusedError) Error() string { return e.Reason }

// Check applies the safety rails to a plan against a target without running
// anything: allow_load, production with --confirm, and the plan's shape.
func Check(t *config.Target, p *config.Plan, confirm string) error {
	if !t.AllowLoad {
		return &RefusedError{fmt.Sprintf("target %s does not allow load: load runs are refused against targets without allow_load: true (set it in the targets file only for a gateway meant to take load)", t.Name)}
	}
	if t.Production && confirm != t.Name {
		return &RefusedError{fmt.Sprintf("target %s is marked production: repeat its name with --confirm %s to run plan %s against it", t.Name, t.Name, p.Name)}
	}
	return nil
}

// PrepareOut creates the output directory and proves it writable (and not
// full) by writing and removing a probe file. The error names the directory.
func PrepareOut(dir string) error {
	if dir == "" {
		return &RefusedError{"no output directory given"}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &RefusedError{fmt.Sprintf("output directory %s cannot be created: %v", dir, unwrapPath(err))}
	}
	f, err := os.CreateTemp(dir, ".ccgw-probe-*")
	if err != nil {
		return &RefusedError{fmt.Sprintf("output directory %s is not writable: %v", dir, unwrapPath(err))}
	}
	name := f.Name()
	_, werr := f.Write(make([]byte, probeSize))
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	rerr := os.Remove(name)
	for _, err := range []error{werr, cerr, rerr} {
		if err != nil {
			return &RefusedError{fmt.Sprintf("output directory %s is not writable (disk full?): %v", dir, unwrapPath(err))}
		}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Run runs plan p against target t through client c and writes its reports
// into out: it checks the safety rails and the output directory before
// anyone signs in, signs the plan's agents in, keeps their sessions alive,
// warms the attack's connections, runs the measured attack until the plan
// ends or ctx is cancelled (SIGINT: the attack stops, requests under way
// finish, everything recorded is kept and Meta.Interrupted is set), signs
// every agent out (on every path, failures included), and writes meta.json,
// results.bin and the reports.
//
// The error is nil whenever the reports were written, whatever the verdict
// (Outcome.Report.Pass) and also after an interruption; it is a
// *RefusedError when the run was refused before anyone signed in.
func Run(ctx context.Context, c *gateway.Client, t *config.Target, p *config.Plan, out string, opts ...Option) (*Outcome, error) {
	rc := runConfig{}
	for _, o := range opts {
		o(&rc)
	}
	log := rc.progress
	plan := *p
	if err := Override(&plan, rc.rate, rc.duration); err != nil {
		return nil, &RefusedError{err.Error()}
	}
	if err := Check(t, &plan, rc.confirm); err != nil {
		return nil, err
	}
	pacer, warnings, err := PlanPacer(&plan, t.MaxRate)
	if err != nil {
		return nil, &RefusedError{err.Error()}
	}
	order, err := ParseOrder(plan.Order)
	if err != nil {
		return nil, &RefusedError{fmt.Sprintf("plan %s: %v", plan.Name, err)}
	}
	agents, err := t.AgentList(plan.Agents)
	if err != nil {
		return nil, &RefusedError{err.Error()}
	}
	tlsVerify := true
	if tr, ok := c.HTTPClient().Transport.(*http.Transport); ok && tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify {
		tlsVerify = false
		warnings = append(warnings, fmt.Sprintf("TLS certificate verification is OFF for target %s (tls.insecure_skip_verify): the gateway was not authenticated", t.Name))
	}
	if err := PrepareOut(out); err != nil {
		return nil, err
	}
	resultsPath := filepath.Join(out, ResultsFile)
	f, err := os.Create(resultsPath)
	if err != nil {
		return nil, &RefusedError{fmt.Sprintf("output directory %s: cannot create %s: %v", out, ResultsFile, unwrapPath(err))}
	}
	defer f.Close()

	attack, err := NewAttack(c, WithConnections(plan.Connections), WithAttackHTTP2(plan.HTTP2), WithRequestTimeout(plan.Timeout))
	if err != nil {
		return nil, err
	}
	defer attack.Close()

	meta := reports.Meta{
		Target: t.Name, Plan: plan.Name, Profile: plan.Profile(),
		PlannedDuration: pacer.Duration(),
		Agents:          len(agents),
		Connections:     attack.Connections(),
		HTTP2:           plan.HTTP2,
		TLSVerify:       tlsVerify,
	}
	if s, ok := pacer.(*Schedule); ok {
		meta.RequestedRate = s.MeanRate()
	}
	slo := rc.slo
	meta.SLO = &slo
	outc := &Outcome{Dir: out}
	metaPath := filepath.Join(out, MetaFile)
	if err := reports.WriteMeta(metaPath, meta); err != nil {
		return nil, &RefusedError{fmt.Sprintf("output directory %s: %v", out, err)}
	}

	// The agents' own calls (sign-in, polls, sign-out) share one
	// connection pool, apart from the attack's.
	ac, atr, err := AgentClient(c, len(agents)+16)
	if err != nil {
		return nil, err
	}
	if atr != nil {
		defer atr.CloseIdleConnections()
	}
	poolOpts := append([]PoolOption{WithForceLogin(t.ForceLogin), WithSignInConcurrency(plan.SignInConcurrency)}, rc.poolOpts...)
	pool, err := NewPool(ac, agents, poolOpts...)
	if err != nil {
		return nil, &RefusedError{err.Error()}
	}
	keep, err := NewKeepAlive(pool, ac, t, rc.keepOpts...)
	if err != nil {
		return nil, err
	}
	warnings = append(warnings, keep.Warnings()...)
	for _, w := range warnings {
		log.Logf("warning: %s", w)
	}

	// From here on every path signs the agents out.
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	signedOut := false
	signOut := func() {
		if signedOut {
			return
		}
		signedOut = true
		log.Hide()
		keep.Stop()
		outc.SignOut = pool.SignOut(ctx)
		log.Logf("sign-out: %s", outc.SignOut)
	}
	defer signOut()

	log.Logf("signing in %d agents of target %s (%d at once)", len(agents), t.Name, pool.signInConc)
	log.Show(func() string {
		done, failed, total := pool.SignInProgress()
		return fmt.Sprintf("signing in: %d/%d done, %d failed", done, total, failed)
	})
	sum, err := pool.SignIn(ctx)
	log.Hide()
	outc.SignIn = sum
	meta.AgentsFailed = sum.Failed
	log.Logf("sign-in: %s", sum)
	interrupted := err != nil
	if !interrupted {
		if err := sum.Check(plan.MaxSignInFailures); err != nil {
			return outc, err
		}
	}

	agg := reports.NewAggregator()
	rec := newRecorder(f, pool, agg)
	var tg *Targeter
	if !interrupted {
		tg, err = pool.NewTargeter(order)
		if err != nil {
			return outc, err
		}
		pool.StartReSignIn()
		keep.Start(runCtx)

		if plan.Warmup > 0 && ctx.Err() == nil {
			log.Logf("warming up %d connections for %s", attack.Connections(), plan.Warmup)
			// The warm-up has a targeter of its own: its hits are not the
			// measured attack's.
			warmTg := &Targeter{agents: tg.agents}
			attack.WarmConnections(ctx, warmTg.Targeter(), pool.feedback)
			wp, err := warmupPacer(pacer, plan.Warmup)
			if err != nil {
				return outc, err
			}
			w, mw := attackWorkers(attack, pacer)
			attack.Run(ctx, t.Name+"/"+plan.Name+"/warmup", warmTg.Targeter(), wp, w, mw, nil, pool.feedback, nil)
		}
		interrupted = ctx.Err() != nil
	}

	if !interrupted {
		meta.Started = time.Now()
		meta.Warnings = warnings
		if err := reports.WriteMeta(metaPath, meta); err != nil {
			return outc, fmt.Errorf("output directory %s: %w", out, err)
		}
		if _, ok := pacer.(*Schedule); ok {
			rec.judge.pacer = pacer
		}
		total := pacer.Duration()
		shown := time.Now()
		log.Show(func() string { return progressLine(agg.Snapshot(), time.Since(shown), total, pool) })
		w, mw := attackWorkers(attack, pacer)
		if rc.onStarted != nil {
			rc.onStarted()
		}
		attack.Run(ctx, t.Name+"/"+plan.Name, tg.Targeter(), pacer, w, mw,
			func(start time.Time) { rec.judge.start = start },
			rec.record, rec.flush)
		meta.Started = rec.judge.start
		log.Hide()
		rec.flush()
		interrupted = ctx.Err() != nil
		outc.Sent = tg.Hits()
	}
	outc.Recorded = rec.n
	if err := f.Sync(); err != nil && rec.err == nil {
		rec.err = fmt.Errorf("writing results: %w", err)
	}
	if err := f.Close(); err != nil && rec.err == nil {
		rec.err = fmt.Errorf("writing results: %w", err)
	}

	signOut()
	outc.Polls, outc.Rotations = keep.Polls(), keep.Rotations()
	meta.Connections = attack.Dialed()
	meta.ReSignIns = pool.ReSignIns()
	meta.Interrupted = interrupted
	if n := pool.ReSignInFailures(); n > 0 {
		warnings = append(warnings, fmt.Sprintf("%d re-sign-in attempts failed", n))
	}
	if outc.SignOut.Failed > 0 {
		warnings = append(warnings, fmt.Sprintf("%d agents could not be signed out: %s", outc.SignOut.Failed, outc.SignOut))
	}
	if rec.err != nil {
		warnings = append(warnings, fmt.Sprintf("%s is incomplete: %v", ResultsFile, rec.err))
	}
	meta.Warnings = warnings
	outc.Meta = meta
	rep := agg.Report(meta, slo)
	outc.Report = rep
	if err := reports.WriteMeta(metaPath, meta); err != nil {
		return outc, fmt.Errorf("output directory %s: %w", out, err)
	}
	if err := reports.WriteAll(out, rep, agg); err != nil {
		return outc, fmt.Errorf("output directory %s: writing reports: %w", out, err)
	}
	if rec.err != nil {
		return outc, fmt.Errorf("output directory %s: %w", out, rec.err)
	}
	return outc, nil
}

// attackWorkers picks vegeta's initial and maximum workers: the closed
// model's concurrency, else the attack's per-connection cap.
func attackWorkers(a *Attack, p Pacer) (uint64, uint64) {
	if c, ok := p.(*Closed); ok {
		return uint64(c.Concurrency), uint64(c.Concurrency)
	}
	return a.Workers()
}

// warmupPacer is the pace of the warm-up: the plan's mean rate (the closed
// model's concurrency) for d.
func warmupPacer(p Pacer, d time.Duration) (Pacer, error) {
	switch q := p.(type) {
	case *Closed:
		var capRate float64
		if q.cap != nil {
			capRate = q.cap.PeakRate()
		}
		return NewClosed(q.Concurrency, d, capRate)
	case *Schedule:
		return Constant(q.MeanRate(), d)
	}
	return nil, fmt.Errorf("load: unknown pacer %T", p)
}

// progressLine is the live line: elapsed/total, requests, achieved rate,
// current p99, error rate, agents alive.
func progressLine(l reports.Live, elapsed, total time.Duration, p *Pool) string {
	rate := l.Rate
	if rate == 0 && elapsed > 0 {
		rate = float64(l.Requests) / elapsed.Seconds()
	}
	return fmt.Sprintf("%s/%s  requests %d  rate %.1f/s  p99 %s  errors %.2f%%  agents %d/%d alive",
		fmtDur(min(elapsed, total)), fmtDur(total), l.Requests, rate, fmtLatency(l.P99), l.ErrorRate*100, p.Alive(), p.Live())
}
