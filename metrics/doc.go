// Package metrics is the live view of a load run: Prometheus metrics served
// over HTTP while the run goes on (ccgw load --metrics-addr), so that a
// person or a Prometheus alert can watch a soak or a distributed run as it
// happens, beside the gateway's own dashboards. It is a view, not a verdict:
// the reports stay the source of every figure a run is gated on
// (HdrHistogram latencies, SLO gates), and the metrics classify each result
// by the reports' own rules (reports.FactsOf), so the two never disagree on
// what a success is.
//
// A Metrics (New) is the registry of one run. The run feeds it in two ways:
// every result it records goes to an Observer (Metrics.Observer), which
// counts requests and latencies per call and outcome; everything else
// (planned and achieved rate, requests in flight, agents signed in, Guid
// rotations...) is read at scrape time from a Source the run attaches
// (Metrics.Attach). Serve exposes it at /metrics and Server.Linger keeps it
// up after the run, so the last scrape sees the final counts. Every method
// of a nil *Metrics or *Observer does nothing, so a run without metrics
// pays one nil check per result.
//
// Metrics follow Prometheus naming (base units, _total counters) and carry
// only low-cardinality labels: the call (gateway.Call), the outcome class,
// its detail and retcode, the gateway node, and the run's target, plan and
// shard as constant labels. No agent ID, URL, Guid, token or password is
// ever a label value, and every label's set of values is bounded
// (DefaultMaxLabelValues). The metric names (the Name* constants) are a
// stable interface: docs/metrics.md lists them, and
// deploy/grafana/ccgw-load.json queries them.
package metrics
