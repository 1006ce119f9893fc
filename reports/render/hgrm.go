package render

import (
	"bufio"
	"fmt"
	"io"
	"math"

	"ccgw-harness/reports"
)

// HgrmTicksPerHalfDistance is the percentile resolution of latency.hgrm
// (HdrHistogram's customary 5 ticks per half distance).
const HgrmTicksPerHalfDistance = 5

// RunHgrm writes latency.hgrm: HdrHistogram's standard percentile
// distribution of all latencies in milliseconds, formatted as the reference
// (Java) implementation's outputPercentileDistribution does — a
// `Value Percentile TotalCount 1/(1-Percentile)` table and the
// Mean/StdDeviation/Max/Total count/Buckets footer — so HdrHistogram's
// plotter and other tools read it.
func RunHgrm(w io.Writer, a *reports.Aggregator) error {
	h := a.LatencyHistogram()
	const scale = 1000.0 // µs -> ms
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	if h.TotalCount() > 0 {
		for _, b := range h.CumulativeDistributionWithTicks(HgrmTicksPerHalfDistance) {
			q := b.Quantile / 100
			if b.Quantile >= 100 {
				fmt.Fprintf(bw, "%12.3f %2.12f %10d\n", float64(b.ValueAt)/scale, 1.0, b.Count)
				continue
			}
			fmt.Fprintf(bw, "%12.3f %2.12f %10d %14.2f\n", float64(b.ValueAt)/scale, q, b.Count, 1/(1-q))
		}
	}
	buckets, subBuckets := hdrGeometry(reports.HistogramLowestUS, reports.HistogramHighestUS, reports.HistogramDigits)
	fmt.Fprintf(bw, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", h.Mean()/scale, h.StdDev()/scale)
	fmt.Fprintf(bw, "#[Max     = %12.3f, Total count    = %12d]\n", float64(h.Max())/scale, h.TotalCount())
	fmt.Fprintf(bw, "#[Buckets = %12d, SubBuckets     = %12d]\n", buckets, subBuckets)
	return bw.Flush()
}

// hdrGeometry returns an HdrHistogram's bucket and sub-bucket counts, as the
// reference implementation computes them.
func hdrGeometry(lowest, highest int64, digits int) (buckets, subBuckets int64) {
	largestSingleUnit := 2 * math.Pow10(digits)
	subBucketCountMag := int64(math.Ceil(math.Log2(largestSingleUnit)))
	subBuckets = 1 << subBucketCountMag
	unitMag := int64(math.Floor(math.Log2(float64(lowest))))
	smallestUntrackable := subBuckets << unitMag
	buckets = 1
	for smallestUntrackable <= highest {
		if smallestUntrackable > math.MaxInt64/2 {
			return buckets + 1, subBuckets
		}
		smallestUntrackable <<= 1
		buckets++
	}
	return buckets, subBuckets
}
