package load

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/results"
)

// MaxShards bounds the number of shards of a distributed run.
const MaxShards = 1000

// Shard is one part of a distributed run: shard Index (0-based) of Count.
// The zero value (and any Count of 1) is an unsharded run.
//
// A shard takes a deterministic, disjoint part of the plan: agent k of the
// plan's agent list (the first `agents` agents of the target, in
// configuration order) belongs to shard k mod Count, and global hit g of
// the plan's schedule to shard g mod Count, sent at its planned time (see
// ShardPacer). The shards' agents and hits therefore add up exactly to the
// plan's, whatever its shape.
type Shard struct {
	Index, Count int
}

// ParseShard reads "I/N" (0 <= I < N <= MaxShards).
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("%q: want I/N, the 0-based shard index and the number of shards, e.g. 0/3", s)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%q: want I/N with whole numbers, e.g. 0/3", s)
	}
	sh := Shard{Index: i, Count: n}
	if n < 1 { // "0/0" is not the unsharded zero value
		return Shard{}, fmt.Errorf("%q: shard count %d: want 1 to %d", s, n, MaxShards)
	}
	if err := sh.Validate(); err != nil {
		return Shard{}, fmt.Errorf("%q: %w", s, err)
	}
	return sh, nil
}

// Validate checks 0 <= Index < Count <= MaxShards (the zero Shard is
// valid: unsharded).
func (s Shard) Validate() error {
	if s == (Shard{}) {
		return nil
	}
	switch {
	case s.Count < 1 || s.Count > MaxShards:
		return fmt.Errorf("shard count %d: want 1 to %d", s.Count, MaxShards)
	case s.Index < 0 || s.Index >= s.Count:
		return fmt.Errorf("shard index %d: want 0 to %d (0-based, below the count %d)", s.Index, s.Count-1, s.Count)
	}
	return nil
}

// Sharded reports whether the run is one of several shards.
func (s Shard) Sharded() bool { return s.Count > 1 }

// String is "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Agents returns the shard's agents of the plan's list all: agent k goes to
// shard k mod Count. An unsharded run gets all of them. A shard left
// without an agent is an error: the plan needs at least as many agents as
// shards.
func (s Shard) Agents(all []config.Agent) ([]config.Agent, error) {
	if !s.Sharded() {
		return all, nil
	}
	if len(all) < s.Count {
		return nil, fmt.Errorf("%d agents cannot be split over %d shards: every shard needs an agent of its own (raise the plan's agents or lower the shards)", len(all), s.Count)
	}
	out := make([]config.Agent, 0, len(all)/s.Count+1)
	for k := s.Index; k < len(all); k += s.Count {
		out = append(out, all[k])
	}
	return out, nil
}

// ShardPacer returns shard s's part of pace p. For a schedule (any open
// Pacer) shard I sends the plan's global hits I, I+N, I+2N, ... at their
// planned times, so that the shards' hits add up exactly to the plan's and
// their union is the plan's schedule (stages, ramps and sine split
// naturally). A closed-model pace splits its concurrency (the remainder
// goes to the low shards) and its rate cap evenly. An unsharded s returns
// p itself.
func ShardPacer(p Pacer, s Shard) (Pacer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !s.Sharded() {
		return p, nil
	}
	return p.Split(s)
}

// splitSchedule is Pacer.Split for an open-model pace p with a schedule.
func splitSchedule(p Pacer, s Shard) (Pacer, error) {
	if _, ok := p.Planned(0); !ok || p.Hits() == 0 {
		return nil, fmt.Errorf("pace %s has no schedule to split over shards", p)
	}
	total := p.Hits()
	if total < uint64(s.Count) {
		return nil, fmt.Errorf("the plan sends %d requests, fewer than its %d shards: every shard needs a request (raise the rate or duration, or lower the shards)", total, s.Count)
	}
	n := uint64(s.Count)
	hits := (total - uint64(s.Index) + n - 1) / n
	return &shardSchedule{base: p, index: uint64(s.Index), n: n, hits: hits}, nil
}

// splitClosed is Pacer.Split for the closed model: shard s gets its part of
// the concurrency (the remainder to the low shards) and of the rate cap.
func (c *Closed) splitClosed(s Shard) (Pacer, error) {
	if c.Concurrency < s.Count {
		return nil, fmt.Errorf("concurrency %d cannot be split over %d shards: every shard needs a worker (raise the plan's concurrency or lower the shards)", c.Concurrency, s.Count)
	}
	conc := c.Concurrency / s.Count
	if s.Index < c.Concurrency%s.Count {
		conc++
	}
	capRate := 0.0
	if c.cap != nil {
		capRate = c.cap.PeakRate() / float64(s.Count)
	}
	return NewClosed(conc, c.dur, capRate)
}

// shardSchedule is one shard's part of an open-model pace: its hit k is the
// base's hit index + k·n.
type shardSchedule struct {
	base     Pacer
	index, n uint64
	hits     uint64
}

// global returns the base's hit number of the shard's hit k.
func (s *shardSchedule) global(k uint64) uint64 { return s.index + k*s.n }

// Pace implements vegeta.Pacer: wait until the shard's next hit is due
// (less TimerSlack, as Schedule.Pace); stop after its last.
func (s *shardSchedule) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= s.hits {
		return 0, true
	}
	due, _ := s.base.Planned(s.global(hits))
	if wait := due - elapsed - TimerSlack; wait > 0 {
		return wait, false
	}
	return 0, false
}

// Rate implements vegeta.Pacer: the shard's share of the planned rate.
func (s *shardSchedule) Rate(elapsed time.Duration) float64 {
	return s.base.Rate(elapsed) / float64(s.n)
}

// Planned implements Pacer: the planned time of the global hit.
func (s *shardSchedule) Planned(k uint64) (time.Duration, bool) {
	return s.base.Planned(s.global(k))
}

// Duration implements Pacer: the plan's.
func (s *shardSchedule) Duration() time.Duration { return s.base.Duration() }

// Hits implements Pacer: the shard's hits.
func (s *shardSchedule) Hits() uint64 { return s.hits }

// MeanRate implements Pacer: the shard's hits over the plan's duration.
func (s *shardSchedule) MeanRate() float64 { return float64(s.hits) / s.base.Duration().Seconds() }

// Workers implements Pacer: the base's choice.
func (s *shardSchedule) Workers(initial, maximum uint64) (uint64, uint64) {
	return s.base.Workers(initial, maximum)
}

// Warmup implements Pacer: the shard's part of the base's warm-up.
func (s *shardSchedule) Warmup(d time.Duration) (Pacer, error) {
	w, err := s.base.Warmup(d)
	if err != nil {
		return nil, err
	}
	if w.Hits() < s.n {
		// A warm-up too short to give every shard a hit: the shard's
		// share of the mean rate instead (at least one hit).
		return Constant(max(s.MeanRate(), 1/d.Seconds()), d)
	}
	return ShardPacer(w, Shard{Index: int(s.index), Count: int(s.n)})
}

// Amount implements Pacer: the shard's hits.
func (s *shardSchedule) Amount() float64 { return float64(s.hits) }

// Split implements Pacer: a shard is not split again.
func (s *shardSchedule) Split(Shard) (Pacer, error) {
	return nil, fmt.Errorf("pace %s is a shard already", s)
}

// String implements Pacer.
func (s *shardSchedule) String() string {
	return fmt.Sprintf("%s, shard %d/%d: %d of %d requests", s.base, s.index, s.n, s.hits, s.base.Hits())
}

// Share is the fraction of the plan that a shard's pace p carries, given
// the plan's pace: its hits over the plan's (open model) or its
// concurrency over the plan's (closed model); 1 when plan is p.
func Share(plan, p Pacer) float64 {
	if plan.Amount() <= 0 {
		return 1
	}
	return p.Amount() / plan.Amount()
}

// WithShard makes the job shard s of a distributed run: it signs in only
// its own agents and sends only its own part of the plan (see Shard).
func WithShard(s Shard) Option { return func(c *runConfig) { c.shard = s } }

// WithRunID names the distributed run the job belongs to (meta.json
// run_id, alike for all its shards).
func WithRunID(id string) Option { return func(c *runConfig) { c.runID = id } }

// shardPace makes the job's pace its shard's part of the plan's, and checks
// that the plan's agents split over the shards.
func (j *Job) shardPace(t *config.Target) error {
	j.plan0 = j.pacer
	s := j.rc.shard
	if err := s.Validate(); err != nil {
		return refused(err, "shard %v: %v", s, err)
	}
	if !s.Sharded() {
		return nil
	}
	p, err := ShardPacer(j.pacer, s)
	if err != nil {
		return refused(err, "plan %s, shard %s: %v", j.plan.Name, s, err)
	}
	j.pacer = p
	if _, err := j.agentList(t); err != nil {
		return refused(err, "plan %s, shard %s: %v", j.plan.Name, s, err)
	}
	return nil
}

// agentList is the job's agents: the plan's, or this shard's part of them.
func (j *Job) agentList(t *config.Target) ([]config.Agent, error) {
	all, err := t.AgentList(j.plan.Agents)
	if err != nil {
		return nil, err
	}
	return j.rc.shard.Agents(all)
}

// shardMeta adds the run ID and the shard's place to m.
func (j *Job) shardMeta(m *results.Meta) {
	m.RunID = j.rc.runID
	s := j.rc.shard
	if s.Count == 0 {
		return
	}
	m.Shard = &results.ShardInfo{
		Index: s.Index, Count: s.Count,
		Share:             Share(j.plan0, j.pacer),
		PlanRequestedRate: j.plan0.MeanRate(),
		PlanAgents:        j.plan.Agents,
	}
}

// waitStart waits at the run's start gate, if it has one, once the agents
// are signed in and the connections warm, and keeps the agreed start for
// measure. An interruption is not an error (the run goes on to finish).
func (r *run) waitStart(ctx context.Context) error {
	if r.rc.gate == nil || r.interrupted || ctx.Err() != nil {
		return nil
	}
	start, err := r.rc.gate(ctx)
	if ctx.Err() != nil {
		r.interrupted = true
		return nil
	}
	r.agreed = start
	return err
}

// lateWarning is how late after the agreed start an attack may begin
// before the report says so.
const lateWarning = 100 * time.Millisecond

// attackPace is the pace the measured attack runs: the job's, shifted when
// the attack begins late after the agreed start (see StartGate), and the
// instant the schedule counts from (for each request's lag).
func (r *run) attackPace(now time.Time) (Pacer, time.Time) {
	if r.agreed.IsZero() || !now.After(r.agreed) {
		return r.pacer, time.Time{}
	}
	late := now.Sub(r.agreed)
	if late >= lateWarning {
		r.warnings = append(r.warnings, fmt.Sprintf("the attack began %s after the start instant the shards agreed on: its first requests went out behind schedule (their lag counts it)", late.Round(time.Millisecond)))
	}
	return &latePacer{Pacer: r.pacer, late: late}, r.agreed
}

// latePacer is a pace begun late: elapsed counts from late before the
// attack's own start.
type latePacer struct {
	Pacer
	late time.Duration
}

// Pace implements vegeta.Pacer.
func (p *latePacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return p.Pacer.Pace(elapsed+p.late, hits)
}

// Rate implements vegeta.Pacer.
func (p *latePacer) Rate(elapsed time.Duration) float64 { return p.Pacer.Rate(elapsed + p.late) }

// abort ends a run given up at its start gate: the agents are signed out
// and the reports written, meta.json saying why (aborted_by from an
// *AbortError, else results.AbortedByStart); the error is err.
func (r *run) abort(ctx context.Context, err error) (*Outcome, error) {
	r.meta.Aborted, r.meta.AbortedBy = err.Error(), results.AbortedByStart
	if ae := (*AbortError)(nil); errors.As(err, &ae) {
		r.meta.AbortedBy = ae.By
	}
	outc, ferr := r.finish(ctx)
	if ferr != nil {
		return outc, errors.Join(err, ferr)
	}
	return outc, err
}
