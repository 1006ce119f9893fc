package mockgw

import (
	"math"
	"sync"
	"testing"
	"time"

	"ccgw-harness/gateway"
)

// TestCapacityQueueRelease: answers are released at max(arrival, previous
// release + 1/N), in arrival order: spaced arrivals pass at once, a burst
// leaves one per interval, and the queue forgets a burst once it is over.
func TestCapacityQueueRelease(t *testing.T) {
	q := newCapacityQueue(100) // 10 ms per answer
	const ms = int64(time.Millisecond)
	if q.interval != 10*ms {
		t.Fatalf("interval %d ns, want 10 ms", q.interval)
	}
	// Below capacity: one arrival every 20 ms is released on arrival.
	for i := int64(0); i < 5; i++ {
		if at := q.release(1000*ms + 20*ms*i); at != 1000*ms+20*ms*i {
			t.Fatalf("arrival %d at %d ms released at %d ms, want on arrival", i, 1000+20*i, at/ms)
		}
	}
	// A burst of 5 at once: released 10 ms apart, in arrival order.
	for i := int64(0); i < 5; i++ {
		if at := q.release(2000 * ms); at != 2000*ms+10*ms*i {
			t.Fatalf("burst request %d released at %d ms, want %d ms", i, at/ms, 2000+10*i)
		}
	}
	// Arrivals faster than capacity: the wait grows with every request.
	var last int64
	for i := int64(0); i < 10; i++ {
		at := q.release(3000*ms + 5*ms*i)
		if wait := at - (3000*ms + 5*ms*i); wait != 5*ms*i {
			t.Fatalf("request %d at 200/s on a 100/s queue waits %d ms, want %d ms", i, wait/ms, 5*i)
		}
		last = at
	}
	// After the overload the queue empties and arrivals pass at once again.
	if at := q.release(last + 10*ms); at != last+10*ms {
		t.Fatalf("first arrival after the backlog released at +%d ms, want at once", (at-last)/ms)
	}
	if newCapacityQueue(0) != nil || newCapacityQueue(-1) != nil {
		t.Error("capacity <= 0 must mean no limit (nil queue)")
	}
	if q := newCapacityQueue(3e9); q.interval != 1 {
		t.Errorf("a huge capacity has interval %d ns, want at least 1", q.interval)
	}
}

// TestCapacityLimitsLoginInfo: with capacity 20/s, 12 logininfo calls sent
// at once all succeed but take at least 11/20 s in all; while they wait,
// CapacityBacklog says how long the queue needs, and it is 0 afterwards.
func TestCapacityLimitsLoginInfo(t *testing.T) {
	const capacity, n = 20.0, 12
	srv := newServer(t, WithCapacity(capacity))
	if srv.Capacity() != capacity {
		t.Fatalf("Capacity() = %v, want %v", srv.Capacity(), capacity)
	}
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	start := time.Now()
	var wg sync.WaitGroup
	reps := make([]reply, n)
	for i := range n {
		wg.Go(func() { reps[i] = a.loginInfo(t, srv, c) })
	}
	// Every request has arrived (the mock counts them on arrival): the
	// queue holds the rest of the burst.
	eventually(t, 30*time.Second, "all requests arrived", func() bool {
		return srv.Stats().Calls[CallLoginInfo].Requests == n
	})
	backlog := srv.CapacityBacklog()
	sampled := time.Since(start) // after the sample: the sample was taken no later
	wg.Wait()
	took := time.Since(start)
	for i, rep := range reps {
		if rep.retcode() != gateway.RetOK {
			t.Errorf("request %d: retcode %q, want success", i, rep.retcode())
		}
	}
	// A lower bound only: a loaded machine makes it slower, never faster.
	if want := time.Duration(float64(n-1) / capacity * float64(time.Second)); took < want {
		t.Errorf("%d calls at once took %s, want at least %s at %v/s", n, took, want, capacity)
	}
	// The last release is at least 11/20 s after start: sampled before
	// then, the queue cannot be empty.
	if full := time.Duration(float64(n-1) / capacity * float64(time.Second)); sampled < full && backlog <= 0 {
		t.Errorf("CapacityBacklog %s %s after the burst started, want > 0 (the queue needs %s)", backlog, sampled, full)
	}
	if b := srv.CapacityBacklog(); b != 0 {
		t.Errorf("CapacityBacklog %s after every answer, want 0", b)
	}
}

// TestCapacityValidation: a negative, NaN or huge capacity is refused.
func TestCapacityValidation(t *testing.T) {
	for _, n := range []float64{-1, math.NaN(), MaxCapacity * 2} {
		if srv, err := New(WithCapacity(n)); err == nil {
			srv.Close()
			t.Errorf("WithCapacity(%v) accepted", n)
		}
	}
	srv := newServer(t)
	if srv.Capacity() != 0 || srv.CapacityBacklog() != 0 {
		t.Errorf("default mock: capacity %v backlog %s, want none", srv.Capacity(), srv.CapacityBacklog())
	}
}
