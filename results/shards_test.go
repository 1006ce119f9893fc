package results

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func shardMeta(i, n int, id string) Meta {
	m := goldenMeta()
	m.RunID, m.RequestedRate, m.Agents, m.Connections, m.ReSignIns, m.Sent, m.Recorded = id, 100.0/float64(n), 10, 8, 1, 50, 50
	m.Started = time.Date(2026, 1, 2, 3, 4, 5, int(time.Millisecond)*i, time.UTC)
	m.Warnings = []string{"w"}
	m.Shard = &ShardInfo{Index: i, Count: n, Share: 1 / float64(n), PlanRequestedRate: 100, PlanAgents: 10 * n}
	return m
}

func inputs(n int, id string) []ShardInput {
	var in []ShardInput
	for i := n - 1; i >= 0; i-- { // out of order on purpose
		in = append(in, ShardInput{Results: "s" + string(rune('0'+i)) + "/results.bin", Dir: "s" + string(rune('0'+i)), Meta: shardMeta(i, n, id)})
	}
	return in
}

func TestMetaRoundTripShard(t *testing.T) {
	p := filepath.Join(t.TempDir(), MetaFile)
	m := shardMeta(1, 3, "run-7")
	m.Aborted, m.AbortedBy = "shard 2 not ready", AbortedByStart
	m.Shards = &MergedShards{Count: 3, StartSkewMS: 1.5, Missing: []int{2}, List: []MergedShard{{Index: 0, Dir: "a", Requests: 3, Agents: 2, RequestedRate: 1.5, FirstSend: m.Started, Interrupted: true, Aborted: "x", Partial: true}}}
	if err := WriteMeta(p, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMeta(p)
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Errorf("ReadMeta = %+v, %v\nwant %+v", got, err, m)
	}
	b, _ := os.ReadFile(p)
	for _, key := range []string{`"run_id": "run-7"`, `"shard": {`, `"plan_requested_rate": 100`, `"sent": 50`, `"aborted": "shard 2 not ready"`, `"aborted_by": "start"`, `"start_skew_ms": 1.5`, `"missing": [`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("meta.json lacks %s:\n%s", key, b)
		}
	}
	// A run of one process writes none of the distributed keys.
	if err := WriteMeta(p, goldenMeta()); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(p)
	for _, key := range []string{"run_id", "shard", "aborted"} {
		if strings.Contains(string(b), `"`+key) {
			t.Errorf("meta.json of one process has %s:\n%s", key, b)
		}
	}
}

func TestMergeShardMeta(t *testing.T) {
	m, missing, err := MergeShardMeta(inputs(3, "r1"), false)
	if err != nil || len(missing) != 0 {
		t.Fatalf("MergeShardMeta: %v, missing %v", err, missing)
	}
	if m.RequestedRate != 100 || m.Agents != 30 || m.Connections != 24 || m.ReSignIns != 3 || m.Sent != 150 || m.Recorded != 150 || m.RunID != "r1" || m.Shard != nil {
		t.Errorf("merged %+v: want the plan's 100/s, 30 agents, 24 connections, 3 re-sign-ins, 150 sent, run r1, no shard of its own", m)
	}
	if !m.Started.Equal(shardMeta(0, 3, "").Started) {
		t.Errorf("started %s, want the earliest shard's", m.Started)
	}
	if l := m.Shards.List; m.Shards.Count != 3 || len(m.Shards.Missing) != 0 || len(l) != 3 || l[0].Index != 0 || l[2].Dir != "s2" || l[1].Agents != 10 {
		t.Errorf("shards %+v: want all three in index order", m.Shards)
	}
	if want := []string{"shard 0: w", "shard 1: w", "shard 2: w"}; !reflect.DeepEqual(m.Warnings, want) {
		t.Errorf("warnings %q, want %q", m.Warnings, want)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m.AddFileStats([]FileStats{{Results: 7, FirstSend: t0.Add(2 * time.Millisecond)}, {Results: 8, Partial: true, FirstSend: t0}, {Results: 9}})
	if l := m.Shards.List; l[1].Requests != 8 || !l[1].Partial || l[2].Requests != 9 || m.Shards.StartSkewMS != 2 {
		t.Errorf("after AddFileStats: %+v, start skew %v ms (want 2)", m.Shards, m.Shards.StartSkewMS)
	}

	in := inputs(3, "r1")
	in[0].Meta.Interrupted, in[1].Meta.Aborted = true, "shard 2 not ready"
	in[2].Meta.SLO = nil
	s := goldenSLO()
	in[1].Meta.SLO = &s
	m, _, _ = MergeShardMeta(in, false)
	if !m.Interrupted || m.Aborted != "shard 2 not ready" {
		t.Errorf("interrupted %v aborted %q: want both from the shards", m.Interrupted, m.Aborted)
	}
	if !strings.Contains(strings.Join(m.Warnings, "\n"), "gated by other SLOs") {
		t.Errorf("warnings %q: want the SLO difference named", m.Warnings)
	}

	for name, c := range map[string]struct {
		in   func() []ShardInput
		want string
	}{
		"two runs": {func() []ShardInput { in := inputs(2, "a"); in[0].Meta.RunID = "b"; return in }, "2 different runs"},
		"counts":   {func() []ShardInput { in := inputs(2, "a"); in[0].Meta.Shard.Count = 3; return in }, "one run has one shard count"},
		"plans":    {func() []ShardInput { in := inputs(2, "a"); in[0].Meta.Plan = "other"; return in }, "one target and plan"},
		"twice":    {func() []ShardInput { in := inputs(2, "a"); in[0].Meta.Shard.Index = 0; return in }, "are both shard 0 of run a"},
		"missing":  {func() []ShardInput { return inputs(3, "a")[1:] }, "shard 2 is missing"},
		"no shard": {func() []ShardInput { in := inputs(2, "a"); in[1].Meta.Shard = nil; return in }, "names no shard"},
	} {
		_, _, err := MergeShardMeta(c.in(), false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
	m, missing, err = MergeShardMeta(inputs(3, "a")[:2], true)
	if err != nil || !reflect.DeepEqual(missing, []int{0}) || !reflect.DeepEqual(m.Shards.Missing, []int{0}) || !strings.Contains(strings.Join(m.Warnings, "\n"), "shard 0 of 3 missing") {
		t.Errorf("allowed missing: %v, missing %v (%v), warnings %q", err, missing, m.Shards.Missing, m.Warnings)
	}
}
