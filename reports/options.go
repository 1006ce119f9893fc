package reports

// Default bounds of an Aggregator's memory. Whatever the number of results,
// an Aggregator keeps at most this many keys of each kind; beyond a bound the
// smallest keys are kept (so the outcome does not depend on arrival order)
// and the rest is counted under an "other" key.
const (
	// DefaultMaxSeriesBuckets is how many time-series buckets are kept. Runs
	// longer than this many seconds get buckets of 2, 4, 8... seconds.
	DefaultMaxSeriesBuckets = 3600
	// DefaultMaxAgents is how many agents get their own statistics.
	DefaultMaxAgents = 20000
	// DefaultMaxNodes is how many gateway nodes get their own statistics.
	DefaultMaxNodes = 64
	// DefaultMaxKinds is how many distinct error kinds, retcodes, violation
	// kinds, status codes or attack names are counted by name.
	DefaultMaxKinds = 256
	// DefaultWorstAgents is how many agents the worst-agents list shows.
	DefaultWorstAgents = 10
)

// Option configures an Aggregator.
type Option func(*Aggregator)

// WithMaxSeriesBuckets bounds the number of time-series buckets (minimum 16).
func WithMaxSeriesBuckets(n int) Option {
	return func(a *Aggregator) { a.maxBuckets = max(n, 16) }
}

// WithMaxAgents bounds the number of agents tracked individually (minimum 1).
func WithMaxAgents(n int) Option {
	return func(a *Aggregator) { a.maxAgents = max(n, 1) }
}

// WithMaxNodes bounds the number of nodes tracked individually (minimum 1).
func WithMaxNodes(n int) Option {
	return func(a *Aggregator) { a.maxNodes = max(n, 1) }
}

// WithMaxKinds bounds the number of distinct keys of each counted kind
// (error kinds, retcodes, violations, status codes; minimum 1).
func WithMaxKinds(n int) Option {
	return func(a *Aggregator) { a.maxKinds = max(n, 1) }
}

// WithWorstAgents sets how many agents the worst-agents list shows.
func WithWorstAgents(n int) Option {
	return func(a *Aggregator) { a.worstAgents = max(n, 0) }
}

// WithLatencyFromPlanned makes every latency figure count from each
// request's planned send time rather than from when it was sent: the
// result's lag behind the schedule (X-Ccgw-Lag-Us) plus its response time.
// A generator that falls behind then cannot hide a slow gateway
// (coordinated omission). Results without a lag count from their send
// time. Capacity searches measure this way; Meta.LatencyFromPlanned says so
// to `ccgw report`.
func WithLatencyFromPlanned(on bool) Option {
	return func(a *Aggregator) { a.fromPlanned = on }
}
