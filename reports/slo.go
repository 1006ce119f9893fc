package reports

import (
	"math"
	"time"

	"ccgw-harness/internal/human"
	"ccgw-harness/results"
	"ccgw-harness/slo"
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

// saturationLateLimit is the late-ratio limit of the saturation check
// under objectives o.
func saturationLateLimit(o slo.Objectives) float64 {
	if o.MaxLateRatio != nil {
		return *o.MaxLateRatio
	}
	return DefaultMaxLateRatio
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

// gates evaluates the objectives o against a report whose other fields are
// filled in. latencyAt returns the latency (ms) of a parsed key.
func gates(r *Report, o slo.Objectives, latencyAt func(slo.LatencyKey) float64) []Gate {
	var gs []Gate
	if r.Requests == 0 {
		gs = append(gs, Gate{Name: slo.GateRequests, Threshold: 1, Actual: 0, Op: ">=", Unit: "count",
			Detail: "no results: nothing was measured"})
	}
	for k, d := range o.Latency {
		if _, err := slo.ParseLatencyKey(k); err != nil {
			gs = append(gs, Gate{Name: k, Threshold: durMS(d), Op: "<=", Unit: "ms", Detail: err.Error()})
		}
	}
	for _, l := range sortedLatencyKeys(o.Latency) {
		actual := latencyAt(l.key)
		th := durMS(l.max)
		gs = append(gs, Gate{Name: l.key.Name, Threshold: th, Actual: actual, Pass: r.Requests > 0 && actual <= th, Op: "<=", Unit: "ms"})
	}
	if o.ErrorRate != nil {
		gs = append(gs, Gate{Name: slo.GateErrorRate, Threshold: *o.ErrorRate, Actual: r.ErrorRate,
			Pass: r.Requests > 0 && r.ErrorRate <= *o.ErrorRate, Op: "<=", Unit: "ratio"})
	}
	if o.MinRateRatio != nil {
		g := Gate{Name: slo.GateMinRateRatio, Threshold: *o.MinRateRatio, Op: ">=", Unit: "ratio"}
		if rr := r.Saturation.RateRatio; rr != nil {
			g.Actual, g.Pass = *rr, *rr >= *o.MinRateRatio
		} else if r.Profile == results.ProfileClosed {
			// A closed-model plan keeps a concurrency, not a rate: there is
			// no requested rate to fall short of. The gate is shown, skipped.
			g.Pass, g.Skipped = true, true
			g.Detail = "no requested rate: a closed-model plan (concurrency) keeps requests in flight, not a rate"
		} else {
			g.Detail = "rate ratio unknown: no requested rate, or too few requests"
		}
		gs = append(gs, g)
	}
	maxCV := 0
	if o.MaxContractViolations != nil {
		maxCV = *o.MaxContractViolations
	}
	cv := Gate{Name: slo.GateContractViolations, Threshold: float64(maxCV), Actual: float64(r.ContractViolations),
		Pass: r.ContractViolations <= uint64(maxCV), Op: "<=", Unit: "count"}
	if r.ContractViolations > 0 {
		cv.Detail = human.Counts(r.Violations)
	}
	gs = append(gs, cv)
	if o.SaturationGated() {
		g := Gate{Name: slo.GateSaturation, Threshold: 0, Op: "<=", Unit: "bool", Pass: !r.Saturation.Saturated}
		if r.Saturation.Saturated {
			g.Actual, g.Detail = 1, r.Saturation.Reason
		}
		gs = append(gs, g)
	}
	return gs
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
