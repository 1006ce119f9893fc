// Package reports turns vegeta results of logininfo load runs into the
// reports a release pipeline gates on and a person reads: it aggregates
// results in bounded memory (HdrHistogram for latencies, per-second,
// per-agent and per-node histograms), evaluates SLO gates (latency, error
// rate, achieved rate, contract violations, generator saturation) and writes
// summary.txt, report.json, report.md, report.html, junit.xml and
// latency.hgrm.
//
// The same Aggregator serves the live load run (results are Added as they
// complete) and `ccgw report` (results are read back from a run's two
// files, ResultsFile and CallsFile, with ReadFiles). Aggregation does not
// depend on the order results arrive in, so both produce the same
// report.json for the same results and Meta.
//
// A result counts as success only when its Error field (a gateway.Verdict
// string) parses to success and its HTTP status is 200. Results never carry
// bodies; the only headers read are HeaderNode and HeaderLagUs.
package reports
