package render

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/reports"
	"ccgw-harness/reports/goldentest"
	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// TestSaturation: late requests and a missed rate make the run saturated,
// the summary says so loudly, and the gate fails unless disabled.
func TestSaturation(t *testing.T) {
	mk := func(n int, every time.Duration, lagUS func(i int) int) []vegeta.Result {
		rs := make([]vegeta.Result, n)
		for i := range rs {
			rs[i] = res(200, "", time.Millisecond, time.Duration(i)*every)
			rs[i].Headers = http.Header{results.HeaderLagUs: {fmt.Sprint(lagUS(i))}}
		}
		return rs
	}
	onTime := mk(1000, 10*time.Millisecond, func(i int) int { return 200 })
	// 100 req/s: mean inter-arrival 10 ms, late threshold max(1 ms, 1 ms).
	late := mk(1000, 10*time.Millisecond, func(i int) int {
		if i%50 == 0 { // 2 % at 5 ms
			return 5000
		}
		return 900
	})
	slow := mk(1000, 12*time.Millisecond, func(int) int { return 0 }) // 83 req/s of 100
	cases := []struct {
		name      string
		rs        []vegeta.Result
		slo       slo.Objectives
		saturated bool
		gate      *bool // nil: no saturation gate expected
	}{
		{"on time", onTime, slo.Objectives{}, false, ptr(true)},
		{"late", late, slo.Objectives{}, true, ptr(false)},
		{"late within a raised limit", late, slo.Objectives{MaxLateRatio: ptr(0.05)}, false, ptr(true)},
		{"slow", slow, slo.Objectives{}, true, ptr(false)},
		{"slow, gate off", slow, slo.Objectives{Saturation: ptr(false)}, true, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := aggregate(c.rs).Report(results.Meta{RequestedRate: 100}, c.slo)
			if r.Saturation.Saturated != c.saturated {
				t.Errorf("saturated=%v (%s), want %v", r.Saturation.Saturated, r.Saturation.Reason, c.saturated)
			}
			var gate *reports.Gate
			for i := range r.SLO {
				if r.SLO[i].Name == slo.GateSaturation {
					gate = &r.SLO[i]
				}
			}
			switch {
			case c.gate == nil && gate != nil:
				t.Errorf("saturation gate present though disabled")
			case c.gate != nil && (gate == nil || gate.Pass != *c.gate):
				t.Errorf("saturation gate %+v, want pass=%v", gate, *c.gate)
			}
			var sum bytes.Buffer
			_ = RunText(&sum, r)
			if loud := bytes.Contains(sum.Bytes(), []byte("LATENCIES UNDERSTATED: the generator could not keep the schedule")); loud != c.saturated {
				t.Errorf("summary warning present=%v, want %v", loud, c.saturated)
			}
		})
	}
	if r := aggregate(late).Report(results.Meta{RequestedRate: 100}, slo.Objectives{}); r.Saturation.LateRequests != 20 || r.Saturation.MaxLagMS != 5 {
		t.Errorf("late %d max lag %g, want 20 and 5 ms", r.Saturation.LateRequests, r.Saturation.MaxLagMS)
	}
	// 10 req/s: inter-arrival 100 ms, so a request is late only after 10 ms.
	if r := aggregate(late).Report(results.Meta{RequestedRate: 10}, slo.Objectives{}); r.Saturation.LateRequests != 0 || r.Saturation.LateThresholdMS != 10 {
		t.Errorf("at 10 req/s: late %d threshold %g, want 0 and 10 ms", r.Saturation.LateRequests, r.Saturation.LateThresholdMS)
	}
}

// TestNoResults: an empty run fails with a "requests" gate.
func TestNoResults(t *testing.T) {
	r := reports.NewAggregator().Report(results.Meta{Target: "mock", Plan: "smoke"}, slo.Objectives{ErrorRate: ptr(0.01)})
	if r.Pass || r.SLO[0].Name != slo.GateRequests || r.SLO[0].Pass {
		t.Errorf("empty run: pass=%v gates %+v", r.Pass, r.SLO)
	}
	for _, w := range []func() error{
		func() error { return RunText(&bytes.Buffer{}, r) },
		func() error { return RunHTML(&bytes.Buffer{}, r) },
		func() error { return RunMarkdown(&bytes.Buffer{}, r) },
		func() error { return RunJUnit(&bytes.Buffer{}, r) },
		func() error { return RunHgrm(&bytes.Buffer{}, reports.NewAggregator()) },
	} {
		if err := w(); err != nil {
			t.Error(err)
		}
	}
}

// TestTruncated: a results file cut inside a result (a run killed with -9)
// is read up to its last whole result and flagged partial, not an error.
func TestTruncated(t *testing.T) {
	rs := goldentest.Spec().Results()[:500]
	dir := t.TempDir()
	full := goldentest.WriteResults(t, dir, "full.bin", rs)
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{len(data) - 1, len(data) - 37, len(data) / 2, 200, 3} {
		p := filepath.Join(dir, "cut.bin")
		if err := os.WriteFile(p, data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		a := reports.NewAggregator()
		n, partial, err := results.ReadFiles(a, p)
		if err != nil {
			t.Fatalf("cut at %d: error %v, want none", cut, err)
		}
		if !partial || n >= len(rs) {
			t.Fatalf("cut at %d: n=%d partial=%v, want fewer than %d and partial", cut, n, partial, len(rs))
		}
		r := a.Report(goldentest.Meta(), slo.Objectives{})
		if !r.Partial || r.Requests != uint64(n) {
			t.Errorf("cut at %d: report partial=%v requests=%d, want true %d", cut, r.Partial, r.Requests, n)
		}
		var sum bytes.Buffer
		_ = RunText(&sum, r)
		if !strings.Contains(sum.String(), "truncated") {
			t.Errorf("cut at %d: summary does not say the file was truncated", cut)
		}
	}
	// The whole file is not partial.
	if n, partial, err := results.ReadFiles(reports.NewAggregator(), full); n != len(rs) || partial || err != nil {
		t.Errorf("full file: %d %v %v", n, partial, err)
	}
}

// TestLatencyFromPlanned: with WithLatencyFromPlanned every latency figure
// is the request's lag plus its response time (results without a lag keep
// their response time), the report says so, and the time span and rates
// still come from the actual send and answer times.
func TestLatencyFromPlanned(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var rs []vegeta.Result
	for i := range 100 {
		r := vegeta.Result{Attack: "mock/cap", Seq: uint64(i), Code: 200, Method: "POST",
			URL:       "https://127.0.0.1/agentgateway/resource/onlineagent/1001/logininfo",
			Timestamp: t0.Add(time.Duration(i) * 10 * time.Millisecond), Latency: 2 * time.Millisecond}
		if i < 90 { // 90 results 5 ms late, 10 without a lag (the closed model)
			r.Headers = http.Header{results.HeaderLagUs: []string{"5000"}}
		}
		rs = append(rs, r)
	}
	m := results.Meta{Target: "mock", Plan: "cap", RequestedRate: 100}
	objs := slo.Objectives{Latency: map[string]time.Duration{"p50": 6 * time.Millisecond}, Saturation: ptr(false)}
	send := aggregate(rs).Report(m, objs)
	planned := aggregate(rs, reports.WithLatencyFromPlanned(true)).Report(m, objs)

	if send.LatencyFromPlanned || send.LatencyMS.P50 != 2 || send.LatencyMS.Max != 2 || !send.Pass {
		t.Errorf("from send: p50 %v max %v pass %v flag %v; want 2 ms, a pass, no flag", send.LatencyMS.P50, send.LatencyMS.Max, send.Pass, send.LatencyFromPlanned)
	}
	if !planned.LatencyFromPlanned || planned.LatencyMS.P50 != 7 || planned.LatencyMS.Min != 2 || planned.LatencyMS.Max != 7 {
		t.Errorf("from planned: p50 %v min %v max %v flag %v; want 7, 2 (no lag), 7 ms and the flag", planned.LatencyMS.P50, planned.LatencyMS.Min, planned.LatencyMS.Max, planned.LatencyFromPlanned)
	}
	if want := round((90*7.0+10*2.0)/100, 3); planned.LatencyMS.Mean != want {
		t.Errorf("mean %v, want %v", planned.LatencyMS.Mean, want)
	}
	if planned.Pass || len(planned.SLO) == 0 || planned.SLO[0].Actual != 7 {
		t.Errorf("the p50 gate must see the planned latency: %+v", planned.SLO)
	}
	if planned.DurationS != send.DurationS || planned.Rate != send.Rate || planned.End != send.End {
		t.Errorf("span and rates must not change: %v %v %v vs %v %v %v", planned.DurationS, planned.Rate, planned.End, send.DurationS, send.Rate, send.End)
	}
	var sum strings.Builder
	if err := RunText(&sum, planned); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sum.String(), "planned send time") {
		t.Errorf("the summary must say latency counts from the planned send time:\n%s", sum.String())
	}
	if b := reportJSON(t, send); strings.Contains(string(b), "latency_from_planned") {
		t.Error("report.json of an ordinary run must not change (latency_from_planned is omitted when false)")
	}
	if b := reportJSON(t, planned); !strings.Contains(string(b), `"latency_from_planned": true`) {
		t.Error("report.json must carry latency_from_planned: true")
	}
}

// TestJourneyAndCallGates: ready and per-call gates judge their own
// figures, are skipped when there is nothing to judge, and say so in
// junit.xml.
func TestJourneyAndCallGates(t *testing.T) {
	rs, _ := goldentest.JourneySpec().Results()
	a := aggregate(rs)
	objs := slo.Objectives{
		Ready: map[string]time.Duration{"p50": time.Second, "max": time.Millisecond},
		Calls: map[string]slo.CallObjectives{
			gateway.CallLogout:     {Latency: map[string]time.Duration{"p99": time.Second}, ErrorRate: ptr(0.0)},
			gateway.CallForceLogin: {Latency: map[string]time.Duration{"mean": time.Millisecond}},
		},
	}
	r := a.Report(goldentest.JourneyMeta(), objs)
	got := map[string]reports.Gate{}
	for _, g := range r.SLO {
		got[g.Name] = g
	}
	for name, pass := range map[string]bool{"ready_p50": true, "ready_max": false, "calls.logout.p99": true,
		"calls.logout.error_rate": true, "calls.forcelogin.mean": false} {
		g, ok := got[name]
		if !ok || g.Pass != pass || g.Skipped {
			t.Errorf("gate %s: %+v, want pass=%v", name, g, pass)
		}
	}
	if g := got["ready_max"]; g.Actual != r.Journeys.ReadyMS.Max {
		t.Errorf("ready_max actual %v, want journeys.ready_ms.max %v", g.Actual, r.Journeys.ReadyMS.Max)
	}
	if r.Pass {
		t.Error("a breached ready gate passed the run")
	}

	// A rate run: the ready gate and a gate of a call never made are
	// skipped, not failed.
	plain := aggregate(reportstest.DefaultSpec(100).Results()).Report(results.Meta{RequestedRate: 100}, slo.Objectives{
		Ready: map[string]time.Duration{"p99": time.Second},
		Calls: map[string]slo.CallObjectives{gateway.CallPoll: {ErrorRate: ptr(0.01)}, gateway.CallLoginInfo: {Latency: map[string]time.Duration{"p50": time.Hour}}},
	})
	var buf bytes.Buffer
	if err := RunJUnit(&buf, plain); err != nil {
		t.Fatal(err)
	}
	for _, g := range plain.SLO {
		switch g.Name {
		case "ready_p99", "calls.poll.error_rate":
			if !g.Skipped || !g.Pass || g.Detail == "" {
				t.Errorf("gate %+v: want skipped with a reason", g)
			}
			if !strings.Contains(buf.String(), `<skipped message="`+g.Name+": "+g.Detail) {
				t.Errorf("junit.xml does not skip %s:\n%s", g.Name, buf.String())
			}
		case "calls.logininfo.p50":
			if g.Skipped || !g.Pass || g.Actual != plain.Calls[gateway.CallLoginInfo].LatencyMS.P50 {
				t.Errorf("gate %+v: want evaluated on calls.logininfo", g)
			}
		}
	}
}

// TestJourneySaturation: journeys that started late (their sign-ins' lag
// against the planned arrivals) flag the generator saturated, as late
// requests do a rate plan: LATENCIES UNDERSTATED and a failed saturation
// gate.
func TestJourneySaturation(t *testing.T) {
	rs, _ := goldentest.JourneySpec().Results()
	for i := range rs {
		if v := rs[i].Headers.Get(results.HeaderLagUs); v != "" {
			rs[i].Headers = rs[i].Headers.Clone()
			rs[i].Headers.Set(results.HeaderLagUs, "50000") // 50 ms late, at 10 arrivals/s: over the 10 ms threshold
		}
	}
	r := aggregate(rs).Report(goldentest.JourneyMeta(), slo.Objectives{})
	if !r.Saturation.Saturated || r.Saturation.LateRequests != uint64(goldentest.JourneySpec().Journeys) || r.Saturation.LateThresholdMS != 10 {
		t.Errorf("saturation %+v: want every journey late (threshold 10 ms)", r.Saturation)
	}
	var buf bytes.Buffer
	if err := RunText(&buf, r); err != nil || !strings.Contains(buf.String(), "LATENCIES UNDERSTATED") {
		t.Errorf("summary does not flag the saturated generator (%v)", err)
	}
	for _, g := range r.SLO {
		if g.Name == slo.GateSaturation && g.Pass {
			t.Error("the saturation gate passed")
		}
	}
}

// TestAbortGate: a run its abort_when rule stopped fails the abort_when
// gate, and says so loudly; a run aborted otherwise adds no gate.
func TestAbortGate(t *testing.T) {
	a := reports.NewAggregator()
	for _, r := range goldentest.Spec().Results()[:100] {
		a.Add(&r)
	}
	m := goldentest.Meta()
	m.Aborted, m.AbortedBy = "error rate 52% over the last 2s, above 20%", results.AbortedByRule
	r := a.Report(m, slo.Objectives{})
	g := r.SLO[len(r.SLO)-1]
	if r.Pass || g.Name != reports.GateAbortWhen || g.Pass || g.Detail != m.Aborted || r.AbortedBy != results.AbortedByRule {
		t.Errorf("aborted by its rule: pass %v, last gate %+v", r.Pass, g)
	}
	var sum strings.Builder
	if err := RunText(&sum, r); err != nil || !strings.Contains(sum.String(), "ABORTED by abort_when: error rate 52%") {
		t.Errorf("summary: %v\n%s", err, sum.String())
	}
	m.AbortedBy = results.AbortedByStart
	for _, g := range a.Report(m, slo.Objectives{}).SLO {
		if g.Name == reports.GateAbortWhen {
			t.Errorf("a start given up has an abort_when gate: %+v", g)
		}
	}
}
