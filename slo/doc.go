// Package slo holds the objectives a run is judged by: one type,
// Objectives, for every path that gates a run (ccgw load and its shards,
// the merged verdict of a distributed run, ccgw report, and each step of
// ccgw capacity).
//
// An objective is a bound on one figure of a run: a latency statistic of
// the logininfo requests (p99, mean, max...), their error rate, the achieved
// share of the requested rate, the contract violations allowed, the
// generator's lateness; a journey plan's time to softphone-ready
// (ready_p99...); and one call's latency or error rate (calls.signin.p99,
// calls.logout.error_rate...). targets.yaml writes them under slo: (package
// config reads them into an Objectives), meta.json records the ones a run
// was judged by, and package reports turns each into a gate, a junit.xml
// test case named as the key. Because the configuration, the run, the
// record and the gates share this type, an objective written down is an
// objective judged: nothing converts between them, so nothing is lost.
//
// The package owns the rules of an objective, once: the latency keys and
// the statistic each names (ParseLatencyKey), the calls that may be gated
// (GatedCalls), the bounds of each value (Objectives.Validate), how a plan's
// objectives override the global ones (Objectives.Override), which keys
// mean nothing in a kind of run (Objectives.CheckMode), and the gate names.
// It imports the standard library and gateway only.
package slo
