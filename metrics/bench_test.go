package metrics_test

import (
	"testing"

	"ccgw-harness/metrics"
	"ccgw-harness/reports/reportstest"
)

// BenchmarkObserve is the cost the metrics add to each recorded result
// (the recorder's drain runs at tens of thousands of results per second).
func BenchmarkObserve(b *testing.B) {
	m, err := metrics.New()
	if err != nil {
		b.Fatal(err)
	}
	o := m.Observer()
	rs := reportstest.DefaultSpec(4096).Results()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		o.Observe(&rs[i%len(rs)])
	}
}
