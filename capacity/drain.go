package capacity

import (
	"context"
	"slices"
	"time"
)

// Drain defaults: how a capacity search lets the gateway empty its queues
// between two steps.
const (
	// drainTimeout bounds one drain; a gateway still slow after it
	// is reported (the step's drained: false) and the search goes on.
	drainTimeout = 30 * time.Second
	// drainQuiet is how many probes in a row must be answered as
	// fast as on the idle gateway.
	drainQuiet = 3
	// drainProbeGap is the pause after each probe.
	drainProbeGap = 20 * time.Millisecond
	// drainSlack is how much slower than the idle gateway a probe
	// may be and still count as answered at once: max(2 × idle, idle +
	// drainSlack).
	drainSlack = 5 * time.Millisecond
	// drainIdleProbes is how many probes measure the idle gateway (their
	// median is the baseline).
	drainIdleProbes = 5
)

// drainer sends single logininfo requests (probes, Session.Probe), one
// at a time, to see whether the gateway answers as fast as it does when
// idle: a request that queues behind unfinished work is slow.
type drainer struct {
	// probe sends one unrecorded request and returns its latency, and
	// whether it was answered at all.
	probe func(ctx context.Context) (time.Duration, bool)
	idle  time.Duration // median probe latency on the idle gateway
}

// measureIdle sets the baseline: the median of a few probes sent before
// the first step.
func (d *drainer) measureIdle(ctx context.Context) {
	var lats []time.Duration
	for range drainIdleProbes {
		if lat, ok := d.probe(ctx); ok {
			lats = append(lats, lat)
		}
		if ctx.Err() != nil {
			return
		}
	}
	if len(lats) > 0 {
		slices.Sort(lats)
		d.idle = lats[len(lats)/2]
	}
}

// threshold is the latency under which a probe counts as answered at once.
func (d *drainer) threshold() time.Duration {
	return max(2*d.idle, d.idle+drainSlack)
}

// drain probes until drainQuiet probes in a row are answered within
// threshold (the gateway has no queue left: nothing of the last step is
// still being worked on), timeout passes or ctx ends. It returns how long
// it took and whether the gateway drained.
func (d *drainer) drain(ctx context.Context, timeout time.Duration) (time.Duration, bool) {
	start := time.Now()
	deadline := start.Add(timeout)
	th := d.threshold()
	quiet := 0
	gap := time.NewTimer(0)
	defer gap.Stop()
	for {
		lat, ok := d.probe(ctx)
		if ok && lat <= th {
			quiet++
		} else {
			quiet = 0
		}
		if quiet >= drainQuiet {
			return time.Since(start), true
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return time.Since(start), false
		}
		gap.Reset(drainProbeGap)
		select {
		case <-ctx.Done():
			return time.Since(start), false
		case <-gap.C:
		}
	}
}
