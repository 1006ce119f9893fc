package reports

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"ccgw-harness/slo"
)

// baseReport is a hand-made report for the Compare table tests.
func baseReport() *Report {
	return &Report{
		Target: "staging", Plan: "golive", Profile: "stages", Requests: 10000, Success: 9900,
		Rate: Rates{Requested: 100, Achieved: 99.9}, Throughput: 99, ErrorRate: 0.01,
		LatencyMS:   Latencies{Min: 0.3, Mean: 2.5, P50: 2, P90: 4, P95: 5, P99: 10, P999: 20, Max: 50},
		StatusCodes: map[string]uint64{"200": 9950, "503": 50},
		Retcodes:    map[string]uint64{"0": 9950, "100-006": 50},
		Errors:      map[string]uint64{"retcode 100-006": 50, "http 503": 50},
		Classes:     map[string]uint64{"ok": 9900, "retcode": 50, "http": 50},
		Nodes:       []NodeStats{{Node: "1", P99MS: 9}, {Node: "2", P99MS: 11}},
		Agents:      1000, Connections: 64, PlannedDurationS: 100,
	}
}

func modified(mods ...func(*Report)) *Report {
	r := baseReport()
	for _, m := range mods {
		m(r)
	}
	return r
}

func gateByName(c *Comparison, name string) *CompareGate {
	for i := range c.Gates {
		if c.Gates[i].Name == name {
			return &c.Gates[i]
		}
	}
	return nil
}

func metricByName(c *Comparison, group, name string) *Metric {
	for i := range c.Metrics {
		if c.Metrics[i].Group == group && c.Metrics[i].Name == name {
			return &c.Metrics[i]
		}
	}
	return nil
}

// TestCompare covers the gates and the comparability checks on hand-made
// reports whose figures are known exactly.
func TestCompare(t *testing.T) {
	def := DefaultThresholds()
	strict := def
	strict.Strict = true
	off := def
	off.NoGates = true
	loose := def
	loose.MaxLatencyRegression = 0.5
	for _, tc := range []struct {
		name       string
		cur        *Report
		th         Thresholds
		pass       bool
		comparable bool
		status     map[string]string // gate name -> status; unlisted latency/error/throughput gates: ok
		mismatch   string            // substring of a mismatch
		note       string            // substring of a note
	}{
		{name: "identical", cur: baseReport(), th: def, pass: true, comparable: true},
		{name: "p99 regression", th: def, comparable: true,
			cur:    modified(func(r *Report) { r.LatencyMS.P99 = 15 }),
			status: map[string]string{"p99": StatusRegressed}},
		{name: "regression within a looser threshold", th: loose, pass: true, comparable: true,
			cur: modified(func(r *Report) { r.LatencyMS.P99 = 14.9 })},
		{name: "exactly at the limit is no regression", th: def, pass: true, comparable: true,
			cur: modified(func(r *Report) { r.LatencyMS.P99 = 11; r.LatencyMS.P999 = 22 })},
		{name: "improvement", th: def, pass: true, comparable: true,
			cur: modified(func(r *Report) {
				r.LatencyMS.P99, r.LatencyMS.P999, r.ErrorRate, r.Throughput = 6, 12, 0.001, 110
			}),
			status: map[string]string{"p99": StatusImproved, "p99.9": StatusImproved, slo.GateErrorRate: StatusImproved, GateThroughput: StatusImproved}},
		{name: "noise below the minimum delta", th: def, pass: true, comparable: true,
			// p50 +45 % but only +0.9 ms: noise.
			cur: modified(func(r *Report) { r.LatencyMS.P50 = 2.9 })},
		{name: "small latency, large relative change above the minimum delta", th: def, comparable: true,
			cur:    modified(func(r *Report) { r.LatencyMS.P50 = 3.1 }),
			status: map[string]string{"p50": StatusRegressed}},
		{name: "error rate +0.6 pp", th: def, comparable: true,
			cur:    modified(func(r *Report) { r.ErrorRate = 0.016 }),
			status: map[string]string{slo.GateErrorRate: StatusRegressed}},
		{name: "error rate +0.5 pp is allowed", th: def, pass: true, comparable: true,
			cur: modified(func(r *Report) { r.ErrorRate = 0.015 })},
		{name: "throughput drop 6%", th: def, comparable: true,
			cur:    modified(func(r *Report) { r.Throughput = 93.06 }),
			status: map[string]string{GateThroughput: StatusRegressed}},
		{name: "throughput drop 4% is allowed", th: def, pass: true, comparable: true,
			cur: modified(func(r *Report) { r.Throughput = 95.04 })},
		{name: "plan differs: warning only", th: def, pass: true,
			cur: modified(func(r *Report) { r.Plan = "smoke" }), mismatch: "plan differs: baseline golive, current smoke"},
		{name: "plan differs, strict", th: strict,
			cur: modified(func(r *Report) { r.Plan = "smoke" }), mismatch: "plan differs",
			status: map[string]string{GateComparable: StatusFailed}},
		{name: "identical, strict", th: strict, pass: true, comparable: true, cur: baseReport(),
			status: map[string]string{GateComparable: StatusOK}},
		{name: "requested rate +6%", th: def, pass: true,
			cur: modified(func(r *Report) { r.Rate.Requested = 106 }), mismatch: "requested rate differs by +6.0% (more than 5%)"},
		{name: "requested rate +4% is comparable", th: def, pass: true, comparable: true,
			cur: modified(func(r *Report) { r.Rate.Requested = 104 })},
		{name: "requested rate unknown", th: def, pass: true,
			cur: modified(func(r *Report) { r.Rate.Requested = 0 }), mismatch: "requested rate differs: baseline 100.00/s, current unknown"},
		{name: "profile differs", th: def, pass: true,
			cur: modified(func(r *Report) { r.Profile = "constant" }), mismatch: "profile differs"},
		{name: "connections differ", th: def, pass: true,
			cur: modified(func(r *Report) { r.Connections = 128 }), mismatch: "number of connections differs: baseline 64, current 128"},
		{name: "protocol differs", th: def, pass: true,
			cur: modified(func(r *Report) { r.HTTP2 = true }), mismatch: "protocol differs: baseline HTTP/1.1, current HTTP/2"},
		{name: "saturated current run: a note", th: def, pass: true, comparable: true,
			cur: modified(func(r *Report) {
				r.Saturation = Saturation{Saturated: true, Reason: "achieved 80.0% of the requested rate"}
			}), note: "current run was saturated (achieved 80.0%"},
		{name: "target differs: a note", th: def, pass: true, comparable: true,
			cur: modified(func(r *Report) { r.Target = "preprod" }), note: "target differs (baseline staging, current preprod)"},
		{name: "gates disabled", th: off, pass: true, comparable: true,
			cur:    modified(func(r *Report) { r.LatencyMS.P99, r.ErrorRate, r.Throughput = 30, 0.2, 50 }),
			status: map[string]string{"p99": StatusRegressed, slo.GateErrorRate: StatusRegressed, GateThroughput: StatusRegressed}},
		{name: "current run without results", th: def, comparable: true,
			cur: &Report{Target: "staging", Plan: "golive", Profile: "stages", Rate: Rates{Requested: 100}, Connections: 64, Agents: 1000, PlannedDurationS: 100},
			status: map[string]string{"p50": StatusFailed, "p90": StatusFailed, "p95": StatusFailed, "p99": StatusFailed,
				"p99.9": StatusFailed, slo.GateErrorRate: StatusFailed, GateThroughput: StatusFailed},
			note: "current run has no results"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := baseReport()
			before, _ := json.Marshal(tc.cur)
			c := Compare(base, tc.cur, tc.th)
			if after, _ := json.Marshal(tc.cur); !bytes.Equal(before, after) {
				t.Error("Compare changed the current report")
			}
			if c.Pass != tc.pass {
				t.Errorf("Pass = %v, want %v (verdict %q)", c.Pass, tc.pass, c.Verdict)
			}
			if c.Comparable != tc.comparable {
				t.Errorf("Comparable = %v, want %v (mismatches %q)", c.Comparable, tc.comparable, c.Mismatches)
			}
			if tc.comparable != (len(c.Mismatches) == 0) {
				t.Errorf("mismatches %q", c.Mismatches)
			}
			if tc.mismatch != "" && !strings.Contains(strings.Join(c.Mismatches, "\n"), tc.mismatch) {
				t.Errorf("mismatches %q, want one containing %q", c.Mismatches, tc.mismatch)
			}
			if tc.note != "" && !strings.Contains(strings.Join(c.Notes, "\n"), tc.note) {
				t.Errorf("notes %q, want one containing %q", c.Notes, tc.note)
			}
			names := []string{"p50", "p90", "p95", "p99", "p99.9", slo.GateErrorRate, GateThroughput}
			if tc.th.Strict {
				names = append(names, GateComparable)
			}
			var got []string
			for _, g := range c.Gates {
				got = append(got, g.Name)
			}
			if !slices.Equal(got, names) {
				t.Fatalf("gates %v, want %v", got, names)
			}
			for _, g := range c.Gates {
				want := tc.status[g.Name]
				if want == "" {
					want = StatusOK
				}
				if g.Status != want {
					t.Errorf("gate %s: status %s (current %g, limit %s %g), want %s", g.Name, g.Status, g.Current, g.Op, g.Limit, want)
				}
				if g.Enforced == tc.th.NoGates {
					t.Errorf("gate %s: Enforced %v with NoGates %v", g.Name, g.Enforced, tc.th.NoGates)
				}
				bad := g.Status == StatusRegressed || g.Status == StatusFailed
				if g.Pass != (!bad || tc.th.NoGates) {
					t.Errorf("gate %s: Pass %v with status %s", g.Name, g.Pass, g.Status)
				}
			}
			wantVerdict := map[bool]string{true: "PASS: ", false: "FAIL: "}[tc.pass]
			if tc.th.NoGates {
				wantVerdict = "NOT GATED: "
			}
			if !strings.HasPrefix(c.Verdict, wantVerdict) {
				t.Errorf("verdict %q, want prefix %q", c.Verdict, wantVerdict)
			}
			for name, st := range tc.status {
				if (st == StatusRegressed || st == StatusFailed) && !strings.Contains(c.Verdict, name) {
					t.Errorf("verdict %q does not name the failed gate %s", c.Verdict, name)
				}
			}
		})
	}
}

// TestCompareLimits: the limit a gate reports is the worst allowed current
// value, so a pipeline log shows how far off a regression was.
func TestCompareLimits(t *testing.T) {
	c := Compare(baseReport(), baseReport(), DefaultThresholds())
	want := map[string]float64{
		"p50": 3,               // 2 ms: +1 ms beats +10 %
		"p99": 11, "p99.9": 22, // +10 % beats +1 ms
		slo.GateErrorRate: 0.015, GateThroughput: 94.05,
	}
	for name, limit := range want {
		if g := gateByName(c, name); g == nil || g.Limit != limit {
			t.Errorf("gate %s: %+v, want limit %g", name, g, limit)
		}
	}
}

// TestCompareBaselineWithoutResults: nothing to compare with is a mismatch,
// and the gates are skipped (not passed on zeros).
func TestCompareBaselineWithoutResults(t *testing.T) {
	base := &Report{Target: "staging", Plan: "golive", Profile: "stages", Rate: Rates{Requested: 100}, Connections: 64}
	c := Compare(base, baseReport(), DefaultThresholds())
	if c.Comparable || !strings.Contains(strings.Join(c.Mismatches, ";"), "baseline has no results") {
		t.Errorf("comparable %v, mismatches %q", c.Comparable, c.Mismatches)
	}
	for _, g := range c.Gates {
		if g.Status != StatusSkipped || !g.Pass {
			t.Errorf("gate %s: %s pass %v, want skipped", g.Name, g.Status, g.Pass)
		}
	}
	th := DefaultThresholds()
	th.Strict = true
	if c := Compare(base, baseReport(), th); c.Pass {
		t.Error("strict: a baseline without results must fail the comparison")
	}
}

// TestCompareMetrics: the rows cover the union of retcodes, error kinds and
// classes (absent = 0), deltas and percentages, and per-node p99 only when
// both runs have nodes.
func TestCompareMetrics(t *testing.T) {
	cur := modified(func(r *Report) {
		r.Requests = 12000
		r.Retcodes = map[string]uint64{"0": 11900, "100-007": 100}
		r.Errors = map[string]uint64{"retcode 100-007": 100, "transport reset": 7}
		r.Classes = map[string]uint64{"ok": 11893, "retcode": 100, "transport": 7}
		r.Nodes = []NodeStats{{Node: "2", P99MS: 13.2}, {Node: "3", P99MS: 8}, {Node: UnknownNode, P99MS: 4}}
		r.LatencyMS.P99 = 12.5
	})
	c := Compare(baseReport(), cur, DefaultThresholds())

	req := metricByName(c, GroupRun, "requests")
	if req == nil || req.Baseline != 10000 || req.Current != 12000 || req.Delta != 2000 || req.DeltaPct == nil || *req.DeltaPct != 20 {
		t.Errorf("requests row %+v, want 10000 -> 12000, +2000, +20%%", req)
	}
	p99 := metricByName(c, GroupLatency, "p99")
	if p99 == nil || p99.Delta != 2.5 || *p99.DeltaPct != 25 || p99.Gate != StatusRegressed || p99.Better != "lower" {
		t.Errorf("p99 row %+v", p99)
	}
	var rc []string
	for _, m := range c.Metrics {
		if m.Group == GroupRetcode {
			rc = append(rc, m.Name)
		}
	}
	if !slices.Equal(rc, []string{"0", "100-006", "100-007"}) {
		t.Errorf("retcode rows %v, want the union, 0 first", rc)
	}
	if m := metricByName(c, GroupRetcode, "100-006"); m.Current != 0 || m.Delta != -50 || *m.DeltaPct != -100 {
		t.Errorf("gone retcode %+v, want 50 -> 0", m)
	}
	if m := metricByName(c, GroupRetcode, "100-007"); m.Baseline != 0 || m.Current != 100 || m.DeltaPct != nil {
		t.Errorf("new retcode %+v, want 0 -> 100 with no percentage", m)
	}
	if m := metricByName(c, GroupError, "transport reset"); m == nil || m.Current != 7 {
		t.Errorf("new error kind row %+v", m)
	}
	if m := metricByName(c, GroupErrorClass, "ok"); m != nil {
		t.Errorf("\"ok\" is no error class: %+v", m)
	}
	if m := metricByName(c, GroupErrorClass, "http"); m == nil || m.Baseline != 50 || m.Current != 0 {
		t.Errorf("http class row %+v", m)
	}
	var nodes []string
	for _, m := range c.Metrics {
		if m.Group == GroupNodeP99 {
			nodes = append(nodes, m.Name+"/"+m.Missing)
		}
	}
	if want := []string{"1/current", "2/", "3/baseline", "unknown/baseline"}; !slices.Equal(nodes, want) {
		t.Errorf("node rows %v, want %v", nodes, want)
	}
	if m := metricByName(c, GroupNodeP99, "2"); m.Delta != 2.2 || m.Gate != "" {
		t.Errorf("node 2 row %+v, want +2.2 ms and no gate", m)
	}

	noNodes := modified(func(r *Report) { r.Nodes = nil })
	for _, m := range Compare(baseReport(), noNodes, DefaultThresholds()).Metrics {
		if m.Group == GroupNodeP99 {
			t.Fatalf("per-node rows without nodes in the current run: %+v", m)
		}
	}
}

// TestThresholdsJSON: compare.json carries the thresholds, the minimum
// delta in ms, and reads back.
func TestThresholdsJSON(t *testing.T) {
	th := DefaultThresholds()
	th.MinLatencyDelta = 1500 * time.Microsecond
	th.Strict = true
	b, err := json.Marshal(th)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"min_latency_delta_ms":1.5`) || !strings.Contains(string(b), `"max_error_rate_increase":0.005`) {
		t.Errorf("thresholds JSON %s", b)
	}
	var back Thresholds
	if err := json.Unmarshal(b, &back); err != nil || back != th {
		t.Errorf("round trip: %+v, %v; want %+v", back, err, th)
	}
	bad := th
	bad.MaxThroughputDrop = 1.5
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "max_throughput_drop") {
		t.Errorf("Validate(throughput drop 150%%) = %v, want an error naming it", err)
	}
	if err := DefaultThresholds().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}
