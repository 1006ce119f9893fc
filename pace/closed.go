package pace

import (
	"fmt"
	"time"
)

// Closed is the closed model: a fixed number of workers each sending its
// next request as soon as the previous one is answered, for a duration,
// optionally never faster than a cap.
type Closed struct {
	Concurrency int
	dur         time.Duration
	cap         *Schedule // nil: no cap
}

// NewClosed returns a closed-model pacer for concurrency workers over d;
// maxRate > 0 caps the rate (the target's max_rate).
func NewClosed(concurrency int, d time.Duration, maxRate float64) (*Closed, error) {
	if concurrency <= 0 || d <= 0 {
		return nil, fmt.Errorf("closed model: concurrency %d and duration %s must be above 0", concurrency, d)
	}
	c := &Closed{Concurrency: concurrency, dur: d}
	if maxRate > 0 {
		s, err := Constant(maxRate, d)
		if err != nil {
			return nil, err
		}
		c.cap = s
	}
	return c, nil
}

// Pace implements vegeta.Pacer: no wait (the workers are the limit) until
// the duration is over, or the cap's pace when there is one.
func (c *Closed) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if elapsed >= c.dur {
		return 0, true
	}
	if c.cap != nil {
		return c.cap.Pace(elapsed, hits)
	}
	return 0, false
}

// Rate implements vegeta.Pacer: 0 (unbounded) or the cap.
func (c *Closed) Rate(elapsed time.Duration) float64 {
	if c.cap != nil {
		return c.cap.Rate(elapsed)
	}
	return 0
}

// Duration implements Pacer.
func (c *Closed) Duration() time.Duration { return c.dur }

// Workers returns vegeta's initial and maximum workers for the closed
// model, whatever the attack would choose for an open one: one worker per
// request in flight.
func (c *Closed) Workers(uint64, uint64) (uint64, uint64) {
	return uint64(c.Concurrency), uint64(c.Concurrency)
}

// warmup is Warmup of the closed model: the same concurrency (and cap)
// for d.
func (c *Closed) warmup(d time.Duration) (Pacer, error) {
	var capRate float64
	if c.cap != nil {
		capRate = c.cap.PeakRate()
	}
	return NewClosed(c.Concurrency, d, capRate)
}

// String describes the pace for the summary ("closed model, 8 concurrent
// for 5s").
func (c *Closed) String() string {
	s := fmt.Sprintf("closed model, %d concurrent for %s", c.Concurrency, c.dur)
	if c.cap != nil {
		s += fmt.Sprintf(", capped at %s/s", formatRate(c.cap.PeakRate()))
	}
	return s
}
