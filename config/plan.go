package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/slo"

	"go.yaml.in/yaml/v3"
)

// Plan defaults and bounds.
const (
	DefaultConnections       = 32               // plan connections default
	DefaultTimeout           = 10 * time.Second // plan timeout (per request) default
	DefaultSignInConcurrency = 32               // plan signin_concurrency default
	DefaultOrder             = OrderRoundRobin  // plan order default

	MaxRate         = 1e6                // highest rate (requests/s) any key accepts
	MaxPlanDuration = 7 * 24 * time.Hour // longest plan (warmup excluded) and longest warmup
	MaxConnections  = 100000             // bound of connections, concurrency and signin_concurrency
)

// The plan shapes, as Plan.Profile names them.
const (
	ProfileConstant = "constant" // rate + duration
	ProfileStages   = "stages"   // stages
	ProfileSine     = "sine"     // sine + duration
	ProfileClosed   = "closed"   // concurrency + duration
)

const (
	maxRequestWait = 10 * time.Minute // bound of a plan's timeout
	shapeHelp      = "rate+duration, stages, sine+duration or concurrency+duration"
)

// The request orders a plan may use across its agents.
const (
	OrderRoundRobin = "round-robin" // agents in turn
	OrderShuffle    = "shuffle"     // agents in turn, in an order shuffled once per run
)

// Plan is one load plan (a key under plans). It has exactly one shape:
// Rate with Duration (constant, open model), Stages, Sine with Duration, or
// Concurrency with Duration (closed model); or, instead, a capacity search
// (Capacity, run by ccgw capacity).
type Plan struct {
	Name string // the key under plans
	Line int    // line of that key in the file

	Agents      int           // key agents: how many agents sign in and share the load (at least 1)
	Rate        float64       // key rate: requests/s for Duration (constant shape)
	Duration    time.Duration // key duration: length of a rate, sine or concurrency plan
	Stages      []Stage       // key stages: piecewise rates, each over its own duration
	Sine        *Sine         // key sine: a rate oscillating around a mean, for Duration
	Concurrency int           // key concurrency: closed model, N requests in flight, for Duration

	Connections       int             // key connections, default DefaultConnections
	HTTP2             bool            // key http2, default false (HTTPS/1.1)
	Order             string          // key order: OrderRoundRobin (default) or OrderShuffle
	Warmup            time.Duration   // key warmup: unmeasured traffic before the plan, default 0
	Timeout           time.Duration   // key timeout: per request, default DefaultTimeout
	MaxSignInFailures float64         // key max_signin_failures: a count (>= 1, "3") or a ratio of Agents (< 1, "5%"); default 0
	SignInConcurrency int             // key signin_concurrency, default DefaultSignInConcurrency
	SLO               *slo.Objectives // key slo: overrides of the global slo for this plan (see File.SLOFor); nil if none
	Capacity          *Capacity       // key capacity: a capacity search (ccgw capacity) instead of a rate shape; nil if none
	Journey           *Journey        // key journey: each arrival is an agent's journey (see Journey); nil: a logininfo rate plan
	SignIn            SignIn          // key signin: optional fields of every sign-in body (see SignIn)
	AbortWhen         *AbortWhen      // key abort_when: stop the run early when its last seconds break it; nil if none
}

// Stage is one step of a staged plan: over the first Ramp of the stage the
// rate moves linearly from the previous stage's rate (0 for the first
// stage) to Rate, then holds at Rate until Duration ends.
type Stage struct {
	Rate     float64       // key rate: requests/s
	Duration time.Duration // key duration
	Ramp     time.Duration // key ramp: at most Duration, default 0 (a step)
}

// Sine is a rate Mean + Amplitude*sin(2*pi*t/Period), t from the start of
// the plan (so it begins at the mean, rising).
type Sine struct {
	Mean      float64       // key mean: requests/s, above 0
	Amplitude float64       // key amplitude: requests/s, 0 <= Amplitude < Mean
	Period    time.Duration // key period
}

// shapeKeys are the plan keys that give its shape (exactly one).
var shapeKeys = []string{"rate", "stages", "sine", "concurrency"}

// Total is how long the plan's measured part runs (warmup excluded).
func (p *Plan) Total() time.Duration {
	if len(p.Stages) > 0 {
		var d time.Duration
		for _, s := range p.Stages {
			d += s.Duration
		}
		return d
	}
	return p.Duration
}

// Profile names the plan's shape: ProfileConstant, ProfileStages,
// ProfileSine, ProfileClosed or ProfileCapacity.
func (p *Plan) Profile() string {
	switch {
	case p.Capacity != nil:
		return ProfileCapacity
	case len(p.Stages) > 0:
		return ProfileStages
	case p.Sine != nil:
		return ProfileSine
	case p.Concurrency > 0:
		return ProfileClosed
	}
	return ProfileConstant
}

// RateAt is the requested rate (requests/s) at elapsed time t into the
// measured part of the plan; 0 outside [0, Total) and for a closed plan.
func (p *Plan) RateAt(t time.Duration) float64 {
	if t < 0 || t >= p.Total() {
		return 0
	}
	switch p.Profile() {
	case ProfileConstant:
		return p.Rate
	case ProfileSine:
		return p.Sine.Mean + p.Sine.Amplitude*math.Sin(2*math.Pi*float64(t)/float64(p.Sine.Period))
	case ProfileStages:
		prev := 0.0
		for _, s := range p.Stages {
			if t < s.Duration {
				if t < s.Ramp {
					return prev + (s.Rate-prev)*float64(t)/float64(s.Ramp)
				}
				return s.Rate
			}
			t -= s.Duration
			prev = s.Rate
		}
	}
	return 0
}

// PeakRate is the highest rate the plan requests (0 for a closed plan); a
// load run caps it at the target's max_rate.
func (p *Plan) PeakRate() float64 {
	switch p.Profile() {
	case ProfileConstant:
		return p.Rate
	case ProfileSine:
		return p.Sine.Mean + p.Sine.Amplitude
	case ProfileStages:
		peak := 0.0
		for _, s := range p.Stages {
			peak = math.Max(peak, s.Rate)
		}
		return peak
	}
	return 0
}

// Override applies `ccgw load --rate/--duration` to the plan (a copy the
// caller owns). A rate replaces the plan's shape with a constant rate over
// the plan's length (or the given duration). A duration sets the length of
// a rate, sine or closed plan; a staged plan is cut at it, or its last
// stage lengthened to reach it. Zero leaves a value as it is.
func (p *Plan) Override(rate float64, d time.Duration) error {
	if rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0) || rate > MaxRate {
		return fmt.Errorf("rate %v: want requests/s above 0 and at most %g", rate, float64(MaxRate))
	}
	if d < 0 || d > MaxPlanDuration {
		return fmt.Errorf("duration %s: want above 0 and at most %s", d, MaxPlanDuration)
	}
	if rate > 0 {
		total := p.Total()
		p.Stages, p.Sine, p.Concurrency = nil, nil, 0
		p.Rate, p.Duration = rate, total
	}
	if d == 0 {
		return nil
	}
	if len(p.Stages) == 0 {
		p.Duration = d
		return nil
	}
	var out []Stage
	left := d
	for _, st := range p.Stages {
		if left <= 0 {
			break
		}
		if st.Duration > left {
			st.Duration = left
			st.Ramp = min(st.Ramp, left)
		}
		left -= st.Duration
		out = append(out, st)
	}
	if left > 0 {
		out[len(out)-1].Duration += left
	}
	p.Stages = out
	return nil
}

// SignInFailureBudget is how many agents may fail to sign in before the
// run is aborted: MaxSignInFailures itself when it is a count, else that
// ratio of Agents, rounded down.
func (p *Plan) SignInFailureBudget() int {
	if p.MaxSignInFailures < 1 {
		return int(p.MaxSignInFailures * float64(p.Agents))
	}
	return int(p.MaxSignInFailures)
}

func (p *Plan) clone() *Plan {
	c := *p
	c.Stages = append([]Stage(nil), p.Stages...)
	if p.Sine != nil {
		s := *p.Sine
		c.Sine = &s
	}
	if p.SLO != nil {
		s := p.SLO.Clone()
		c.SLO = &s
	}
	if p.Capacity != nil {
		cp := *p.Capacity
		c.Capacity = &cp
	}
	if p.Journey != nil {
		j := *p.Journey
		c.Journey = &j
	}
	if p.AbortWhen != nil {
		a := *p.AbortWhen
		if a.ErrorRate != nil {
			r := *a.ErrorRate
			a.ErrorRate = &r
		}
		c.AbortWhen = &a
	}
	return &c
}

func (p *parser) plan(name string, key, n *yaml.Node, path string) *Plan {
	m, ok := p.mapping(n, path, planKeys)
	if !ok {
		return nil
	}
	pl := &Plan{Name: name, Line: key.Line, Connections: DefaultConnections, Order: DefaultOrder,
		Timeout: DefaultTimeout, SignInConcurrency: DefaultSignInConcurrency}
	if e, ok := m.get("agents"); ok {
		pl.Agents, _ = p.integer(e.val, join(path, "agents"), 1, MaxAgents)
	} else {
		p.errf(key, path, "missing key \"agents\": how many agents sign in and share the load")
	}

	// Exactly one shape, in document order so the error points at the second.
	var shape string
	for _, k := range m.keys {
		if !slices.Contains(shapeKeys, k) {
			continue
		}
		if shape != "" {
			p.errf(m.byKey[k].key, path, "%s and %s are exclusive: a plan has exactly one shape (%s)", shape, k, shapeHelp)
			continue
		}
		shape = k
	}
	durE, hasDur := m.get("duration")
	capE, hasCap := m.get("capacity")
	switch {
	case hasCap && shape != "":
		p.errf(m.byKey[shape].key, path, "%s and capacity are exclusive: a capacity plan's rates come from the search (capacity: {start, max, step, precision})", shape)
	case hasCap && hasDur:
		p.errf(durE.key, join(path, "duration"), "a capacity plan has no duration: each step runs capacity.step")
	case hasCap:
	case shape == "":
		p.errf(key, path, "no load shape: set one of %s", shapeHelp)
	case shape == "stages" && hasDur:
		p.errf(durE.key, join(path, "duration"), "stages carry their own durations: remove duration")
	case shape != "stages" && !hasDur:
		p.errf(m.byKey[shape].key, path, "%s needs duration (e.g. duration: 5m)", shape)
	}
	if hasCap {
		pl.Capacity = p.capacity(capE.val, join(path, "capacity"))
	}
	if hasDur && shape != "stages" && !hasCap {
		pl.Duration, _ = p.planDuration(durE.val, join(path, "duration"), false)
	}
	if e, ok := m.get("rate"); ok {
		pl.Rate, _ = p.rate(e.val, join(path, "rate"))
	}
	if e, ok := m.get("stages"); ok {
		pl.Stages = p.stages(e.val, join(path, "stages"))
	}
	if e, ok := m.get("sine"); ok {
		pl.Sine = p.sine(e.val, join(path, "sine"))
	}
	if e, ok := m.get("concurrency"); ok {
		pl.Concurrency, _ = p.integer(e.val, join(path, "concurrency"), 1, MaxConnections)
	}

	if e, ok := m.get("connections"); ok {
		if v, ok := p.integer(e.val, join(path, "connections"), 1, MaxConnections); ok {
			pl.Connections = v
		}
	}
	if e, ok := m.get("http2"); ok {
		pl.HTTP2, _ = p.boolean(e.val, join(path, "http2"))
	}
	if e, ok := m.get("order"); ok {
		if s, ok := p.str(e.val, join(path, "order"), false); ok {
			if s != OrderRoundRobin && s != OrderShuffle {
				p.errf(e.val, join(path, "order"), "bad order %s: want %s or %s", quote(s), OrderRoundRobin, OrderShuffle)
			} else {
				pl.Order = s
			}
		}
	}
	if e, ok := m.get("warmup"); ok {
		pl.Warmup, _ = p.planDuration(e.val, join(path, "warmup"), true)
	}
	if e, ok := m.get("timeout"); ok {
		if v, ok := p.duration(e.val, join(path, "timeout"), false); ok {
			if v > maxRequestWait {
				p.errf(e.val, join(path, "timeout"), "timeout %v is longer than %v", v, maxRequestWait)
			} else {
				pl.Timeout = v
			}
		}
	}
	if e, ok := m.get("max_signin_failures"); ok {
		pl.MaxSignInFailures = p.failureBudget(e.val, join(path, "max_signin_failures"))
	}
	if e, ok := m.get("signin_concurrency"); ok {
		if v, ok := p.integer(e.val, join(path, "signin_concurrency"), 1, MaxConnections); ok {
			pl.SignInConcurrency = v
		}
	}
	if e, ok := m.get("slo"); ok {
		pl.SLO = p.slo(e.val, join(path, "slo"))
	}
	if e, ok := m.get("signin"); ok {
		pl.SignIn = p.signIn(e.val, join(path, "signin"))
	}
	if e, ok := m.get("abort_when"); ok {
		pl.AbortWhen = p.abortWhen(e.val, join(path, "abort_when"))
		if hasCap {
			p.errf(e.key, join(path, "abort_when"), "a capacity plan judges each step by its SLO: abort_when does not apply")
		}
	}
	if e, ok := m.get("journey"); ok {
		pl.Journey = p.journey(e.val, join(path, "journey"))
		if shape == "concurrency" {
			p.errf(e.key, join(path, "journey"), "a journey plan is an open model (journeys start on schedule, whatever earlier ones do): give it rate+duration, stages or sine, not concurrency")
		}
		if w, ok := m.get("warmup"); ok {
			p.errf(w.key, join(path, "warmup"), "warmup does not apply to a journey plan: its journeys start cold, as agents do at a shift start")
		}
		for _, k := range []struct{ key, why string }{
			{"connections", "each journey's agent opens connections of its own, as a client does"},
			{"order", "each journey is one agent's, the agents taken as they are free"},
			{"signin_concurrency", "each journey signs its agent in when it starts"},
			{"max_signin_failures", "a journey whose sign-in fails is a failed journey (gate it with slo.calls.signin.error_rate)"},
		} {
			if x, ok := m.get(k.key); ok {
				p.errf(x.key, join(path, k.key), "%s does not apply to a journey plan: %s", k.key, k.why)
			}
		}
		if hasCap {
			p.errf(e.key, join(path, "journey"), "journey does not apply to a capacity plan: a capacity search measures logininfo at steady rates (drop journey, or give the plan rate+duration instead of capacity)")
		}
	}
	return pl
}

// planDuration reads a duration of at most MaxPlanDuration.
func (p *parser) planDuration(n *yaml.Node, path string, zeroOK bool) (time.Duration, bool) {
	v, ok := p.duration(n, path, zeroOK)
	if ok && v > MaxPlanDuration {
		p.errf(n, path, "duration %v is longer than %v", v, MaxPlanDuration)
		return 0, false
	}
	return v, ok
}

func (p *parser) stages(n *yaml.Node, path string) []Stage {
	items, ok := p.list(n, path, "stages ({rate, duration, ramp})")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errf(n, path, "empty list: want at least one stage {rate, duration, ramp}")
		return nil
	}
	out := make([]Stage, 0, len(items))
	var total time.Duration
	for i, it := range items {
		sp := index(path, i)
		m, ok := p.mapping(it, sp, stageKeys)
		if !ok {
			continue
		}
		var s Stage
		for _, k := range []string{"rate", "duration"} {
			if _, ok := m.get(k); !ok {
				p.errf(it, sp, "missing key %q", k)
			}
		}
		if e, ok := m.get("rate"); ok {
			s.Rate, _ = p.rate(e.val, join(sp, "rate"))
		}
		if e, ok := m.get("duration"); ok {
			s.Duration, _ = p.planDuration(e.val, join(sp, "duration"), false)
		}
		if e, ok := m.get("ramp"); ok {
			if v, ok := p.duration(e.val, join(sp, "ramp"), true); ok {
				if s.Duration > 0 && v > s.Duration {
					p.errf(e.val, join(sp, "ramp"), "ramp %v is longer than the stage's duration %v", v, s.Duration)
				} else {
					s.Ramp = v
				}
			}
		}
		if total += s.Duration; total > MaxPlanDuration {
			p.errf(it, sp, "the stages run longer than %v in all", MaxPlanDuration)
			return out
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) sine(n *yaml.Node, path string) *Sine {
	m, ok := p.mapping(n, path, sineKeys)
	if !ok {
		return nil
	}
	s := &Sine{}
	for _, k := range sineKeys {
		if _, ok := m.get(k); !ok {
			p.errf(m.node, path, "missing key %q (want {mean, amplitude, period})", k)
		}
	}
	if e, ok := m.get("mean"); ok {
		s.Mean, _ = p.rate(e.val, join(path, "mean"))
	}
	if e, ok := m.get("period"); ok {
		s.Period, _ = p.planDuration(e.val, join(path, "period"), false)
	}
	if e, ok := m.get("amplitude"); ok {
		if v, ok := p.number(e.val, join(path, "amplitude")); ok {
			if v < 0 || (s.Mean > 0 && v >= s.Mean) {
				p.errf(e.val, join(path, "amplitude"), "amplitude %g is out of range: want 0 <= amplitude < mean (%g), so the rate stays above 0", v, s.Mean)
			} else {
				s.Amplitude = v
			}
		}
	}
	return s
}

// failureBudget reads max_signin_failures: a count (3, "3") or a ratio
// below 1 ("5%", 0.05).
func (p *parser) failureBudget(n *yaml.Node, path string) float64 {
	d, ok := p.scalar(n, path, "a count (3) or a ratio (\"5%\")", false, "!!int", "!!float", "!!str")
	if !ok {
		return 0
	}
	bad := func() float64 {
		p.errf(n, path, "bad max_signin_failures %s: want a count (3) or a ratio below 100%% (\"5%%\", 0.05)", quote(d.Value))
		return 0
	}
	switch s := strings.TrimSpace(d.Value); {
	case d.ShortTag() == "!!str" && strings.HasSuffix(s, "%"):
		pct, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
		if err != nil || !(pct >= 0 && pct < 100) {
			return bad()
		}
		return pct / 100
	case d.ShortTag() == "!!float":
		v, ok := p.number(d, path)
		if !ok {
			return 0
		}
		if !(v >= 0 && v < 1) {
			return bad()
		}
		return v
	default: // an integer, possibly quoted
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v > MaxAgents {
			return bad()
		}
		return float64(v)
	}
}
