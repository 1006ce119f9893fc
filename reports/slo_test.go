package reports

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestParseLatencyKey(t *testing.T) {
	good := map[string]LatencyKey{
		"p50":    {Name: "p50", Percentile: 50},
		"P99":    {Name: "p99", Percentile: 99},
		"p99.9":  {Name: "p99.9", Percentile: 99.9},
		"p999":   {Name: "p999", Percentile: 99.9},
		"p9999":  {Name: "p9999", Percentile: 99.99},
		"p99.99": {Name: "p99.99", Percentile: 99.99},
		"p75":    {Name: "p75", Percentile: 75},
		"p5":     {Name: "p5", Percentile: 5},
		"mean":   {Name: "mean", Mean: true},
		"max":    {Name: "max", Percentile: 100},
		"p100":   {Name: "p100", Percentile: 100},
	}
	for in, want := range good {
		got, err := ParseLatencyKey(in)
		if err != nil || got != want {
			t.Errorf("ParseLatencyKey(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "p", "p0", "p101", "p950", "median", "p-5", "p1e2", "p99.9.9", "99"} {
		if k, err := ParseLatencyKey(in); err == nil {
			t.Errorf("ParseLatencyKey(%q) = %+v, want an error", in, k)
		}
	}
}

// gateRun is a run of 1000 requests: latencies 1..1000 ms, 10 errors,
// 2 contract violations, at 100 req/s requested and 100 achieved.
func gateRun() *Aggregator {
	a := NewAggregator()
	for i := range 1000 {
		r := vegeta.Result{Code: 200, Latency: time.Duration(i+1) * time.Millisecond,
			Timestamp: t0.Add(time.Duration(i) * 10 * time.Millisecond), Headers: http.Header{HeaderLagUs: {"100"}}}
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
	meta := Meta{RequestedRate: 100}
	cases := []struct {
		name  string
		slo   SLO
		gates map[string]bool // gate name -> pass
		pass  bool
	}{
		{"defaults: contract violations gate at 0", SLO{},
			map[string]bool{GateContractViolations: false, GateSaturation: true}, false},
		{"violations allowed", SLO{MaxContractViolations: ptr(2)},
			map[string]bool{GateContractViolations: true, GateSaturation: true}, true},
		{"latency pass and fail", SLO{MaxContractViolations: ptr(2), Latency: map[string]time.Duration{
			"p50": 501 * time.Millisecond, "p99": 900 * time.Millisecond, "max": time.Second, "mean": 500 * time.Millisecond}},
			map[string]bool{"p50": true, "p99": false, "max": true, "mean": false, GateContractViolations: true, GateSaturation: true}, false},
		{"error rate at the limit passes", SLO{MaxContractViolations: ptr(5), ErrorRate: ptr(0.01)},
			map[string]bool{GateErrorRate: true, GateContractViolations: true, GateSaturation: true}, true},
		{"error rate over the limit", SLO{MaxContractViolations: ptr(5), ErrorRate: ptr(0.009)},
			map[string]bool{GateErrorRate: false, GateContractViolations: true, GateSaturation: true}, false},
		{"rate ratio", SLO{MaxContractViolations: ptr(5), MinRateRatio: ptr(1.2)},
			map[string]bool{GateMinRateRatio: false, GateContractViolations: true, GateSaturation: true}, false},
		{"no saturation gate", SLO{MaxContractViolations: ptr(5), Saturation: ptr(false), MinRateRatio: ptr(0.9)},
			map[string]bool{GateMinRateRatio: true, GateContractViolations: true}, true},
		{"unknown latency key fails", SLO{MaxContractViolations: ptr(5), Latency: map[string]time.Duration{"p42x": time.Second}},
			map[string]bool{"p42x": false, GateContractViolations: true, GateSaturation: true}, false},
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
	r := a.Report(meta, SLO{Latency: map[string]time.Duration{"p99": 900 * time.Millisecond}})
	if g := r.SLO[0]; g.Name != "p99" || g.Threshold != 900 || g.Actual < 990 || g.Actual > 990*1.001 || g.Unit != "ms" || g.Op != "<=" {
		t.Errorf("p99 gate %+v, want threshold 900, actual 990 ms (+0.1 %%)", g)
	}
	if g := r.SLO[1]; g.Actual != 2 || g.Threshold != 0 || g.Detail != "empty_token 2" {
		t.Errorf("contract gate %+v", g)
	}
	// Without a requested rate, a rate-ratio gate cannot pass.
	r = a.Report(Meta{}, SLO{MinRateRatio: ptr(0.5)})
	if g := r.SLO[0]; g.Name != GateMinRateRatio || g.Pass || g.Detail == "" {
		t.Errorf("rate gate without requested rate: %+v", g)
	}
}

func TestSLOJSONAndValidate(t *testing.T) {
	s := goldenSLO()
	s.MaxContractViolations, s.Saturation, s.MaxLateRatio = ptr(3), ptr(false), ptr(0.02)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back SLO
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, s) {
		t.Errorf("round trip: %+v %v\nwant %+v", back, err, s)
	}
	bad := []SLO{
		{Latency: map[string]time.Duration{"p99": 0}},
		{Latency: map[string]time.Duration{"p42x": time.Second}},
		{ErrorRate: ptr(1.5)},
		{MaxLateRatio: ptr(-0.1)},
		{MaxContractViolations: ptr(-1)},
	}
	for _, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", s)
		}
	}
	if err := goldenSLO().Validate(); err != nil {
		t.Error(err)
	}
}
