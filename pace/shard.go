package pace

import (
	"fmt"
	"strconv"
	"strings"

	"ccgw-harness/config"
)

// MaxShards bounds the number of shards of a distributed run.
const MaxShards = 1000

// Shard is one part of a distributed run: shard Index (0-based) of Count.
// The zero value (and any Count of 1) is an unsharded run.
//
// A shard takes a deterministic, disjoint part of the plan: agent k of the
// plan's agent list (the first `agents` agents of the target, in
// configuration order) belongs to shard k mod Count (Shard.Agents), and
// global hit g of the plan's schedule to shard g mod Count, sent at its
// planned time (see Split). The shards' agents and hits therefore add up
// exactly to the plan's, whatever its shape.
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

// Split returns shard s's part of pace p. For a schedule shard I sends the
// plan's global hits I, I+N, I+2N, ... at their planned times, so that the
// shards' hits add up exactly to the plan's and their union is the plan's
// schedule (stages, ramps and sine split naturally). A closed-model pace
// splits its concurrency (the remainder goes to the low shards) and its
// rate cap evenly. An unsharded s returns p itself.
func Split(p Pacer, s Shard) (Pacer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !s.Sharded() {
		return p, nil
	}
	switch p := p.(type) {
	case *Schedule:
		return p.split(s)
	case *Closed:
		return p.split(s)
	}
	return nil, fmt.Errorf("pace %v has no schedule to split over shards", p)
}

// split is Split for a schedule.
func (s *Schedule) split(sh Shard) (Pacer, error) {
	if s.sharded() {
		return nil, fmt.Errorf("pace %s is a shard already", s)
	}
	total := s.hits
	if total < uint64(sh.Count) {
		return nil, fmt.Errorf("the plan sends %d requests, fewer than its %d shards: every shard needs a request (raise the rate or duration, or lower the shards)", total, sh.Count)
	}
	n := uint64(sh.Count)
	part := *s
	part.first, part.every = uint64(sh.Index), n
	part.hits = (total - uint64(sh.Index) + n - 1) / n
	return &part, nil
}

// split is Split for the closed model: shard s gets its part of the
// concurrency (the remainder to the low shards) and of the rate cap.
func (c *Closed) split(s Shard) (Pacer, error) {
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

// Share is the fraction of the plan that a shard's pace p carries, given
// the plan's pace: its hits over the plan's (open model) or its
// concurrency over the plan's (closed model); 1 when plan is p.
func Share(plan, p Pacer) float64 {
	if amount(plan) <= 0 {
		return 1
	}
	return amount(p) / amount(plan)
}

// amount is how much a pace asks for, the measure its shards share: the
// planned hits (open model) or the concurrency (closed model).
func amount(p Pacer) float64 {
	switch p := p.(type) {
	case *Schedule:
		return float64(p.hits)
	case *Closed:
		return float64(p.Concurrency)
	}
	return 0
}
