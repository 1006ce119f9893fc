package reports

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"ccgw-harness/reports/goldentest"
	"ccgw-harness/results"
)

// shardMeta is the meta.json of shard i of n of run id.
func shardMeta(i, n int, id string) results.Meta {
	m := goldentest.Meta()
	m.RunID, m.RequestedRate, m.Agents, m.Connections, m.ReSignIns, m.Sent, m.Recorded = id, 100.0/float64(n), 10, 8, 1, 50, 50
	m.Started = time.Date(2026, 1, 2, 3, 4, 5, int(time.Millisecond)*i, time.UTC)
	m.Warnings = []string{"w"}
	m.Shard = &results.ShardInfo{Index: i, Count: n, Share: 1 / float64(n), PlanRequestedRate: 100, PlanAgents: 10 * n}
	return m
}

// inputs are the n shards of run id, out of index order.
func inputs(n int, id string) []results.ShardInput {
	var in []results.ShardInput
	for i := n - 1; i >= 0; i-- { // out of order on purpose
		in = append(in, results.ShardInput{Results: "s" + string(rune('0'+i)) + "/results.bin", Dir: "s" + string(rune('0'+i)), Meta: shardMeta(i, n, id)})
	}
	return in
}

// shardDirs writes the shards of run id (n of them, those listed in
// present) under dir/I, each with a meta.json and a results file of rs's
// results of its index (every n-th); it returns dir.
func shardDirs(t *testing.T, dir, id string, n int, present ...int) string {
	t.Helper()
	rs := goldentest.Spec().Results()[:300]
	for _, i := range present {
		d := filepath.Join(dir, itoa(i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := results.WriteMeta(filepath.Join(d, results.MetaFile), shardMeta(i, n, id)); err != nil {
			t.Fatal(err)
		}
		var mine = rs[:0:0]
		for k := i; k < len(rs); k += n {
			mine = append(mine, rs[k])
		}
		goldentest.WriteResults(t, d, results.ResultsFile, mine)
	}
	return dir
}

func TestMergeShardRun(t *testing.T) {
	if _, _, err := MergeShardRun(inputs(3, "a")[1:], false); err == nil || !strings.Contains(err.Error(), "shard 2 is missing") {
		t.Errorf("a shard missing: %v", err)
	}
	m, notWhole, err := MergeShardRun(inputs(3, "a")[1:], true)
	if err != nil || notWhole != "" || !reflect.DeepEqual(m.Shards.Missing, []int{2}) {
		t.Errorf("a shard missing, allowed: %v, %q, missing %v", err, notWhole, m.Shards)
	}
	// A run given up before its start merges the shards there are, and is
	// not a whole run.
	in := inputs(3, "a")[1:]
	for i := range in {
		in[i].Meta.Aborted, in[i].Meta.AbortedBy = "shard 2 not ready within 5m", results.AbortedByStart
	}
	m, notWhole, err = MergeShardRun(in, false)
	if err != nil || notWhole != "the run was given up before its start: shard 2 not ready within 5m" || len(m.Shards.List) != 2 {
		t.Errorf("a run given up: %v, %q, %+v", err, notWhole, m.Shards)
	}
	if _, _, err := MergeShardRun(nil, true); err == nil {
		t.Error("no shards: no error")
	}
}

func TestReadShards(t *testing.T) {
	shards := shardDirs(t, t.TempDir(), "r1", 3, 0, 1, 2)
	files, err := results.ExpandResults([]string{shards})
	if err != nil {
		t.Fatal(err)
	}
	in, err := results.FindShards(files)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := MergeShardRun(in, false)
	if err != nil {
		t.Fatal(err)
	}
	a := NewAggregator()
	n, partial, err := ReadShards(a, &m, in)
	if err != nil || partial || n != 300 {
		t.Fatalf("ReadShards = %d, %v, %v; want the 300 results whole", n, partial, err)
	}
	if l := m.Shards.List; l[0].Requests != 100 || l[1].Requests != 100 || l[2].Requests != 100 || l[0].FirstSend.IsZero() {
		t.Errorf("the shards' figures: %+v", l)
	}
	want := NewAggregator()
	if _, _, err := results.ReadFiles(want, files...); err != nil {
		t.Fatal(err)
	}
	if got, w := a.Report(m, goldentest.SLO()).Requests, want.Report(m, goldentest.SLO()).Requests; got != w {
		t.Errorf("requests %d, want %d as results.ReadFiles reads them", got, w)
	}
}

func TestMergedDir(t *testing.T) {
	in := inputs(2, "a")
	in[0].Dir, in[1].Dir = filepath.Join("out", "run", "shards", "1"), filepath.Join("out", "run", "shards", "0")
	if d, err := MergedDir("", in); err != nil || d != filepath.Join("out", "run", "shards", "merged") {
		t.Errorf("default: %q, %v", d, err)
	}
	if d, err := MergedDir("elsewhere", in); err != nil || d != "elsewhere" {
		t.Errorf("--out: %q, %v", d, err)
	}
	if _, err := MergedDir(in[1].Dir+"/", in); err == nil || !strings.Contains(err.Error(), "is the directory of shard 0: the merged report goes elsewhere") {
		t.Errorf("a shard's own directory: %v", err)
	}
}
