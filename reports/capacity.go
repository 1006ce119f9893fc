package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"ccgw-harness/internal/human"
	"ccgw-harness/slo"
)

// CapacityFile is the result of a capacity search (ccgw capacity), written
// into its output directory with summary.txt, report.html and junit.xml.
const CapacityFile = "capacity.json"

// What limited a capacity answer (Capacity.LimitedBy). A gateway's SLO gate
// is CapacityLimitedBySLO + the gate's name ("slo:p99", "slo:error_rate").
const (
	// CapacityLimitedByGenerator: the generator, not the gateway, could not
	// keep the schedule above the answer, which is then a lower bound.
	CapacityLimitedByGenerator = "generator"
	// CapacityLimitedByMax: every gate held at the plan's max.
	CapacityLimitedByMax = "max"
	// CapacityLimitedByInterrupted: the search was stopped before it ended.
	CapacityLimitedByInterrupted = "interrupted"
	// CapacityLimitedBySLO precedes the name of the gate that failed.
	CapacityLimitedBySLO = "slo:"
)

// Capacity is a capacity search's result; its JSON form is capacity.json.
type Capacity struct {
	Target string `json:"target"`
	Plan   string `json:"plan"`
	// MaxSustainableRate is the highest offered rate (requests/s) at which
	// every SLO gate held on the step alone, confirmed by a second step;
	// null when not even the start rate passed.
	MaxSustainableRate *float64 `json:"max_sustainable_rate"`
	// LimitedBy: "slo:<gate>", "generator", "max" or "interrupted".
	LimitedBy string `json:"limited_by"`
	// Confirmed: the confirmation step at MaxSustainableRate passed.
	Confirmed bool `json:"confirmed"`
	// Bound is the lowest rate that did not pass (null when every step
	// passed): the capacity lies between the answer and it.
	Bound *float64 `json:"bound"`
	// Answer says the result in words.
	Answer string `json:"answer"`
	// Require is --require's rate; RequireMet whether the answer reaches
	// it (null when the generator or an interruption leaves it open).
	Require    *float64 `json:"require,omitempty"`
	RequireMet *bool    `json:"require_met,omitempty"`

	Settings CapacitySettings `json:"settings"`
	// SLO holds the objectives every step is judged by.
	SLO *slo.Objectives `json:"slo"`
	// LatencyFromPlanned: latency counts from each request's planned send
	// time (see WithLatencyFromPlanned); always true for a search.
	LatencyFromPlanned bool           `json:"latency_from_planned"`
	Steps              []CapacityStep `json:"steps"`

	Agents      int      `json:"agents"`
	Connections int      `json:"connections"`
	Workers     int      `json:"workers"` // the attack's most requests in flight
	HTTP2       bool     `json:"http2"`
	TLSVerify   bool     `json:"tls_verify"`
	Interrupted bool     `json:"interrupted"`
	Warnings    []string `json:"warnings"`
	// Started is when the first step started; DurationS the search's
	// length from then to the end of the last step's drain.
	Started   time.Time `json:"started,omitzero"`
	DurationS float64   `json:"duration_s"`
}

// CapacitySettings are the search's parameters and its duration estimate.
type CapacitySettings struct {
	Start     float64 `json:"start"`
	Max       float64 `json:"max"`
	StepS     float64 `json:"step_s"`
	Precision float64 `json:"precision"`
	Growth    float64 `json:"growth"`
	WarmupS   float64 `json:"warmup_s"`
	// MaxSteps is the most steps the search runs unless a confirmation
	// fails; EstimateS the longest it takes then (warm-up included, drains
	// and sign-in not).
	MaxSteps  int     `json:"max_steps"`
	EstimateS float64 `json:"estimate_s"`
}

// CapacityStep is one step of the search: a constant rate for the step's
// length, judged on its own results.
type CapacityStep struct {
	Step  int     `json:"step"`  // 1-based
	Phase string  `json:"phase"` // grow, bisect or confirm
	Rate  float64 `json:"rate"`  // offered, requests/s
	Dir   string  `json:"dir"`   // the step's results and reports, relative to the output directory
	// Achieved is the rate actually sent (requests / send span, like
	// vegeta); Throughput the successful answers per second.
	Achieved   float64 `json:"achieved"`
	Throughput float64 `json:"throughput"`
	Requests   uint64  `json:"requests"`
	Success    uint64  `json:"success"`
	// LatencyMS counts from each request's planned send time (what the SLO
	// gates judge); ResponseLatencyMS from the actual send, over the
	// ResponseRequests requests the generator sent on time (the gateway's
	// own response time).
	LatencyMS          Latencies `json:"latency_ms"`
	ResponseLatencyMS  Latencies `json:"response_latency_ms"`
	ResponseRequests   uint64    `json:"response_requests"`
	ErrorRate          float64   `json:"error_rate"`
	ContractViolations uint64    `json:"contract_violations"`
	// Pass: every gate held and the step is valid. Valid: the generator
	// kept the schedule, so a failure is the gateway's.
	Pass  bool `json:"pass"`
	Valid bool `json:"valid"`
	// FailingGates names the gates that failed; LimitedBy says why a step
	// that did not pass did not ("slo:<gate>" or "generator"); Reason in
	// words.
	FailingGates []string          `json:"failing_gates"`
	LimitedBy    string            `json:"limited_by,omitempty"`
	Reason       string            `json:"reason,omitempty"`
	Gates        []Gate            `json:"slo"`
	Generator    CapacityGenerator `json:"generator"`
	// DrainS is how long the gateway took to drain after the step; Drained
	// false when it had not within the drain timeout.
	DrainS      float64   `json:"drain_s"`
	Drained     bool      `json:"drained"`
	Interrupted bool      `json:"interrupted"`
	Started     time.Time `json:"started,omitzero"`
}

// CapacityGenerator is how the generator fared in a step.
type CapacityGenerator struct {
	// RateRatio is sent / planned over the step (reports' saturation
	// test); null with too few requests to say.
	RateRatio   *float64 `json:"rate_ratio"`
	LateRatio   float64  `json:"late_ratio"`
	MaxLagMS    float64  `json:"max_lag_ms"`
	MaxInFlight int      `json:"max_in_flight"`
	Workers     int      `json:"workers"`
	// CPU is the share of the machine's cores the harness process used
	// during the step (0..1; the embedded mock's work included).
	CPU float64 `json:"cpu"`
	// CPUPressure is the share of the step during which some runnable task
	// on the machine waited for a CPU (Linux pressure-stall information;
	// null where the kernel does not say).
	CPUPressure *float64 `json:"cpu_pressure"`
}

// Found reports whether the search has an answer.
func (c *Capacity) Found() bool { return c.MaxSustainableRate != nil }

// GeneratorLimited reports whether the generator, not the gateway, ended
// the search.
func (c *Capacity) GeneratorLimited() bool { return c.LimitedBy == CapacityLimitedByGenerator }

// SetRequire records --require r and whether the answer meets it: met when
// the answer (a lower bound or not) reaches r; not met when the gateway
// failed below r; open (RequireMet nil) when the generator or an
// interruption stopped the search below r.
func (c *Capacity) SetRequire(r float64) {
	c.Require = &r
	c.RequireMet = nil
	switch {
	case c.Found() && *c.MaxSustainableRate >= r:
		met := true
		c.RequireMet = &met
	case c.GeneratorLimited() || c.Interrupted:
	default:
		met := false
		c.RequireMet = &met
	}
}

// Describe fills Answer from the other fields.
func (c *Capacity) Describe() {
	c.Answer = capacityAnswer(c)
}

func capacityAnswer(c *Capacity) string {
	bound := ""
	if c.Bound != nil {
		bound = human.ReqRate(*c.Bound)
	}
	var s string
	gate, isSLO := strings.CutPrefix(c.LimitedBy, CapacityLimitedBySLO)
	switch {
	case c.Interrupted && c.Found():
		s = fmt.Sprintf("at least %s so far: the search was interrupted before it ended", human.ReqRate(*c.MaxSustainableRate))
	case c.Interrupted:
		s = "none yet: the search was interrupted before any step passed"
	case !c.Found() && c.GeneratorLimited():
		s = fmt.Sprintf("none measured: the generator could not keep the schedule even at the start rate %s, so nothing is known about the gateway", bound)
	case !c.Found() && isSLO:
		s = fmt.Sprintf("none: even the start rate %s failed the %s gate", bound, gate)
	case !c.Found():
		s = "none"
	case c.GeneratorLimited():
		s = fmt.Sprintf("at least %s; the generator, not the gateway, stopped here (at %s it could not keep the schedule)", human.ReqRate(*c.MaxSustainableRate), bound)
	case c.LimitedBy == CapacityLimitedByMax:
		s = fmt.Sprintf("at least %s: every SLO gate held at the plan's max (raise capacity.max to search further)", human.ReqRate(*c.MaxSustainableRate))
	case isSLO:
		s = fmt.Sprintf("%s: the highest rate at which every SLO gate held; at %s the %s gate failed", human.ReqRate(*c.MaxSustainableRate), bound, gate)
	default:
		s = human.ReqRate(*c.MaxSustainableRate)
	}
	if c.Found() && !c.Confirmed && !c.Interrupted {
		s += " (not confirmed)"
	}
	return s
}

// ReadCapacity reads a capacity.json file. Errors name the file.
func ReadCapacity(path string) (*Capacity, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Capacity
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}
