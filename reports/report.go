package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"ccgw-harness/internal/human"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// OtherKey is the key under which counts beyond an Aggregator's key bounds
// are reported.
const OtherKey = "other"

// HistogramNote says how latency percentiles are measured; the summary
// prints it and report.json carries it.
const HistogramNote = "HdrHistogram of all results (successes and errors, like vegeta), 1 µs to 1 h, 3 significant digits"

// Output file names written by render.WriteRun.
const (
	SummaryFile  = "summary.txt"
	JSONFile     = "report.json"
	MarkdownFile = "report.md"
	HTMLFile     = "report.html"
	JUnitFile    = "junit.xml"
	HgrmFile     = "latency.hgrm"
)

// Report is the outcome of a run. Its JSON form is report.json: the keys of
// docs/reports-and-gates.md first (latencies in milliseconds), then the extras. It holds no
// wall-clock time of its own making, so the live run and `ccgw report` write
// the same report.json for the same results and Meta.
type Report struct {
	Target             string            `json:"target"`
	Plan               string            `json:"plan"`
	Requests           uint64            `json:"requests"`
	DurationS          float64           `json:"duration_s"` // latest end − earliest start
	Rate               Rates             `json:"rate"`
	Throughput         float64           `json:"throughput"` // successes / duration
	Success            uint64            `json:"success"`
	ErrorRate          float64           `json:"error_rate"`
	LatencyMS          Latencies         `json:"latency_ms"`
	StatusCodes        map[string]uint64 `json:"status_codes"` // "0": no HTTP answer
	Retcodes           map[string]uint64 `json:"retcodes"`
	Errors             map[string]uint64 `json:"errors"` // by verdict string
	ContractViolations uint64            `json:"contract_violations"`
	SLO                []Gate            `json:"slo"`
	Pass               bool              `json:"pass"`

	Percentiles    []Percentile      `json:"percentiles"` // the latency percentile curve
	Violations     map[string]uint64 `json:"violations"`  // contract violations by kind
	Classes        map[string]uint64 `json:"classes"`     // outcomes by class, "ok" included
	Saturation     Saturation        `json:"saturation"`
	TimeSeries     []Point           `json:"time_series"`
	TimeSeriesStep float64           `json:"time_series_step_s"`
	WorstAgents    []AgentStats      `json:"worst_agents"`
	AgentsSeen     int               `json:"agents_seen"`
	Nodes          []NodeStats       `json:"nodes"`
	// Calls holds every call's figures (see CallReport), the top-level
	// ones' included as "logininfo".
	Calls map[string]CallReport `json:"calls"`
	// Journeys holds a journey plan's figures (see JourneyReport).
	Journeys JourneyReport `json:"journeys"`

	Profile          string    `json:"profile"`
	PlannedDurationS float64   `json:"planned_duration_s"`
	Agents           int       `json:"agents"`
	AgentsFailed     int       `json:"agents_failed"`
	Connections      int       `json:"connections"`
	HTTP2            bool      `json:"http2"`
	TLSVerify        bool      `json:"tls_verify"`
	ReSignIns        int       `json:"re_signins"`
	NoPassword       bool      `json:"agents_no_password"`
	Interrupted      bool      `json:"interrupted"`
	Warnings         []string  `json:"warnings"`
	Started          time.Time `json:"started,omitzero"`
	Earliest         time.Time `json:"earliest,omitzero"` // earliest send
	Latest           time.Time `json:"latest,omitzero"`   // latest send
	End              time.Time `json:"end,omitzero"`      // latest end of a response
	Partial          bool      `json:"partial"`           // a results file was truncated
	Histogram        string    `json:"latency_histogram"`

	// Distributed runs (see Meta): the run ID, this shard's place, why the
	// run gave up at its start barrier, and the shards a merged report
	// covers.
	RunID     string                `json:"run_id,omitempty"`
	Shard     *results.ShardInfo    `json:"shard,omitempty"`
	Aborted   string                `json:"aborted,omitempty"`
	AbortedBy string                `json:"aborted_by,omitempty"`
	Shards    *results.MergedShards `json:"shards,omitempty"`
	// LatencyFromPlanned: every latency counts from the request's planned
	// send time (lag + response time; WithLatencyFromPlanned).
	LatencyFromPlanned bool `json:"latency_from_planned,omitempty"`
}

// Rates are the requested and achieved request rates (requests/s).
type Rates struct {
	Requested float64 `json:"requested"`
	// Achieved is requests / send span (latest − earliest send), like
	// vegeta's Rate.
	Achieved float64 `json:"achieved"`
}

// Latencies are latency statistics in milliseconds. Min, mean and max are
// exact; percentiles come from the HdrHistogram (within 0.1 %).
type Latencies struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Percentile is one point of the latency percentile curve.
type Percentile struct {
	Q  float64 `json:"q"` // percentile, 0-100
	MS float64 `json:"ms"`
}

// Saturation tells whether the load generator kept its schedule. When it
// did not, measured latencies understate what users would see
// (coordinated omission).
type Saturation struct {
	LateRequests    uint64  `json:"late_requests"`
	LateRatio       float64 `json:"late_ratio"`
	LateThresholdMS float64 `json:"late_threshold_ms"`
	LagSamples      uint64  `json:"lag_samples"` // results that carry a lag
	MaxLagMS        float64 `json:"max_lag_ms"`
	// RateRatio is achieved / requested; null when no rate was requested or
	// there are too few requests to measure one.
	RateRatio *float64 `json:"rate_ratio"`
	Saturated bool     `json:"saturated"`
	Reason    string   `json:"reason"`
}

// Point is one time-series bucket (by send time).
type Point struct {
	T        float64 `json:"t"` // bucket start, seconds after the first bucket
	Requests uint64  `json:"requests"`
	OK       uint64  `json:"ok"`
	Errors   uint64  `json:"errors"`
	Rate     float64 `json:"rate"` // requests per second in the bucket
	P50MS    float64 `json:"p50_ms"`
	P99MS    float64 `json:"p99_ms"`
}

// AgentStats are one agent's figures.
type AgentStats struct {
	Agent     string  `json:"agent"`
	Requests  uint64  `json:"requests"`
	Errors    uint64  `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	P99MS     float64 `json:"p99_ms"`
}

// NodeStats are one gateway node's figures ("unknown" when results carry no
// node).
type NodeStats struct {
	Node      string  `json:"node"`
	Requests  uint64  `json:"requests"`
	Errors    uint64  `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	P50MS     float64 `json:"p50_ms"`
	P99MS     float64 `json:"p99_ms"`
}

// UnknownNode names results without a node.
const UnknownNode = "unknown"

// Report computes the report of everything added so far, with m's run
// metadata and the gates of objectives o. It does not change the
// Aggregator.
func (a *Aggregator) Report(m results.Meta, o slo.Objectives) *Report {
	a.mu.Lock()
	defer a.mu.Unlock()

	r := &Report{
		Target: m.Target, Plan: m.Plan,
		Requests: a.requests, Success: a.success, ContractViolations: a.contract,
		StatusCodes: a.codes.stringMap(codeString, OtherKey),
		Retcodes:    a.retcodes.stringMap(identity, OtherKey),
		Errors:      a.errs.stringMap(identity, OtherKey),
		Violations:  a.violations.stringMap(identity, OtherKey),
		Classes:     a.classes.stringMap(identity, OtherKey),
		Profile:     m.Profile, PlannedDurationS: round(m.PlannedDuration.Seconds(), 6),
		Agents: m.Agents, AgentsFailed: m.AgentsFailed, Connections: m.Connections,
		HTTP2: m.HTTP2, TLSVerify: m.TLSVerify, ReSignIns: m.ReSignIns, Interrupted: m.Interrupted, NoPassword: m.NoPassword,
		Warnings:  append([]string{}, m.Warnings...),
		Partial:   a.partial,
		Histogram: HistogramNote,
		RunID:     m.RunID, Shard: m.Shard, Aborted: m.Aborted, AbortedBy: m.AbortedBy, Shards: m.Shards,
		LatencyFromPlanned: a.fromPlanned,
	}
	if !m.Started.IsZero() {
		r.Started = m.Started.UTC()
	}
	if r.Target == "" && r.Plan == "" {
		r.Target, r.Plan = a.attackName()
	}
	r.Rate.Requested = round(max(m.RequestedRate, 0), 3)

	var sendSpan time.Duration
	if a.haveTime {
		r.Earliest = time.Unix(0, a.earliestNS).UTC()
		r.Latest = time.Unix(0, a.latestNS).UTC()
		r.End = time.Unix(0, a.lastEnd).UTC()
		sendSpan = time.Duration(a.latestNS - a.earliestNS)
		r.DurationS = round(float64(a.lastEnd-a.earliestNS)/1e9, 6)
	}
	if a.requests > 0 {
		// Like vegeta: rate over the send span, throughput over the whole
		// duration, each the plain count when its span is zero.
		r.Rate.Achieved = float64(a.requests)
		if sendSpan > 0 {
			r.Rate.Achieved /= sendSpan.Seconds()
		}
		r.Throughput = float64(a.success)
		if d := a.lastEnd - a.earliestNS; sendSpan > 0 && d > 0 {
			r.Throughput /= float64(d) / 1e9
		}
		r.Rate.Achieved, r.Throughput = round(r.Rate.Achieved, 3), round(r.Throughput, 3)
		r.ErrorRate = round(float64(a.requests-a.success)/float64(a.requests), 6)
		r.LatencyMS = a.latencies()
	}
	r.Percentiles = a.percentiles()

	if a.isJourneyRun(m) {
		r.Saturation = a.journeySaturation(m, o)
	} else {
		r.Saturation = a.saturation(m, sendSpan, o)
	}
	r.Calls = a.callReports()
	r.Journeys = a.journeyReport(m)
	r.TimeSeries, r.TimeSeriesStep = a.timeSeries()
	r.WorstAgents = a.worst()
	r.AgentsSeen = len(a.agents.m)
	if a.agents.refused > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("more than %d agents: per-agent figures cover the %d lowest agent IDs", a.maxAgents, a.maxAgents))
	}
	r.Nodes = a.nodeStats()
	if r.Partial {
		r.Warnings = append(r.Warnings, "a results file was truncated (killed run?): the report covers the results up to the last whole one")
	}
	r.SLO = insertGates(gates(r, o, a.latencyAt), slo.GateContractViolations, a.extraGates(o))
	r.SLO = append(r.SLO, abortGates(m)...)
	r.Pass = true
	for _, g := range r.SLO {
		r.Pass = r.Pass && g.Pass
	}
	return r
}

func identity(s string) string { return s }

// attackName derives target and plan from the most frequent Attack field
// ("target/plan").
func (a *Aggregator) attackName() (target, plan string) {
	best, n := "", uint64(0)
	for _, k := range a.attacks.b.keys() {
		if c := a.attacks.get(k); c > n {
			best, n = k, c
		}
	}
	target, plan, _ = strings.Cut(best, "/")
	return target, plan
}

// quantileUS returns the run-wide latency at percentile p, in µs, within the
// exact minimum and maximum.
func (a *Aggregator) quantileUS(p float64) int64 {
	v := a.hist.ValueAtPercentile(p)
	return min(max(v, micros(time.Duration(a.minNS))), micros(time.Duration(a.maxNS)))
}

func (a *Aggregator) latencies() Latencies {
	q := func(p float64) float64 { return usToMS(a.quantileUS(p)) }
	return Latencies{
		Min: durMS(time.Duration(a.minNS)), Mean: a.meanMS(),
		P50: q(50), P90: q(90), P95: q(95), P99: q(99), P999: q(99.9),
		Max: durMS(time.Duration(a.maxNS)),
	}
}

func (a *Aggregator) meanMS() float64 {
	if a.requests == 0 {
		return 0
	}
	sum := float64(a.latSumHi)*math.Exp2(64) + float64(a.latSumLo)
	return round(sum/float64(a.requests)/1e6, 3)
}

// percentileTicks is the resolution of the percentile curve.
const percentileTicks = 2

// percentiles returns the latency percentile curve (HdrHistogram's
// percentile iteration), clamped to the exact extremes.
func (a *Aggregator) percentiles() []Percentile {
	out := []Percentile{}
	if a.requests == 0 {
		return out
	}
	lo, hi := micros(time.Duration(a.minNS)), micros(time.Duration(a.maxNS))
	for _, b := range a.hist.CumulativeDistributionWithTicks(percentileTicks) {
		p := Percentile{Q: round(b.Quantile, 6), MS: usToMS(min(max(b.ValueAt, lo), hi))}
		if n := len(out); n > 0 && out[n-1].Q == p.Q {
			out[n-1] = p
			continue
		}
		out = append(out, p)
	}
	return out
}

// latencyAt returns the value of an SLO latency key in ms.
func (a *Aggregator) latencyAt(k slo.LatencyKey) float64 {
	switch {
	case a.requests == 0:
		return 0
	case k.Mean:
		return a.meanMS()
	case k.Percentile >= 100:
		return durMS(time.Duration(a.maxNS))
	}
	return usToMS(a.quantileUS(k.Percentile))
}

// saturation decides whether the generator kept its schedule.
func (a *Aggregator) saturation(m results.Meta, sendSpan time.Duration, o slo.Objectives) Saturation {
	return saturationOf(a.lag, a.lagSamples, a.lagMaxUS, a.requests, sendSpan, m.RequestedRate, o, false)
}

// saturationOf decides whether n scheduled sends (requests, or journey
// starts when journeys) kept their schedule: their lag histogram (nil:
// none), how many carried a lag and the largest, their send span and the
// requested rate.
func saturationOf(lag *hdr.Histogram, lagSamples uint64, lagMaxUS int64, n uint64, sendSpan time.Duration, requested float64, o slo.Objectives, journeys bool) Saturation {
	unit, sent := "req/s", "requests were sent"
	if journeys {
		unit, sent = "journeys/s", "journeys started"
	}
	s := Saturation{LagSamples: lagSamples, MaxLagMS: usToMS(lagMaxUS)}
	var interArrival time.Duration
	switch {
	case requested > 0:
		interArrival = time.Duration(float64(time.Second) / requested)
	case n > 1:
		interArrival = sendSpan / time.Duration(n-1)
	}
	threshold := max(DefaultLateFloor, time.Duration(DefaultLateFraction*float64(interArrival)))
	s.LateThresholdMS = durMS(threshold)
	thUS := micros(threshold)
	if lag != nil {
		for _, b := range lag.Distribution() {
			if b.From > thUS {
				s.LateRequests += uint64(b.Count)
			}
		}
	}
	if n > 0 {
		s.LateRatio = round(float64(s.LateRequests)/float64(n), 6)
	}
	if requested > 0 && sendSpan > 0 {
		rr := round(float64(n)/sendSpan.Seconds()/requested, 4)
		s.RateRatio = &rr
	}
	var reasons []string
	if s.RateRatio != nil && *s.RateRatio < DefaultMinScheduleRatio {
		reasons = append(reasons, fmt.Sprintf("achieved %.1f%% of the requested rate (%.4g of %.4g %s)",
			*s.RateRatio*100, float64(n)/sendSpan.Seconds(), requested, unit))
	}
	if limit := saturationLateLimit(o); s.LateRatio > limit {
		reasons = append(reasons, fmt.Sprintf("%.2f%% of %s more than %s late (limit %.2f%%, max lag %s)",
			s.LateRatio*100, sent, threshold, limit*100, human.MS(s.MaxLagMS)))
	}
	s.Saturated = len(reasons) > 0
	s.Reason = strings.Join(reasons, "; ")
	return s
}

// timeSeries returns every bucket from the first to the last (empty ones
// included) and the bucket width in seconds.
func (a *Aggregator) timeSeries() ([]Point, float64) {
	step := float64(a.widthNS) / 1e9
	if len(a.series) == 0 {
		return []Point{}, step
	}
	lo, hi := a.seriesLo, a.seriesHi
	pts := make([]Point, 0, hi-lo+1)
	for idx := lo; idx <= hi; idx++ {
		p := Point{T: round(float64(idx-lo)*step, 6)}
		if b, ok := a.series[idx]; ok {
			p.Requests, p.Errors = b.requests, b.errors
			p.OK = b.requests - b.errors
			p.Rate = round(float64(b.requests)/step, 3)
			p.P50MS, p.P99MS = b.quantileMS(50), b.quantileMS(99)
		}
		pts = append(pts, p)
	}
	return pts, step
}

// worst returns the agents with the highest error rate, then p99.
func (a *Aggregator) worst() []AgentStats {
	all := make([]AgentStats, 0, len(a.agents.m))
	for id, g := range a.agents.m {
		all = append(all, AgentStats{Agent: strconv.Itoa(id), Requests: g.requests, Errors: g.errors,
			ErrorRate: round(float64(g.errors)/float64(g.requests), 6), P99MS: g.quantileMS(99)})
	}
	slices.SortFunc(all, func(x, y AgentStats) int {
		if c := cmpFloat(y.ErrorRate, x.ErrorRate); c != 0 {
			return c
		}
		if c := cmpFloat(y.P99MS, x.P99MS); c != 0 {
			return c
		}
		xi, _ := strconv.Atoi(x.Agent)
		yi, _ := strconv.Atoi(y.Agent)
		return xi - yi
	})
	if len(all) > a.worstAgents {
		all = all[:a.worstAgents]
	}
	return all
}

// nodeStats returns the nodes in ascending order, unknown last.
func (a *Aggregator) nodeStats() []NodeStats {
	ids := a.nodes.keys()
	out := make([]NodeStats, 0, len(ids))
	for _, id := range ids {
		g := a.nodes.m[id]
		ns := NodeStats{Node: strconv.Itoa(id), Requests: g.requests, Errors: g.errors,
			ErrorRate: round(float64(g.errors)/float64(g.requests), 6),
			P50MS:     g.quantileMS(50), P99MS: g.quantileMS(99)}
		if id == 0 {
			ns.Node = UnknownNode
		}
		out = append(out, ns)
	}
	if len(out) > 0 && out[0].Node == UnknownNode {
		out = append(out[1:], out[0])
	}
	return out
}

// ReadReport reads a report.json written by render.RunJSON.
func ReadReport(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, err
	}
	return &r, nil
}
