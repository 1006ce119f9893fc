package reports

import (
	"fmt"
	"time"

	"ccgw-harness/results"
)

// A run killed (kill -9, a crash) before it could write its own reports
// leaves its results files cut at the last flush and the meta.json written
// before its attack: when the files end on a whole result, nothing else
// says the run stopped short. These functions tell such a run from its
// report and meta.json, so that a report rebuilt from its files is marked
// partial rather than judged as a whole run.

// UnfinishedJourneys is the number of journeys a journey run's results
// start but give no outcome (completed, failed or interrupted) when its
// meta.json records no interruption: a run killed before its journeys
// ended. It is 0 for a run whose every started journey ended, and for an
// interrupted one.
func UnfinishedJourneys(r *Report, meta results.Meta) uint64 {
	j := r.Journeys
	if meta.Interrupted || j.Started <= j.Completed+j.Failed+j.Interrupted {
		return 0
	}
	return j.Started - (j.Completed + j.Failed + j.Interrupted)
}

// EndedEarly returns how long before its planned end a run's results stop
// when meta (its meta.json) plans a length, does not record an
// interruption or an abort, and the last response came more than a grace
// period (max(2 s, 5 % of the plan)) before the planned end; else 0. The
// planned end counts from meta's start, or from the earliest send when
// meta records none. The load engine rewrites meta.json at the end of
// every run it finishes, SIGINT included, so such a run was killed.
func EndedEarly(r *Report, meta results.Meta) time.Duration {
	if meta.Interrupted || meta.Aborted != "" || meta.PlannedDuration <= 0 || r.Requests == 0 || r.End.IsZero() {
		return 0
	}
	start := meta.Started
	if start.IsZero() {
		start = r.Earliest
	}
	short := start.Add(meta.PlannedDuration).Sub(r.End)
	if short <= max(2*time.Second, meta.PlannedDuration/20) {
		return 0
	}
	return short
}

// KilledWarning returns the warning of a run that was probably killed, ""
// when nothing says so: a journey run with journeys that have no outcome
// (UnfinishedJourneys), else a run without journeys whose results end
// before its planned end (EndedEarly). r is the report of results files
// read whole (a truncated file already marks the report partial, and says
// so itself); the warning says the report covers only the results
// flushed before the kill.
func KilledWarning(r *Report, meta results.Meta) string {
	if n := UnfinishedJourneys(r, meta); n > 0 {
		return fmt.Sprintf("%d of %d journeys have no outcome and %s records no interruption: the run was probably killed; the report covers only the results flushed before that",
			n, r.Journeys.Started, results.MetaFile)
	}
	if short := EndedEarly(r, meta); short > 0 && r.Journeys.Started == 0 {
		return fmt.Sprintf("the results end %s before the planned end (%s from the start) and %s records no interruption: the run was probably killed; the report covers only the results flushed before that",
			short.Round(100*time.Millisecond), meta.PlannedDuration, results.MetaFile)
	}
	return ""
}
