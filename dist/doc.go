// Package dist runs one load plan as several generators (shards) that
// behave as one run: one start instant, one live view, one abort rule, one
// verdict. Each shard is an ordinary load.Job sending its part of the plan
// (pace.Shard: agent k and hit g go to shard k mod N and g mod N); what
// makes them one run is a coordinator they talk to over the run's own
// network, with nothing shared on disk.
//
// Shard 0 is also the coordinator: it listens on a port (the stable name
// ccgw-load-0.ccgw-load of an Indexed Job's pod behind a headless Service,
// or 127.0.0.1 on one machine), and every shard, itself included, joins it
// (Join) before signing in. A shard proves it belongs to the run with the
// run's token (CCGW_RUN_TOKEN), which never crosses the network: the two
// sides exchange nonces and sign every message with HMAC-SHA256 under a
// key derived from the token and both nonces (see wire.go). Then:
//
//   - Start: every shard signs in, warms up and reports ready; when all are
//     ready the coordinator picks the start instant (a lead ahead) and
//     tells every shard; a shard not ready within the barrier timeout, a
//     shard that fails or is lost before the start, and a duplicate or
//     restarted shard give the run up (every shard signs out, writes its
//     reports and exits 2); a shard arriving after the start is refused.
//   - Live: every shard sends a snapshot each second (its aggregator's live
//     reports.State, its metrics exposition, its stage and agents); the
//     coordinator's progress line and metrics show their sum, and its
//     abort_when rule judges their last window (Rule).
//   - Faults: heartbeats both ways; a shard silent for the heartbeat
//     timeout (killed, cut off) is lost, the others go on and the merged
//     report names it; a shard that loses its coordinator stops, signs out,
//     writes its own reports and exits 2.
//   - Verdict: each shard sends its final full state (and, with
//     --collect-results, its results file); the coordinator merges them
//     exactly (reports.Aggregator.Merge: the report equals ccgw report over
//     the shards' files), writes the run's reports and exits with the run's
//     verdict.
//
// Local runs the same protocol with N processes of this machine, as the
// Job's pods would (ccgw shards, make load SHARDS=N).
package dist
