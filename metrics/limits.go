package metrics

import (
	"strconv"
	"sync"
)

// limits bounds the values of the labels whose values come from the
// gateway's answers: each dimension (node, retcode, detail of one class)
// admits its first max distinct values, and every later one reads as
// OtherValue. It is only consulted when an Observer meets a new
// combination, never per result.
type limits struct {
	mu   sync.Mutex
	max  int
	seen map[string]map[string]bool // dimension -> admitted values
}

func newLimits(max int) *limits {
	return &limits{max: max, seen: map[string]map[string]bool{}}
}

// value returns v, or OtherValue when dimension dim is full.
func (l *limits) value(dim, v string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.seen[dim]
	if s == nil {
		s = map[string]bool{}
		l.seen[dim] = s
	}
	if s[v] {
		return v
	}
	if len(s) >= l.max {
		return OtherValue
	}
	s[v] = true
	return v
}

// node returns the node label of node n (0: none).
func (l *limits) node(n int) string {
	if n < 0 {
		n = 0
	}
	return l.value(LabelNode, strconv.Itoa(n))
}
