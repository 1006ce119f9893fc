package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/internal/human"
	"ccgw-harness/load/agents"
	"ccgw-harness/metrics"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
	"ccgw-harness/results"
	"ccgw-harness/slo"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Spec is what a Session runs, decided before anything runs (by NewJob, or
// by a capacity search).
type Spec struct {
	// Plan is the plan run: its name, connections, HTTP/2, request
	// timeout, sign-in fields and concurrency, order, max_signin_failures
	// and warm-up. Open keeps a copy.
	Plan *config.Plan
	// Agents are the agents signed in (the plan's, or a shard's part).
	Agents []config.Agent
	// Pace is the pace meta.json announces (requested rate, planned
	// duration) and the warm-up loads the gateway like (pace.Warmup).
	Pace pace.Pacer
	// Out is the directory of results.bin, calls.bin and meta.json.
	Out string
	// Warnings are the planning warnings: logged at Open, in meta.json.
	Warnings []string
	// SLO is the objectives meta.json records.
	SLO slo.Objectives
	// Progress prints the progress and log lines (nil: silent).
	Progress *Progress
	// Metrics is fed with the session (nil: no metrics).
	Metrics *metrics.Metrics
	// OnAttack, when not nil, is called just before every measured attack,
	// on the caller's goroutine: it must not block.
	OnAttack func()
	// Aggregator, when not nil, is the aggregator the session counts every
	// result into, readable while it runs (a shard's live snapshots, an
	// abort rule); it must be fresh, and of the default options. Nil: one
	// of its own.
	Aggregator *reports.Aggregator
	// Meta, when not nil, sets what meta.json says of the run beyond what
	// Open knows (a journey plan's, a shard's, a capacity search's), before
	// it is first written.
	Meta func(m *results.Meta)
}

// Session is one run's life on a running target: its results files and
// meta.json, its agents (signed in once, kept alive, signed out at the
// end), the attack's connections, and its live metrics. Open it, SignIn,
// WarmUp, then run measured Attacks (one for a load run, one per step for
// a capacity search), and End it; Close it on every path. A Session is
// driven from one goroutine.
type Session struct {
	target   string
	plan     config.Plan
	pacer    pace.Pacer
	order    agents.Order
	out      string
	metrics  *metrics.Metrics
	onAttack func()
	onStart  func(start time.Time) // once a measured attack's start is known (nil: none)
	warnings []string
	log      *Progress
	meta     results.Meta
	metaPath string
	agg      *reports.Aggregator
	rec      *recorder
	calls    *agents.Calls // the agents' own calls into rec
	attack   *attacker
	agentTr  *http.Transport // the agents' own connections (nil: the caller's client)
	pool     *agents.Pool
	keep     *agents.KeepAlive
	tg       *agents.Targeter // nil until the agents are signed in
	probe    vegeta.Targeter  // Probe's (nil until the first probe)
	journeys *journeys        // a journey plan's stage; nil otherwise

	signOutSum  agents.SignOutSummary
	interrupted bool
	signedOut   bool
	agreed      time.Time // the start instant of the run's gate (zero: none)
	live        liveRun   // what the live metrics read
}

// name is the vegeta attack name of the run's results: "target/plan".
func (s *Session) name() string { return s.target + "/" + s.plan.Name }

// Open builds what a run needs before anyone signs in, through client c
// against t, the configuration of the running target: the results files
// and meta.json in spec.Out, the attack's transport, the agent pool and
// its keep-alive (no network yet). On error nothing is left open.
func Open(c *gateway.Client, t *config.Target, spec Spec) (_ *Session, err error) {
	order, err := agents.ParseOrder(spec.Plan.Order)
	if err != nil {
		return nil, refused(err, "plan %s: %v", spec.Plan.Name, err)
	}
	agg := spec.Aggregator
	if agg == nil {
		agg = reports.NewAggregator()
	}
	s := &Session{target: t.Name, plan: *spec.Plan, pacer: spec.Pace, order: order, out: spec.Out,
		metrics: spec.Metrics, onAttack: spec.OnAttack, log: spec.Progress, agg: agg,
		metaPath: filepath.Join(spec.Out, MetaFile)}
	defer func() {
		if err != nil {
			s.Close(context.Background())
		}
	}()
	if s.rec, err = newRecorder(s.out, s.agg, true); err != nil {
		return nil, refused(err, "output directory %s: cannot create its results files: %v", s.out, err)
	}
	s.calls = agents.NewCalls(s.rec.record, s.name())
	if s.attack, err = newAttacker(c, withConnections(s.plan.Connections), withAttackHTTP2(s.plan.HTTP2), withRequestTimeout(s.plan.Timeout)); err != nil {
		return nil, err
	}
	objs := spec.SLO.Clone()
	s.meta = results.Meta{
		Target: s.target, Plan: s.plan.Name, Profile: s.plan.Profile(),
		RequestedRate:   pace.MeanRate(s.pacer),
		PlannedDuration: s.pacer.Duration(),
		Agents:          len(spec.Agents),
		Connections:     s.attack.Connections(),
		HTTP2:           s.plan.HTTP2,
		TLSVerify:       !t.TLS.InsecureSkipVerify,
		SLO:             &objs,
		NoPassword:      t.Agents.NoPassword,
	}
	if spec.Meta != nil {
		spec.Meta(&s.meta)
	}
	if err := results.WriteMeta(s.metaPath, s.meta); err != nil {
		return nil, refused(err, "output directory %s: %v", s.out, err)
	}
	// The agents' own calls (sign-in, polls, sign-out) share one
	// connection pool, apart from the attack's.
	ac, atr, err := agents.NewClient(c, len(spec.Agents)+16, gateway.WithObserver(s.calls.Observe))
	if err != nil {
		return nil, err
	}
	s.agentTr = atr
	if s.pool, err = agents.NewPool(ac, spec.Agents, agents.WithForceLogin(t.ForceLogin), agents.WithSignInConcurrency(s.plan.SignInConcurrency),
		agents.WithSignInFields(s.plan.SignIn), agents.WithCalls(s.calls)); err != nil {
		return nil, refused(err, "%v", err)
	}
	if s.keep, err = agents.NewKeepAlive(s.pool, ac, t); err != nil {
		return nil, err
	}
	s.rec.obs = s.metrics.Observer()
	s.live.attach(s)
	s.warnings = append([]string(nil), spec.Warnings...)
	for _, w := range s.keep.Warnings() {
		if s.plan.Journey != nil && strings.Contains(w, "concurrent") {
			continue // journeys poll as clients do, one poll per holding agent: no slots
		}
		s.warnings = append(s.warnings, w)
	}
	for _, w := range s.warnings {
		s.log.Logf("warning: %s", w)
	}
	return s, nil
}

// SignIn signs the agents in and starts keeping them alive. An
// interruption is not an error (Interrupted says so, and the run goes on
// to its end); too many failed sign-ins is.
func (s *Session) SignIn(ctx context.Context) (agents.SignInSummary, error) {
	s.log.Logf("signing in %d agents of target %s (%d at once)", s.pool.Size(), s.target, s.pool.SignInConcurrency())
	s.log.Show(func() string {
		done, failed, total := s.pool.SignInProgress()
		return fmt.Sprintf("signing in: %d/%d done, %d failed", done, total, failed)
	})
	sum, err := s.pool.SignIn(ctx)
	s.log.Hide()
	s.meta.AgentsFailed = sum.Failed
	s.log.Logf("sign-in: %s", sum)
	if err != nil {
		s.interrupted = true
		return sum, nil
	}
	if err := sum.Check(s.plan.MaxSignInFailures); err != nil {
		return sum, err
	}
	if s.tg, err = s.pool.Targeter(s.order); err != nil {
		return sum, err
	}
	s.pool.StartReSignIn()
	s.keep.Start(ctx)
	return sum, nil
}

// WarmUp opens the attack's connections and runs the plan's unmeasured
// warm-up at the spec's pace on average (its own targeter: its hits are
// not the measured attack's); its answers only feed lost sessions back to
// the pool.
func (s *Session) WarmUp(ctx context.Context) error {
	if s.interrupted || s.plan.Warmup <= 0 || ctx.Err() != nil {
		return nil
	}
	s.log.Logf("warming up %d connections for %s", s.attack.Connections(), s.plan.Warmup)
	warm := s.tg.Fresh()
	s.attack.WarmConnections(ctx, warm.Targeter(), s.pool.FeedbackResult)
	p, err := pace.Warmup(s.pacer, s.plan.Warmup)
	if err != nil {
		return err
	}
	_, rs := s.attack.Attack(ctx, s.name()+"/warmup", warm.Targeter(), p)
	for res := range rs {
		s.pool.FeedbackResult(res)
	}
	s.interrupted = ctx.Err() != nil
	return nil
}

// Tap is where one measured attack's results go besides the session's
// own, and how its progress line reads.
type Tap struct {
	// Dir, when not "", gets the attack's own results.bin (its logininfo
	// results; no calls.bin: the agents' calls stay the session's), which
	// Agg counts.
	Dir string
	// Agg counts the results written to Dir (required with Dir), and the
	// progress line shows its figures (the session's when nil).
	Agg *reports.Aggregator
	// Each, when not nil, is given every judged result once it is recorded
	// (on one goroutine; it must not keep r).
	Each func(r *vegeta.Result)
	// Status prefixes the progress line ("step 3 400/s: ").
	Status string
}

// Attacked is what one measured attack did.
type Attacked struct {
	// Start is the instant its schedule counts from.
	Start time.Time
	// Sent is the number of logininfo requests it sent.
	Sent uint64
	// MaxInFlight is the most of its requests that were in flight when a
	// result came in.
	MaxInFlight int
	// Took is the time from Start to its last result recorded.
	Took time.Duration
	// DirErr is the first error writing Tap.Dir's results.bin (then
	// incomplete).
	DirErr error
}

// Attack runs one measured attack at pace p, until p ends or ctx is
// cancelled (requests under way finish and are kept): every result judged
// for its agent (its lag counted from its planned time), written to the
// session's results.bin and to tap's, and a lost session fed back to the
// pool. The spec's OnAttack is called first. The error is Tap.Dir's: its
// results file could not be created, and nothing was sent.
func (s *Session) Attack(ctx context.Context, p pace.Pacer, tap Tap) (Attacked, error) {
	var own *recorder
	if tap.Dir != "" {
		var err error
		if own, err = newRecorder(tap.Dir, tap.Agg, false); err != nil {
			return Attacked{}, err
		}
		defer own.close()
	}
	agg := s.agg
	if tap.Agg != nil {
		agg = tap.Agg
	}
	total, shown := p.Duration(), time.Now()
	s.log.Show(func() string {
		return tap.Status + progressLine(agg.Snapshot(), time.Since(shown), total, s.pool)
	})
	// The live metrics show the plan from now on (the start is set again
	// once the attack has taken it), so that whoever watches the attack
	// start (OnAttack) sees its planned rate.
	s.live.measuring(p, time.Now())
	if s.onAttack != nil {
		s.onAttack()
	}
	hits0 := s.tg.Hits()
	shifted, from := s.attackPace(p, time.Now())
	start, rs := s.attack.Attack(ctx, s.name(), s.tg.Targeter(), shifted)
	if !from.IsZero() {
		start = from // the schedule counts from the agreed start
	}
	if s.onStart != nil {
		s.onStart(start)
	}
	s.live.measuring(p, start)
	maxInFlight := s.drain(newJudge(s.pool, p, start), rs, own, tap.Each, hits0)
	s.live.measured()
	s.log.Hide()
	a := Attacked{Start: start, Sent: s.tg.Hits() - hits0, MaxInFlight: maxInFlight, Took: time.Since(start)}
	if own != nil {
		own.close()
		a.DirErr = own.err
	}
	return a, nil
}

// drain consumes an attack's results until the channel is closed: each is
// judged for the agent that sent it, recorded (into own first, when not
// nil, then the session's), handed to each, and a lost session is fed back
// to the pool. It runs on one goroutine (the judge reuses its header map),
// flushes the files at least every flushInterval, and returns the most
// requests that were in flight when a result came in (hits handed out
// since hits0, less results received).
func (s *Session) drain(j *agents.Judge, rs <-chan *vegeta.Result, own *recorder, each func(*vegeta.Result), hits0 uint64) int {
	tick := time.NewTicker(flushInterval)
	defer tick.Stop()
	flush := func() {
		if own != nil {
			own.flush()
		}
		s.rec.flush()
	}
	var received uint64
	maxInFlight := 0
	for {
		select {
		case r, ok := <-rs:
			if !ok {
				flush()
				return maxInFlight
			}
			received++
			if f := int(s.tg.Hits() - hits0 - received + 1); f > maxInFlight {
				maxInFlight = f
			}
			a, v := j.Judge(r)
			if own != nil {
				own.record(r, loginInfoIndex)
			}
			s.rec.record(r, loginInfoIndex)
			if each != nil {
				each(r)
			}
			j.Pool.Feedback(a, v, r.Timestamp)
		case <-tick.C:
			flush()
		}
	}
}

// Probe sends one logininfo request through the attack's connections and
// returns its latency, and whether it was answered at all. It is not
// recorded; an answer saying the agent's session is gone is fed back to
// the pool. A capacity search probes between steps whether the gateway
// has drained.
func (s *Session) Probe(ctx context.Context) (time.Duration, bool) {
	if s.tg == nil {
		return 0, false
	}
	if s.probe == nil {
		s.probe = s.tg.Fresh().Targeter()
	}
	var t vegeta.Target
	if s.probe(&t) != nil {
		return 0, false
	}
	req, err := t.Request()
	if err != nil {
		return 0, false
	}
	res := vegeta.Result{Method: t.Method, URL: t.URL, Timestamp: time.Now()}
	resp, err := s.attack.hc.Do(req.WithContext(ctx))
	if err == nil {
		res.Code = uint16(resp.StatusCode)
		res.Headers = resp.Header
		res.Body, err = io.ReadAll(io.LimitReader(resp.Body, gateway.MaxBodySize))
		resp.Body.Close()
	}
	res.Latency = time.Since(res.Timestamp)
	if err != nil {
		res.Code, res.Error = 0, err.Error()
	}
	s.pool.FeedbackResult(&res)
	return res.Latency, err == nil
}

// Interrupted reports whether the session's sign-in or warm-up was cut
// short by its context.
func (s *Session) Interrupted() bool { return s.interrupted }

// Meta returns the session's meta.json as it stands.
func (s *Session) Meta() results.Meta { return s.meta }

// WriteMeta lets edit change the session's meta.json (nil: no change) and
// writes it.
func (s *Session) WriteMeta(edit func(m *results.Meta)) error {
	if edit != nil {
		edit(&s.meta)
	}
	if err := results.WriteMeta(s.metaPath, s.meta); err != nil {
		return fmt.Errorf("output directory %s: %w", s.out, err)
	}
	return nil
}

// Warn adds a warning of the run (kept in meta.json from the next write).
func (s *Session) Warn(w string) { s.warnings = append(s.warnings, w) }

// Warnings returns the run's warnings so far: the spec's, the
// keep-alive's, and every Warn.
func (s *Session) Warnings() []string { return append([]string(nil), s.warnings...) }

// Connections is the attack's connection cap.
func (s *Session) Connections() int { return s.attack.Connections() }

// Workers is the most requests the attack holds in flight (vegeta's
// maximum workers of an open model).
func (s *Session) Workers() int {
	_, maximum := s.attack.Workers()
	return int(maximum)
}

// ReSignIns is the number of sessions re-established so far.
func (s *Session) ReSignIns() int { return s.pool.ReSignIns() }

// Ended is what the end of a session found.
type Ended struct {
	SignOut agents.SignOutSummary
	// Calls counts the results recorded per call name.
	Calls map[string]uint64
	// ReSignIns and ReSignInFailures count the sessions re-established and
	// the attempts that failed.
	ReSignIns, ReSignInFailures int
	// Connections is the number of connections the attack dialed.
	Connections int
	// ResultsErr is the first error writing the session's results files
	// (then incomplete).
	ResultsErr error
}

// End signs every agent out (on a context detached from ctx's
// cancellation, see agents.Pool.SignOut) and closes the session's results
// files: the sign-outs are results too. Then write meta.json (WriteMeta)
// and Close.
func (s *Session) End(ctx context.Context) Ended {
	s.signOut(ctx)
	s.rec.close()
	return Ended{SignOut: s.signOutSum, Calls: s.rec.counts(), ReSignIns: s.pool.ReSignIns(),
		ReSignInFailures: s.pool.ReSignInFailures(), Connections: s.attack.Dialed(), ResultsErr: s.rec.err}
}

// signOut stops the keep-alive and signs every agent out, once. It runs on
// a context detached from ctx's cancellation (see agents.Pool.SignOut).
func (s *Session) signOut(ctx context.Context) {
	if s.signedOut || s.pool == nil {
		return
	}
	s.signedOut = true
	s.log.Hide()
	if s.keep != nil {
		s.keep.Stop()
	}
	s.signOutSum = s.pool.SignOut(ctx)
	s.log.Logf("sign-out: %s", s.signOutSum)
}

// Close releases everything the session holds, on every path: agents
// signed out, the results files closed, connections closed. It may be
// called more than once.
func (s *Session) Close(ctx context.Context) {
	s.signOut(ctx)
	s.live.detach()
	if s.rec != nil {
		s.rec.close()
	}
	if s.attack != nil {
		s.attack.Close()
	}
	if s.agentTr != nil {
		s.agentTr.CloseIdleConnections()
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
		human.Duration(min(elapsed, total)), human.Duration(total), l.Requests, rate, human.Latency(l.P99), l.ErrorRate*100, p.Alive(), p.Live())
}
