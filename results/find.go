package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Finding a run's results files in the paths `ccgw report` is given: a
// run's directory, a results file, or the directory of a distributed run's
// shards.

// ExpandResults turns the DIR|FILE arguments of a report into results
// files: a file is itself (an error for a missing one is left to the
// reader, which names it); a directory holding a ResultsFile is that file
// (ReadFiles adds the CallsFile beside it); any other directory stands for
// the ResultsFile of each of its subdirectories, in name order (the shards
// of a distributed run), and is an error when none has one.
func ExpandResults(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a)
			continue
		}
		if _, err := os.Stat(filepath.Join(a, ResultsFile)); err == nil {
			out = append(out, filepath.Join(a, ResultsFile))
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", a, err)
		}
		var found []string
		for _, e := range ents {
			p := filepath.Join(a, e.Name(), ResultsFile)
			if _, err := os.Stat(p); e.IsDir() && err == nil {
				found = append(found, p)
			}
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: a directory, not a results file, and no %s in it or in its subdirectories: give a results file, a run's directory, or the directory of a distributed run's shards", a, ResultsFile)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// FindShards reads the MetaFile beside each results file and returns the
// files as the shards of a distributed run, ordered by index
// (SortShardInputs); nil when none of them is a shard (an ordinary merge of
// results files). A file without a MetaFile beside it is a ShardInput
// without metadata, which MergeShardRun refuses.
func FindShards(files []string) ([]ShardInput, error) {
	var in []ShardInput
	sharded := false
	for _, f := range files {
		dir := filepath.Dir(f)
		s := ShardInput{Results: f, Dir: dir}
		m, err := ReadMeta(filepath.Join(dir, MetaFile))
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
	SortShardInputs(in)
	return in, nil
}
