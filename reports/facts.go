package reports

import (
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/results"
)

// Facts are what the reports count of one judged result: its verdict as the
// Aggregator classifies it (a success with an HTTP status other than 200 is
// an HTTP error) and the load engine's own headers (results.HeaderNode,
// results.HeaderLagUs). Live views of a run (the metrics package) read
// results through FactsOf, so they count exactly what the reports count.
type Facts struct {
	// Verdict is the result's outcome.
	Verdict gateway.Verdict
	// Node is the gateway node of the agent's session (0: unknown).
	Node int
	// Lag is how long after its planned time the request was sent; HasLag
	// is false when the result carries no lag (closed model, other calls).
	Lag    time.Duration
	HasLag bool
}

// FactsOf returns the facts of result r. It does not allocate for the
// results the load engine records.
func FactsOf(r *vegeta.Result) Facts {
	v, _ := verdictOf(r)
	f := Facts{Verdict: v}
	if node, ok := headerInt(r.Headers, results.HeaderNode); ok && node > 0 && node <= 1<<20 {
		f.Node = int(node)
	}
	if us, ok := headerInt(r.Headers, results.HeaderLagUs); ok {
		f.Lag, f.HasLag = time.Duration(max(us, 0))*time.Microsecond, true
	}
	return f
}
