package agents

import (
	"sync"
	"testing"
	"time"

	"ccgw-harness/internal/testscale"
)

// fakeClock is a clock that moves only when the test advances it. Its timers
// fire (a value in their buffered channel, like a *time.Timer) when Advance
// reaches their deadline; Reset and Stop drop a value not yet received, as
// Go 1.23 timers do. Waiters can block until a timer is armed for a given
// instant: the proof that the goroutine owning it is about to wait for
// exactly that instant and for nothing sooner.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  map[*fakeTimer]bool
	changed chan struct{} // closed (and replaced) on every change
}

func newFakeClock() *fakeClock {
	return &fakeClock{
		now:     time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		timers:  map[*fakeTimer]bool{},
		changed: make(chan struct{}),
	}
}

// Now implements clock.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer implements clock.
func (c *fakeClock) NewTimer(d time.Duration) clockTimer {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	c.mu.Lock()
	defer c.mu.Unlock()
	t.armLocked(d)
	return t
}

// Advance moves the clock by d and fires every timer due by then.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for t := range c.timers {
		if !t.at.After(c.now) {
			delete(c.timers, t)
			select {
			case t.ch <- t.at:
			default:
			}
		}
	}
	c.notifyLocked()
}

func (c *fakeClock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// waitArmed waits (at most testscale.D(within) of real time) until a timer
// is armed to fire at exactly at, and reports whether one was.
func (c *fakeClock) waitArmed(at time.Time, within time.Duration) bool {
	deadline := time.NewTimer(testscale.D(within))
	defer deadline.Stop()
	for {
		c.mu.Lock()
		for t := range c.timers {
			if t.at.Equal(at) {
				c.mu.Unlock()
				return true
			}
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// mustWaitArmed fails t when no timer is armed for at in time.
func (c *fakeClock) mustWaitArmed(t *testing.T, at time.Time, what string) {
	t.Helper()
	if !c.waitArmed(at, 10*time.Second) {
		t.Fatalf("no timer armed for +%v (%s) within %v", at.Sub(c.start()), what, testscale.D(10*time.Second))
	}
}

// start is the clock's initial time (for messages).
func (c *fakeClock) start() time.Time { return time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC) }

// fakeTimer is a timer of a fakeClock.
type fakeTimer struct {
	c  *fakeClock
	ch chan time.Time
	at time.Time // deadline while armed
}

// armLocked drops a pending value and arms t for now+d (fires at once when
// d <= 0). c.mu is held.
func (t *fakeTimer) armLocked(d time.Duration) {
	select {
	case <-t.ch:
	default:
	}
	t.at = t.c.now.Add(d)
	if d <= 0 {
		delete(t.c.timers, t)
		t.ch <- t.at
	} else {
		t.c.timers[t] = true
	}
	t.c.notifyLocked()
}

// C implements clockTimer.
func (t *fakeTimer) C() <-chan time.Time { return t.ch }

// Reset implements clockTimer.
func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	armed := t.c.timers[t]
	t.armLocked(d)
	return armed
}

// Stop implements clockTimer.
func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	armed := t.c.timers[t]
	delete(t.c.timers, t)
	select {
	case <-t.ch:
	default:
	}
	t.c.notifyLocked()
	return armed
}

// TestFakeClock: the fake clock's timers behave as the keep-alive expects of
// a *time.Timer.
func TestFakeClock(t *testing.T) {
	c := newFakeClock()
	t0 := c.Now()
	tm := c.NewTimer(time.Second)
	c.mustWaitArmed(t, t0.Add(time.Second), "new timer")
	c.Advance(999 * time.Millisecond)
	select {
	case <-tm.C():
		t.Fatal("fired early")
	default:
	}
	c.Advance(time.Millisecond)
	if at := <-tm.C(); !at.Equal(t0.Add(time.Second)) {
		t.Fatalf("fired with %v", at)
	}
	// A Reset after firing, before the value is received, drops it.
	tm.Reset(time.Second)
	c.Advance(time.Second)
	tm.Reset(time.Hour)
	select {
	case <-tm.C():
		t.Fatal("stale value after Reset")
	default:
	}
	if !tm.Stop() || tm.Stop() {
		t.Error("Stop reports armed, then not armed")
	}
	if c.waitArmed(c.Now().Add(time.Hour), time.Millisecond) {
		t.Error("a stopped timer counts as armed")
	}
}
