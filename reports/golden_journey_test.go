package reports

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/reports/goldentest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// TestJourneyFacts checks what the journey report must say, from what the
// generator made: so that an -update cannot bless a wrong report.
func TestJourneyFacts(t *testing.T) {
	spec := goldentest.JourneySpec()
	rs, o := spec.Results()
	r := aggregate(rs).Report(goldentest.JourneyMeta(), goldentest.JourneySLO())
	j := r.Journeys
	if j.Planned != spec.Journeys || j.Started != uint64(spec.Journeys) || j.Completed != uint64(o.Completed) ||
		j.Failed != uint64(o.Failed) || j.Interrupted != 0 || j.Ready != uint64(o.Ready) {
		t.Errorf("journeys %+v, want planned=started=%d completed %d failed %d ready %d", j, spec.Journeys, o.Completed, o.Failed, o.Ready)
	}
	if j.Started != j.Completed+j.Failed+j.Interrupted {
		t.Errorf("started %d != completed+failed+interrupted", j.Started)
	}
	for k, n := range o.FailedBy {
		if j.FailedBy[k] != uint64(n) {
			t.Errorf("failed_by[%q] = %d, want %d (all: %v)", k, j.FailedBy[k], n, j.FailedBy)
		}
	}
	if len(j.FailedBy) != len(o.FailedBy) {
		t.Errorf("failed_by %v, want %v", j.FailedBy, o.FailedBy)
	}
	want := map[string]int{gateway.CallSignIn: o.SignIns, gateway.CallForceLogin: o.ForceLogins,
		gateway.CallLoginInfo: o.LoginInfos, gateway.CallPoll: o.Polls, gateway.CallLogout: o.Logouts}
	var total uint64
	for c, n := range want {
		if got := r.Calls[c].Requests; got != uint64(n) {
			t.Errorf("calls.%s.requests = %d, want %d", c, got, n)
		}
		total += r.Calls[c].Requests
	}
	if total != uint64(len(rs)) || r.Requests != uint64(o.LoginInfos) || r.Calls[gateway.CallLoginInfo].Requests != r.Requests {
		t.Errorf("calls add up to %d of %d results; top-level requests %d, want the %d logininfo", total, len(rs), r.Requests, o.LoginInfos)
	}
	if _, ok := r.Calls[gateway.CallUpdateGuid]; ok {
		t.Error("calls lists updateguid, which the run never called")
	}
	// Sign-in latencies are 30-36 ms, logininfo 5-6 ms: ready is their sum.
	if si := r.Calls[gateway.CallSignIn].LatencyMS; si.Min < 30 || si.Max > 36.1 {
		t.Errorf("sign-in latency %+v, want 30..36 ms", si)
	}
	if rd := j.ReadyMS; rd.Min < 35 || rd.P50 < 35 || rd.Max > 2*36.1+6.1 {
		t.Errorf("ready_ms %+v, want from 35 ms (sign-in + logininfo), at most two sign-ins and a logininfo", rd)
	}
	if r.Calls[gateway.CallSignIn].Retcodes[gateway.RetAlreadySignedIn] != uint64(o.ForceLogins) {
		t.Errorf("signin retcodes %v, want %d × 100-002", r.Calls[gateway.CallSignIn].Retcodes, o.ForceLogins)
	}
	// Arrivals on schedule at 10/s: not saturated, the rate ratio is the
	// arrivals'.
	if r.Saturation.Saturated || r.Saturation.RateRatio == nil || *r.Saturation.RateRatio < 0.98 || j.Rate.Requested != 10 {
		t.Errorf("saturation %+v rate %+v, want arrivals on schedule", r.Saturation, j.Rate)
	}
	if r.Saturation.LagSamples != uint64(spec.Journeys) {
		t.Errorf("lag samples %d, want one per journey", r.Saturation.LagSamples)
	}
	if len(j.ReadySeries) != 20 || j.ReadySeriesStepS != 1 {
		t.Errorf("ready series: %d buckets of %g s, want 20 of 1 s", len(j.ReadySeries), j.ReadySeriesStepS)
	}
	var names []string
	for _, g := range r.SLO {
		names = append(names, g.Name)
		if g.Name == "calls.updateguid.p99" && (!g.Skipped || !g.Pass) {
			t.Errorf("gate %+v: want skipped (no updateguid calls)", g)
		}
		if strings.HasPrefix(g.Name, "ready_") && (g.Skipped || g.Actual <= 0) {
			t.Errorf("gate %+v: want evaluated", g)
		}
	}
	wantGates := []string{"p99", slo.GateErrorRate, "ready_p50", "ready_p99", "calls.poll.error_rate", "calls.signin.p99",
		"calls.signin.error_rate", "calls.updateguid.p99", slo.GateContractViolations, slo.GateSaturation}
	if !slices.Equal(names, wantGates) {
		t.Errorf("gates %v, want %v", names, wantGates)
	}
}

// TestJourneyLiveEqualsFile: report.json of a journey run does not depend
// on the order results arrive in.
func TestJourneyLiveEqualsFile(t *testing.T) {
	rs, _ := goldentest.JourneySpec().Results()
	path := goldentest.WriteResults(t, t.TempDir(), "results.bin", rs)
	fromFile := NewAggregator()
	if _, _, err := results.ReadFiles(fromFile, path); err != nil {
		t.Fatal(err)
	}
	rev := slices.Clone(rs)
	slices.Reverse(rev)
	a := reportJSON(t, fromFile.Report(goldentest.JourneyMeta(), goldentest.JourneySLO()))
	b := reportJSON(t, aggregate(rev).Report(goldentest.JourneyMeta(), goldentest.JourneySLO()))
	if !bytes.Equal(a, b) {
		t.Errorf("report.json depends on result order: %s", firstDiff(b, a))
	}
}

// TestCallsWithForeignResults: results of other requests (a plain vegeta
// attack's) make the top level with logininfo's; calls splits them, and
// calls.logininfo counts logininfo's alone.
func TestCallsWithForeignResults(t *testing.T) {
	var rs []vegeta.Result
	for i := range 300 {
		r := vegeta.Result{Code: 200, Latency: time.Duration(1+i%10) * time.Millisecond, Timestamp: t0.Add(time.Duration(i) * time.Millisecond),
			Method: "POST", URL: "https://127.0.0.1:8043" + gateway.LoginInfoPath(1001)}
		if i%3 == 0 {
			r.URL, r.Method, r.Latency = "https://example.test/health", "GET", 100*time.Millisecond
			if i%6 == 0 {
				r.Code, r.Error = 503, "http 503"
			}
		}
		rs = append(rs, r)
	}
	rep := aggregate(rs).Report(results.Meta{}, slo.Objectives{Calls: map[string]slo.CallObjectives{gateway.CallLoginInfo: {Latency: map[string]time.Duration{"max": 20 * time.Millisecond}}}})
	li, other := rep.Calls[gateway.CallLoginInfo], rep.Calls[gateway.CallOther]
	if rep.Requests != 300 || li.Requests != 200 || other.Requests != 100 || li.Errors != 0 || other.Errors != 50 || rep.Requests-rep.Success != 50 {
		t.Errorf("top %d (%d errors), logininfo %+v, other %+v", rep.Requests, rep.Requests-rep.Success, li, other)
	}
	if li.LatencyMS.Max > 10.01 || li.LatencyMS.Min < 0.999 || li.LatencyMS.P50 > 10.01 || other.LatencyMS.Min != 100 || li.Retcodes["0"] != 200 || len(li.ErrorKinds) != 0 {
		t.Errorf("logininfo latency %+v retcodes %v kinds %v, other latency %+v", li.LatencyMS, li.Retcodes, li.ErrorKinds, other.LatencyMS)
	}
	if want := (1.0 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10) / 10; li.LatencyMS.Mean < want-0.2 || li.LatencyMS.Mean > want+0.2 {
		t.Errorf("logininfo mean %v, want about %v", li.LatencyMS.Mean, want)
	}
	for _, g := range rep.SLO {
		if g.Name == "calls.logininfo.max" && (!g.Pass || g.Actual > 10.01) {
			t.Errorf("gate %+v: want logininfo's own max (10 ms), not the others' 100 ms", g)
		}
	}
}
