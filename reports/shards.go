package reports

import (
	"fmt"
	"strconv"
)

// The parts of the human-readable reports that concern distributed runs: a
// shard's place in its run, the shards of a merged report, and a run that
// gave up at its start barrier.

// shardAlerts are the loud lines of a distributed run.
func shardAlerts(r *Report) []alert {
	if r.Aborted == "" {
		return nil
	}
	return []alert{{"ABORTED", "ABORTED: the run gave up before its measured attack: " + r.Aborted}}
}

// shardOverview adds the run table's rows of a distributed run.
func shardOverview(r *Report, add func(k, v string)) {
	switch {
	case r.Shard != nil:
		add("shard", fmt.Sprintf("%d of %d (0-based) of run %s: %s of the plan (plan: %s requested, %d agents); this report is a diagnostic, the run's verdict is the merged report's",
			r.Shard.Index, r.Shard.Count, orDash(r.RunID), pct(r.Shard.Share), yesNo(r.Shard.PlanRequestedRate > 0, rate(r.Shard.PlanRequestedRate), "-"), r.Shard.PlanAgents))
	case len(r.Shards) > 0:
		add("distributed", fmt.Sprintf("%d shards of run %s merged into one verdict", len(r.Shards), orDash(r.RunID)))
	}
}

// withShardSection inserts the shards table of a merged report after the
// run table.
func withShardSection(ss []section, r *Report) []section {
	if len(r.Shards) == 0 {
		return ss
	}
	t := &table{head: []string{"shard", "requests", "agents", "requested", "first send", "state", "results"},
		right: []bool{true, true, true, true, false, false, false}}
	var first, last int64 // earliest and latest first send, UnixNano (0: none)
	for _, s := range r.Shards {
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
		if !s.FirstSend.IsZero() {
			ns := s.FirstSend.UnixNano()
			if first == 0 || ns < first {
				first = ns
			}
			last = max(last, ns)
		}
	}
	sec := section{id: "shards", title: "Shards", table: t,
		lines: []string{"Every figure of this report is computed over the results of all shards together, as one run; each shard's own report (in its directory) is a diagnostic."}}
	if first != 0 {
		sec.lines = append(sec.lines, fmt.Sprintf("First sends of the shards span %s.", fmtMS(float64(last-first)/1e6)))
	}
	out := make([]section, 0, len(ss)+1)
	out = append(out, ss[0], sec)
	return append(out, ss[1:]...)
}
