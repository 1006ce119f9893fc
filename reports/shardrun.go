package reports

import (
	"fmt"
	"path/filepath"

	"ccgw-harness/results"
)

// The checks of `ccgw report` over the shards of a distributed run (found
// by results.FindShards): whether they make one run, and where the run's
// merged report may go.

// MergeShardRun returns the metadata of the one run the shards make up
// (results.MergeShardMeta), refusing shards that are not one run. A run
// given up before its start (a shard records results.AbortedByStart) is
// explained: it merges the shards there are, missing ones or not, and
// notWhole says why it is not a whole run ("" for a run that is).
func MergeShardRun(in []results.ShardInput, allowMissing bool) (m results.Meta, notWhole string, err error) {
	givenUp := false
	for _, s := range in {
		givenUp = givenUp || s.Meta.AbortedBy == results.AbortedByStart
	}
	m, _, err = results.MergeShardMeta(in, allowMissing || givenUp)
	if err != nil {
		return results.Meta{}, "", err
	}
	if givenUp {
		notWhole = "the run was given up before its start: " + m.Aborted
	}
	return m, notWhole, nil
}

// ReadShards reads the shards' results files into a
// (results.ReadFilesEach) and each shard's figures into m, the metadata
// MergeShardRun made of them. n counts the measured requests (the shards'
// results.ResultsFile results); partial says a file was cut short.
func ReadShards(a *Aggregator, m *results.Meta, in []results.ShardInput) (n int, partial bool, err error) {
	files := make([]string, len(in))
	for i, s := range in {
		files[i] = s.Results
	}
	stats, err := results.ReadFilesEach(a, files...)
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
func MergedDir(out string, in []results.ShardInput) (string, error) {
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
