package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"ccgw-harness/load"
	"ccgw-harness/reports"
	"ccgw-harness/results"
)

// DefaultMergeWait is how long `ccgw report --barrier` waits for every
// shard to end.
const DefaultMergeWait = time.Hour

// mergeFlags are the flags of `ccgw report` for the shards of a
// distributed run.
type mergeFlags struct {
	allowMissing bool
	barrier      string
	wait         time.Duration
}

func (m *mergeFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&m.allowMissing, "allow-missing-shards", false, "merge the shards there are when some of the run's are missing (a warning, the report marked partial) instead of refusing")
	fs.StringVar(&m.barrier, "barrier", "", "the run's barrier `DIR`: first wait until every shard has ended (its done file), then merge")
	fs.DurationVar(&m.wait, "barrier-timeout", DefaultMergeWait, "with --barrier: wait at most `D` for the shards to end")
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

// shardsEnded is how the shards of a run ended, as their barrier says.
type shardsEnded struct {
	run load.BarrierRun
	// warnings go into the merged report; problems make the merge a
	// harness error (a shard that failed, or did not end in time).
	warnings, problems []string
	// aborted: the run was given up at its start barrier.
	aborted bool
}

// waitShards waits, for `ccgw report --barrier DIR`, until every shard of
// the run in DIR has ended, and says how they ended.
func (m *mergeFlags) waitShards(ctx context.Context, stderr io.Writer) (e shardsEnded, err error) {
	fmt.Fprintf(stderr, "ccgw report: waiting up to %s for the shards of the run of barrier %s to end\n", m.wait, m.barrier)
	run, done, missing, err := load.WaitDone(ctx, m.barrier, m.wait, load.DefaultBarrierPoll)
	e.run = run
	if err != nil {
		return e, err
	}
	fmt.Fprintf(stderr, "ccgw report: %d of the %d shards of run %s ended\n", len(done), run.Count, run.RunID)
	if len(missing) > 0 {
		e.problems = append(e.problems, fmt.Sprintf("%s did not end within %s (no done file in %s): killed or still running; its results may be cut short", shardNames(missing), m.wait, m.barrier))
	}
	for i := range run.Count {
		d, ok := done[i]
		if !ok {
			continue
		}
		switch d.ExitCode {
		case exitOK, exitGateFailed:
		case exitInterrupted:
			e.warnings = append(e.warnings, fmt.Sprintf("shard %d was interrupted", i))
		default:
			why := d.Reason
			if why == "" {
				why = "no reason recorded"
			}
			e.problems = append(e.problems, fmt.Sprintf("shard %d ended with exit code %d: %s", i, d.ExitCode, why))
		}
	}
	if d, ok, _ := load.ReadBarrierDecision(m.barrier); ok && d.Abort != "" {
		e.aborted = true
		e.problems = append(e.problems, "the run was given up at its start barrier: "+d.Abort)
	}
	return e, nil
}

// shardNames names shards for a message.
func shardNames(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	if len(ids) == 1 {
		return "shard " + s[0]
	}
	return "shards " + strings.Join(s, ", ")
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
