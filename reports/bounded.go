package reports

import (
	"cmp"
	"slices"
)

// bounded is a map with at most limit keys. When it is full, a new key
// smaller than the largest kept key evicts that largest key; a larger new key
// is refused. The kept keys are therefore always the smallest keys seen, so
// the outcome does not depend on the order in which keys arrive.
type bounded[K cmp.Ordered, V any] struct {
	m       map[K]*V
	limit   int
	top     K          // the largest kept key, valid when len(m) == limit
	evicted func(v *V) // called with the value of an evicted key
	refused int        // distinct keys refused or evicted (an upper bound)
}

func newBounded[K cmp.Ordered, V any](limit int, evicted func(*V)) *bounded[K, V] {
	return &bounded[K, V]{m: make(map[K]*V, min(limit, 64)), limit: limit, evicted: evicted}
}

// at returns the value for k, creating it with mk, or nil when k is not kept.
func (b *bounded[K, V]) at(k K, mk func() *V) *V {
	if v, ok := b.m[k]; ok {
		return v
	}
	if len(b.m) >= b.limit {
		if k > b.top {
			b.refused++
			return nil
		}
		old := b.m[b.top]
		delete(b.m, b.top)
		b.refused++
		if b.evicted != nil {
			b.evicted(old)
		}
	}
	v := mk()
	b.m[k] = v
	if len(b.m) >= b.limit {
		first := true
		for key := range b.m {
			if first || key > b.top {
				b.top, first = key, false
			}
		}
	}
	return v
}

// keys returns the kept keys in ascending order.
func (b *bounded[K, V]) keys() []K {
	ks := make([]K, 0, len(b.m))
	for k := range b.m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// counter counts occurrences of at most limit distinct keys; the rest is
// counted in other.
type counter[K cmp.Ordered] struct {
	b     *bounded[K, uint64]
	other uint64
	// The last key counted and its count (nil: counted in other): results
	// mostly repeat the previous key, so this skips the map.
	lastK K
	lastP *uint64
	last  bool
}

func newCounter[K cmp.Ordered](limit int) *counter[K] {
	c := &counter[K]{}
	c.b = newBounded[K, uint64](limit, func(v *uint64) { c.other += *v })
	return c
}

func newUint64() *uint64 { return new(uint64) }

// add counts n occurrences of k.
func (c *counter[K]) add(k K, n uint64) {
	if c.last && k == c.lastK && c.lastP != nil {
		*c.lastP += n
		return
	}
	// at may evict a key, possibly the cached one: re-cache after it.
	p := c.b.at(k, newUint64)
	c.lastK, c.lastP, c.last = k, p, true
	if p != nil {
		*p += n
	} else {
		c.other += n
	}
}

// get returns the count of a kept key.
func (c *counter[K]) get(k K) uint64 {
	if p, ok := c.b.m[k]; ok {
		return *p
	}
	return 0
}

// total returns the sum of all counts, other included.
func (c *counter[K]) total() uint64 {
	t := c.other
	for _, p := range c.b.m {
		t += *p
	}
	return t
}

// stringMap returns the counts keyed by name(k), with the other count under
// otherKey when it is not zero.
func (c *counter[K]) stringMap(name func(K) string, otherKey string) map[string]uint64 {
	m := make(map[string]uint64, len(c.b.m)+1)
	for k, p := range c.b.m {
		m[name(k)] += *p
	}
	if c.other > 0 {
		m[otherKey] += c.other
	}
	return m
}
