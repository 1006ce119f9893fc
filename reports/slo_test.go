package reports

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// gateRun is a run of 1000 requests: latencies 1..1000 ms, 10 errors,
// 2 contract violations, at 100 req/s requested and 100 achieved.
func gateRun() *Aggregator {
	a := NewAggregator()
	for i := range 1000 {
		r := vegeta.Result{Code: 200, Latency: time.Duration(i+1) * time.Millisecond,
			Timestamp: t0.Add(time.Duration(i) * 10 * time.Millisecond), Headers: http.Header{results.HeaderLagUs: {"100"}}}
		switch {
		case i < 8:
			r.Error = "retcode 100-006"
		case i < 10:
			r.Error = "contract empty_token"
		}
		a.Add(&r)
	}
	return a
}

// TestGates is the SLO gate logic table.
func TestGates(t *testing.T) {
	a := gateRun()
	meta := results.Meta{RequestedRate: 100}
	cases := []struct {
		name  string
		slo   slo.Objectives
		gates map[string]bool // gate name -> pass
		pass  bool
	}{
		{"defaults: contract violations gate at 0", slo.Objectives{},
			map[string]bool{slo.GateContractViolations: false, slo.GateSaturation: true}, false},
		{"violations allowed", slo.Objectives{MaxContractViolations: ptr(2)},
			map[string]bool{slo.GateContractViolations: true, slo.GateSaturation: true}, true},
		{"latency pass and fail", slo.Objectives{MaxContractViolations: ptr(2), Latency: map[string]time.Duration{
			"p50": 501 * time.Millisecond, "p99": 900 * time.Millisecond, "max": time.Second, "mean": 500 * time.Millisecond}},
			map[string]bool{"p50": true, "p99": false, "max": true, "mean": false, slo.GateContractViolations: true, slo.GateSaturation: true}, false},
		{"error rate at the limit passes", slo.Objectives{MaxContractViolations: ptr(5), ErrorRate: ptr(0.01)},
			map[string]bool{slo.GateErrorRate: true, slo.GateContractViolations: true, slo.GateSaturation: true}, true},
		{"error rate over the limit", slo.Objectives{MaxContractViolations: ptr(5), ErrorRate: ptr(0.009)},
			map[string]bool{slo.GateErrorRate: false, slo.GateContractViolations: true, slo.GateSaturation: true}, false},
		{"rate ratio", slo.Objectives{MaxContractViolations: ptr(5), MinRateRatio: ptr(1.2)},
			map[string]bool{slo.GateMinRateRatio: false, slo.GateContractViolations: true, slo.GateSaturation: true}, false},
		{"no saturation gate", slo.Objectives{MaxContractViolations: ptr(5), Saturation: ptr(false), MinRateRatio: ptr(0.9)},
			map[string]bool{slo.GateMinRateRatio: true, slo.GateContractViolations: true}, true},
		{"unknown latency key fails", slo.Objectives{MaxContractViolations: ptr(5), Latency: map[string]time.Duration{"p42x": time.Second}},
			map[string]bool{"p42x": false, slo.GateContractViolations: true, slo.GateSaturation: true}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.Report(meta, c.slo)
			got := map[string]bool{}
			for _, g := range r.SLO {
				got[g.Name] = g.Pass
			}
			if !reflect.DeepEqual(got, c.gates) || r.Pass != c.pass {
				t.Errorf("gates %v pass %v; want %v pass %v\n%+v", got, r.Pass, c.gates, c.pass, r.SLO)
			}
		})
	}
	r := a.Report(meta, slo.Objectives{Latency: map[string]time.Duration{"p99": 900 * time.Millisecond}})
	if g := r.SLO[0]; g.Name != "p99" || g.Threshold != 900 || g.Actual < 990 || g.Actual > 990*1.001 || g.Unit != "ms" || g.Op != "<=" {
		t.Errorf("p99 gate %+v, want threshold 900, actual 990 ms (+0.1 %%)", g)
	}
	if g := r.SLO[1]; g.Actual != 2 || g.Threshold != 0 || g.Detail != "empty_token 2" {
		t.Errorf("contract gate %+v", g)
	}
	// Without a requested rate, a rate-ratio gate cannot pass.
	r = a.Report(results.Meta{}, slo.Objectives{MinRateRatio: ptr(0.5)})
	if g := r.SLO[0]; g.Name != slo.GateMinRateRatio || g.Pass || g.Detail == "" {
		t.Errorf("rate gate without requested rate: %+v", g)
	}
}
