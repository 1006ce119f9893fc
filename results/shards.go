package results

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/internal/human"
)

// ShardInput is one shard of a distributed run as `ccgw report` finds it:
// its results file and the meta.json beside it.
type ShardInput struct {
	Results string // path of its results.bin (ReadFiles reads the calls.bin beside it too)
	Dir     string // its directory, as named in the report
	Meta    Meta
}

// MergeError is a set of shards that are not one run: the reason names the
// files.
type MergeError struct{ Reason string }

// Error implements error.
func (e *MergeError) Error() string { return e.Reason }

func mergeErr(format string, args ...any) *MergeError {
	return &MergeError{Reason: fmt.Sprintf(format, args...)}
}

// MergeShardMeta returns the metadata of the one run that shards make up:
// the plan's requested rate (not the sum of the shares), the agents,
// connections, re-sign-ins and requests of all shards together, the
// earliest start, the shards' warnings (each named), interrupted or
// aborted when any shard was, and the SLO the shards were gated by. The
// shards must be of one run ID, count, target and plan, each index once;
// a missing index is an error unless allowMissing, when it becomes a
// warning (the report is then also marked partial by the caller). The
// second result lists the missing shards.
func MergeShardMeta(in []ShardInput, allowMissing bool) (Meta, []int, error) {
	if len(in) == 0 {
		return Meta{}, nil, mergeErr("no shards to merge")
	}
	in = slices.Clone(in)
	ref := slices.IndexFunc(in, func(s ShardInput) bool { return s.Meta.Shard != nil })
	if ref < 0 {
		return Meta{}, nil, mergeErr("%s: no shard metadata (meta.json) to merge", in[0].Results)
	}
	for _, s := range in {
		if s.Meta.Shard == nil {
			return Meta{}, nil, mergeErr("%s: its meta.json names no shard, but %s is shard %d of run %s: merge the shards of one run only",
				s.Results, in[ref].Results, in[ref].Meta.Shard.Index, orDash(in[ref].Meta.RunID))
		}
	}
	SortShardInputs(in)
	first := in[0]
	f := first.Meta
	var ids []string
	byID := map[string][]string{}
	for _, s := range in {
		if _, ok := byID[s.Meta.RunID]; !ok {
			ids = append(ids, s.Meta.RunID)
		}
		byID[s.Meta.RunID] = append(byID[s.Meta.RunID], s.Results)
	}
	if len(ids) > 1 {
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = fmt.Sprintf("run %s: %s", orDash(id), strings.Join(byID[id], ", "))
		}
		return Meta{}, nil, mergeErr("the results are of %d different runs, refused (merge the shards of one run only): %s", len(ids), strings.Join(parts, "; "))
	}
	for _, s := range in[1:] {
		m := s.Meta
		switch {
		case m.Shard.Count != f.Shard.Count:
			return Meta{}, nil, mergeErr("%s is shard %d of %d, %s shard %d of %d: one run has one shard count", s.Results, m.Shard.Index, m.Shard.Count, first.Results, f.Shard.Index, f.Shard.Count)
		case m.Target != f.Target || m.Plan != f.Plan:
			return Meta{}, nil, mergeErr("%s ran %s/%s, %s ran %s/%s: one run has one target and plan", s.Results, m.Target, m.Plan, first.Results, f.Target, f.Plan)
		}
	}
	var missing []int
	seen := map[int]string{}
	for _, s := range in {
		i := s.Meta.Shard.Index
		if other, dup := seen[i]; dup {
			return Meta{}, nil, mergeErr("%s and %s are both shard %d of run %s: each shard once", other, s.Results, i, f.RunID)
		}
		seen[i] = s.Results
	}
	for i := range f.Shard.Count {
		if _, ok := seen[i]; !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 && !allowMissing {
		return Meta{}, missing, mergeErr("run %s has %d shards, but %s %s missing: no verdict of the run without them (--allow-missing-shards merges what is there)",
			orDash(f.RunID), f.Shard.Count, human.Shards(missing), isAre(missing))
	}

	m := Meta{
		Target: f.Target, Plan: f.Plan, Profile: f.Profile,
		RequestedRate:   f.Shard.PlanRequestedRate,
		PlannedDuration: f.PlannedDuration,
		TLSVerify:       true,
		RunID:           f.RunID,
		SLO:             f.SLO,
		Shards:          &MergedShards{Count: f.Shard.Count, Missing: append([]int{}, missing...)},
	}
	var slo0 []byte
	if f.SLO != nil {
		slo0, _ = json.Marshal(f.SLO)
	}
	for _, s := range in {
		sm := s.Meta
		m.Agents += sm.Agents
		m.AgentsFailed += sm.AgentsFailed
		m.Connections += sm.Connections
		m.HTTP2 = m.HTTP2 || sm.HTTP2
		m.TLSVerify = m.TLSVerify && sm.TLSVerify
		m.ReSignIns += sm.ReSignIns
		m.Interrupted = m.Interrupted || sm.Interrupted
		m.Sent += sm.Sent
		m.Recorded += sm.Recorded
		if !sm.Started.IsZero() && (m.Started.IsZero() || sm.Started.Before(m.Started)) {
			m.Started = sm.Started
		}
		if sm.Aborted != "" && m.Aborted == "" {
			m.Aborted, m.AbortedBy = sm.Aborted, sm.AbortedBy
		}
		for _, w := range sm.Warnings {
			m.Warnings = append(m.Warnings, fmt.Sprintf("shard %d: %s", sm.Shard.Index, w))
		}
		if sm.PlannedDuration != f.PlannedDuration {
			m.Warnings = append(m.Warnings, fmt.Sprintf("shard %d planned %s, shard %d %s: the shards did not run the same plan length", sm.Shard.Index, sm.PlannedDuration, f.Shard.Index, f.PlannedDuration))
		}
		if sm.Shard.PlanRequestedRate != f.Shard.PlanRequestedRate {
			m.Warnings = append(m.Warnings, fmt.Sprintf("shard %d planned %s/s, shard %d %s/s: the shards did not run the same plan rate", sm.Shard.Index,
				strconv.FormatFloat(sm.Shard.PlanRequestedRate, 'f', -1, 64), f.Shard.Index, strconv.FormatFloat(f.Shard.PlanRequestedRate, 'f', -1, 64)))
		}
		if b, _ := json.Marshal(sm.SLO); sm.SLO != nil && string(b) != string(slo0) {
			m.Warnings = append(m.Warnings, fmt.Sprintf("shard %d was gated by other SLOs than shard %d: the merged report applies shard %d's", sm.Shard.Index, f.Shard.Index, f.Shard.Index))
		}
		m.Shards.List = append(m.Shards.List, MergedShard{
			Index: sm.Shard.Index, Dir: s.Dir, Agents: sm.Agents, RequestedRate: sm.RequestedRate,
			Interrupted: sm.Interrupted, Aborted: sm.Aborted,
		})
	}
	if len(missing) > 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s of %d missing: the figures cover the other shards only", human.Shards(missing), f.Shard.Count))
	}
	return m, missing, nil
}

// AddFileStats fills in each merged shard's requests, first measured
// send and whether its file was cut short, from what ReadFilesEach read
// from the shards' files (in the order of the ShardInputs given to
// MergeShardMeta, sorted by index), and the shards' start skew.
func (m *Meta) AddFileStats(stats []FileStats) {
	if m.Shards == nil {
		return
	}
	for i := range m.Shards.List {
		if i < len(stats) {
			m.Shards.List[i].Requests = uint64(stats[i].Results)
			m.Shards.List[i].FirstSend = stats[i].FirstSend
			m.Shards.List[i].Partial = stats[i].Partial
		}
	}
	m.Shards.StartSkewMS = durMS(m.Shards.StartSkew())
}

// SortShardInputs orders shards by index (the order MergeShardMeta lists
// them in).
func SortShardInputs(in []ShardInput) {
	slices.SortStableFunc(in, func(a, b ShardInput) int {
		if a.Meta.Shard == nil || b.Meta.Shard == nil {
			return 0
		}
		return a.Meta.Shard.Index - b.Meta.Shard.Index
	})
}

func isAre(ids []int) string {
	if len(ids) == 1 {
		return "is"
	}
	return "are"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// durMS is d in milliseconds rounded to 3 decimals, computed as reports
// computes every duration of report.json (so the figures agree to the bit).
func durMS(d time.Duration) float64 { return math.Round(float64(d)/1e6*1e3) / 1e3 }
