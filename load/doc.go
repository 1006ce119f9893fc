// Package load runs load plans against a CC-Gateway (or the mock): many
// signed-in agents, each request carrying its agent's current Guid, at a
// planned rate, every response judged by the contract as it streams.
//
// The pieces, one concept a file, vegeta-lib style:
//
//   - pool.go: the agent pool. Sign-in with bounded concurrency (forced
//     sign-in after 100-002 when the target allows it: gateway.NeedsForceLogin),
//     a summary of the agents that could not sign in grouped by reason,
//     re-sign-in of agents whose session the gateway lost
//     (gateway.SessionGone: 100-006, 100-008, 000-003; deduplicated, bounded,
//     counted, never blocking the request path), and sign-out of every
//     agent at the end on every path, on a context detached from the run's.
//   - keepalive.go: event long polling per agent as a real agent client does
//     (next poll 200-500 ms after each answer, less when the target's Guid
//     timings leave less room); a Set-GUID switches the agent's Guid
//     atomically, cookies are replayed. Polls are capped (see KeepAlive).
//   - poll.go: one event poll on the generator's lean path (the request
//     built from the agent's prepared header, the body read into a reused
//     buffer, an idle answer proved a success without decoding, else
//     gateway.JudgePoll), recorded as a result; used by the keep-alive and
//     the journeys.
//   - calls.go: the agents' own calls (sign-in, forced sign-in, sign-out
//     through the agent client's observer; polls) as results judged by
//     gateway.JudgeCall, with X-Ccgw-Node.
//   - journeyplan.go, journey.go: journey plans. PlanJourneys checks, from
//     the exact arrival schedule, that the plan has the agents its
//     overlapping journeys need; the journeys stage starts one journey per
//     arrival (open model), each an agent client's own sequence with its
//     own connections: sign-in, logininfo (time to softphone-ready),
//     event polls and repeated logininfo for the hold, sign-out.
//   - targeter.go: POST .../logininfo with Content-Type, Guid and cookies,
//     agents round-robin or in a shuffled order; no allocation per request.
//   - pacer.go: constant, staged (linear ramps) and sine rates as exact
//     schedules that also know when each hit was planned (for the lag of
//     each request), the closed model, the target's max_rate cap, and the
//     --rate/--duration overrides.
//   - attack.go: the attack's own transport (HTTP/1.1 keep-alive with a
//     fixed number of connections, a cap on vegeta's workers so a slow
//     gateway cannot trigger a TLS-handshake storm, HTTP/2 on request), a
//     count of the connections dialed, connection warm-up, and the vegeta
//     attack, whose results stream through a channel.
//   - judge.go: each result judged by the contract oracle
//     (gateway.JudgeLoginInfo, behind an allocation-free fast path that
//     says success only where the oracle does: FuzzJudgesAgree), its body
//     and response headers dropped, X-Ccgw-Node and X-Ccgw-Lag-Us added.
//   - record.go: the recorder, the one writer of results: judged results
//     gob-encoded, logininfo to results.bin and the agents' own calls to
//     calls.bin (both flushed at least every second), and added to the
//     reports.Aggregator and the live metrics, from the attack's drain and
//     the agents' goroutines alike; a verdict saying the session is gone
//     (gateway.Verdict.SessionGone) is fed back to the pool.
//   - progress.go: the live progress line (a rewritten line on a terminal,
//     a plain line every 5 s otherwise).
//   - run.go: NewJob checks everything that needs no gateway (safety rails:
//     allow_load, production with --confirm, max_rate; the plan's pace; the
//     agents; the output directory) before anyone signs in; Job.Run then
//     runs the stages open, signIn (and keep-alive), warmUp, measure (the
//     attack's result channel drained through the judge into the recorder,
//     until the plan ends or the context is cancelled) and finish
//     (sign-out on every path, meta.json, results.bin, calls.bin and the
//     reports).
//   - search.go: the capacity search as a pure function of the step
//     outcomes so far (nextStep): geometric growth, bisection to the
//     precision, confirmation, retried invalid steps, the worst-case step
//     count.
//   - capacity.go: CapacityJob, a capacity search run on the same stages
//     (one sign-in and warm-up), its steps driven by nextStep, and
//     capacity.json and its reports at the end.
//   - capstep.go: one capacity step: a constant rate written to its own
//     directory, judged from the planned send time; judgeStep says
//     whether a failed gate is the gateway's or the generator's.
//   - drain.go: between steps, single probes until the gateway answers
//     as fast as when idle.
//   - shard.go, seams.go: what a Job offers whoever runs it as one of
//     several generators (package dist) or under an abort rule: its part
//     of a plan (Shard, ShardPacer), a start gate, a stop hook (WithStop),
//     and a snapshot source (WithAggregator, Job.Status).
//
// Results files follow docs/architecture.md: vegeta gob results of every call,
// Error is the verdict string, Body is nil, Headers hold only our own
// X-Ccgw-* keys (node, lag, journey, journey end, ready), Attack is
// "target/plan". No Guid, token or password is ever written, logged or put
// in an error.
package load
