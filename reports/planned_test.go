package reports

import (
	"net/http"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/results"
	"ccgw-harness/slo"
)

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
	planned := aggregate(rs, WithLatencyFromPlanned(true)).Report(m, objs)

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
	if err := WriteSummary(&sum, planned); err != nil {
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
