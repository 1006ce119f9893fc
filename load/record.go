package load

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/load/agents"
	"ccgw-harness/metrics"
	"ccgw-harness/pace"
	"ccgw-harness/reports"
	"ccgw-harness/results"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// recorder is the run's record of its results: two vegeta gob results
// files (buffered, flushed at least every flushInterval so a killed run
// leaves a readable prefix of each) and the aggregator the reports come
// from. ResultsFile gets the results that make the report's top level
// (results.IsTopLevel: logininfo), so that vegeta's own tools over it
// count what report.json counts; CallsFile gets the agents' own calls
// (sign-in, forced sign-in, event polls, sign-out, Guid refresh). It is
// the one place results are written: the measured attack's (drain, on one
// goroutine) and the agents' own calls and journeys (agents.Calls,
// agents.Poller, the journeys: from any goroutine). A mutex serialises them;
// the attack's drain holds it only to encode and add one result. The first write error is kept and stops
// further writes to both files; the aggregator still counts every result,
// so the report stays whole.
type recorder struct {
	mu     sync.Mutex
	files  [2]recordFile // resultsOut, callsOut
	agg    *reports.Aggregator
	obs    *metrics.Observer // the live metrics (nil: none)
	n      uint64            // results recorded
	byCall []uint64          // results recorded per call (gateway.Calls order)
	closed bool
	err    error // first write error
}

// loginInfoIndex is the index of logininfo in gateway.Calls.
var loginInfoIndex = agents.CallIndex(gateway.CallLoginInfo)

// Indexes of recorder.files.
const (
	resultsOut = iota // ResultsFile
	callsOut          // CallsFile
)

// outOf is the file (resultsOut or callsOut) of each call of
// gateway.Calls.
var outOf = func() []int {
	out := make([]int, len(gateway.Calls))
	for i, c := range gateway.Calls {
		if !results.IsTopLevel(c) {
			out[i] = callsOut
		}
	}
	return out
}()

// recordFile is one results file being written (f nil: none).
type recordFile struct {
	name string // base name, for errors
	f    *os.File
	bw   *bufio.Writer
	enc  vegeta.Encoder
}

// recordBufferSize is each results file's write buffer.
const recordBufferSize = 256 << 10

// newRecorder creates ResultsFile and, when calls, CallsFile in dir. A
// recorder without CallsFile (a capacity step's, which records only the
// measured logininfo) removes a CallsFile left in dir by an earlier run
// and writes the agents' calls it may be given to no file (the aggregator
// still counts them).
func newRecorder(dir string, agg *reports.Aggregator, calls bool) (*recorder, error) {
	rec := &recorder{agg: agg, byCall: make([]uint64, len(gateway.Calls))}
	names := []string{ResultsFile}
	if calls {
		names = append(names, CallsFile)
	} else if err := os.Remove(filepath.Join(dir, CallsFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for i, name := range names {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			for _, o := range rec.files[:i] {
				o.f.Close()
			}
			return nil, err
		}
		bw := bufio.NewWriterSize(f, recordBufferSize)
		rec.files[i] = recordFile{name: name, f: f, bw: bw, enc: vegeta.NewEncoder(bw)}
	}
	return rec, nil
}

// record writes one judged result of call ci (an index of gateway.Calls)
// to its file, adds it to the aggregator and counts it in the live
// metrics. After close, results are dropped.
func (rec *recorder) record(r *vegeta.Result, ci int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.closed {
		return
	}
	if o := &rec.files[outOf[ci]]; rec.err == nil && o.f != nil {
		if err := o.enc.Encode(r); err != nil {
			rec.err = fmt.Errorf("writing %s: %w", o.name, err)
		}
	}
	rec.agg.Add(r)
	if rec.obs != nil {
		rec.obs.Observe(r)
	}
	rec.n++
	rec.byCall[ci]++
}

// counts returns the results recorded per call name.
func (rec *recorder) counts() map[string]uint64 {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := map[string]uint64{}
	for i, n := range rec.byCall {
		if n > 0 {
			out[gateway.Calls[i]] = n
		}
	}
	return out
}

// flush writes buffered results to the files.
func (rec *recorder) flush() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.flushLocked()
}

func (rec *recorder) flushLocked() {
	for i := range rec.files {
		o := &rec.files[i]
		if rec.err == nil && o.f != nil {
			if err := o.bw.Flush(); err != nil {
				rec.err = fmt.Errorf("writing %s: %w", o.name, err)
			}
		}
	}
}

// close flushes, syncs and closes the results files; it keeps the first
// error. It may be called more than once.
func (rec *recorder) close() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.closed = true
	rec.flushLocked()
	for i := range rec.files {
		o := &rec.files[i]
		if o.f == nil {
			continue
		}
		for _, err := range []error{o.f.Sync(), o.f.Close()} {
			if err != nil && rec.err == nil {
				rec.err = fmt.Errorf("writing %s: %w", o.name, err)
			}
		}
		o.f = nil
	}
}

// newJudge returns the judge of a recorded attack: it reuses one header map
// for every result (the recorder encodes and aggregates each result before
// the next is judged, and neither keeps the map) and computes each
// request's lag against p's schedule from start (none for the closed
// model).
func newJudge(pool *agents.Pool, p pace.Pacer, start time.Time) *agents.Judge {
	j := &agents.Judge{Pool: pool, Start: start, Header: make(http.Header, 2)}
	if s, ok := p.(*pace.Schedule); ok {
		j.Planned = s.Planned
	}
	return j
}
