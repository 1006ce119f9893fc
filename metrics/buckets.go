package metrics

import (
	"math"
	"slices"
	"time"
)

// Default bucket ladders (upper bounds in seconds). Latency thresholds
// given with WithLatencyThresholds (the SLO's) and WithReadyThresholds are
// added to them, so the share of requests under a threshold is exact and
// histogram_quantile is exact at it.
var (
	// DefaultLatencyBuckets resolve loopback mocks (sub-millisecond) to a
	// slow gateway (10 s) and request timeouts (30 s).
	DefaultLatencyBuckets = []float64{
		0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
		0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
	}
	// DefaultLagBuckets resolve the generator's timer error (about 1 ms)
	// and the saturation check's lateness floor (2 ms, see
	// reports.DefaultLateFloor) up to a generator that fell seconds behind.
	DefaultLagBuckets = []float64{
		0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
		0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
	}
	// DefaultReadyBuckets resolve a journey's time to softphone-ready: a
	// sign-in and a logininfo (milliseconds on loopback) to a slow,
	// retried sign-in (a minute).
	DefaultReadyBuckets = []float64{
		0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
	}
)

// MaxBuckets bounds the number of bucket bounds of one histogram (each is
// a series per label set).
const MaxBuckets = 40

// Buckets returns the ladder with every threshold added as a bound, sorted
// and without duplicates; thresholds that are not positive and finite are
// left out. Beyond MaxBuckets bounds, ladder bounds are dropped before
// thresholds (the thresholds are what the SLO gates look at).
func Buckets(ladder []float64, thresholds ...time.Duration) []float64 {
	var th []float64
	for _, d := range thresholds {
		if s := d.Seconds(); d > 0 && !math.IsInf(s, 0) {
			th = append(th, s)
		}
	}
	th = dedupe(th)
	out := dedupe(append(append([]float64(nil), ladder...), th...))
	for len(out) > MaxBuckets {
		// Drop the ladder bound nearest (by ratio) to a neighbour.
		drop, best := -1, math.Inf(1)
		for i, b := range out {
			if _, isTh := slices.BinarySearch(th, b); isTh {
				continue
			}
			r := math.Inf(1)
			if i > 0 {
				r = b / out[i-1]
			}
			if i+1 < len(out) {
				r = min(r, out[i+1]/b)
			}
			if r < best {
				drop, best = i, r
			}
		}
		if drop < 0 {
			return out[:MaxBuckets] // only thresholds left
		}
		out = slices.Delete(out, drop, drop+1)
	}
	return out
}

// dedupe sorts b and removes duplicates and bounds that are not positive
// and finite.
func dedupe(b []float64) []float64 {
	b = slices.DeleteFunc(b, func(v float64) bool { return !(v > 0) || math.IsInf(v, 0) })
	slices.Sort(b)
	return slices.Compact(b)
}
