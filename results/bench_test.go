package results

import (
	"path/filepath"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/reports/reportstest"
)

// BenchmarkDecodeOnly measures vegeta's gob decoding alone, the floor of
// BenchmarkReadFiles.
func BenchmarkDecodeOnly(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "results.bin")
	if err := reportstest.DefaultSpec(n).WriteFile(path); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := openSource(path)
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for {
			ok, err := s.next()
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				break
			}
			count++
		}
		s.f.Close()
		if count != n {
			b.Fatal(count)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "results/s")
	_ = vegeta.Result{}
}
