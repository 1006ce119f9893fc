package reports

import (
	"math/rand/v2"
	"testing"
)

// TestCounterModel: whatever the order and repetition of keys, a bounded
// counter holds exact counts for the smallest keys and the rest in other.
func TestCounterModel(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 99))
		c := newCounter[int](10)
		want := map[int]uint64{}
		var total uint64
		for range 2000 {
			k := rng.IntN(40)
			if rng.IntN(3) == 0 { // runs of the same key exercise the cache
				k = 5
			}
			c.add(k, 1)
			want[k]++
			total++
		}
		kept := 0
		for k := 0; k < 40 && kept < 10; k++ {
			if want[k] == 0 {
				continue
			}
			kept++
			if got := c.get(k); got != want[k] {
				t.Fatalf("seed %d: key %d counted %d, want %d", seed, k, got, want[k])
			}
		}
		if len(c.b.m) != 10 || c.total() != total {
			t.Fatalf("seed %d: %d keys kept, total %d; want 10 and %d", seed, len(c.b.m), c.total(), total)
		}
	}
}
