// Package load runs load plans against a CC-Gateway (or the mock): many
// signed-in agents (load/agents), each request carrying its agent's
// current Guid, at a planned pace (pace), every response judged by the
// contract as it streams and recorded. It is the engine: prepare (NewJob
// refuses, before any network, what the safety rails, the plan's pace, the
// agents or the output directory do not allow), attack (Job.Run: sign-in,
// warm-up, an optional start gate shared by a distributed run's shards,
// then the measured attack at the plan's rate, or a journey plan's agents
// each signing in, holding and signing out on schedule), and finish (every
// agent signed out on every path, interruption included, then meta.json
// and the reports).
//
// One run's life is a Session (Open, SignIn, WarmUp, Attack, End, Close),
// which a Job drives once and a capacity search (package capacity) drives
// step by step. The recorder is the one writer of a run's results: the
// measured logininfo results to results.bin and the agents' own calls to
// calls.bin (vegeta gob, flushed at least every second), each also added
// to the reports' aggregator and the live metrics.
//
// Whoever runs a Job from outside it, as one of several generators
// (package dist) or under an abort rule, has the seams of seams.go and
// shard.go: its part of a plan (WithShard), a start gate (WithStartGate),
// a stop hook (WithStop) and a snapshot source (WithAggregator,
// Job.Status).
//
// Results files follow docs/architecture.md: Error is the verdict string,
// Body is nil, Headers hold only our own X-Ccgw-* keys, Attack is
// "target/plan". No Guid, token or password is ever written, logged or
// put in an error.
//
//	job, err := load.NewJob(target, plan, "out/smoke", load.WithSLO(objs))
//	out, err := job.Run(ctx, client, target)
//	fmt.Println(out.Report.Pass)
package load
