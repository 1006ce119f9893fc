package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/load/agents"
	"ccgw-harness/metrics"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
	"ccgw-harness/slo"
)

// Files a run writes into its output directory besides those of
// reports.WriteAll.
const (
	// ResultsFile holds the judged results that make report.json's top
	// level (the measured logininfo requests), vegeta gob-encoded.
	ResultsFile = reports.ResultsFile
	// CallsFile holds the agents' own calls (sign-in, forced sign-in, event
	// polls, sign-out, Guid refresh), judged, in the same encoding.
	CallsFile = reports.CallsFile
	// MetaFile holds the run's metadata (reports.Meta).
	MetaFile = reports.MetaFile
)

// Option configures Run.
type Option func(*runConfig)

type runConfig struct {
	confirm   string
	progress  *Progress
	slo       slo.Objectives
	rate      float64
	duration  time.Duration
	onStarted func()
	shard     pace.Shard // WithShard
	runID     string     // WithRunID
	gate      StartGate  // WithStartGate
	metrics   *metrics.Metrics
	require   float64 // WithRequire (capacity searches)
}

// WithConfirm gives the name the operator typed with --confirm; a target
// marked production runs only when it is the target's name.
func WithConfirm(name string) Option { return func(c *runConfig) { c.confirm = name } }

// WithProgress prints the run's progress and log lines through p (nil:
// silent).
func WithProgress(p *Progress) Option { return func(c *runConfig) { c.progress = p } }

// WithSLO sets the objectives the run is judged by (config.File.SLOFor),
// every one a gate. Without it only the default gates apply (contract
// violations and generator saturation). NewJob and NewCapacityJob refuse
// an objective that means nothing in the run (slo.Objectives.CheckMode).
func WithSLO(o slo.Objectives) Option { return func(c *runConfig) { c.slo = o.Clone() } }

// WithRate overrides the plan's rate (see config.Plan.Override).
func WithRate(r float64) Option { return func(c *runConfig) { c.rate = r } }

// WithDuration overrides the plan's duration (see config.Plan.Override).
func WithDuration(d time.Duration) Option { return func(c *runConfig) { c.duration = d } }

// WithAttackStarted calls f just before the measured attack starts (after
// sign-in and warm-up), on the run's goroutine: f must not block. For tests
// that act on a running attack.
func WithAttackStarted(f func()) Option { return func(c *runConfig) { c.onStarted = f } }

// Outcome is what a run produced.
type Outcome struct {
	// Report is the run's report (nil when the run was refused before it
	// started). Report.Pass is the SLO verdict.
	Report *reports.Report
	// Meta is the run's metadata as written to meta.json.
	Meta reports.Meta
	// Dir is the output directory.
	Dir     string
	SignIn  agents.SignInSummary
	SignOut agents.SignOutSummary
	// Sent is the number of logininfo requests the measured part made (the
	// attack's targets, or the journeys' logininfo calls); Recorded the
	// number of logininfo results written to results.bin. They are equal
	// unless writing failed.
	Sent, Recorded uint64
	// Calls counts the results written per call name (logininfo, signin,
	// poll, logout...; logininfo to results.bin, the others to calls.bin):
	// every call the run made.
	Calls map[string]uint64
	// Polls and Rotations count the keep-alive's event polls and the Guid
	// switches they brought.
	Polls, Rotations int64
}

// RefusedError is a run refused by a safety rail (allow_load, production
// without --confirm) or by a check before anything was sent.
type RefusedError struct {
	// Reason says why, naming the target, plan, flag or directory.
	Reason string
	// Err is the cause, when the refusal comes from an error (nil for a
	// safety rail).
	Err error
}

// Error implements error.
func (e *RefusedError) Error() string { return e.Reason }

// Unwrap returns the cause.
func (e *RefusedError) Unwrap() error { return e.Err }

// refused is a RefusedError whose reason is the formatted text and whose
// cause is err.
func refused(err error, format string, args ...any) *RefusedError {
	return &RefusedError{Reason: fmt.Sprintf(format, args...), Err: err}
}

// checkRails applies the safety rails to a plan against a target without running
// anything: allow_load, production with --confirm, and the plan's shape.
func checkRails(t *config.Target, p *config.Plan, confirm string) error {
	if !t.AllowLoad {
		return &RefusedError{Reason: fmt.Sprintf("target %s does not allow load: load runs are refused against targets without allow_load: true (set it in the targets file only for a gateway meant to take load)", t.Name)}
	}
	if t.Production && confirm != t.Name {
		return &RefusedError{Reason: fmt.Sprintf("target %s is marked production: repeat its name with --confirm %s to run plan %s against it", t.Name, t.Name, p.Name)}
	}
	return nil
}

// unwrapPath is a path error's cause, for messages that name the path
// already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// prepareOut is reports.PrepareDir, refused when it fails.
func prepareOut(dir string) error {
	if err := reports.PrepareDir(dir); err != nil {
		return &RefusedError{Reason: err.Error(), Err: errors.Unwrap(err)}
	}
	return nil
}

// Job is a load run that passed every check that needs no gateway: the
// safety rails, the plan's shape and pace, the agents it needs, and a
// writable output directory. Run it with Job.Run once the target is up.
type Job struct {
	rc       runConfig
	target   string // the target's name, for the attack and the reports
	plan     config.Plan
	pacer    pace.Pacer
	plan0    pace.Pacer // the whole plan's pace (pacer is this shard's part of it)
	order    agents.Order
	out      string
	warnings []string     // planning warnings for the summary
	journey  *JourneyPlan // a journey plan's resolution; nil: a logininfo rate plan
}

// NewJob checks plan p against target t (with the --rate/--duration
// overrides of opts applied to a copy of p), without any network: the
// safety rails (see Check), the pace and the target's max_rate, the order,
// that t has the agents p needs, that every objective means something in
// the run (a ready objective needs a journey plan), and that out can be
// written. Every
// refusal is a *RefusedError naming what to fix.
func NewJob(t *config.Target, p *config.Plan, out string, opts ...Option) (*Job, error) {
	j := &Job{target: t.Name, plan: *p, out: out}
	for _, o := range opts {
		o(&j.rc)
	}
	if p.Capacity != nil {
		return nil, &RefusedError{Reason: fmt.Sprintf("plan %s is a capacity search (key capacity): run it with ccgw capacity --plan %s, not as a load plan", p.Name, p.Name)}
	}
	if err := j.plan.Override(j.rc.rate, j.rc.duration); err != nil {
		return nil, refused(err, "%v", err)
	}
	if err := checkRails(t, &j.plan, j.rc.confirm); err != nil {
		return nil, err
	}
	var err error
	if j.pacer, j.warnings, err = pace.ForPlan(&j.plan, t.MaxRate); err != nil {
		return nil, refused(err, "%v", err)
	}
	if err := j.shardPace(t); err != nil {
		return nil, err
	}
	if j.order, err = agents.ParseOrder(j.plan.Order); err != nil {
		return nil, refused(err, "plan %s: %v", j.plan.Name, err)
	}
	if _, err := j.agentList(t); err != nil {
		return nil, refused(err, "%v", err)
	}
	mode := slo.ModeRate
	if j.plan.Journey != nil {
		mode = slo.ModeJourney
	}
	if err := j.rc.slo.CheckMode(mode); err != nil {
		return nil, refused(err, "plan %s: %v", j.plan.Name, err)
	}
	if j.plan.Journey != nil {
		if j.plan.Warmup > 0 {
			return nil, refused(nil, "plan %s: warmup does not apply to a journey plan: its journeys start cold, as agents do at a shift start", j.plan.Name)
		}
		if j.journey, err = PlanJourneys(&j.plan, j.pacer, t, j.plan.Agents); err != nil {
			return nil, refused(err, "%v", err)
		}
	}
	if t.TLS.InsecureSkipVerify {
		j.warnings = append(j.warnings, fmt.Sprintf("TLS certificate verification is OFF for target %s (tls.insecure_skip_verify): the gateway was not authenticated", t.Name))
	}
	if err := prepareOut(out); err != nil {
		return nil, err
	}
	return j, nil
}

// Run runs plan p against target t through client c and writes its reports
// into out: NewJob, then Job.Run.
func Run(ctx context.Context, c *gateway.Client, t *config.Target, p *config.Plan, out string, opts ...Option) (*Outcome, error) {
	j, err := NewJob(t, p, out, opts...)
	if err != nil {
		return nil, err
	}
	return j.Run(ctx, c, t)
}

// Run runs the job through client c against t, the configuration of the
// running target (for an embedded mock, the one connect.Open returns, which
// holds the agents' generated password). In stages:
//
//   - open: the results files, meta.json, the attack's transport, the agent
//     pool and its keep-alive (no network yet);
//   - signIn: every agent signs in (bounded concurrency, forced sign-in
//     after 100-002 when allowed), then keep-alive polling and re-sign-in
//     start;
//   - warmUp: the attack's connections are opened and the unmeasured
//     warm-up runs;
//   - measure: the measured attack, its results streamed through the judge
//     into results.bin and the aggregator, until the plan ends or ctx is
//     cancelled (SIGINT: requests under way finish and are kept, and
//     Meta.Interrupted is set); for a journey plan instead the journeys
//     (see journeys), which sign their agents in and out themselves, so
//     signIn and warmUp do nothing;
//   - finish: every agent signs out (on every path, failures included, see
//     run.close), then meta.json and the reports are written.
//
// The error is nil whenever the reports were written, whatever the verdict
// (Outcome.Report.Pass) and also after an interruption.
func (j *Job) Run(ctx context.Context, c *gateway.Client, t *config.Target) (*Outcome, error) {
	defer j.rc.metrics.SetStage(metrics.StageDone)
	r, err := j.open(c, t)
	if err != nil {
		return nil, err
	}
	defer r.close(ctx)
	if j.journey != nil {
		if err := r.waitStart(ctx); err != nil {
			return r.abort(ctx, err)
		}
		j.rc.metrics.SetStage(metrics.StageMeasure)
		if err := r.measureJourneys(ctx, c, t); err != nil {
			return r.outc, err
		}
		j.rc.metrics.SetStage(metrics.StageFinish)
		return r.finish(ctx)
	}
	j.rc.metrics.SetStage(metrics.StageSignIn)
	if err := r.signIn(ctx); err != nil {
		return r.outc, err
	}
	j.rc.metrics.SetStage(metrics.StageWarmUp)
	if err := r.warmUp(ctx); err != nil {
		return r.outc, err
	}
	if err := r.waitStart(ctx); err != nil {
		return r.abort(ctx, err)
	}
	j.rc.metrics.SetStage(metrics.StageMeasure)
	if err := r.measure(ctx); err != nil {
		return r.outc, err
	}
	j.rc.metrics.SetStage(metrics.StageFinish)
	return r.finish(ctx)
}

// run is a Job under way: what its stages share.
type run struct {
	*Job
	log         *Progress
	meta        reports.Meta
	metaPath    string
	agg         *reports.Aggregator
	rec         *recorder
	calls       *agents.Calls // the agents' own calls into rec
	attack      *attacker
	agentTr     *http.Transport // the agents' own connections (nil: the caller's client)
	pool        *agents.Pool
	keep        *agents.KeepAlive
	tg          *agents.Targeter // nil until the agents are signed in
	journeys    *journeys        // a journey plan's stage; nil otherwise
	outc        *Outcome
	interrupted bool
	signedOut   bool
	agreed      time.Time // the start instant of the run's gate (zero: none)
	live        liveRun   // what the live metrics read
}

// name is the vegeta attack name of the run's results: "target/plan".
func (r *run) name() string { return r.target + "/" + r.plan.Name }

// open builds what the run needs before anyone signs in. On error nothing
// is left open.
func (j *Job) open(c *gateway.Client, t *config.Target) (_ *run, err error) {
	if t.Name != j.target {
		return nil, fmt.Errorf("load: job for target %s run against target %s", j.target, t.Name)
	}
	list, err := j.agentList(t)
	if err != nil {
		return nil, refused(err, "%v", err)
	}
	r := &run{Job: j, log: j.rc.progress, agg: reports.NewAggregator(), outc: &Outcome{Dir: j.out},
		metaPath: filepath.Join(j.out, MetaFile)}
	defer func() {
		if err != nil {
			r.close(context.Background())
		}
	}()
	if r.rec, err = newRecorder(j.out, r.agg, true); err != nil {
		return nil, refused(err, "output directory %s: cannot create its results files: %v", j.out, err)
	}
	r.calls = agents.NewCalls(r.rec.record, r.name())
	if r.attack, err = newAttacker(c, withConnections(j.plan.Connections), withAttackHTTP2(j.plan.HTTP2), withRequestTimeout(j.plan.Timeout)); err != nil {
		return nil, err
	}
	objs := j.rc.slo.Clone()
	r.meta = reports.Meta{
		Target: j.target, Plan: j.plan.Name, Profile: j.plan.Profile(),
		RequestedRate:   pace.MeanRate(j.pacer),
		PlannedDuration: j.pacer.Duration(),
		Agents:          len(list),
		Connections:     r.attack.Connections(),
		HTTP2:           j.plan.HTTP2,
		TLSVerify:       !t.TLS.InsecureSkipVerify,
		SLO:             &objs,
		NoPassword:      t.Agents.NoPassword,
	}
	if jp := j.journey; jp != nil {
		// A journey plan requests no logininfo rate: its rate is the
		// journeys started per second, its length the arrivals plus a hold.
		r.meta.RequestedRate = 0
		r.meta.PlannedDuration = j.pacer.Duration() + jp.Hold
		r.meta.Journeys, r.meta.JourneyRate = int(jp.Journeys), pace.MeanRate(j.pacer)
		r.meta.JourneyHold, r.meta.JourneyRepeat = jp.Hold, jp.Repeat
	}
	j.shardMeta(&r.meta)
	if err := reports.WriteMeta(r.metaPath, r.meta); err != nil {
		return nil, refused(err, "output directory %s: %v", j.out, err)
	}
	// The agents' own calls (sign-in, polls, sign-out) share one
	// connection pool, apart from the attack's.
	ac, atr, err := agents.NewClient(c, len(list)+16, gateway.WithObserver(r.calls.Observe))
	if err != nil {
		return nil, err
	}
	r.agentTr = atr
	if r.pool, err = agents.NewPool(ac, list, agents.WithForceLogin(t.ForceLogin), agents.WithSignInConcurrency(j.plan.SignInConcurrency),
		agents.WithSignInFields(j.plan.SignIn), agents.WithCalls(r.calls)); err != nil {
		return nil, refused(err, "%v", err)
	}
	if r.keep, err = agents.NewKeepAlive(r.pool, ac, t); err != nil {
		return nil, err
	}
	r.rec.obs = j.rc.metrics.Observer()
	r.live.attach(r)
	r.warnings = append([]string(nil), j.warnings...)
	for _, w := range r.keep.Warnings() {
		if j.journey != nil && strings.Contains(w, "concurrent") {
			continue // journeys poll as clients do, one poll per holding agent: no slots
		}
		r.warnings = append(r.warnings, w)
	}
	for _, w := range r.warnings {
		r.log.Logf("warning: %s", w)
	}
	return r, nil
}

// signIn signs the agents in and starts keeping them alive. An
// interruption is not an error (the run goes on to finish); too many
// failed sign-ins is.
func (r *run) signIn(ctx context.Context) error {
	r.log.Logf("signing in %d agents of target %s (%d at once)", r.pool.Size(), r.target, r.pool.SignInConcurrency())
	r.log.Show(func() string {
		done, failed, total := r.pool.SignInProgress()
		return fmt.Sprintf("signing in: %d/%d done, %d failed", done, total, failed)
	})
	sum, err := r.pool.SignIn(ctx)
	r.log.Hide()
	r.outc.SignIn = sum
	r.meta.AgentsFailed = sum.Failed
	r.log.Logf("sign-in: %s", sum)
	if err != nil {
		r.interrupted = true
		return nil
	}
	if err := sum.Check(r.plan.MaxSignInFailures); err != nil {
		return err
	}
	if r.tg, err = r.pool.Targeter(r.order); err != nil {
		return err
	}
	r.pool.StartReSignIn()
	r.keep.Start(ctx)
	return nil
}

// warmUp opens the attack's connections and runs the plan's unmeasured
// warm-up (its own targeter: its hits are not the measured attack's); its
// answers only feed lost sessions back to the pool.
func (r *run) warmUp(ctx context.Context) error {
	if r.interrupted || r.plan.Warmup <= 0 || ctx.Err() != nil {
		return nil
	}
	r.log.Logf("warming up %d connections for %s", r.attack.Connections(), r.plan.Warmup)
	warm := r.tg.Fresh()
	r.attack.WarmConnections(ctx, warm.Targeter(), r.pool.FeedbackResult)
	p, err := pace.Warmup(r.pacer, r.plan.Warmup)
	if err != nil {
		return err
	}
	_, results := r.attack.Attack(ctx, r.name()+"/warmup", warm.Targeter(), p)
	for res := range results {
		r.pool.FeedbackResult(res)
	}
	r.interrupted = ctx.Err() != nil
	return nil
}

// measure runs the measured attack and records every result.
func (r *run) measure(ctx context.Context) error {
	if r.interrupted || ctx.Err() != nil {
		r.interrupted = true
		return nil
	}
	r.meta.Started = time.Now()
	r.meta.Warnings = r.warnings
	if err := reports.WriteMeta(r.metaPath, r.meta); err != nil {
		return fmt.Errorf("output directory %s: %w", r.out, err)
	}
	total, shown := r.pacer.Duration(), time.Now()
	r.log.Show(func() string { return progressLine(r.agg.Snapshot(), time.Since(shown), total, r.pool) })
	// The live metrics show the plan from now on (the start is set again
	// once the attack has taken it), so that whoever watches the attack
	// start (onStarted) sees its planned rate.
	r.live.measuring(r.pacer, time.Now())
	if r.rc.onStarted != nil {
		r.rc.onStarted()
	}
	pace, from := r.attackPace(time.Now())
	start, results := r.attack.Attack(ctx, r.name(), r.tg.Targeter(), pace)
	if !from.IsZero() {
		start = from // the schedule counts from the agreed start
	}
	r.meta.Started = start
	r.live.measuring(r.pacer, start)
	r.rec.drain(newJudge(r.pool, r.pacer, start), results)
	r.live.measured()
	r.log.Hide()
	r.interrupted = ctx.Err() != nil
	r.outc.Sent = r.tg.Hits()
	return nil
}

// finish signs every agent out, closes the results files and writes
// meta.json and the reports.
func (r *run) finish(ctx context.Context) (*Outcome, error) {
	r.signOut(ctx) // before closing the results: the sign-outs are results too
	r.rec.close()
	r.outc.Calls = r.rec.counts()
	r.outc.Recorded = r.outc.Calls[gateway.CallLoginInfo]
	r.outc.Polls, r.outc.Rotations = r.keep.Polls(), r.keep.Rotations()
	if js := r.journeys; js != nil {
		r.outc.Polls, r.outc.Rotations = js.polls.Load(), js.rotations.Load()
		r.outc.Sent = uint64(js.loginInfos.Load())
		if n := js.waited.Load(); n > 0 {
			r.warnings = append(r.warnings, fmt.Sprintf("%d journeys started late: every agent was on a journey (sign-in or sign-out slower than planned); add agents", n))
		}
	}
	r.meta.Connections = r.attack.Dialed()
	r.meta.ReSignIns = r.pool.ReSignIns()
	r.meta.Interrupted = r.interrupted
	r.meta.Sent, r.meta.Recorded = r.outc.Sent, r.outc.Recorded
	if n := r.pool.ReSignInFailures(); n > 0 {
		r.warnings = append(r.warnings, fmt.Sprintf("%d re-sign-in attempts failed", n))
	}
	if r.outc.SignOut.Failed > 0 {
		r.warnings = append(r.warnings, fmt.Sprintf("%d agents could not be signed out: %s", r.outc.SignOut.Failed, r.outc.SignOut))
	}
	if r.rec.err != nil {
		r.warnings = append(r.warnings, fmt.Sprintf("the results files are incomplete: %v", r.rec.err))
	}
	r.meta.Warnings = r.warnings
	r.outc.Meta = r.meta
	r.outc.Report = r.agg.Report(r.meta, *r.meta.SLO)
	if err := reports.WriteMeta(r.metaPath, r.meta); err != nil {
		return r.outc, fmt.Errorf("output directory %s: %w", r.out, err)
	}
	if err := reports.WriteAll(r.out, r.outc.Report, r.agg); err != nil {
		return r.outc, fmt.Errorf("output directory %s: writing reports: %w", r.out, err)
	}
	if r.rec.err != nil {
		return r.outc, fmt.Errorf("output directory %s: %w", r.out, r.rec.err)
	}
	return r.outc, nil
}

// signOut stops the keep-alive and signs every agent out, once. It runs on
// a context detached from ctx's cancellation (see Pool.SignOut).
func (r *run) signOut(ctx context.Context) {
	if r.signedOut || r.pool == nil {
		return
	}
	r.signedOut = true
	r.log.Hide()
	if r.keep != nil {
		r.keep.Stop()
	}
	r.outc.SignOut = r.pool.SignOut(ctx)
	r.log.Logf("sign-out: %s", r.outc.SignOut)
}

// close releases everything the run holds, on every path: agents signed
// out, the results files closed, connections closed. It may be called more
// than once.
func (r *run) close(ctx context.Context) {
	r.signOut(ctx)
	r.live.detach()
	if r.rec != nil {
		r.rec.close()
	}
	if r.attack != nil {
		r.attack.Close()
	}
	if r.agentTr != nil {
		r.agentTr.CloseIdleConnections()
	}
}

// progressLine is the live line: elapsed/total, requests, achieved rate,
// current p99, error rate, agents alive.
func progressLine(l reports.Live, elapsed, total time.Duration, p *agents.Pool) string {
	rate := l.Rate
	if rate == 0 && elapsed > 0 {
		rate = float64(l.Requests) / elapsed.Seconds()
	}
	return fmt.Sprintf("%s/%s  requests %d  rate %.1f/s  p99 %s  errors %.2f%%  agents %d/%d alive",
		fmtDur(min(elapsed, total)), fmtDur(total), l.Requests, rate, fmtLatency(l.P99), l.ErrorRate*100, p.Alive(), p.Live())
}
