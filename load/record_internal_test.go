package load

import (
	"testing"

	"ccgw-harness/metrics"
	"ccgw-harness/reports"
	"ccgw-harness/reports/reportstest"
)

// BenchmarkRecord is the recorder's cost per judged result (results file,
// aggregator) without and with the live metrics, side by side: the
// metrics' share of the drain's hot path. Compare the two medians of one
// run (go test -bench Record -count 5 ./load).
func BenchmarkRecord(b *testing.B) {
	rs := reportstest.DefaultSpec(4096).Results()
	for _, on := range []bool{false, true} {
		name := "metrics=off"
		if on {
			name = "metrics=on"
		}
		b.Run(name, func(b *testing.B) {
			rec, err := newRecorder(b.TempDir(), reports.NewAggregator(), true)
			if err != nil {
				b.Fatal(err)
			}
			defer rec.close()
			if on {
				m, err := metrics.New()
				if err != nil {
					b.Fatal(err)
				}
				rec.obs = m.Observer()
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				rec.record(&rs[i%len(rs)], loginInfoIndex)
			}
		})
	}
}

// TestRecordObserves: the recorder counts every result it records in the
// metrics, and a recorder without metrics records the same.
func TestRecordObserves(t *testing.T) {
	rs := reportstest.DefaultSpec(300).Results()
	m, err := metrics.New(metrics.WithoutRuntimeMetrics())
	if err != nil {
		t.Fatal(err)
	}
	for _, obs := range []*metrics.Observer{nil, m.Observer()} {
		rec, err := newRecorder(t.TempDir(), reports.NewAggregator(), true)
		if err != nil {
			t.Fatal(err)
		}
		rec.obs = obs
		for i := range rs {
			rec.record(&rs[i], loginInfoIndex)
		}
		rec.close()
		if rec.err != nil || rec.n != uint64(len(rs)) {
			t.Fatalf("recorded %d of %d: %v", rec.n, len(rs), rec.err)
		}
	}
	reg := m.Registry()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, f := range fams {
		if f.GetName() == metrics.NameRequestDuration {
			for _, s := range f.GetMetric() {
				n += s.GetHistogram().GetSampleCount()
			}
		}
	}
	if n != uint64(len(rs)) {
		t.Errorf("the metrics counted %d of %d recorded results", n, len(rs))
	}
}
