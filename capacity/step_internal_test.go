package capacity

import (
	"strings"
	"testing"
	"time"

	"ccgw-harness/reports"
	"ccgw-harness/slo"
)

// gate is a failing or passing SLO gate of a synthetic report.
func gate(name string, pass bool, actual, threshold float64) reports.Gate {
	return reports.Gate{Name: name, Pass: pass, Actual: actual, Threshold: threshold}
}

func report(requests uint64, rateRatio float64, gates ...reports.Gate) *reports.Report {
	rr := rateRatio
	return &reports.Report{Requests: requests, SLO: gates, Saturation: reports.Saturation{RateRatio: &rr}}
}

// TestJudgeStep: who a failed gate belongs to, and when a step is invalid
// rather than failed.
func TestJudgeStep(t *testing.T) {
	ok := func(name string) reports.Gate { return gate(name, true, 1, 100) }
	bad := func(name string) reports.Gate { return gate(name, false, 400, 100) }
	gen := reports.CapacityGenerator{Workers: 256}
	for _, tc := range []struct {
		name              string
		planned, response *reports.Report
		cut               bool
		pass, valid       bool
		limitedBy, reason string
	}{
		{"all gates hold", report(1000, 1, ok("p99"), ok("contract_violations")), report(1000, 1, ok("p99")), false,
			true, true, "", ""},
		{"latency fails on the response time: the gateway's", report(1000, 1, bad("p99")), report(990, 1, bad("p99")), false,
			false, true, "slo:p99", "on the response time alone"},
		{"latency fails only with the lag: the generator's", report(1000, 1, bad("p99")), report(900, 1, ok("p99")), false,
			false, false, limitedByGenerator, "only with the generator's lag"},
		{"no request sent on time: no evidence against the gateway", report(1000, 1, bad("p99")), report(0, 1, bad("p99")), false,
			false, false, limitedByGenerator, "only with the generator's lag"},
		{"error rate is the gateway's even when the generator fell behind", report(1000, 0.5, bad("p99"), bad("error_rate")), report(10, 1, ok("p99")), false,
			false, true, "slo:error_rate", "error rate"},
		{"contract violations are the gateway's", report(1000, 1, bad("contract_violations")), report(1000, 1), false,
			false, true, "slo:contract_violations", "contract violations"},
		{"rate ratio below 98%: invalid", report(1000, 0.9, ok("p99")), report(1000, 0.9, ok("p99")), false,
			false, false, limitedByGenerator, "sent at 90.0% of the planned rate"},
		{"min_rate_ratio is the generator's", report(1000, 0.99, bad("min_rate_ratio")), report(1000, 0.99), false,
			false, false, limitedByGenerator, "min_rate_ratio"},
		{"cut at the time bound", report(1000, 1, ok("p99")), report(1000, 1, ok("p99")), true,
			false, false, limitedByGenerator, "cut at its time bound"},
		{"no results", report(0, 1, bad("requests")), report(0, 1), false,
			false, false, limitedByGenerator, "no results"},
	} {
		v := judgeStep(tc.planned, tc.response, gen, tc.cut)
		if v.pass != tc.pass || v.valid != tc.valid || v.limitedBy != tc.limitedBy || !strings.Contains(v.reason, tc.reason) {
			t.Errorf("%s: pass %v valid %v limited by %q reason %q; want %v %v %q containing %q",
				tc.name, v.pass, v.valid, v.limitedBy, v.reason, tc.pass, tc.valid, tc.limitedBy, tc.reason)
		}
	}
	// A latency failure within twice the generator's own stall may be the
	// queue of the burst the stall left: not the gateway's evidence.
	stalled := reports.CapacityGenerator{Workers: 256, MaxInFlight: 100, MaxLagMS: 300}
	if v := judgeStep(report(1000, 1, bad("p99")), report(990, 1, bad("p99")), stalled, false); v.valid || v.limitedBy != limitedByGenerator || !strings.Contains(v.reason, "stalled for up to 300.0ms") {
		t.Errorf("400 ms against a 300 ms stall: %+v, want invalid, naming the stall", v)
	}
	// Well beyond the stall: the gateway's, contended machine or not.
	pressed := 0.95
	beyond := reports.CapacityGenerator{Workers: 256, MaxInFlight: 100, MaxLagMS: 100, CPUPressure: &pressed}
	if v := judgeStep(report(1000, 1, bad("p99")), report(990, 1, bad("p99")), beyond, false); !v.valid || v.limitedBy != "slo:p99" {
		t.Errorf("400 ms against a 100 ms stall: %+v, want the gateway's", v)
	}
	// Out of connections the lag is the gateway's doing: the gateway's on a
	// calm machine, invalid on a contended one; errors are the gateway's
	// either way.
	capped := reports.CapacityGenerator{Workers: 256, MaxInFlight: 256, MaxLagMS: 2800}
	if v := judgeStep(report(1000, 0.8, bad("p99")), report(300, 0.8, bad("p99")), capped, false); !v.valid || v.limitedBy != "slo:p99" {
		t.Errorf("out of connections on a calm machine: %+v, want the gateway's", v)
	}
	capped.CPUPressure = &pressed
	if v := judgeStep(report(1000, 0.8, bad("p99")), report(300, 0.8, bad("p99")), capped, false); v.valid || !strings.Contains(v.reason, "contended") {
		t.Errorf("out of connections on a contended machine: %+v, want invalid, naming the contention", v)
	}
	if v := judgeStep(report(1000, 1, bad("p99"), bad("error_rate")), report(990, 1, bad("p99")), capped, false); !v.valid || v.limitedBy != "slo:error_rate" {
		t.Errorf("contended error-rate failure: %+v, want the gateway's", v)
	}
	if _, ok := cpuStall(); !ok {
		t.Log("no CPU pressure information on this machine: steps report cpu_pressure null")
	}

	// The causes the reason names.
	busy := reports.CapacityGenerator{Workers: 64, MaxInFlight: 64, CPU: 0.95}
	v := judgeStep(report(1000, 0.5, ok("p99")), report(1000, 0.5, ok("p99")), busy, false)
	if !strings.Contains(v.reason, "connection cap") || !strings.Contains(v.reason, "95% of the machine's CPU") {
		t.Errorf("reason %q must name the connection cap and the CPU", v.reason)
	}
}

// TestOnTimeLag: a tenth of the tightest latency gate, at least the late
// floor, 20 ms without a latency gate.
func TestOnTimeLag(t *testing.T) {
	for _, tc := range []struct {
		lat  map[string]time.Duration
		want time.Duration
	}{
		{map[string]time.Duration{"p99": 100 * time.Millisecond, "p50": 50 * time.Millisecond}, 5 * time.Millisecond},
		{map[string]time.Duration{"p99": 5 * time.Millisecond}, reports.DefaultLateFloor},
		{nil, 10 * reports.DefaultLateFloor},
	} {
		if got := onTimeLag(slo.Objectives{Latency: tc.lat}); got != tc.want {
			t.Errorf("onTimeLag(%v) = %s, want %s", tc.lat, got, tc.want)
		}
	}
	if stepBound(10*time.Second) != 15*time.Second || stepBound(time.Second) != 3*time.Second {
		t.Errorf("stepBound: %s, %s", stepBound(10*time.Second), stepBound(time.Second))
	}
	if stepDirName(3, 612.5) != "03-612.5" || stepDirName(12, 100) != "12-100" {
		t.Errorf("stepDirName: %s %s", stepDirName(3, 612.5), stepDirName(12, 100))
	}
}
