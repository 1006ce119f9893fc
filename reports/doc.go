// Package reports is the judgement of a load run: it turns the run's vegeta
// results into the figures a release pipeline gates on and a person reads.
// An Aggregator takes every result in memory that does not grow with their
// number (HdrHistogram latencies, bounded per-second, per-agent and per-node
// histograms); its Report is the run's outcome, with a gate per objective of an
// slo.Objectives evaluated (latency, error rate, achieved rate, contract
// violations, generator saturation, time to softphone-ready, per-call
// figures), and WriteAll writes it in every form (summary.txt, report.json,
// report.md, report.html, junit.xml, latency.hgrm). The shards of a
// distributed run merge into one Report, and capacity searches (Capacity)
// and comparisons of two runs (Compare) build on Reports.
//
// The same Aggregator serves the live load run (results are Added as they
// complete) and `ccgw report` (results are read back from a run's
// directory with results.ReadFiles). Aggregation does not depend on the
// order results arrive in, so both produce the same report.json for the
// same results and results.Meta.
//
// A result counts as success only when its Error field (a gateway.Verdict
// string) parses to success and its HTTP status is 200; FactsOf is that rule
// for one result, shared with the live metrics. Results never carry bodies;
// the only headers read are the harness's own (results.Header*).
package reports
