package load

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/load/agents"
	"ccgw-harness/metrics"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
	"ccgw-harness/reports/render"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// Files a run writes into its output directory besides those of
// render.WriteRun.
const (
	// ResultsFile holds the judged results that make report.json's top
	// level (the measured logininfo requests), vegeta gob-encoded.
	ResultsFile = results.ResultsFile
	// CallsFile holds the agents' own calls (sign-in, forced sign-in, event
	// polls, sign-out, Guid refresh), judged, in the same encoding.
	CallsFile = results.CallsFile
	// MetaFile holds the run's metadata (results.Meta).
	MetaFile = results.MetaFile
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
	shard     pace.Shard          // WithShard
	runID     string              // WithRunID
	gate      StartGate           // WithStartGate
	stop      <-chan Stop         // WithStop
	agg       *reports.Aggregator // WithAggregator
	metrics   *metrics.Metrics
}

// WithConfirm gives the name the operator typed with --confirm; a target
// marked production runs only when it is the target's name.
func WithConfirm(name string) Option { return func(c *runConfig) { c.confirm = name } }

// WithProgress prints the run's progress and log lines through p (nil:
// silent).
func WithProgress(p *Progress) Option { return func(c *runConfig) { c.progress = p } }

// WithSLO sets the objectives the run is judged by (config.File.SLOFor),
// every one a gate. Without it only the default gates apply (contract
// violations and generator saturation). NewJob refuses an objective that
// means nothing in the run (slo.Objectives.CheckMode).
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
	Meta results.Meta
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

// CheckRails applies the safety rails to plan p against target t without
// running anything: allow_load, and production only with --confirm (the
// target's name as confirm). A refusal is a *RefusedError.
func CheckRails(t *config.Target, p *config.Plan, confirm string) error {
	if !t.AllowLoad {
		return &RefusedError{Reason: fmt.Sprintf("target %s does not allow load: load runs are refused against targets without allow_load: true (set it in the targets file only for a gateway meant to take load)", t.Name)}
	}
	if t.Production && confirm != t.Name {
		return &RefusedError{Reason: fmt.Sprintf("target %s is marked production: repeat its name with --confirm %s to run plan %s against it", t.Name, t.Name, p.Name)}
	}
	return nil
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
	state    jobState     // what Status reads
}

// NewJob checks plan p against target t (with the --rate/--duration
// overrides of opts applied to a copy of p), without any network: the
// safety rails (see CheckRails), the pace and the target's max_rate, the order,
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
	if err := CheckRails(t, &j.plan, j.rc.confirm); err != nil {
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
// holds the agents' generated password), on a Session. In stages:
//
//   - Open: the results files, meta.json, the attack's transport, the agent
//     pool and its keep-alive (no network yet);
//   - SignIn: every agent signs in (bounded concurrency, forced sign-in
//     after 100-002 when allowed), then keep-alive polling and re-sign-in
//     start;
//   - WarmUp: the attack's connections are opened and the unmeasured
//     warm-up runs;
//   - the start gate, if any (WithStartGate);
//   - measure: the measured Attack, its results streamed through the judge
//     into results.bin and the aggregator, until the plan ends or ctx is
//     cancelled (SIGINT: requests under way finish and are kept, and
//     Meta.Interrupted is set); for a journey plan instead the journeys
//     (see journeys), which sign their agents in and out themselves, so
//     SignIn and WarmUp do not run;
//   - finish: every agent signs out (on every path, failures included, see
//     Session.Close), then meta.json and the reports are written.
//
// The error is nil whenever the reports were written, whatever the verdict
// (Outcome.Report.Pass) and also after an interruption.
func (j *Job) Run(ctx context.Context, c *gateway.Client, t *config.Target) (*Outcome, error) {
	defer j.setStage(metrics.StageDone)
	ctx, sw, release := j.watchStop(ctx)
	defer release()
	s, err := j.open(c, t)
	if err != nil {
		return nil, err
	}
	outc := &Outcome{Dir: j.out}
	defer func() {
		s.Close(ctx)
		outc.SignOut = s.signOutSum
	}()
	if j.journey != nil {
		if err := s.waitStart(ctx, j.rc.gate); err != nil {
			return j.abort(ctx, s, outc, sw, err)
		}
		j.setStage(metrics.StageMeasure)
		if err := s.measureJourneys(ctx, j.journey, c, t); err != nil {
			return outc, err
		}
		j.setStage(metrics.StageFinish)
		return j.finish(ctx, s, outc, sw)
	}
	j.setStage(metrics.StageSignIn)
	sum, err := s.SignIn(ctx)
	outc.SignIn = sum
	if err != nil {
		return outc, err
	}
	j.setStage(metrics.StageWarmUp)
	if err := s.WarmUp(ctx); err != nil {
		return outc, err
	}
	if err := s.waitStart(ctx, j.rc.gate); err != nil {
		return j.abort(ctx, s, outc, sw, err)
	}
	j.setStage(metrics.StageMeasure)
	if err := j.measure(ctx, s, outc); err != nil {
		return outc, err
	}
	j.setStage(metrics.StageFinish)
	return j.finish(ctx, s, outc, sw)
}

// open opens the job's session, counting into the WithAggregator
// aggregator when given, and makes it what Status reads. On error nothing
// is left open.
func (j *Job) open(c *gateway.Client, t *config.Target) (*Session, error) {
	if t.Name != j.target {
		return nil, fmt.Errorf("load: job for target %s run against target %s", j.target, t.Name)
	}
	list, err := j.agentList(t)
	if err != nil {
		return nil, refused(err, "%v", err)
	}
	s, err := Open(c, t, Spec{
		Plan: &j.plan, Agents: list, Pace: j.pacer, Out: j.out, Warnings: j.warnings,
		SLO: j.rc.slo, Progress: j.rc.progress, Metrics: j.rc.metrics, OnAttack: j.rc.onStarted,
		Aggregator: j.rc.agg,
		Meta: func(m *results.Meta) {
			if jp := j.journey; jp != nil {
				// A journey plan requests no logininfo rate: its rate is the
				// journeys started per second, its length the arrivals plus a
				// hold.
				m.RequestedRate = 0
				m.PlannedDuration = j.pacer.Duration() + jp.Hold
				m.Journeys, m.JourneyRate = int(jp.Journeys), pace.MeanRate(j.pacer)
				m.JourneyHold, m.JourneyRepeat = jp.Hold, jp.Repeat
			}
			j.shardMeta(m)
		},
	})
	if err != nil {
		return nil, err
	}
	s.onStart = func(start time.Time) { j.state.started.Store(start.UnixNano()) }
	j.state.pool.Store(s.pool)
	return s, nil
}

// measure runs the measured attack and records every result.
func (j *Job) measure(ctx context.Context, s *Session, outc *Outcome) error {
	if s.interrupted || ctx.Err() != nil {
		s.interrupted = true
		return nil
	}
	s.meta.Started = time.Now()
	s.meta.Warnings = s.warnings
	if err := results.WriteMeta(s.metaPath, s.meta); err != nil {
		return fmt.Errorf("output directory %s: %w", s.out, err)
	}
	a, err := s.Attack(ctx, s.pacer, Tap{})
	if err != nil {
		return err
	}
	s.meta.Started = a.Start
	s.interrupted = ctx.Err() != nil
	outc.Sent = a.Sent
	return nil
}

// finish signs every agent out, closes the results files and writes
// meta.json and the reports; a run ended by a Stop (sw) says so in
// meta.json.
func (j *Job) finish(ctx context.Context, s *Session, outc *Outcome, sw *stopWatch) (*Outcome, error) {
	e := s.End(ctx)
	outc.SignOut = e.SignOut
	outc.Calls = e.Calls
	outc.Recorded = outc.Calls[gateway.CallLoginInfo]
	outc.Polls, outc.Rotations = s.keep.Polls(), s.keep.Rotations()
	if js := s.journeys; js != nil {
		outc.Polls, outc.Rotations = js.polls.Load(), js.rotations.Load()
		outc.Sent = uint64(js.loginInfos.Load())
		if n := js.waited.Load(); n > 0 {
			s.Warn(fmt.Sprintf("%d journeys started late: every agent was on a journey (sign-in or sign-out slower than planned); add agents", n))
		}
	}
	s.meta.Connections = e.Connections
	s.meta.ReSignIns = e.ReSignIns
	if st := sw.stop(); st != nil {
		// Stopped from outside: aborted, and interrupted only when the
		// caller's context ended too.
		s.meta.Aborted, s.meta.AbortedBy = st.Reason, st.By
		s.interrupted = sw.parent.Err() != nil
	}
	s.meta.Interrupted = s.interrupted
	s.meta.Sent, s.meta.Recorded = outc.Sent, outc.Recorded
	if n := e.ReSignInFailures; n > 0 {
		s.Warn(fmt.Sprintf("%d re-sign-in attempts failed", n))
	}
	if outc.SignOut.Failed > 0 {
		s.Warn(fmt.Sprintf("%d agents could not be signed out: %s", outc.SignOut.Failed, outc.SignOut))
	}
	if e.ResultsErr != nil {
		s.Warn(fmt.Sprintf("the results files are incomplete: %v", e.ResultsErr))
	}
	s.meta.Warnings = s.warnings
	outc.Meta = s.meta
	outc.Report = s.agg.Report(s.meta, *s.meta.SLO)
	if err := results.WriteMeta(s.metaPath, s.meta); err != nil {
		return outc, fmt.Errorf("output directory %s: %w", s.out, err)
	}
	if err := render.WriteRun(s.out, outc.Report, s.agg); err != nil {
		return outc, fmt.Errorf("output directory %s: writing reports: %w", s.out, err)
	}
	if e.ResultsErr != nil {
		return outc, fmt.Errorf("output directory %s: %w", s.out, e.ResultsErr)
	}
	return outc, nil
}
