package metrics

import (
	"slices"
	"testing"
	"time"
)

func TestBucketsAddThresholds(t *testing.T) {
	got := Buckets([]float64{0.001, 0.01, 0.1, 1}, 250*time.Millisecond, 10*time.Millisecond, 0, -time.Second, 3*time.Second)
	want := []float64{0.001, 0.01, 0.1, 0.25, 1, 3}
	if !slices.Equal(got, want) {
		t.Errorf("Buckets = %v, want %v (thresholds added once, non-positive ones left out)", got, want)
	}
	if !slices.IsSorted(DefaultLatencyBuckets) || !slices.IsSorted(DefaultLagBuckets) || !slices.IsSorted(DefaultReadyBuckets) {
		t.Error("a default ladder is not sorted")
	}
}

// TestBucketsBounded: many thresholds drop ladder bounds, never a
// threshold, and never exceed MaxBuckets.
func TestBucketsBounded(t *testing.T) {
	var th []time.Duration
	for i := 1; i <= 30; i++ {
		th = append(th, time.Duration(i)*7*time.Millisecond)
	}
	got := Buckets(DefaultLatencyBuckets, th...)
	if len(got) > MaxBuckets {
		t.Fatalf("%d bounds, want at most %d", len(got), MaxBuckets)
	}
	for _, d := range th {
		if _, ok := slices.BinarySearch(got, d.Seconds()); !ok {
			t.Errorf("threshold %v was dropped: %v", d, got)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("not sorted: %v", got)
	}
	many := make([]time.Duration, 2*MaxBuckets)
	for i := range many {
		many[i] = time.Duration(i+1) * time.Millisecond
	}
	if got := Buckets(DefaultLatencyBuckets, many...); len(got) != MaxBuckets {
		t.Errorf("%d bounds from %d thresholds, want %d", len(got), len(many), MaxBuckets)
	}
}
