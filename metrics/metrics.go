package metrics

import (
	"fmt"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults of a Metrics.
const (
	// DefaultMaxLabelValues bounds the distinct values of the node and
	// retcode labels, and of the detail label per class; further values
	// are counted as OtherValue.
	DefaultMaxLabelValues = 64
	// DefaultScrapeTimeout bounds the time one scrape may take.
	DefaultScrapeTimeout = 10 * time.Second
	// DefaultMaxScrapes is how many scrapes are served at once (more wait
	// for their turn, as promhttp does).
	DefaultMaxScrapes = 4
)

// Option configures a Metrics.
type Option func(*settings)

type settings struct {
	consts                     prometheus.Labels
	latency, lag, ready        []float64
	latencyThresholds, readyTh []time.Duration
	maxLabelValues             int
	runtime                    bool
	err                        error
}

// WithTarget sets the target label of every ccgw_ metric.
func WithTarget(name string) Option { return constLabel(LabelTarget, name) }

// WithPlan sets the plan label of every ccgw_ metric.
func WithPlan(name string) Option { return constLabel(LabelPlan, name) }

// WithShard sets the shard label of every ccgw_ metric (a distributed run:
// each shard's generator serves its own metrics, and Prometheus sums them).
func WithShard(shard string) Option { return constLabel(LabelShard, shard) }

func constLabel(name, value string) Option {
	return func(s *settings) {
		if value == "" {
			delete(s.consts, name)
			return
		}
		if !utf8.ValidString(value) || len(value) > 128 {
			s.err = fmt.Errorf("metrics: %s label %q: want valid UTF-8 of at most 128 bytes", name, value)
			return
		}
		s.consts[name] = value
	}
}

// WithLatencyThresholds adds bounds to the latency histogram's buckets:
// the SLO's latency thresholds (slo.Objectives.Latency), so the share of
// requests within each is exact.
func WithLatencyThresholds(d ...time.Duration) Option {
	return func(s *settings) { s.latencyThresholds = append(s.latencyThresholds, d...) }
}

// WithReadyThresholds adds bounds to the time-to-ready histogram's buckets
// (the journeys' ready SLO).
func WithReadyThresholds(d ...time.Duration) Option {
	return func(s *settings) { s.readyTh = append(s.readyTh, d...) }
}

// WithLatencyBuckets replaces DefaultLatencyBuckets (upper bounds in
// seconds) as the latency histogram's ladder.
func WithLatencyBuckets(b []float64) Option {
	return func(s *settings) { s.latency = append([]float64(nil), b...) }
}

// WithMaxLabelValues replaces DefaultMaxLabelValues (minimum 1).
func WithMaxLabelValues(n int) Option {
	return func(s *settings) { s.maxLabelValues = max(n, 1) }
}

// WithoutRuntimeMetrics leaves out the Go runtime (go_*) and process
// (process_*) collectors, which are served by default: process CPU beside
// the request rate shows a saturated generator.
func WithoutRuntimeMetrics() Option { return func(s *settings) { s.runtime = false } }

// Metrics is a run's Prometheus registry and its collectors. It is safe for
// concurrent use, and for several runs one after the other (counters go on
// counting, as Prometheus expects). The methods of a nil *Metrics do
// nothing.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	lag      prometheus.Histogram
	lastLag  prometheus.Gauge
	ready    prometheus.Histogram
	journeys *prometheus.CounterVec
	stage    *prometheus.GaugeVec
	stageMu  sync.Mutex

	src *sources

	latencyBuckets []float64
	limits         *limits
}

// New returns the metrics of a run, registered in a registry of their own.
func New(opts ...Option) (*Metrics, error) {
	s := settings{
		consts:         prometheus.Labels{},
		latency:        DefaultLatencyBuckets,
		lag:            DefaultLagBuckets,
		ready:          DefaultReadyBuckets,
		maxLabelValues: DefaultMaxLabelValues,
		runtime:        true,
	}
	for _, o := range opts {
		o(&s)
	}
	if s.err != nil {
		return nil, s.err
	}
	m := &Metrics{
		reg:            prometheus.NewRegistry(),
		latencyBuckets: Buckets(s.latency, s.latencyThresholds...),
		limits:         newLimits(s.maxLabelValues),
	}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        NameRequests,
		ConstLabels: s.consts,
		Help:        "Recorded results by call, outcome class, detail, retcode and gateway node (the results file's counts).",
	}, []string{LabelCall, LabelClass, LabelDetail, LabelRetcode, LabelNode})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:        NameRequestDuration,
		ConstLabels: s.consts,
		Help:        "Latency of recorded results in seconds by call and gateway node; the SLO latency thresholds are bucket bounds.",
		Buckets:     m.latencyBuckets,
	}, []string{LabelCall, LabelNode})
	m.lag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:        NameScheduleLag,
		ConstLabels: s.consts,
		Help:        "How late requests were sent against their planned time, in seconds (open model).",
		Buckets:     Buckets(s.lag),
	})
	m.lastLag = prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        NameLastScheduleLag,
		ConstLabels: s.consts,
		Help:        "Schedule lag of the last recorded request that had one, in seconds.",
	})
	m.ready = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:        NameJourneyReady,
		ConstLabels: s.consts,
		Help:        "Journeys' time from the start of sign-in to softphone-ready (the first logininfo success), in seconds.",
		Buckets:     Buckets(s.ready, s.readyTh...),
	})
	m.journeys = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        NameJourneys,
		ConstLabels: s.consts,
		Help:        "Finished journeys by outcome.",
	}, []string{LabelOutcome})
	m.stage = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name:        NameStage,
		ConstLabels: s.consts,
		Help:        "1 for the run's current stage, 0 for the others.",
	}, []string{LabelStage})
	m.src = newSources(m.limits, s.consts)
	for _, o := range []string{OutcomeCompleted, OutcomeFailed} {
		m.journeys.WithLabelValues(o)
	}
	m.SetStage(StageOpen)

	// The constant labels are in each metric's options rather than a
	// wrapping registerer, which would rebuild every descriptor at each
	// scrape.
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.lag, m.lastLag, m.ready, m.journeys, m.stage, m.src} {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	if s.runtime {
		for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
			if err := m.reg.Register(c); err != nil {
				return nil, fmt.Errorf("metrics: %w", err)
			}
		}
	}
	m.handler = promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: DefaultMaxScrapes,
		Timeout:             DefaultScrapeTimeout,
	}))
	return m, nil
}

// Registry returns the registry (for tests and for serving elsewhere).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler { return m.handler }

// LatencyBuckets returns the latency histogram's bucket bounds in seconds.
func (m *Metrics) LatencyBuckets() []float64 {
	return append([]float64(nil), m.latencyBuckets...)
}

// SetStage makes stage the run's current stage (a Stage* name; others are
// ignored).
func (m *Metrics) SetStage(stage string) {
	if m == nil {
		return
	}
	known := false
	for _, s := range Stages {
		known = known || s == stage
	}
	if !known {
		return
	}
	m.stageMu.Lock()
	defer m.stageMu.Unlock()
	for _, s := range Stages {
		v := 0.0
		if s == stage {
			v = 1
		}
		m.stage.WithLabelValues(s).Set(v)
	}
}

// ObserveReady records one journey's time to softphone-ready: from the
// start of its sign-in to its first successful logininfo. The journeys
// call it once per journey that got there.
func (m *Metrics) ObserveReady(d time.Duration) {
	if m == nil {
		return
	}
	m.ready.Observe(max(d, 0).Seconds())
}

// JourneyDone counts one finished journey: completed, or failed.
func (m *Metrics) JourneyDone(completed bool) {
	if m == nil {
		return
	}
	o := OutcomeFailed
	if completed {
		o = OutcomeCompleted
	}
	m.journeys.WithLabelValues(o).Inc()
}
