package mockgw

import (
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"
)

// MaxCapacity is the highest capacity WithCapacity accepts (logininfo
// answers per second).
const MaxCapacity = 1e6

// WithCapacity gives the mock a capacity model: it completes at most n
// logininfo calls per second, in arrival order. Each POST to logininfo is
// queued when it arrives and its answer is released at
// max(arrival, previous release + 1/n), so below n calls per second
// latency stays flat and above it the queue, and with it latency, grows
// without bound for as long as the overload lasts. 0 (the default) means no
// capacity limit. The queue runs on real time (not WithClock's clock); a
// request whose client gives up keeps its place, as on a real server that
// has already accepted the work.
func WithCapacity(n float64) Option { return func(s *Server) { s.capacity = n } }

// capacityQueue is the capacity model's virtual single-server queue.
type capacityQueue struct {
	mu       sync.Mutex
	interval int64 // ns between two releases: 1/capacity
	next     int64 // earliest release of the next arrival (Unix ns)
}

// newCapacityQueue returns the queue of a capacity of n answers per second,
// or nil for no limit (n <= 0).
func newCapacityQueue(n float64) *capacityQueue {
	if n <= 0 {
		return nil
	}
	return &capacityQueue{interval: max(int64(math.Round(1e9/n)), 1)}
}

// release queues an arrival at now (Unix ns) and returns when its answer is
// released: max(now, previous release + interval).
func (q *capacityQueue) release(now int64) int64 {
	q.mu.Lock()
	at := max(now, q.next)
	q.next = at + q.interval
	q.mu.Unlock()
	return at
}

// validateCapacity checks WithCapacity's value.
func validateCapacity(n float64) error {
	if math.IsNaN(n) || n < 0 || n > MaxCapacity {
		return fmt.Errorf("mockgw: capacity %v: want logininfo answers per second, 0 (no limit) up to %g", n, float64(MaxCapacity))
	}
	return nil
}

// awaitCapacity holds a logininfo request until the capacity model releases
// it; it reports false when the request or the server ended first (the
// caller then answers nothing).
func (s *Server) awaitCapacity(r *http.Request) bool {
	if s.capQueue == nil {
		return true
	}
	at := s.capQueue.release(time.Now().UnixNano())
	return s.sleep(r.Context(), time.Until(time.Unix(0, at)))
}

// CapacityBacklog returns how long the capacity model's queue needs to
// release every request queued so far: 0 when it is empty or there is no
// capacity limit. A load generator that waits for it before its next step
// starts that step on an empty queue.
func (s *Server) CapacityBacklog() time.Duration {
	if s.capQueue == nil {
		return 0
	}
	s.capQueue.mu.Lock()
	next := s.capQueue.next
	s.capQueue.mu.Unlock()
	// The queue is empty once the last release has passed: next is one
	// interval after it.
	return max(time.Until(time.Unix(0, next-s.capQueue.interval)), 0)
}

// Capacity returns the capacity model's limit in logininfo answers per
// second (0: none).
func (s *Server) Capacity() float64 { return s.capacity }
