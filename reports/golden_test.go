package reports

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"ccgw-harness/reports/goldentest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// TestGoldenFacts checks what the golden files must say, so that an -update
// cannot silently bless a wrong report.
func TestGoldenFacts(t *testing.T) {
	rs := goldentest.Spec().Results()
	r := aggregate(rs).Report(goldentest.Meta(), goldentest.SLO())

	var success, contract, resets, timeouts, h503 uint64
	for _, x := range rs {
		switch {
		case x.Error == "" && x.Code == 200:
			success++
		case x.Error == "transport reset":
			resets++
		case x.Error == "timeout":
			timeouts++
		case x.Error == "http 503":
			h503++
		case len(x.Error) > 9 && x.Error[:9] == "contract ":
			contract++
		}
	}
	if r.Requests != 2000 || r.Success != success {
		t.Errorf("requests %d success %d; want 2000 %d", r.Requests, r.Success, success)
	}
	if r.ContractViolations != contract || r.Errors["transport reset"] != resets || r.Errors["timeout"] != timeouts || r.Errors["http 503"] != h503 {
		t.Errorf("counts: contract %d/%d reset %d/%d timeout %d/%d 503 %d/%d", r.ContractViolations, contract,
			r.Errors["transport reset"], resets, r.Errors["timeout"], timeouts, r.Errors["http 503"], h503)
	}
	var errSum uint64
	for _, n := range r.Errors {
		errSum += n
	}
	if errSum != r.Requests-r.Success {
		t.Errorf("errors sum %d, want requests-success %d", errSum, r.Requests-r.Success)
	}
	if r.StatusCodes["0"] != resets+timeouts || r.StatusCodes["503"] != h503 {
		t.Errorf("status codes %v", r.StatusCodes)
	}
	if r.Retcodes["0"] != success+contract {
		t.Errorf("retcode 0 = %d, want successes+contract violations %d", r.Retcodes["0"], success+contract)
	}
	if len(r.Nodes) != 4 || r.Nodes[3].Node != UnknownNode || r.AgentsSeen != 20 {
		t.Errorf("nodes %v agents %d", r.Nodes, r.AgentsSeen)
	}
	if len(r.WorstAgents) != DefaultWorstAgents || r.WorstAgents[0].Agent != "1013" {
		t.Errorf("worst agents %v, want 1013 first", r.WorstAgents)
	}
	if !r.Saturation.Saturated || r.Pass {
		t.Errorf("saturated %v pass %v; want a saturated, failing run", r.Saturation.Saturated, r.Pass)
	}
	if len(r.TimeSeries) != 20 || r.TimeSeriesStep != 1 {
		t.Errorf("time series: %d buckets of %g s, want 20 of 1 s", len(r.TimeSeries), r.TimeSeriesStep)
	}
	names := []string{}
	for _, g := range r.SLO {
		names = append(names, g.Name)
	}
	want := []string{"mean", "p99", "p99.9", slo.GateErrorRate, slo.GateMinRateRatio, slo.GateContractViolations, slo.GateSaturation}
	if !slices.Equal(names, want) {
		t.Errorf("gates %v, want %v", names, want)
	}
}

// TestLiveEqualsFile: the live run adds results in completion order, `ccgw
// report` reads them in file order; report.json must be the same.
func TestLiveEqualsFile(t *testing.T) {
	rs := goldentest.Spec().Results()
	path := goldentest.WriteResults(t, t.TempDir(), "results.bin", rs)
	fromFile := NewAggregator()
	if _, _, err := results.ReadFiles(fromFile, path); err != nil {
		t.Fatal(err)
	}
	shuffled := slices.Clone(rs)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	live := aggregate(shuffled)
	a, b := reportJSON(t, fromFile.Report(goldentest.Meta(), goldentest.SLO())), reportJSON(t, live.Report(goldentest.Meta(), goldentest.SLO()))
	if !bytes.Equal(a, b) {
		t.Errorf("report.json depends on result order: %s", firstDiff(b, a))
	}
	// Reporting twice gives the same bytes (no clock, no randomness).
	if c := reportJSON(t, live.Report(goldentest.Meta(), goldentest.SLO())); !bytes.Equal(b, c) {
		t.Errorf("second Report differs: %s", firstDiff(c, b))
	}
}
