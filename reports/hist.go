package reports

import (
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Latency histograms record microseconds.
const (
	// HistogramLowestUS is the lowest discernible latency (1 µs).
	HistogramLowestUS = 1
	// HistogramHighestUS is the highest trackable latency (1 h); longer
	// latencies are recorded as 1 h.
	HistogramHighestUS = int64(time.Hour / time.Microsecond)
	// HistogramDigits is the precision of the run-wide latency histogram:
	// 3 significant digits, so a percentile is within 0.1 % of the true value.
	HistogramDigits = 3
	// seriesDigits and nodeDigits are the precision of the per-second and
	// per-node histograms (within 1 %); agentDigits that of the per-agent
	// ones (within 10 %), which only rank agents. These are sparse
	// histograms: their memory grows with the number of distinct latency
	// buckets used, never with the number of results.
	seriesDigits = 2
	nodeDigits   = 2
	agentDigits  = 1
	// lagDigits is the precision of the schedule-lag histogram.
	lagDigits = 2
)

// micros converts a duration to whole microseconds (rounded), clamped to the
// histograms' range.
func micros(d time.Duration) int64 {
	us := (int64(d) + 500) / 1000
	if us < 0 {
		return 0
	}
	if us > HistogramHighestUS {
		return HistogramHighestUS
	}
	return us
}

// newLatencyHist returns the run-wide dense latency histogram.
func newLatencyHist(digits int) *hdr.Histogram {
	return hdr.New(HistogramLowestUS, HistogramHighestUS, digits)
}

// sparseHist is a small latency histogram for one second, agent or node.
type sparseHist struct {
	requests uint64
	errors   uint64
	maxUS    int64
	h        *hdr.PackedHistogram
}

func newSparseHist(digits int) *sparseHist {
	return &sparseHist{h: hdr.NewPacked(HistogramLowestUS, HistogramHighestUS, digits)}
}

func (s *sparseHist) add(us int64, ok bool) {
	s.requests++
	if !ok {
		s.errors++
	}
	if us > s.maxUS {
		s.maxUS = us
	}
	_ = s.h.RecordValue(us) // us is within range: micros clamps it
}

func (s *sparseHist) merge(o *sparseHist) {
	s.requests += o.requests
	s.errors += o.errors
	s.maxUS = max(s.maxUS, o.maxUS)
	s.h.Merge(o.h)
}

// quantileMS returns the latency at percentile p (0-100) in milliseconds,
// never above the exact maximum.
func (s *sparseHist) quantileMS(p float64) float64 {
	if s.h.TotalCount() == 0 {
		return 0
	}
	return usToMS(min(s.h.ValueAtPercentile(p), s.maxUS))
}

func usToMS(us int64) float64 { return float64(us) / 1000 }
