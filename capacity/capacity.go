package capacity

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/internal/human"
	"ccgw-harness/load"
	"ccgw-harness/load/agents"
	"ccgw-harness/metrics"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
	"ccgw-harness/reports/render"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// Where a capacity search writes, inside its output directory, besides
// render.WriteCapacity's files.
const (
	// stepsDir holds one directory per step, named NN-RATE (01-100,
	// 05-612.5): its results.bin (its logininfo results), meta.json and
	// reports; no calls.bin (the agents' calls span the steps).
	stepsDir = "steps"
	// MergedDir holds results.bin (every step's logininfo results),
	// calls.bin (the agents' own calls over the whole search) and meta.json.
	MergedDir = "merged"
)

// stepGraceMin is the least time a capacity step may run past its length
// before it is cut (a generator behind its schedule catches up in it); see
// stepBound.
const stepGraceMin = 2 * time.Second

// Search is a capacity search (a plan with a capacity block) that passed
// every check that needs no gateway: the safety rails, the search
// settings, the target's max_rate, the agents, objectives that mean
// something in a step, and a writable output directory. Run it with
// Search.Run once the target is up.
//
// The search runs on one load.Session: agents signed in once and kept
// alive for the whole search, one warm-up; then steps, each a measured
// attack at a constant rate for the plan's step length, judged on its own
// results and written to its own directory, with the gateway drained
// between two steps (see drainer); then the end, which signs every agent
// out on every path and writes capacity.json, summary.txt, report.html and
// junit.xml.
type Search struct {
	opts     options
	target   string // the target's name
	plan     config.Plan
	pacer    pace.Pacer // the start rate for one step: what the warm-up loads like
	settings Settings
	step     time.Duration
	dir      string
	slo      slo.Objectives // every step's gates: the plan's, saturation not gated (see judgeStep)
	warnings []string
}

// New checks the capacity plan p against target t without any network,
// like load.NewJob; out is the search's output directory. The target's
// max_rate caps the search's max (a start above it is refused). Every
// refusal is a *load.RefusedError naming what to fix; so is a journey
// plan (a step runs logininfo at one rate, not journeys) and an objective
// that means nothing in a step (slo.ModeCapacity: ready_ and calls: keys),
// named.
func New(t *config.Target, p *config.Plan, out string, opts ...Option) (*Search, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if p.Capacity == nil {
		return nil, &load.RefusedError{Reason: fmt.Sprintf("plan %s has no capacity block: a capacity search needs capacity: {start, max, step, precision} (run a rate plan with ccgw load)", p.Name)}
	}
	if err := load.CheckRails(t, p, o.confirm); err != nil {
		return nil, err
	}
	sr := &Search{opts: o, target: t.Name, plan: *p, settings: settingsOf(p.Capacity), step: p.Capacity.Step, dir: out}
	if err := sr.settings.Validate(); err != nil {
		return nil, refused(err, "plan %s: %v", p.Name, err)
	}
	if sr.step <= 0 {
		return nil, &load.RefusedError{Reason: fmt.Sprintf("plan %s: capacity.step %s: want a positive duration", p.Name, sr.step)}
	}
	if m := t.MaxRate; m > 0 {
		if sr.settings.Start > m {
			return nil, &load.RefusedError{Reason: fmt.Sprintf("plan %s: capacity.start %s/s is above target %s's max_rate %s/s: lower start or raise max_rate", p.Name, formatRate(sr.settings.Start), t.Name, formatRate(m))}
		}
		if sr.settings.Max > m {
			sr.warnings = append(sr.warnings, fmt.Sprintf("plan %s searches up to %s/s, above target %s's max_rate: capped at %s/s", p.Name, formatRate(sr.settings.Max), t.Name, formatRate(m)))
			sr.settings.Max = m
		}
	}
	if _, err := agents.ParseOrder(p.Order); err != nil {
		return nil, refused(err, "plan %s: %v", p.Name, err)
	}
	if _, err := t.AgentList(p.Agents); err != nil {
		return nil, refused(err, "%v", err)
	}
	if t.TLS.InsecureSkipVerify {
		sr.warnings = append(sr.warnings, fmt.Sprintf("TLS certificate verification is OFF for target %s (tls.insecure_skip_verify): the gateway was not authenticated", t.Name))
	}
	if err := o.slo.CheckMode(slo.ModeCapacity); err != nil {
		return nil, refused(err, "plan %s: %v", p.Name, err)
	}
	sr.slo = stepSLO(o.slo)
	sr.warnings = append(sr.warnings, sloWarnings(p, sr.slo, sr.settings.Max)...)
	var err error
	if sr.pacer, err = pace.Constant(sr.settings.Start, sr.step); err != nil {
		return nil, refused(err, "plan %s: %v", p.Name, err)
	}
	for _, dir := range []string{out, filepath.Join(out, MergedDir)} {
		if err := reports.PrepareDir(dir); err != nil {
			return nil, &load.RefusedError{Reason: err.Error(), Err: errors.Unwrap(err)}
		}
	}
	return sr, nil
}

// stepSLO is the SLO every step is judged by: the plan's, with the
// saturation gate off. A step's latency counts from the planned send time,
// so the generator's lag is in it, and whether the generator kept the
// schedule decides the step's validity instead (judgeStep).
func stepSLO(o slo.Objectives) slo.Objectives {
	off := false
	o = o.Clone()
	o.Saturation = &off
	return o
}

// sloWarnings warns about gates that cannot make a search meaningful.
func sloWarnings(p *config.Plan, s slo.Objectives, maxRate float64) []string {
	var ws []string
	if len(s.Latency) == 0 && s.ErrorRate == nil {
		ws = append(ws, fmt.Sprintf("plan %s gates neither latency nor error rate: a step fails only on contract violations, so the search will likely end at max or at the generator's limit", p.Name))
	}
	// Little's law: at rate R a gateway answering within L keeps up to
	// R × L requests in flight, which the attack's workers must hold.
	workers := load.MaxWorkers(p)
	var tight time.Duration
	for _, d := range s.Latency {
		if tight == 0 || d < tight {
			tight = d
		}
	}
	if need := maxRate * tight.Seconds(); tight > 0 && need > float64(workers) {
		ws = append(ws, fmt.Sprintf("at %s/s a gateway answering within %s keeps %.0f requests in flight, more than the %d the attack holds (connections %d): steps above %s/s may be limited by the generator; raise connections",
			formatRate(maxRate), tight, need, workers, p.Connections, formatRate(float64(workers)/tight.Seconds())))
	}
	return ws
}

// Settings returns the search's settings (max capped at the target's
// max_rate).
func (sr *Search) Settings() Settings { return sr.settings }

// Step is how long each step runs.
func (sr *Search) Step() time.Duration { return sr.step }

// Estimate is how long the search takes at most unless a confirmation
// fails: the warm-up and MaxSteps steps (sign-in and the drains between
// steps come on top).
func (sr *Search) Estimate() time.Duration {
	return sr.plan.Warmup + time.Duration(sr.settings.MaxSteps())*sr.step
}

// EstimateText says the estimate for people, before the search starts.
func (sr *Search) EstimateText() string {
	s := sr.settings
	return fmt.Sprintf("capacity search from %s/s up to %s/s (growth ×%s, precision %s%%), %s a step: at most %d steps, about %s with the warm-up, plus drains (more if a confirmation fails)",
		formatRate(s.Start), formatRate(s.Max), formatRate(s.Growth), formatRate(s.Precision*100), sr.step, s.MaxSteps(), human.Duration(sr.Estimate()))
}

// Outcome is what a capacity search produced.
type Outcome struct {
	// Capacity is the result as written to capacity.json (nil when the
	// search was refused before it started).
	Capacity *reports.Capacity
	Dir      string
	SignIn   agents.SignInSummary
	SignOut  agents.SignOutSummary
	// Interrupted: the search was stopped before it ended.
	Interrupted bool
}

// run is a capacity search under way, on its session.
type run struct {
	sr          *Search
	sess        *load.Session
	log         *load.Progress
	drainer     *drainer
	steps       []reports.CapacityStep
	outcomes    []stepOutcome
	answer      searchAnswer
	started     time.Time // the first step's start
	ran         time.Duration
	interrupted bool
	cout        *Outcome
}

// Run runs the search through client c against t, the configuration of the
// running target (as load.Job.Run), on one load.Session: one sign-in and
// warm-up, then a measured attack per step. The error is nil whenever
// capacity.json and the other outputs were written, whatever the answer,
// and also after an interruption (Outcome.Interrupted).
func (sr *Search) Run(ctx context.Context, c *gateway.Client, t *config.Target) (*Outcome, error) {
	m := sr.opts.metrics
	defer m.SetStage(metrics.StageDone)
	if t.Name != sr.target {
		return nil, fmt.Errorf("load: job for target %s run against target %s", sr.target, t.Name)
	}
	list, err := t.AgentList(sr.plan.Agents)
	if err != nil {
		return nil, refused(err, "%v", err)
	}
	sess, err := load.Open(c, t, load.Spec{
		Plan: &sr.plan, Agents: list, Pace: sr.pacer, Out: filepath.Join(sr.dir, MergedDir), Warnings: sr.warnings,
		SLO: sr.slo, Progress: sr.opts.progress, Metrics: m, OnAttack: sr.opts.onStep,
		Meta: func(m *results.Meta) {
			// The merged results carry every step's rate: no one requested rate.
			m.RequestedRate, m.PlannedDuration, m.LatencyFromPlanned = 0, 0, true
		},
	})
	if err != nil {
		return nil, err
	}
	defer sess.Close(ctx)
	cr := &run{sr: sr, sess: sess, log: sr.opts.progress, cout: &Outcome{Dir: sr.dir}}
	cr.log.Logf("%s", sr.EstimateText())
	m.SetStage(metrics.StageSignIn)
	sum, err := sess.SignIn(ctx)
	cr.cout.SignIn = sum
	if err != nil {
		return cr.cout, err
	}
	m.SetStage(metrics.StageWarmUp)
	if err := sess.WarmUp(ctx); err != nil {
		return cr.cout, err
	}
	m.SetStage(metrics.StageMeasure)
	if err := cr.search(ctx); err != nil {
		return cr.cout, err
	}
	m.SetStage(metrics.StageFinish)
	return cr.finish(ctx)
}

// search runs steps as nextStep decides until it is done, the context ends
// or a step cannot be written.
func (cr *run) search(ctx context.Context) error {
	if cr.sess.Interrupted() || ctx.Err() != nil {
		cr.interrupted = true
		return nil
	}
	cr.drainer = &drainer{probe: cr.sess.Probe}
	cr.drainer.measureIdle(ctx)
	cr.log.Logf("idle gateway: probes answered in %s (drain threshold %s)", human.Latency(cr.drainer.idle), human.Latency(cr.drainer.threshold()))
	d := nextStep(cr.sr.settings, nil)
	for !d.Done {
		if ctx.Err() != nil {
			cr.interrupted = true
			return nil
		}
		st, oc, err := cr.runStep(ctx, len(cr.steps)+1, d.Rate, d.Phase)
		if err != nil {
			return err
		}
		if st.Interrupted {
			cr.steps = append(cr.steps, st)
			cr.interrupted = true
			return nil
		}
		cr.outcomes = append(cr.outcomes, oc)
		d = nextStep(cr.sr.settings, cr.outcomes)
		if !d.Done {
			took, drained := cr.drainer.drain(ctx, drainTimeout)
			st.DrainS, st.Drained = round3(took.Seconds()), drained
			switch {
			case ctx.Err() != nil:
			case !drained:
				cr.log.Logf("warning: the gateway did not drain within %s after step %d: the next step may start on a queue", drainTimeout, st.Step)
				cr.sess.Warn(fmt.Sprintf("the gateway did not drain within %s after step %d (%s/s)", drainTimeout, st.Step, formatRate(st.Rate)))
			case took > time.Second:
				cr.log.Logf("drained in %s", human.Duration(took))
			}
		} else {
			st.Drained = true
		}
		cr.steps = append(cr.steps, st)
		// Keep capacity.json current: a killed search leaves the steps done.
		cr.answer = interruptedAnswer(cr.outcomes)
		if err := render.WriteCapacity(cr.sr.dir, cr.capacity(true)); err != nil {
			return fmt.Errorf("output directory %s: %w", cr.sr.dir, err)
		}
	}
	cr.answer = d.Answer
	return nil
}

// finish signs every agent out, closes the merged results and writes the
// merged meta.json and the search's outputs.
func (cr *run) finish(ctx context.Context) (*Outcome, error) {
	e := cr.sess.End(ctx) // before closing the results: the sign-outs are results too (merged/calls.bin)
	cr.cout.SignOut = e.SignOut
	if cr.interrupted {
		cr.answer = interruptedAnswer(cr.outcomes)
	}
	if n := e.ReSignInFailures; n > 0 {
		cr.sess.Warn(fmt.Sprintf("%d re-sign-in attempts failed", n))
	}
	if e.SignOut.Failed > 0 {
		cr.sess.Warn(fmt.Sprintf("%d agents could not be signed out: %s", e.SignOut.Failed, e.SignOut))
	}
	if e.ResultsErr != nil {
		cr.sess.Warn(fmt.Sprintf("the results files of %s are incomplete: %v", MergedDir, e.ResultsErr))
	}
	err := cr.sess.WriteMeta(func(m *results.Meta) {
		m.Started = cr.started
		m.PlannedDuration = cr.ran
		m.Connections = e.Connections
		m.ReSignIns = e.ReSignIns
		m.Interrupted = cr.interrupted
		m.Warnings = cr.sess.Warnings()
	})
	if err != nil {
		return cr.cout, err
	}
	cr.cout.Capacity = cr.capacity(cr.interrupted)
	cr.cout.Interrupted = cr.interrupted
	if err := render.WriteCapacity(cr.sr.dir, cr.cout.Capacity); err != nil {
		return cr.cout, fmt.Errorf("output directory %s: %w", cr.sr.dir, err)
	}
	return cr.cout, nil
}

// capacity builds capacity.json from the steps so far and the answer.
func (cr *run) capacity(interrupted bool) *reports.Capacity {
	s, objs, meta := cr.sr.settings, cr.sr.slo.Clone(), cr.sess.Meta()
	c := &reports.Capacity{
		Target: cr.sr.target, Plan: cr.sr.plan.Name,
		LimitedBy: cr.answer.LimitedBy, Confirmed: cr.answer.Confirmed,
		Settings: reports.CapacitySettings{Start: s.Start, Max: s.Max, StepS: cr.sr.step.Seconds(), Precision: s.Precision,
			Growth: s.Growth, WarmupS: cr.sr.plan.Warmup.Seconds(), MaxSteps: s.MaxSteps(), EstimateS: cr.sr.Estimate().Seconds()},
		SLO: &objs, LatencyFromPlanned: true,
		Steps:  slices.Clone(cr.steps),
		Agents: meta.Agents, Connections: cr.sess.Connections(), Workers: cr.sess.Workers(),
		HTTP2: cr.sr.plan.HTTP2, TLSVerify: meta.TLSVerify,
		Interrupted: interrupted, Warnings: cr.sess.Warnings(),
		Started: cr.started,
	}
	if c.Steps == nil {
		c.Steps = []reports.CapacityStep{}
	}
	if c.Warnings == nil {
		c.Warnings = []string{}
	}
	if interrupted {
		c.LimitedBy = limitedByInterrupted
	}
	if !cr.started.IsZero() {
		c.DurationS = round3(time.Since(cr.started).Seconds())
	}
	if cr.answer.Found {
		r := cr.answer.Rate
		c.MaxSustainableRate = &r
	}
	if cr.answer.Bound > 0 {
		b := cr.answer.Bound
		c.Bound = &b
	}
	if req := cr.sr.opts.require; req > 0 {
		c.SetRequire(req)
	}
	c.Describe()
	return c
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// refused is a *load.RefusedError whose reason is the formatted text and
// whose cause is err.
func refused(err error, format string, args ...any) *load.RefusedError {
	return &load.RefusedError{Reason: fmt.Sprintf(format, args...), Err: err}
}
