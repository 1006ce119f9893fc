package reports

import (
	"fmt"
	"strconv"
)

// The parts of the human-readable reports that concern distributed runs
// and runs stopped early: a shard's place in its run, the shards of a
// merged report, and a run that was aborted (its abort_when rule, a start
// given up, a lost coordinator).

// GateAbortWhen is the gate an abort_when rule that broke fails.
const GateAbortWhen = "abort_when"

// abortGates is the failed abort_when gate of a run its rule stopped.
func abortGates(m Meta) []Gate {
	if m.AbortedBy != AbortedByRule {
		return nil
	}
	return []Gate{{Name: GateAbortWhen, Threshold: 0, Actual: 1, Op: "<=", Unit: "bool", Detail: m.Aborted}}
}

// shardAlerts are the loud lines of a run stopped early.
func shardAlerts(r *Report) []alert {
	switch {
	case r.Aborted == "":
		return nil
	case r.AbortedBy == AbortedByRule:
		return []alert{{"ABORTED", "ABORTED by abort_when: " + r.Aborted}}
	case r.AbortedBy == AbortedByCoordinator:
		return []alert{{"ABORTED", "ABORTED: the shard lost its coordinator: " + r.Aborted}}
	}
	return []alert{{"ABORTED", "ABORTED: the run gave up before its measured attack: " + r.Aborted}}
}

// shardOverview adds the run table's rows of a distributed run.
func shardOverview(r *Report, add func(k, v string)) {
	switch {
	case r.Shard != nil:
		add("shard", fmt.Sprintf("%d of %d (0-based) of run %s: %s of the plan (plan: %s requested, %d agents); this report is a diagnostic, the run's verdict is the merged report's",
			r.Shard.Index, r.Shard.Count, orDash(r.RunID), pct(r.Shard.Share), yesNo(r.Shard.PlanRequestedRate > 0, rate(r.Shard.PlanRequestedRate), "-"), r.Shard.PlanAgents))
	case r.Shards != nil:
		v := fmt.Sprintf("%d of %d shards of run %s merged into one verdict", len(r.Shards.List), r.Shards.Count, orDash(r.RunID))
		if len(r.Shards.Missing) > 0 {
			v += fmt.Sprintf("; missing: %s", shardWord(r.Shards.Missing))
		}
		add("distributed", v)
	}
}

// withShardSection inserts the shards table of a merged report after the
// run table.
func withShardSection(ss []section, r *Report) []section {
	if r.Shards == nil {
		return ss
	}
	t := &table{head: []string{"shard", "requests", "agents", "requested", "first send", "state", "results"},
		right: []bool{true, true, true, true, false, false, false}}
	for _, s := range r.Shards.List {
		state := "complete"
		switch {
		case s.Aborted != "":
			state = "aborted: " + s.Aborted
		case s.Interrupted:
			state = "interrupted"
		case s.Partial:
			state = "partial"
		}
		t.rows = append(t.rows, []string{strconv.Itoa(s.Index), u(s.Requests), strconv.Itoa(s.Agents), rate(s.RequestedRate), fmtTime(s.FirstSend), state, s.Dir})
	}
	for _, i := range r.Shards.Missing {
		t.rows = append(t.rows, []string{strconv.Itoa(i), "-", "-", "-", "-", "missing", "-"})
	}
	sec := section{id: "shards", title: "Shards", table: t,
		lines: []string{"Every figure of this report is computed over the results of all shards together, as one run; each shard's own report (in its directory) is a diagnostic."}}
	if len(r.Shards.List) > 1 {
		sec.lines = append(sec.lines, fmt.Sprintf("First measured sends of the shards span %s (start skew).", fmtMS(r.Shards.StartSkewMS)))
	}
	if len(r.Shards.Missing) > 0 {
		sec.lines = append(sec.lines, fmt.Sprintf("%s of %d missing: the figures cover the other shards only.", shardWord(r.Shards.Missing), r.Shards.Count))
	}
	out := make([]section, 0, len(ss)+1)
	out = append(out, ss[0], sec)
	return append(out, ss[1:]...)
}
