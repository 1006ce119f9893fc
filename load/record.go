package load

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/metrics"
	"ccgw-harness/reports"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// recorder is the run's record of its results: the results file (vegeta
// gob, buffered, flushed at least every flushInterval so a killed
// run leaves a readable prefix) and the aggregator the reports come from.
// It is the one place results are written: the measured attack's (drain,
// on one goroutine) and the agents' own calls (sign-in, polls, sign-out,
// journeys: recordCall, from any goroutine). A mutex serialises them; the
// attack's drain holds it only to encode and add one result. The first
// write error is kept and stops further writes; the aggregator still
// counts every result, so the report stays whole.
type recorder struct {
	mu     sync.Mutex
	f      *os.File
	bw     *bufio.Writer
	enc    vegeta.Encoder
	agg    *reports.Aggregator
	obs    *metrics.Observer // the live metrics (nil: none)
	n      uint64            // results recorded
	byCall []uint64          // results recorded per call (gateway.Calls order)
	closed bool
	err    error // first write error
}

// recordBufferSize is the results file's write buffer.
const recordBufferSize = 256 << 10

// newRecorder creates the results file at path.
func newRecorder(path string, agg *reports.Aggregator) (*recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, recordBufferSize)
	return &recorder{f: f, bw: bw, enc: vegeta.NewEncoder(bw), agg: agg, byCall: make([]uint64, len(gateway.Calls))}, nil
}

// record writes one judged result of call ci (an index of gateway.Calls),
// adds it to the aggregator and counts it in the live metrics. After close,
// results are dropped.
func (rec *recorder) record(r *vegeta.Result, ci int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.closed {
		return
	}
	if rec.err == nil {
		if err := rec.enc.Encode(r); err != nil {
			rec.err = fmt.Errorf("writing results: %w", err)
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

// flush writes buffered results to the file.
func (rec *recorder) flush() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.flushLocked()
}

func (rec *recorder) flushLocked() {
	if rec.err == nil {
		if err := rec.bw.Flush(); err != nil {
			rec.err = fmt.Errorf("writing results: %w", err)
		}
	}
}

// close flushes, syncs and closes the results file; it keeps the first
// error. It may be called more than once.
func (rec *recorder) close() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.f == nil {
		return
	}
	rec.closed = true
	rec.flushLocked()
	for _, err := range []error{rec.f.Sync(), rec.f.Close()} {
		if err != nil && rec.err == nil {
			rec.err = fmt.Errorf("writing results: %w", err)
		}
	}
	rec.f = nil
}

// drain consumes an attack's results until the channel is closed: each is
// judged for the agent that sent it, recorded, and a lost session is fed
// back to the pool. It runs on one goroutine (the judge reuses its header
// map) and flushes the file at least every flushInterval.
func (rec *recorder) drain(j *judge, results <-chan *vegeta.Result) {
	tick := time.NewTicker(flushInterval)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-results:
			if !ok {
				rec.flush()
				return
			}
			a, v := j.Judge(r)
			rec.record(r, loginInfoIndex)
			j.pool.feedbackVerdict(a, v, r.Timestamp)
		case <-tick.C:
			rec.flush()
		}
	}
}

// newJudge returns the judge of a recorded attack: it reuses one header map
// for every result (the recorder encodes and aggregates each result before
// the next is judged, and neither keeps the map) and computes each
// request's lag against p's schedule from start.
func newJudge(pool *Pool, p Pacer, start time.Time) *judge {
	return &judge{pool: pool, pacer: p, start: start, hdr: make(http.Header, 2)}
}

// feedback handles a result that is not recorded (warm-up): only whether
// it says the agent's session is gone matters.
func (p *Pool) feedback(r *vegeta.Result) {
	j := judge{pool: p}
	a, v := j.Judge(r)
	p.feedbackVerdict(a, v, r.Timestamp)
}

// feedbackVerdict hands agent a to re-sign-in when the verdict of its
// request sent at sentAt says its session is gone (100-006, 100-008,
// 000-003: gateway.Verdict.SessionGone).
func (p *Pool) feedbackVerdict(a *agent, v gateway.Verdict, sentAt time.Time) {
	if a != nil && v.SessionGone() {
		p.lost(a, sentAt, nil)
	}
}
