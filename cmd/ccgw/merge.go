package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"ccgw-harness/load"
	"ccgw-harness/reports"
	"ccgw-harness/results"
)

// mergeFlags are the flags of `ccgw report` for the shards of a
// distributed run.
type mergeFlags struct {
	allowMissing bool
}

func (m *mergeFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&m.allowMissing, "allow-missing-shards", false, "merge the shards there are when some of the run's are missing (a warning, the report marked partial) instead of refusing")
}

// expandResults turns the DIR|FILE arguments into results files: a file is
// itself; a directory holding results.bin is that file (the reader adds
// the calls.bin beside it: results.ReadFiles); any other directory stands
// for the results.bin of each of its subdirectories (the shards of a
// distributed run, in name order).
func expandResults(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a) // a file, or an error the reader names
			continue
		}
		if _, err := os.Stat(filepath.Join(a, load.ResultsFile)); err == nil {
			out = append(out, filepath.Join(a, load.ResultsFile))
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", a, err)
		}
		var found []string
		for _, e := range ents {
			p := filepath.Join(a, e.Name(), load.ResultsFile)
			if _, err := os.Stat(p); e.IsDir() && err == nil {
				found = append(found, p)
			}
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: a directory, not a results file, and no %s in it or in its subdirectories: give a results file, a run's directory, or the directory of a distributed run's shards", a, load.ResultsFile)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// shardInputs reads the meta.json beside each results file. It returns
// nil when none of them is a shard of a distributed run (an ordinary
// merge of results files).
func shardInputs(files []string) ([]results.ShardInput, error) {
	var in []results.ShardInput
	sharded := false
	for _, f := range files {
		dir := filepath.Dir(f)
		s := results.ShardInput{Results: f, Dir: dir}
		mp := filepath.Join(dir, results.MetaFile)
		m, err := results.ReadMeta(mp)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, err
		default:
			s.Meta = m
			sharded = sharded || m.Shard != nil
		}
		in = append(in, s)
	}
	if !sharded {
		return nil, nil
	}
	results.SortShardInputs(in)
	return in, nil
}

// readResults reads the results files into a; for the shards of a run it
// also fills in each shard's figures in meta.
func readResults(a *reports.Aggregator, meta *results.Meta, files []string, sharded bool) (n int, partial bool, err error) {
	if !sharded {
		return results.ReadFiles(a, files...)
	}
	stats, err := results.ReadFilesEach(a, files...)
	for _, s := range stats {
		n += s.Results
		partial = partial || s.Partial
	}
	meta.AddFileStats(stats)
	return n, partial, err
}

// mergedOut is the directory of a merged report: --out, by default
// "merged" beside the first shard's directory; never a shard's own
// directory, whose report stays as a diagnostic.
func mergedOut(out string, shards []results.ShardInput) (string, error) {
	if out == "" {
		out = filepath.Join(filepath.Dir(filepath.Clean(shards[0].Dir)), "merged")
	}
	abs, _ := filepath.Abs(out)
	for _, s := range shards {
		if d, _ := filepath.Abs(s.Dir); d == abs {
			return "", fmt.Errorf("%s is the directory of shard %d: the merged report goes elsewhere (its own report stays there as a diagnostic)", out, s.Meta.Shard.Index)
		}
	}
	return out, nil
}
