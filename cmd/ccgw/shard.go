package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"ccgw-harness/dist"
	"ccgw-harness/pace"
)

// The environment of a shard, as a Kubernetes Indexed Job gives it (the
// index) and the manifests set it (the rest).
const (
	envShardIndex  = dist.EnvShardIndex
	envShardCount  = dist.EnvShardCount
	envRunID       = dist.EnvRunID
	envCoordinator = dist.EnvCoordinator
	envRunToken    = dist.EnvRunToken
)

// shardFlags are the flags of `ccgw load` that make it one shard of a
// distributed run.
type shardFlags struct {
	spec             string // --shard I/N
	runID            string // --run-id
	coordinator      string // --coordinator HOST:PORT
	barrierTimeout   time.Duration
	heartbeatTimeout time.Duration
	allowMissing     bool
	collect          bool

	shard pace.Shard // resolved from --shard or the environment
	given bool       // the run is a shard (flag or environment)
	token string     // CCGW_RUN_TOKEN (never printed)
}

// register adds the flags to fs.
func (s *shardFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.spec, "shard", "", "run shard `I/N` of the plan (0-based; default from "+envShardIndex+" and "+envShardCount+"); shard 0 coordinates the run")
	fs.StringVar(&s.runID, "run-id", "", "the `ID` of the distributed run (default "+envRunID+", else the coordinator's)")
	fs.StringVar(&s.coordinator, "coordinator", "", "`HOST:PORT` of shard 0, the run's coordinator (default "+envCoordinator+"; shard 0 listens on PORT)")
	fs.DurationVar(&s.barrierTimeout, "barrier-timeout", dist.DefaultBarrierTimeout, "give the run up when a shard is not ready `D` after the coordinator started (a shard tries to reach the coordinator that long)")
	fs.DurationVar(&s.heartbeatTimeout, "heartbeat-timeout", dist.DefaultHeartbeatTimeout, "take a shard or the coordinator for lost after `D` without a message from it")
	fs.BoolVar(&s.allowMissing, "allow-missing-shards", false, "coordinator: a run with shards lost or never started passes on the others' figures (default: exit 2)")
	fs.BoolVar(&s.collect, "collect-results", false, "coordinator: every shard sends its results file, written under --out's shards/I")
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
			if err := dist.ValidRunID(s.runID); err != nil {
				return fmt.Errorf("%s: %v", envRunID, err)
			}
		}
	} else if err := dist.ValidRunID(s.runID); err != nil {
		return fmt.Errorf("--run-id: %v", err)
	}
	if !set["coordinator"] {
		s.coordinator = env(envCoordinator)
	}
	s.token = env(envRunToken)
	distributed := s.shard.Sharded()
	for _, f := range []string{"coordinator", "barrier-timeout", "heartbeat-timeout", "allow-missing-shards", "collect-results"} {
		if set[f] && !distributed {
			return fmt.Errorf("--%s: only for a shard of a distributed run of 2 shards or more (--shard I/N, or %s and %s)", f, envShardIndex, envShardCount)
		}
	}
	switch {
	case s.barrierTimeout <= 0 || s.barrierTimeout > dist.MaxBarrierTimeout:
		return fmt.Errorf("--barrier-timeout %s: want a positive duration of at most %s, e.g. 5m", s.barrierTimeout, dist.MaxBarrierTimeout)
	case s.heartbeatTimeout < 500*time.Millisecond || s.heartbeatTimeout > time.Hour:
		return fmt.Errorf("--heartbeat-timeout %s: want a duration from 500ms to 1h, e.g. 5s", s.heartbeatTimeout)
	case !distributed:
		return nil
	case s.coordinator == "":
		return fmt.Errorf("--coordinator: shard %s needs HOST:PORT of shard 0 (--coordinator or %s; in Kubernetes ccgw-load-0.ccgw-load:%d)", s.shard, envCoordinator, dist.DefaultPort)
	case s.token == "":
		return fmt.Errorf("%s: shard %s needs the run's token, the same for every shard (make k8s and ccgw shards make one)", envRunToken, s.shard)
	}
	if _, err := dist.ListenAddress(s.coordinator); err != nil {
		return fmt.Errorf("--coordinator: %v", err)
	}
	if err := dist.ValidToken(s.token); err != nil {
		return fmt.Errorf("%s: %v", envRunToken, err)
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

// config is the shard's part in its run.
func (s *shardFlags) config(target, plan, out string) dist.Config {
	return dist.Config{Shard: s.shard, Coordinator: s.coordinator, Token: s.token, RunID: s.runID,
		Target: target, Plan: plan, Version: buildVersion(), Out: out}
}

// options are the run's settings (the coordinator's are the run's).
func (s *shardFlags) options() []dist.Option {
	return []dist.Option{dist.WithBarrierTimeout(s.barrierTimeout), dist.WithHeartbeatTimeout(s.heartbeatTimeout),
		dist.WithAllowMissingShards(s.allowMissing), dist.WithCollectResults(s.collect)}
}
