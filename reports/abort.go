package reports

import "ccgw-harness/results"

// A run stopped early by its plan's abort_when rule fails a gate of its
// own; the other ways a run stops early (a start given up, a lost
// coordinator) are the alerts of its report (reports/render).

// GateAbortWhen is the gate an abort_when rule that broke fails.
const GateAbortWhen = "abort_when"

// abortGates is the failed abort_when gate of a run its rule stopped.
func abortGates(m results.Meta) []Gate {
	if m.AbortedBy != results.AbortedByRule {
		return nil
	}
	return []Gate{{Name: GateAbortWhen, Threshold: 0, Actual: 1, Op: "<=", Unit: "bool", Detail: m.Aborted}}
}
