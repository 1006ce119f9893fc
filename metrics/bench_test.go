package metrics_test

import (
	"net/http"
	"net/http/httptest"
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

// BenchmarkScrape is the cost of one scrape of a run's metrics (about 200
// series of ccgw_, go_ and process_ metrics), served by the run's process.
func BenchmarkScrape(b *testing.B) {
	m, err := metrics.New()
	if err != nil {
		b.Fatal(err)
	}
	o := m.Observer()
	reportstest.DefaultSpec(4096).Each(o.Observe)
	m.Attach(metrics.Source{Agents: 100, SignedIn: func() map[int]int { return map[int]int{1: 50, 2: 50} }})
	h := m.Handler()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, metrics.Path, nil))
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
