package capacity

import (
	"ccgw-harness/load"
	"ccgw-harness/metrics"
	"ccgw-harness/slo"
)

// Option configures New. A capacity search has options of its own: a load
// run's (load.Option: --rate, --duration, shards, a start gate) do not
// apply to it and cannot be given.
type Option func(*options)

// options is what the Options set.
type options struct {
	confirm  string
	progress *load.Progress
	slo      slo.Objectives
	require  float64
	metrics  *metrics.Metrics
	onStep   func()
}

// WithConfirm gives the name the operator typed with --confirm; a target
// marked production is searched only when it is the target's name.
func WithConfirm(name string) Option { return func(o *options) { o.confirm = name } }

// WithProgress prints the search's progress and log lines through p (nil:
// silent).
func WithProgress(p *load.Progress) Option { return func(o *options) { o.progress = p } }

// WithSLO sets the objectives every step is judged by (config.File.SLOFor),
// the saturation gate aside (a step is invalid instead when the generator
// did not keep its schedule). New refuses an objective that means nothing
// in a step (slo.ModeCapacity).
func WithSLO(s slo.Objectives) Option { return func(o *options) { o.slo = s.Clone() } }

// WithRequire records `ccgw capacity --require R`: capacity.json and
// junit.xml say whether the answer reaches r requests/s.
func WithRequire(r float64) Option { return func(o *options) { o.require = r } }

// WithMetrics feeds m, the live Prometheus metrics, with the search (see
// load.WithMetrics): its counters go on counting across the steps. nil: no
// metrics.
func WithMetrics(m *metrics.Metrics) Option { return func(o *options) { o.metrics = m } }

// WithStepStarted calls f just before every step's attack starts (after
// sign-in, warm-up and the drain), on the search's goroutine: f must not
// block. For tests that act on a running step.
func WithStepStarted(f func()) Option { return func(o *options) { o.onStep = f } }
