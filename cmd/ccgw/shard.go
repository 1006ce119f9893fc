package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"ccgw-harness/load"
	"ccgw-harness/pace"
)

// The environment of a shard, as a Kubernetes Indexed Job gives it (the
// index) and the manifests set it (the count and the run ID).
const (
	envShardIndex = "JOB_COMPLETION_INDEX"
	envShardCount = "CCGW_SHARD_COUNT"
	envRunID      = "CCGW_RUN_ID"
)

// maxBarrierTimeout bounds --barrier-timeout.
const maxBarrierTimeout = 24 * time.Hour

// shardFlags are the flags of `ccgw load` that make it one shard of a
// distributed run.
type shardFlags struct {
	spec           string // --shard I/N
	runID          string // --run-id
	barrier        string // --barrier DIR
	barrierTimeout time.Duration

	shard pace.Shard // resolved from --shard or the environment
	given bool       // the run is a shard (flag or environment)
}

// register adds the flags to fs.
func (s *shardFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.spec, "shard", "", "run shard `I/N` of the plan (0-based; default from "+envShardIndex+" and "+envShardCount+")")
	fs.StringVar(&s.runID, "run-id", "", "the `ID` common to all shards of a distributed run (default "+envRunID+", else the barrier's)")
	fs.StringVar(&s.barrier, "barrier", "", "start barrier: a `DIR` every shard can write; all shards start the measured attack at one instant")
	fs.DurationVar(&s.barrierTimeout, "barrier-timeout", load.DefaultBarrierTimeout, "give the run up when a shard is not ready this long `D` after the first joined")
}

// resolve fills in the shard from the flags and the environment and
// checks them. Errors name the flag or variable and what it accepts.
func (s *shardFlags) resolve(env func(string) string, set map[string]bool) error {
	switch {
	case set["shard"]:
		sh, err := pace.ParseShard(s.spec)
		if err != nil {
			return fmt.Errorf("--shard %v", err)
		}
		s.shard, s.given = sh, true
	case env(envShardIndex) != "" || env(envShardCount) != "":
		sh, err := shardFromEnv(env)
		if err != nil {
			return err
		}
		s.shard, s.given = sh, true
	}
	if !set["run-id"] {
		s.runID = env(envRunID)
		if s.runID != "" {
			if err := load.ValidRunID(s.runID); err != nil {
				return fmt.Errorf("%s: %v", envRunID, err)
			}
		}
	} else if err := load.ValidRunID(s.runID); err != nil {
		return fmt.Errorf("--run-id: %v", err)
	}
	switch {
	case set["barrier-timeout"] && s.barrier == "":
		return errors.New("--barrier-timeout: only with --barrier DIR")
	case s.barrierTimeout <= 0 || s.barrierTimeout > maxBarrierTimeout:
		return fmt.Errorf("--barrier-timeout %s: want a positive duration of at most %s, e.g. 5m", s.barrierTimeout, maxBarrierTimeout)
	case s.barrier != "" && !s.given:
		return fmt.Errorf("--barrier: only for a shard of a distributed run (--shard I/N, or %s and %s)", envShardIndex, envShardCount)
	case s.shard.Sharded() && s.barrier == "" && s.runID == "":
		return fmt.Errorf("--run-id: shard %s of a run without --barrier needs the run ID common to all its shards (--run-id ID or %s)", s.shard, envRunID)
	}
	return nil
}

// shardFromEnv reads the shard from the Indexed Job's environment.
func shardFromEnv(env func(string) string) (pace.Shard, error) {
	is, ns := env(envShardIndex), env(envShardCount)
	switch {
	case ns == "":
		return pace.Shard{}, fmt.Errorf("%s=%s is set but %s is not: set %s to the Job's completions (or give --shard I/N)", envShardIndex, is, envShardCount, envShardCount)
	case is == "":
		return pace.Shard{}, fmt.Errorf("%s=%s is set but %s is not: run the shards as an Indexed Job (completionMode: Indexed) or give --shard I/N", envShardCount, ns, envShardIndex)
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 {
		return pace.Shard{}, fmt.Errorf("%s=%q: want a whole number from 0, the shard's 0-based index", envShardIndex, is)
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n < 1 || n > pace.MaxShards {
		return pace.Shard{}, fmt.Errorf("%s=%q: want the number of shards, 1 to %d", envShardCount, ns, pace.MaxShards)
	}
	if i >= n {
		return pace.Shard{}, fmt.Errorf("%s=%d is not below %s=%d: the index is 0-based", envShardIndex, i, envShardCount, n)
	}
	return pace.Shard{Index: i, Count: n}, nil
}

// shardSession is a shard's part in its run's barrier (nil methods are
// no-ops: a run of one process, or a shard without --barrier).
type shardSession struct {
	b *load.Barrier
}

// join joins the barrier (when --barrier is given) and settles the run
// ID: the flag's or variable's, else the barrier's.
func (s *shardFlags) join(logf func(string, ...any)) (*shardSession, error) {
	if s.barrier == "" {
		return nil, nil
	}
	b, err := load.NewBarrier(s.barrier, s.shard, load.WithBarrierTimeout(s.barrierTimeout),
		load.WithBarrierRunID(s.runID), load.WithBarrierLog(logf))
	if err != nil {
		return nil, fmt.Errorf("--barrier: %v", err)
	}
	id, err := b.Join()
	if err != nil {
		return nil, err
	}
	s.runID = id
	return &shardSession{b: b}, nil
}

// options are the load options of the shard.
func (s *shardFlags) options(sess *shardSession) []load.Option {
	if !s.given {
		return nil
	}
	opts := []load.Option{load.WithShard(s.shard), load.WithRunID(s.runID)}
	if sess != nil {
		opts = append(opts, load.WithStartGate(sess.b.Gate()))
	}
	return opts
}

// end records how the shard's process ends: a shard that fails or is
// interrupted before the start gives the run up for every shard, and the
// done file tells the merge step the shard is over.
func (sess *shardSession) end(index, code int, why string, outc *load.Outcome) {
	if sess == nil {
		return
	}
	if !sess.b.Started() {
		reason := fmt.Sprintf("shard %d ended before the start", index)
		switch {
		case why != "":
			reason = fmt.Sprintf("shard %d failed before the start: %s", index, why)
		case code == exitInterrupted:
			reason = fmt.Sprintf("shard %d was interrupted before the start", index)
		}
		_, _ = sess.b.Abort(reason)
	}
	d := load.ShardDone{ExitCode: code, Reason: why}
	if outc != nil {
		d.Sent, d.Recorded = outc.Sent, outc.Recorded
	}
	_ = sess.b.Done(d)
}
