package results

import "ccgw-harness/gateway"

// The files of a run's directory (docs/results-files.md). ResultsFile and
// CallsFile are vegeta gob results streams; MetaFile is the run's Meta.
const (
	// ResultsFile holds the results that make report.json's top-level
	// figures (IsTopLevel: the measured logininfo requests), so that
	// `vegeta report`, `vegeta plot` and `vegeta encode` over it see what
	// the report counts.
	ResultsFile = "results.bin"
	// CallsFile holds the agents' own calls (sign-in, forced sign-in, event
	// polls, sign-out, Guid refresh): report.json's calls.* and journeys
	// come from both files together.
	CallsFile = "calls.bin"
	// MetaFile is the run-metadata file the load engine writes beside the
	// results files.
	MetaFile = "meta.json"
)

// IsTopLevel reports whether a call's results make the top-level figures:
// logininfo, and anything that is not one of the agent interface's other
// calls (a plain vegeta attack's results). A run writes exactly these to
// its ResultsFile and the others (the agents' own calls) to its CallsFile,
// so that vegeta's tools over the ResultsFile count what report.json's top
// level counts.
func IsTopLevel(c gateway.Call) bool { return c == gateway.CallLoginInfo || c == gateway.CallOther }
