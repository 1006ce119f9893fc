package reports

import (
	"runtime"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// retainedHeap returns the heap an Aggregator holds after adding n results
// at rate per second (measured after GC). The results cycle through a pool
// of generated ones, with their own send times.
func retainedHeap(pool []vegeta.Result, n int, rate float64) (uint64, *Aggregator) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	a := NewAggregator()
	for i := range n {
		r := pool[i%len(pool)]
		r.Timestamp = t0.Add(time.Duration(float64(i) / rate * 1e9))
		a.Add(&r)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(a)
	runtime.KeepAlive(pool)
	if after.HeapAlloc < before.HeapAlloc {
		return 0, a
	}
	return after.HeapAlloc - before.HeapAlloc, a
}

// TestMemoryBounded: ten times more results over the same span, agents and
// nodes must not make the Aggregator retain (much) more memory.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("aggregates 220k results")
	}
	pool := reportstest.DefaultSpec(5000).Results()
	hs, as := retainedHeap(pool, 20_000, 200)   // 100 s
	hl, al := retainedHeap(pool, 200_000, 2000) // the same 100 s
	t.Logf("retained heap: 20000 results -> %d KiB, 200000 results -> %d KiB", hs>>10, hl>>10)
	if rs, rl := as.Snapshot().Requests, al.Snapshot().Requests; rs != 20_000 || rl != 200_000 {
		t.Fatalf("requests %d %d", rs, rl)
	}
	// Generous: the sparse per-second histograms fill more buckets at a
	// higher rate, but never in proportion to the results.
	if limit := 2*hs + 1<<20; hl > limit {
		t.Errorf("retained heap grew from %d to %d bytes for 10x the results (limit %d)", hs, hl, limit)
	}
	if hl > 8<<20 {
		t.Errorf("retained heap %d bytes for 200k results, want < 8 MiB", hl)
	}
}

// TestMemoryBoundedAgents: agents beyond the bound are not tracked.
func TestMemoryBoundedAgents(t *testing.T) {
	a := NewAggregator(WithMaxAgents(100))
	for i := range 1000 {
		r := vegeta.Result{Code: 200, Latency: time.Millisecond, Timestamp: t0,
			URL: "https://127.0.0.1:8043/agentgateway/resource/onlineagent/" + itoa(2000-i) + "/logininfo"}
		a.Add(&r)
	}
	r := a.Report(results.Meta{}, slo.Objectives{})
	if r.AgentsSeen != 100 || len(r.Warnings) != 1 {
		t.Errorf("agents seen %d warnings %v, want 100 and a warning", r.AgentsSeen, r.Warnings)
	}
	if got := a.agents.keys(); got[0] != 1001 || got[99] != 1100 {
		t.Errorf("kept agents %d..%d, want the lowest IDs 1001..1100", got[0], got[99])
	}
}
