package reports

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
)

// BenchmarkAggregate measures Aggregator.Add (results/s).
func BenchmarkAggregate(b *testing.B) {
	pool := reportstest.DefaultSpec(10_000).Results()
	a := NewAggregator()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &pool[i%len(pool)]
		r.Timestamp = t0.Add(time.Duration(i) * time.Millisecond)
		a.Add(r)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "results/s")
}

// BenchmarkReadFiles measures decoding plus aggregation of a gob results
// file (results/s), the path of `ccgw report`.
func BenchmarkReadFiles(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "results.bin")
	if err := reportstest.DefaultSpec(n).WriteFile(path); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got, _, err := results.ReadFiles(NewAggregator(), path); err != nil || got != n {
			b.Fatal(got, err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "results/s")
	_ = os.Remove(path)
}
