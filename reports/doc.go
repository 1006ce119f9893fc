// Package reports is the judgement of a load run: it turns the run's judged
// vegeta results into the three documents a release pipeline gates on and a
// person reads. An Aggregator takes every result (Added live as the run
// records it, or read back with results.ReadFiles: the order does not
// matter) in memory that does not grow with their number, and makes the
// run's Report: its figures (HdrHistogram latencies, rates, errors by kind,
// per call, node and agent, journeys, generator saturation) and a Gate per
// objective of an slo.Objectives. A result is a success only when its Error
// parses to a successful gateway.Verdict and its HTTP status is 200; FactsOf
// is that rule for one result, shared with the live metrics. Compare judges
// a run against a baseline run (a Comparison with regression gates), and a
// capacity search's steps make a Capacity with its answer. An
// Aggregator's State is its content as data that merges exactly (a
// distributed run's shards send theirs to its coordinator), and a Window
// what it counted between two states (a plan's abort_when). The rules of
// a run judged again from its files are here too: MergeShardRun, ReadShards
// and MergedDir over a distributed run's shards (results.FindShards finds
// them), KilledWarning for a run killed before it wrote its own reports,
// and ReadReportFile for a run's report.json. Package reports/render
// writes the documents in every form.
package reports
