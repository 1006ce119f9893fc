package load

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/pace"
	"ccgw-harness/results"
)

// WithShard makes the job shard s of a distributed run: it signs in only
// its own agents and sends only its own part of the plan (see pace.Shard).
func WithShard(s pace.Shard) Option { return func(c *runConfig) { c.shard = s } }

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
	p, err := pace.Split(j.pacer, s)
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
		Share:             pace.Share(j.plan0, j.pacer),
		PlanRequestedRate: pace.MeanRate(j.plan0),
		PlanAgents:        j.plan.Agents,
	}
}

// waitStart waits at the run's start gate, if it has one (nil: none), once
// the agents are signed in and the connections warm, and keeps the agreed
// start for the measured attack. An interruption is not an error (the run
// goes on to finish).
func (s *Session) waitStart(ctx context.Context, gate StartGate) error {
	if gate == nil || s.interrupted || ctx.Err() != nil {
		return nil
	}
	start, err := gate(ctx)
	if ctx.Err() != nil {
		s.interrupted = true
		return nil
	}
	s.agreed = start
	return err
}

// lateWarning is how late after the agreed start an attack may begin
// before the report says so.
const lateWarning = 100 * time.Millisecond

// attackPace is the pace a measured attack of pace p runs: p, shifted when
// the attack begins late after the agreed start (see StartGate), and the
// instant the schedule counts from (for each request's lag).
func (s *Session) attackPace(p pace.Pacer, now time.Time) (pace.Pacer, time.Time) {
	if s.agreed.IsZero() || !now.After(s.agreed) {
		return p, time.Time{}
	}
	late := now.Sub(s.agreed)
	if late >= lateWarning {
		s.warnings = append(s.warnings, fmt.Sprintf("the attack began %s after the start instant the shards agreed on: its first requests went out behind schedule (their lag counts it)", late.Round(time.Millisecond)))
	}
	return &latePacer{Pacer: p, late: late}, s.agreed
}

// latePacer is a pace begun late: elapsed counts from late before the
// attack's own start.
type latePacer struct {
	pace.Pacer
	late time.Duration
}

// Pace implements vegeta.Pacer.
func (p *latePacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return p.Pacer.Pace(elapsed+p.late, hits)
}

// Rate implements vegeta.Pacer.
func (p *latePacer) Rate(elapsed time.Duration) float64 { return p.Pacer.Rate(elapsed + p.late) }

// Workers keeps the workers of the pace begun late (see workerPacer).
func (p *latePacer) Workers(initial, maximum uint64) (uint64, uint64) {
	return workersOf(p.Pacer, initial, maximum)
}

// abort ends a run given up at its start gate: the agents are signed out
// and the reports written, meta.json saying why (aborted_by from an
// *AbortError, else results.AbortedByStart); the error is err.
func (j *Job) abort(ctx context.Context, s *Session, outc *Outcome, sw *stopWatch, err error) (*Outcome, error) {
	s.meta.Aborted, s.meta.AbortedBy = err.Error(), results.AbortedByStart
	if ae := (*AbortError)(nil); errors.As(err, &ae) {
		s.meta.AbortedBy = ae.By
	}
	outc, ferr := j.finish(ctx, s, outc, sw)
	if ferr != nil {
		return outc, errors.Join(err, ferr)
	}
	return outc, err
}
