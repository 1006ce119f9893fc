package reports

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Saturation defaults: the generator is saturated (its latencies understate
// the truth) when it achieved less than DefaultMinScheduleRatio of the
// requested rate, or sent more than DefaultMaxLateRatio of its requests late.
// A request is late when it was sent more than max(DefaultLateFloor,
// DefaultLateFraction × mean inter-arrival time) after its planned time.
// The floor is 2 ms because Go's timers on Linux wake up to ~1 ms late
// (golang/go#53824) even on an idle generator: a tighter floor reports
// saturation that is only timer granularity.
const (
	DefaultMinScheduleRatio = 0.98
	DefaultMaxLateRatio     = 0.01
	DefaultLateFloor        = 2 * time.Millisecond
	DefaultLateFraction     = 0.1
)

// Gate names other than latency keys.
const (
	GateRequests           = "requests"
	GateErrorRate          = "error_rate"
	GateMinRateRatio       = "min_rate_ratio"
	GateContractViolations = "contract_violations"
	GateSaturation         = "saturation"
)

// SLO is the set of gates a run must pass. Nil fields are not gated, except
// contract violations (always gated, 0 allowed unless MaxContractViolations
// says otherwise) and saturation (gated unless Saturation is false).
type SLO struct {
	// Latency maps a latency key (p50 p90 p95 p99 p99.9 p999 mean max, any
	// pNN or pNN.N; see ParseLatencyKey) to the highest allowed value.
	Latency map[string]time.Duration
	// ErrorRate is the highest allowed share of non-successful requests.
	ErrorRate *float64
	// MinRateRatio is the lowest allowed achieved/requested rate ratio.
	MinRateRatio *float64
	// MaxContractViolations is the highest allowed number of contract
	// violations (default 0).
	MaxContractViolations *int
	// MaxLateRatio replaces DefaultMaxLateRatio in the saturation check.
	MaxLateRatio *float64
	// Saturation gates on generator saturation; nil means true.
	Saturation *bool
	// Ready maps a latency key (as Latency) to the longest allowed time to
	// softphone-ready of a journey run (report.json journeys.ready_ms); the
	// gates are named "ready_" + key.
	Ready map[string]time.Duration
	// Calls holds gates on one call's figures (report.json calls), by call
	// name (see ReportedCalls; also updateguid); the gates are named
	// "calls.CALL.KEY".
	Calls map[string]CallSLO
}

// CallSLO is the gates on one call's figures.
type CallSLO struct {
	// Latency maps a latency key (as SLO.Latency) to the highest allowed
	// value.
	Latency map[string]time.Duration
	// ErrorRate is the highest allowed share of the call's results that
	// failed.
	ErrorRate *float64
}

// LatencyKey is a parsed SLO latency key.
type LatencyKey struct {
	Name       string  // the key as given (trimmed, lower case)
	Mean       bool    // the mean latency
	Percentile float64 // 0-100 when not Mean; 100 is the maximum
}

// ParseLatencyKey reads an SLO latency key: "mean", "max", "pNN" (p50, p99),
// "pNN.N..." (p99.9, p99.99) or the compact forms p999 (99.9) and p9999
// (99.99).
func ParseLatencyKey(s string) (LatencyKey, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	bad := fmt.Errorf("invalid latency key %q: want mean, max, pNN or pNN.N (e.g. p50, p99, p99.9, p999)", s)
	switch k {
	case "mean":
		return LatencyKey{Name: k, Mean: true}, nil
	case "max", "p100":
		return LatencyKey{Name: k, Percentile: 100}, nil
	}
	d, ok := strings.CutPrefix(k, "p")
	if !ok || d == "" || strings.ContainsAny(d, "+-eE_ ") {
		return LatencyKey{}, bad
	}
	if !strings.Contains(d, ".") && len(d) > 2 {
		if !strings.HasPrefix(d, "99") {
			return LatencyKey{}, bad
		}
		d = "99." + d[2:]
	}
	p, err := strconv.ParseFloat(d, 64)
	if err != nil || p <= 0 || p > 100 || math.IsNaN(p) {
		return LatencyKey{}, bad
	}
	return LatencyKey{Name: k, Percentile: p}, nil
}

// Validate checks that every key parses and every threshold is in range.
func (s SLO) Validate() error {
	for _, k := range slices.Sorted(maps.Keys(s.Latency)) {
		if _, err := ParseLatencyKey(k); err != nil {
			return err
		}
		if s.Latency[k] <= 0 {
			return fmt.Errorf("latency SLO %s: threshold must be positive, got %s", k, s.Latency[k])
		}
	}
	check := func(name string, v *float64, lo, hi float64) error {
		if v != nil && !(*v >= lo && *v <= hi) {
			return fmt.Errorf("SLO %s: want %g..%g, got %g", name, lo, hi, *v)
		}
		return nil
	}
	if err := check(GateErrorRate, s.ErrorRate, 0, 1); err != nil {
		return err
	}
	if err := check(GateMinRateRatio, s.MinRateRatio, 0, 10); err != nil {
		return err
	}
	if err := check("max_late_ratio", s.MaxLateRatio, 0, 1); err != nil {
		return err
	}
	if s.MaxContractViolations != nil && *s.MaxContractViolations < 0 {
		return fmt.Errorf("SLO max_contract_violations: want >= 0, got %d", *s.MaxContractViolations)
	}
	if err := validateLatencies(ReadyGatePrefix, s.Ready); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(s.Calls)) {
		if !IsGatedCall(name) {
			return fmt.Errorf("SLO calls: unknown call %q (want %s)", name, strings.Join(GatedCalls(), ", "))
		}
		c := s.Calls[name]
		if err := validateLatencies(CallGatePrefix+name+".", c.Latency); err != nil {
			return err
		}
		if err := check(CallGatePrefix+name+"."+GateErrorRate, c.ErrorRate, 0, 1); err != nil {
			return err
		}
	}
	return nil
}

// validateLatencies checks latency gates whose names start with prefix.
func validateLatencies(prefix string, m map[string]time.Duration) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if _, err := ParseLatencyKey(k); err != nil {
			return fmt.Errorf("SLO %s%s: %w", prefix, k, err)
		}
		if m[k] <= 0 {
			return fmt.Errorf("latency SLO %s%s: threshold must be positive, got %s", prefix, k, m[k])
		}
	}
	return nil
}

// saturationGated reports whether saturation is a gate.
func (s SLO) saturationGated() bool { return s.Saturation == nil || *s.Saturation }

// lateLimit returns the late-ratio limit of the saturation check.
func (s SLO) lateLimit() float64 {
	if s.MaxLateRatio != nil {
		return *s.MaxLateRatio
	}
	return DefaultMaxLateRatio
}

type sloJSON struct {
	Latency               map[string]string      `json:"latency,omitempty"`
	Ready                 map[string]string      `json:"ready,omitempty"`
	Calls                 map[string]callSLOJSON `json:"calls,omitempty"`
	ErrorRate             *float64               `json:"error_rate,omitempty"`
	MinRateRatio          *float64               `json:"min_rate_ratio,omitempty"`
	MaxContractViolations *int                   `json:"max_contract_violations,omitempty"`
	MaxLateRatio          *float64               `json:"max_late_ratio,omitempty"`
	Saturation            *bool                  `json:"saturation,omitempty"`
}

// MarshalJSON writes latency thresholds as Go duration strings ("500ms").
func (s SLO) MarshalJSON() ([]byte, error) {
	j := sloJSON{ErrorRate: s.ErrorRate, MinRateRatio: s.MinRateRatio,
		MaxContractViolations: s.MaxContractViolations, MaxLateRatio: s.MaxLateRatio, Saturation: s.Saturation}
	j.Latency, j.Ready = durationStrings(s.Latency), durationStrings(s.Ready)
	if len(s.Calls) > 0 {
		j.Calls = make(map[string]callSLOJSON, len(s.Calls))
		for k, c := range s.Calls {
			j.Calls[k] = callSLOJSON{Latency: durationStrings(c.Latency), ErrorRate: c.ErrorRate}
		}
	}
	return json.Marshal(j)
}

// callSLOJSON is the meta.json form of a CallSLO.
type callSLOJSON struct {
	Latency   map[string]string `json:"latency,omitempty"`
	ErrorRate *float64          `json:"error_rate,omitempty"`
}

func durationStrings(m map[string]time.Duration) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, d := range m {
		out[k] = d.String()
	}
	return out
}

func parseDurations(what string, m map[string]string) (map[string]time.Duration, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]time.Duration, len(m))
	for k, v := range m {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("slo %s%s: %w", what, k, err)
		}
		out[k] = d
	}
	return out, nil
}

// UnmarshalJSON reads the form MarshalJSON writes and validates it.
func (s *SLO) UnmarshalJSON(b []byte) error {
	var j sloJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	out := SLO{ErrorRate: j.ErrorRate, MinRateRatio: j.MinRateRatio,
		MaxContractViolations: j.MaxContractViolations, MaxLateRatio: j.MaxLateRatio, Saturation: j.Saturation}
	var err error
	if out.Latency, err = parseDurations("latency ", j.Latency); err != nil {
		return err
	}
	if out.Ready, err = parseDurations(ReadyGatePrefix, j.Ready); err != nil {
		return err
	}
	for k, c := range j.Calls {
		lat, err := parseDurations(CallGatePrefix+k+".", c.Latency)
		if err != nil {
			return err
		}
		if out.Calls == nil {
			out.Calls = map[string]CallSLO{}
		}
		out.Calls[k] = CallSLO{Latency: lat, ErrorRate: c.ErrorRate}
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*s = out
	return nil
}

// Gate is one SLO check of a report.
type Gate struct {
	Name      string  `json:"name"`
	Threshold float64 `json:"threshold"`
	Actual    float64 `json:"actual"`
	Pass      bool    `json:"pass"`
	// Op is how Actual must compare to Threshold: "<=" or ">=".
	Op string `json:"op"`
	// Unit is "ms", "ratio", "count" or "bool" (saturation: 1 = saturated).
	Unit   string `json:"unit"`
	Detail string `json:"detail,omitempty"`
	// Skipped is set on a gate with nothing to judge (a ready gate of a run
	// without journeys, a call gate of a call never made); it passes and
	// Detail says why.
	Skipped bool `json:"skipped,omitempty"`
}

// gates evaluates slo against a report whose other fields are filled in.
// latencyAt returns the latency (ms) of a parsed key.
func gates(r *Report, slo SLO, latencyAt func(LatencyKey) float64) []Gate {
	var gs []Gate
	if r.Requests == 0 {
		gs = append(gs, Gate{Name: GateRequests, Threshold: 1, Actual: 0, Op: ">=", Unit: "count",
			Detail: "no results: nothing was measured"})
	}
	for k, d := range slo.Latency {
		if _, err := ParseLatencyKey(k); err != nil {
			gs = append(gs, Gate{Name: k, Threshold: durMS(d), Op: "<=", Unit: "ms", Detail: err.Error()})
		}
	}
	for _, l := range sortedLatencyKeys(slo.Latency) {
		actual := latencyAt(l.key)
		th := durMS(l.max)
		gs = append(gs, Gate{Name: l.key.Name, Threshold: th, Actual: actual, Pass: r.Requests > 0 && actual <= th, Op: "<=", Unit: "ms"})
	}
	if slo.ErrorRate != nil {
		gs = append(gs, Gate{Name: GateErrorRate, Threshold: *slo.ErrorRate, Actual: r.ErrorRate,
			Pass: r.Requests > 0 && r.ErrorRate <= *slo.ErrorRate, Op: "<=", Unit: "ratio"})
	}
	if slo.MinRateRatio != nil {
		g := Gate{Name: GateMinRateRatio, Threshold: *slo.MinRateRatio, Op: ">=", Unit: "ratio"}
		if rr := r.Saturation.RateRatio; rr != nil {
			g.Actual, g.Pass = *rr, *rr >= *slo.MinRateRatio
		} else {
			g.Detail = "rate ratio unknown: no requested rate, or too few requests"
		}
		gs = append(gs, g)
	}
	maxCV := 0
	if slo.MaxContractViolations != nil {
		maxCV = *slo.MaxContractViolations
	}
	cv := Gate{Name: GateContractViolations, Threshold: float64(maxCV), Actual: float64(r.ContractViolations),
		Pass: r.ContractViolations <= uint64(maxCV), Op: "<=", Unit: "count"}
	if r.ContractViolations > 0 {
		cv.Detail = kindsText(r.Violations)
	}
	gs = append(gs, cv)
	if slo.saturationGated() {
		g := Gate{Name: GateSaturation, Threshold: 0, Op: "<=", Unit: "bool", Pass: !r.Saturation.Saturated}
		if r.Saturation.Saturated {
			g.Actual, g.Detail = 1, r.Saturation.Reason
		}
		gs = append(gs, g)
	}
	return gs
}

// kindsText lists counts by key, largest first: "wrong_phonenum 3, empty_token 1".
func kindsText(m map[string]uint64) string {
	var b strings.Builder
	for i, k := range sortedByCount(m) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}

// sortedByCount returns the keys of m by descending count, then name.
func sortedByCount(m map[string]uint64) []string {
	ks := slices.Collect(maps.Keys(m))
	slices.SortFunc(ks, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return ks
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func durMS(d time.Duration) float64 { return round(float64(d)/1e6, 3) }

// round rounds x to n decimals.
func round(x float64, n int) float64 {
	p := math.Pow10(n)
	return math.Round(x*p) / p
}
