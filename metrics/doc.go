// Package metrics is the live view of a load run: Prometheus metrics served
// over HTTP while the run goes on (ccgw load --metrics-addr), with the
// official Go client library.
//
// The reports stay the source of every verdict (HdrHistogram latencies,
// SLO gates); the metrics let a person or a Prometheus alert watch a soak
// or a distributed run as it happens, beside the gateway's own dashboards.
// They follow Prometheus naming (base units, _total counters) and carry
// only low-cardinality labels: the call (gateway.Call), the outcome class,
// its detail and retcode, the gateway node, and the run's target, plan and
// shard as constant labels. No agent ID, URL, Guid, token or password is
// ever a label value; every label's set of values is bounded
// (DefaultMaxLabelValues).
//
// A Metrics is the registry and its collectors; a run feeds it through
//
//   - an Observer (Metrics.Observer), handed every result the run records
//     (load's recorder), from one goroutine: per call and outcome request
//     counts and latency histograms, and the schedule lag;
//   - a Source (Metrics.Attach), read at each scrape: planned and achieved
//     rate, requests in flight, agents signed in, sign-ins, re-sign-ins,
//     Guid rotations and event polls;
//   - SetStage, ObserveReady and JourneyDone for the run's stage and the
//     journeys' time to softphone-ready.
//
// Serve exposes a Metrics at /metrics; Server.Linger keeps it up for a
// while after the run, so the last scrape sees the final counts. Every
// method of a nil *Metrics and a nil *Observer does nothing, so a run
// without metrics pays one nil check per result.
//
// The metric names (the Name* constants) are a stable interface:
// docs/metrics.md lists them, and deploy/grafana/ccgw-load.json queries them.
package metrics
