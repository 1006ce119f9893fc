// Package pace is when a load run sends its requests: a plan's shape
// (constant rate, linear stages, sine, or the closed model's fixed number
// of requests in flight) as a vegeta pacer that stops by itself when the
// plan ends. An open-model pace is an exact Schedule: hit n is sent when
// the integral of the rate reaches n, so the plan sends a known number of
// hits and each hit's planned time is known, from which the run measures
// how late the generator sent it. The target's max_rate caps every shape
// (ForPlan).
//
// A distributed run splits a pace over its shards (Shard, Split): shard I
// of N sends the plan's hits I, I+N, I+2N... at their planned times, so the
// shards' hits add up exactly to the plan's; a closed model splits its
// concurrency and cap. Share says how much of the plan a shard carries.
//
//	p, warnings, err := pace.ForPlan(plan, target.MaxRate)
//	p, err = pace.Split(p, pace.Shard{Index: 1, Count: 3})
//	atk.Attack(targeter, p, 0, "target/plan") // stops when the plan ends
package pace
