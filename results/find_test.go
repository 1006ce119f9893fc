package results

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// shardDirs writes the shards of run id (n of them, those listed in
// present) under dir/I, each with a meta.json and a results file of rs's
// results of its index (every n-th); it returns dir.
func shardDirs(t *testing.T, dir, id string, n int, present ...int) string {
	t.Helper()
	rs := goldenSpec().Results()[:300]
	for _, i := range present {
		d := filepath.Join(dir, strconv.Itoa(i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := WriteMeta(filepath.Join(d, MetaFile), shardMeta(i, n, id)); err != nil {
			t.Fatal(err)
		}
		var mine = rs[:0:0]
		for k := i; k < len(rs); k += n {
			mine = append(mine, rs[k])
		}
		writeResults(t, d, ResultsFile, mine)
	}
	return dir
}

func TestExpandResults(t *testing.T) {
	dir := t.TempDir()
	shards := shardDirs(t, filepath.Join(dir, "shards"), "r1", 3, 2, 0, 1)
	if err := os.MkdirAll(filepath.Join(shards, "not-a-shard"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := writeResults(t, dir, "a.bin", goldenSpec().Results()[:10])
	missing := filepath.Join(dir, "nosuch.bin")
	got, err := ExpandResults([]string{file, filepath.Join(shards, "1"), shards, missing})
	want := []string{file, filepath.Join(shards, "1", ResultsFile),
		filepath.Join(shards, "0", ResultsFile), filepath.Join(shards, "1", ResultsFile), filepath.Join(shards, "2", ResultsFile), missing}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ExpandResults = %q, %v\nwant %q", got, err, want)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ExpandResults([]string{empty}); err == nil || !strings.Contains(err.Error(), empty+": a directory, not a results file, and no results.bin in it") {
		t.Errorf("a directory without results: %v", err)
	}
}

func TestFindShards(t *testing.T) {
	dir := t.TempDir()
	shards := shardDirs(t, dir, "r1", 2, 1, 0)
	files, err := ExpandResults([]string{shards})
	if err != nil {
		t.Fatal(err)
	}
	in, err := FindShards([]string{files[1], files[0]})
	if err != nil || len(in) != 2 || in[0].Meta.Shard.Index != 0 || in[1].Meta.Shard.Index != 1 || in[0].Dir != filepath.Join(shards, "0") {
		t.Fatalf("FindShards = %+v, %v; want shards 0 and 1 in index order", in, err)
	}
	plain := writeResults(t, t.TempDir(), "a.bin", goldenSpec().Results()[:10])
	if in, err := FindShards([]string{plain}); in != nil || err != nil {
		t.Errorf("a results file without meta.json: %+v, %v; want no shards", in, err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, MetaFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FindShards([]string{filepath.Join(bad, ResultsFile)}); err == nil || !strings.Contains(err.Error(), MetaFile) {
		t.Errorf("an unreadable meta.json: %v, want an error naming it", err)
	}
}
