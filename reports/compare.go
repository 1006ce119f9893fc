package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/internal/human"
	"ccgw-harness/slo"
)

// Comparison defaults (docs/reports-and-gates.md, ccgw compare): a latency percentile
// (p50 p90 p95 p99 p99.9) regresses when it grew by more than
// DefaultMaxLatencyRegression AND by more than DefaultMinLatencyDelta (so
// microsecond noise on the mock fails no pipeline); the error rate
// regresses when it grew by more than DefaultMaxErrorRateIncrease
// (absolute: 0.005 is 0.5 percentage points); throughput regresses when it
// dropped by more than DefaultMaxThroughputDrop. Runs whose requested rates
// differ by more than DefaultMaxRateDifference are not comparable.
const (
	DefaultMaxLatencyRegression = 0.10
	DefaultMinLatencyDelta      = time.Millisecond
	DefaultMaxErrorRateIncrease = 0.005
	DefaultMaxThroughputDrop    = 0.05
	DefaultMaxRateDifference    = 0.05
)

// Comparison gate names other than the latency keys (p50 p90 p95 p99
// p99.9) and slo.GateErrorRate.
const (
	GateThroughput = "throughput"
	GateComparable = "comparable"
)

// Comparison gate statuses.
const (
	StatusOK        = "ok"        // within the thresholds
	StatusImproved  = "improved"  // better by more than the thresholds
	StatusRegressed = "regressed" // worse by more than the thresholds
	StatusFailed    = "failed"    // the comparable gate under Strict, or a current run without results
	StatusSkipped   = "skipped"   // cannot be evaluated (the baseline has no results)
)

// Metric groups of a Comparison, in table order.
const (
	GroupRun        = "run"
	GroupLatency    = "latency"
	GroupRetcode    = "retcode"
	GroupErrorClass = "error_class"
	GroupError      = "error"
	GroupNodeP99    = "node_p99"
)

// Output file names written by render.WriteComparison.
const (
	CompareTextFile     = "compare.txt"
	CompareJSONFile     = "compare.json"
	CompareMarkdownFile = "compare.md"
	CompareJUnitFile    = "compare-junit.xml"
)

// comparedPercentiles are the gated latency percentiles.
var comparedPercentiles = []struct {
	name string
	get  func(Latencies) float64
}{
	{"p50", func(l Latencies) float64 { return l.P50 }},
	{"p90", func(l Latencies) float64 { return l.P90 }},
	{"p95", func(l Latencies) float64 { return l.P95 }},
	{"p99", func(l Latencies) float64 { return l.P99 }},
	{"p99.9", func(l Latencies) float64 { return l.P999 }},
}

// Thresholds are the regression gates of a comparison and the
// comparability tolerance. Fractions: 0.10 is 10 %.
type Thresholds struct {
	// MaxLatencyRegression is the largest allowed relative increase of
	// p50, p90, p95, p99 and p99.9.
	MaxLatencyRegression float64
	// MinLatencyDelta is the absolute increase a percentile must also
	// exceed to count as a regression (and decrease, as an improvement).
	MinLatencyDelta time.Duration
	// MaxErrorRateIncrease is the largest allowed absolute increase of the
	// error rate (0.005: 0.5 percentage points).
	MaxErrorRateIncrease float64
	// MaxThroughputDrop is the largest allowed relative drop of throughput.
	MaxThroughputDrop float64
	// MaxRateDifference is the largest relative difference of the requested
	// rates for which two runs are comparable.
	MaxRateDifference float64
	// NoGates evaluates the gates but enforces none: the comparison passes.
	NoGates bool
	// Strict makes runs that are not comparable a failure (gate
	// "comparable").
	Strict bool
}

// DefaultThresholds returns the Default* thresholds, gates enforced, not
// strict.
func DefaultThresholds() Thresholds {
	return Thresholds{
		MaxLatencyRegression: DefaultMaxLatencyRegression, MinLatencyDelta: DefaultMinLatencyDelta,
		MaxErrorRateIncrease: DefaultMaxErrorRateIncrease, MaxThroughputDrop: DefaultMaxThroughputDrop,
		MaxRateDifference: DefaultMaxRateDifference,
	}
}

// Validate checks that every threshold is finite and in range.
func (t Thresholds) Validate() error {
	check := func(name string, v, hi float64) error {
		if math.IsNaN(v) || v < 0 || v > hi {
			return fmt.Errorf("threshold %s: want 0..%g, got %g", name, hi, v)
		}
		return nil
	}
	return errors.Join(
		check("max_latency_regression", t.MaxLatencyRegression, 10),
		check("max_error_rate_increase", t.MaxErrorRateIncrease, 1),
		check("max_throughput_drop", t.MaxThroughputDrop, 1),
		check("max_rate_difference", t.MaxRateDifference, 10),
		check("min_latency_delta_ms", float64(t.MinLatencyDelta)/1e6, float64(time.Hour/time.Millisecond)),
	)
}

type thresholdsJSON struct {
	MaxLatencyRegression float64 `json:"max_latency_regression"`
	MinLatencyDeltaMS    float64 `json:"min_latency_delta_ms"`
	MaxErrorRateIncrease float64 `json:"max_error_rate_increase"`
	MaxThroughputDrop    float64 `json:"max_throughput_drop"`
	MaxRateDifference    float64 `json:"max_rate_difference"`
	NoGates              bool    `json:"no_gates"`
	Strict               bool    `json:"strict"`
}

// MarshalJSON writes the thresholds with MinLatencyDelta in milliseconds.
func (t Thresholds) MarshalJSON() ([]byte, error) {
	return json.Marshal(thresholdsJSON{t.MaxLatencyRegression, float64(t.MinLatencyDelta) / 1e6,
		t.MaxErrorRateIncrease, t.MaxThroughputDrop, t.MaxRateDifference, t.NoGates, t.Strict})
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (t *Thresholds) UnmarshalJSON(b []byte) error {
	var j thresholdsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*t = Thresholds{j.MaxLatencyRegression, time.Duration(math.Round(j.MinLatencyDeltaMS * 1e6)),
		j.MaxErrorRateIncrease, j.MaxThroughputDrop, j.MaxRateDifference, j.NoGates, j.Strict}
	return t.Validate()
}

// RunInfo identifies one of the compared runs.
type RunInfo struct {
	// Source is where the report was read from; Compare leaves it empty
	// for the caller to fill in.
	Source           string    `json:"source,omitempty"`
	Target           string    `json:"target"`
	Plan             string    `json:"plan"`
	Profile          string    `json:"profile"`
	RequestedRate    float64   `json:"requested_rate"` // 0: unknown
	PlannedDurationS float64   `json:"planned_duration_s"`
	Agents           int       `json:"agents"`
	Connections      int       `json:"connections"` // 0: unknown
	HTTP2            bool      `json:"http2"`
	Requests         uint64    `json:"requests"`
	DurationS        float64   `json:"duration_s"`
	Started          time.Time `json:"started,omitzero"`
	Saturated        bool      `json:"saturated"`
	Interrupted      bool      `json:"interrupted"`
	Partial          bool      `json:"partial"`
}

// Metric is one row of a comparison: a figure of both runs and its change.
type Metric struct {
	// Group is one of the Group* constants; Name is the figure within it
	// (a retcode, an error kind, a node...).
	Group string `json:"group"`
	Name  string `json:"name"`
	// Unit is "count", "rate" (req/s), "ratio" (0..1), "ms" or "bool"
	// (1 true).
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline"`
	Current  float64 `json:"current"`
	Delta    float64 `json:"delta"` // current − baseline
	// DeltaPct is the relative change in percent; null when the baseline
	// is 0 (and the current is not) or the figure is missing.
	DeltaPct *float64 `json:"delta_pct"`
	// Missing is "baseline" or "current" when only one run has the figure
	// (per-node rows).
	Missing string `json:"missing,omitempty"`
	// Better is "lower" or "higher" when the figure has a good direction.
	Better string `json:"better,omitempty"`
	// Gate is the status of the regression gate on this figure, if any.
	Gate string `json:"gate,omitempty"`
}

// CompareGate is one regression gate of a comparison.
type CompareGate struct {
	Name     string  `json:"name"` // p50 p90 p95 p99 p99.9, error_rate, throughput, comparable
	Unit     string  `json:"unit"` // ms, ratio, rate or bool
	Baseline float64 `json:"baseline"`
	Current  float64 `json:"current"`
	// Limit is the worst current value allowed, compared by Op ("<=" or
	// ">=").
	Limit float64 `json:"limit"`
	Op    string  `json:"op"`
	// Rule says the threshold in words: "+10% and +1 ms".
	Rule   string `json:"rule"`
	Status string `json:"status"` // a Status* constant
	// Enforced is false when gates are disabled (Thresholds.NoGates).
	Enforced bool   `json:"enforced"`
	Pass     bool   `json:"pass"`
	Detail   string `json:"detail,omitempty"`
}

// Comparison is a run compared with a baseline run: the figures of both,
// whether they are comparable, and the regression gates.
type Comparison struct {
	Baseline   RunInfo    `json:"baseline"`
	Current    RunInfo    `json:"current"`
	Thresholds Thresholds `json:"thresholds"`
	// Comparable is false when the runs differ in plan, profile, requested
	// rate (beyond MaxRateDifference), connections or protocol, or the
	// baseline has no results; Mismatches says how.
	Comparable bool     `json:"comparable"`
	Mismatches []string `json:"mismatches"`
	// Notes are cautions that do not make the runs incomparable
	// (saturation, interruption, a different target...).
	Notes   []string      `json:"notes"`
	Metrics []Metric      `json:"metrics"`
	Gates   []CompareGate `json:"gates"`
	// Pass is true when no enforced gate regressed or failed.
	Pass    bool   `json:"pass"`
	Verdict string `json:"verdict"`
}

// Compare compares cur with base under th. It does not change either
// report.
func Compare(base, cur *Report, th Thresholds) *Comparison {
	c := &Comparison{Baseline: runInfo(base), Current: runInfo(cur), Thresholds: th,
		Mismatches: mismatches(base, cur, th), Notes: notes(base, cur)}
	c.Comparable = len(c.Mismatches) == 0
	c.Gates = compareGates(base, cur, th, c)
	status := map[string]string{}
	for _, g := range c.Gates {
		status[g.Name] = g.Status
	}
	c.Metrics = metrics(base, cur, status)
	c.Pass = true
	for _, g := range c.Gates {
		c.Pass = c.Pass && g.Pass
	}
	c.Verdict = compareVerdict(c)
	return c
}

func runInfo(r *Report) RunInfo {
	started := r.Earliest
	if started.IsZero() {
		started = r.Started
	}
	return RunInfo{Target: r.Target, Plan: r.Plan, Profile: r.Profile, RequestedRate: r.Rate.Requested,
		PlannedDurationS: r.PlannedDurationS, Agents: r.Agents, Connections: r.Connections, HTTP2: r.HTTP2,
		Requests: r.Requests, DurationS: r.DurationS, Started: started,
		Saturated: r.Saturation.Saturated, Interrupted: r.Interrupted, Partial: r.Partial}
}

// mismatches says why two runs are not comparable.
func mismatches(base, cur *Report, th Thresholds) []string {
	out := []string{}
	diff := func(what, b, c string) {
		if b != c {
			out = append(out, fmt.Sprintf("%s differs: baseline %s, current %s", what, b, c))
		}
	}
	diff("plan", orUnknown(base.Plan), orUnknown(cur.Plan))
	diff("profile", orUnknown(base.Profile), orUnknown(cur.Profile))
	b, c := base.Rate.Requested, cur.Rate.Requested
	switch {
	case b == 0 && c == 0:
	case b == 0 || c == 0:
		diff("requested rate", rateOrUnknown(b), rateOrUnknown(c))
	case math.Abs(c-b)/b > th.MaxRateDifference:
		out = append(out, fmt.Sprintf("requested rate differs by %s (more than %s): baseline %s, current %s",
			human.SignedPct((c-b)/b*100), strconv.FormatFloat(th.MaxRateDifference*100, 'f', -1, 64)+"%", human.Rate(b), human.Rate(c)))
	}
	diff("number of connections", connOrUnknown(base.Connections), connOrUnknown(cur.Connections))
	diff("protocol", human.YesNo(base.HTTP2, "HTTP/2", "HTTP/1.1"), human.YesNo(cur.HTTP2, "HTTP/2", "HTTP/1.1"))
	if base.Requests == 0 {
		out = append(out, "the baseline has no results: there is nothing to compare with")
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func rateOrUnknown(x float64) string { return human.YesNo(x > 0, human.Rate(x), "unknown") }

func connOrUnknown(n int) string {
	if n <= 0 {
		return "unknown"
	}
	return strconv.Itoa(n)
}

// notes are cautions about the runs that do not make them incomparable.
func notes(base, cur *Report) []string {
	out := []string{}
	if base.Target != cur.Target {
		out = append(out, fmt.Sprintf("target differs (baseline %s, current %s): make sure the environments match", orUnknown(base.Target), orUnknown(cur.Target)))
	}
	if base.Agents != cur.Agents {
		out = append(out, fmt.Sprintf("agents differ: baseline %d, current %d", base.Agents, cur.Agents))
	}
	if b, c := base.PlannedDurationS, cur.PlannedDurationS; b > 0 && c > 0 && math.Abs(c-b)/b > DefaultMaxRateDifference {
		out = append(out, fmt.Sprintf("planned duration differs: baseline %g s, current %g s (tail percentiles depend on run length)", b, c))
	}
	for _, x := range []struct {
		name string
		r    *Report
	}{{"baseline", base}, {"current", cur}} {
		if x.r.Saturation.Saturated {
			out = append(out, fmt.Sprintf("the %s run was saturated (%s): its latencies are understated", x.name, x.r.Saturation.Reason))
		}
		if x.r.Interrupted {
			out = append(out, fmt.Sprintf("the %s run was interrupted before its planned end", x.name))
		}
		if x.r.Partial {
			out = append(out, fmt.Sprintf("the %s run's results were truncated: its report is partial", x.name))
		}
	}
	if cur.Requests == 0 {
		out = append(out, "the current run has no results")
	}
	return out
}

// compareGates evaluates the regression gates.
func compareGates(base, cur *Report, th Thresholds, c *Comparison) []CompareGate {
	var gs []CompareGate
	minMS := float64(th.MinLatencyDelta) / 1e6
	for _, p := range comparedPercentiles {
		b, v := p.get(base.LatencyMS), p.get(cur.LatencyMS)
		g := CompareGate{Name: p.name, Unit: "ms", Baseline: b, Current: v, Op: "<=",
			Limit: round(max(b*(1+th.MaxLatencyRegression), b+minMS), 6),
			Rule:  "+" + human.FracPct(th.MaxLatencyRegression) + " and +" + th.MinLatencyDelta.String()}
		switch d := v - b; {
		case v > g.Limit:
			g.Status = StatusRegressed
		case -d > b*th.MaxLatencyRegression && -d > minMS:
			g.Status = StatusImproved
		default:
			g.Status = StatusOK
		}
		gs = append(gs, g)
	}
	eg := CompareGate{Name: slo.GateErrorRate, Unit: "ratio", Baseline: base.ErrorRate, Current: cur.ErrorRate, Op: "<=",
		Limit: round(base.ErrorRate+th.MaxErrorRateIncrease, 9),
		Rule:  "+" + strconv.FormatFloat(th.MaxErrorRateIncrease*100, 'f', 2, 64) + " pp"}
	switch {
	case round(cur.ErrorRate, 9) > eg.Limit:
		eg.Status = StatusRegressed
	case round(base.ErrorRate-cur.ErrorRate, 9) > th.MaxErrorRateIncrease:
		eg.Status = StatusImproved
	default:
		eg.Status = StatusOK
	}
	gs = append(gs, eg)
	tg := CompareGate{Name: GateThroughput, Unit: "rate", Baseline: base.Throughput, Current: cur.Throughput, Op: ">=",
		Limit: round(base.Throughput*(1-th.MaxThroughputDrop), 6), Rule: "-" + human.FracPct(th.MaxThroughputDrop)}
	switch {
	case cur.Throughput < tg.Limit:
		tg.Status = StatusRegressed
	case cur.Throughput > base.Throughput*(1+th.MaxThroughputDrop):
		tg.Status = StatusImproved
	default:
		tg.Status = StatusOK
	}
	gs = append(gs, tg)

	for i := range gs {
		switch {
		case cur.Requests == 0:
			gs[i].Status, gs[i].Detail = StatusFailed, "the current run has no results"
		case base.Requests == 0:
			gs[i].Status, gs[i].Detail = StatusSkipped, "the baseline has no results"
		}
	}
	if th.Strict {
		g := CompareGate{Name: GateComparable, Unit: "bool", Baseline: 1, Current: 1, Limit: 1, Op: ">=",
			Rule: "same plan, profile, connections and protocol; requested rate within " + human.FracPct(th.MaxRateDifference), Status: StatusOK}
		if !c.Comparable {
			g.Current, g.Status, g.Detail = 0, StatusFailed, strings.Join(c.Mismatches, "; ")
		}
		gs = append(gs, g)
	}
	for i := range gs {
		g := &gs[i]
		g.Enforced = !th.NoGates
		g.Pass = !g.Enforced || (g.Status != StatusRegressed && g.Status != StatusFailed)
		if !g.Enforced {
			g.Detail = strings.TrimPrefix(g.Detail+"; not enforced: gates disabled", "; ")
		}
	}
	return gs
}

// metrics builds the rows of the comparison.
func metrics(base, cur *Report, status map[string]string) []Metric {
	var ms []Metric
	add := func(group, name, unit, better string, b, c float64) {
		m := Metric{Group: group, Name: name, Unit: unit, Baseline: b, Current: c, Delta: round(c-b, 6) + 0, Better: better}
		switch {
		case b != 0:
			p := round((c-b)/b*100, 2) + 0 // no negative zero
			m.DeltaPct = &p
		case c == 0:
			p := 0.0
			m.DeltaPct = &p
		}
		ms = append(ms, m)
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	add(GroupRun, "requests", "count", "", float64(base.Requests), float64(cur.Requests))
	add(GroupRun, "achieved rate", "rate", "higher", base.Rate.Achieved, cur.Rate.Achieved)
	add(GroupRun, GateThroughput, "rate", "higher", base.Throughput, cur.Throughput)
	add(GroupRun, slo.GateErrorRate, "ratio", "lower", base.ErrorRate, cur.ErrorRate)
	add(GroupRun, slo.GateContractViolations, "count", "lower", float64(base.ContractViolations), float64(cur.ContractViolations))
	add(GroupRun, slo.GateSaturation, "bool", "lower", b2f(base.Saturation.Saturated), b2f(cur.Saturation.Saturated))
	add(GroupRun, "late ratio", "ratio", "lower", base.Saturation.LateRatio, cur.Saturation.LateRatio)
	for _, p := range comparedPercentiles {
		add(GroupLatency, p.name, "ms", "lower", p.get(base.LatencyMS), p.get(cur.LatencyMS))
	}
	add(GroupLatency, "max", "ms", "lower", base.LatencyMS.Max, cur.LatencyMS.Max)
	add(GroupLatency, "mean", "ms", "lower", base.LatencyMS.Mean, cur.LatencyMS.Mean)
	for _, k := range retcodeKeys(base.Retcodes, cur.Retcodes) {
		add(GroupRetcode, k, "count", human.YesNo(k == "0", "", "lower"), float64(base.Retcodes[k]), float64(cur.Retcodes[k]))
	}
	classes := func(r *Report) map[string]uint64 {
		m := make(map[string]uint64, len(r.Classes))
		for k, n := range r.Classes {
			if k != "ok" {
				m[k] = n
			}
		}
		return m
	}
	bc, cc := classes(base), classes(cur)
	for _, k := range unionByCount(bc, cc) {
		add(GroupErrorClass, k, "count", "lower", float64(bc[k]), float64(cc[k]))
	}
	for _, k := range unionByCount(base.Errors, cur.Errors) {
		add(GroupError, k, "count", "lower", float64(base.Errors[k]), float64(cur.Errors[k]))
	}
	if len(base.Nodes) > 0 && len(cur.Nodes) > 0 {
		bn, cn := map[string]float64{}, map[string]float64{}
		var names []string
		for _, n := range base.Nodes {
			bn[n.Node] = n.P99MS
			names = append(names, n.Node)
		}
		for _, n := range cur.Nodes {
			cn[n.Node] = n.P99MS
			if _, ok := bn[n.Node]; !ok {
				names = append(names, n.Node)
			}
		}
		slices.SortFunc(names, nodeOrder)
		for _, n := range names {
			b, inB := bn[n]
			c, inC := cn[n]
			add(GroupNodeP99, n, "ms", "lower", b, c)
			m := &ms[len(ms)-1]
			if !inB || !inC {
				m.Missing = human.YesNo(inB, "current", "baseline")
				m.Delta, m.DeltaPct = 0, nil
			}
		}
	}
	for i := range ms {
		if (ms[i].Group == GroupLatency || ms[i].Group == GroupRun) && status[ms[i].Name] != "" {
			ms[i].Gate = status[ms[i].Name]
		}
	}
	return ms
}

// retcodeKeys returns the union of both runs' retcodes: "0" first, then by
// name, OtherKey last.
func retcodeKeys(a, b map[string]uint64) []string {
	ks := unionKeys(a, b)
	rank := func(k string) int {
		switch k {
		case "0":
			return 0
		case OtherKey:
			return 2
		}
		return 1
	}
	slices.SortFunc(ks, func(x, y string) int {
		if c := rank(x) - rank(y); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	return ks
}

// unionByCount returns the union of the keys by descending combined count,
// then name.
func unionByCount(a, b map[string]uint64) []string {
	ks := unionKeys(a, b)
	slices.SortFunc(ks, func(x, y string) int {
		if sx, sy := a[x]+b[x], a[y]+b[y]; sx != sy {
			return cmpFloat(float64(sy), float64(sx))
		}
		return strings.Compare(x, y)
	})
	return ks
}

func unionKeys(a, b map[string]uint64) []string {
	seen := map[string]bool{}
	var ks []string
	for _, m := range []map[string]uint64{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				ks = append(ks, k)
			}
		}
	}
	return ks
}

// nodeOrder sorts node names numerically, other names after them by name
// (UnknownNode among them).
func nodeOrder(x, y string) int {
	xi, errX := strconv.Atoi(x)
	yi, errY := strconv.Atoi(y)
	switch {
	case errX == nil && errY == nil:
		return xi - yi
	case errX == nil:
		return -1
	case errY == nil:
		return 1
	}
	return strings.Compare(x, y)
}

func compareVerdict(c *Comparison) string {
	var bad, improved []string
	for _, g := range c.Gates {
		switch g.Status {
		case StatusRegressed, StatusFailed:
			bad = append(bad, g.Name)
		case StatusImproved:
			improved = append(improved, g.Name)
		}
	}
	imp := ""
	if len(improved) > 0 {
		imp = "; improved: " + strings.Join(improved, ", ")
	}
	caveat := human.YesNo(c.Comparable, "", " (runs NOT comparable: see the warning)")
	switch {
	case c.Thresholds.NoGates && len(bad) > 0:
		return fmt.Sprintf("NOT GATED: gates disabled; would have failed: %s%s%s", strings.Join(bad, ", "), imp, caveat)
	case c.Thresholds.NoGates:
		return fmt.Sprintf("NOT GATED: gates disabled; no regression beyond the thresholds%s%s", imp, caveat)
	case !c.Pass:
		return fmt.Sprintf("FAIL: %d of %d gates failed (%s)%s%s", len(bad), len(c.Gates), strings.Join(bad, ", "), imp, caveat)
	}
	return fmt.Sprintf("PASS: no regression in %d gates%s%s", len(c.Gates), imp, caveat)
}
