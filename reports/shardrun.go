package reports

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// The checks of `ccgw report` over the shards of a distributed run: which
// files are shards, whether they make one run, and where the run's merged
// report may go.

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

// MergeShardRun returns the metadata of the one run the shards make up
// (MergeShardMeta), refusing shards that are not one run. A run given up
// before its start (a shard records AbortedByStart) is explained: it
// merges the shards there are, missing ones or not, and notWhole says why
// it is not a whole run ("" for a run that is).
func MergeShardRun(in []ShardInput, allowMissing bool) (m Meta, notWhole string, err error) {
	givenUp := false
	for _, s := range in {
		givenUp = givenUp || s.Meta.AbortedBy == AbortedByStart
	}
	m, _, err = MergeShardMeta(in, allowMissing || givenUp)
	if err != nil {
		return Meta{}, "", err
	}
	if givenUp {
		notWhole = "the run was given up before its start: " + m.Aborted
	}
	return m, notWhole, nil
}

// ReadShards reads the shards' results files into a (ReadFilesEach) and
// each shard's figures into m, the metadata MergeShardRun made of them. n
// counts the measured requests (the shards' ResultsFile results); partial
// says a file was cut short.
func ReadShards(a *Aggregator, m *Meta, in []ShardInput) (n int, partial bool, err error) {
	files := make([]string, len(in))
	for i, s := range in {
		files[i] = s.Results
	}
	stats, err := ReadFilesEach(a, files...)
	for _, s := range stats {
		n += s.Results
		partial = partial || s.Partial
	}
	m.AddFileStats(stats)
	return n, partial, err
}

// MergedDir is the directory of the merged report of shards: out, by
// default "merged" beside the first shard's directory; never a shard's own
// directory, whose report stays there as a diagnostic.
func MergedDir(out string, in []ShardInput) (string, error) {
	if out == "" {
		out = filepath.Join(filepath.Dir(filepath.Clean(in[0].Dir)), "merged")
	}
	abs, _ := filepath.Abs(out)
	for _, s := range in {
		if d, _ := filepath.Abs(s.Dir); d == abs {
			return "", fmt.Errorf("%s is the directory of shard %d: the merged report goes elsewhere (its own report stays there as a diagnostic)", out, s.Meta.Shard.Index)
		}
	}
	return out, nil
}
