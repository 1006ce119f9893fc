package agents

import "time"

// clock is the time source of the pool's re-sign-in timing (session start,
// backoff) and of the keep-alive's schedule. A nil clock is the real one;
// tests set a fake clock on a Pool or KeepAlive to drive that timing without
// waiting for it.
type clock interface {
	Now() time.Time
	NewTimer(d time.Duration) clockTimer
}

// clockTimer is what the keep-alive uses of a *time.Timer (Go 1.23
// semantics: after Reset or Stop no stale value is received).
type clockTimer interface {
	C() <-chan time.Time
	Reset(d time.Duration) bool
	Stop() bool
}

// clockNow returns c's time, or the real time when c is nil.
func clockNow(c clock) time.Time {
	if c == nil {
		return time.Now()
	}
	return c.Now()
}

// clockTimerOf returns a timer of c firing after d (a real one when c is
// nil).
func clockTimerOf(c clock, d time.Duration) clockTimer {
	if c == nil {
		return realTimer{time.NewTimer(d)}
	}
	return c.NewTimer(d)
}

// realTimer is a *time.Timer as a clockTimer.
type realTimer struct{ t *time.Timer }

// C implements clockTimer.
func (r realTimer) C() <-chan time.Time { return r.t.C }

// Reset implements clockTimer.
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// Stop implements clockTimer.
func (r realTimer) Stop() bool { return r.t.Stop() }
