package reports

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// TestFactsCountAsTheReport checks that counting results by FactsOf gives
// the report's classes, error kinds, node requests and lag samples: a live
// view built on FactsOf counts what the reports count.
func TestFactsCountAsTheReport(t *testing.T) {
	rs := reportstest.DefaultSpec(3000).Results()
	// Results a foreign tool might write: success text with a 503, an error
	// outside the verdict vocabulary, a negative lag and a silly node.
	rs = append(rs,
		vegeta.Result{Code: 503, Error: "", Timestamp: rs[0].Timestamp, Latency: time.Millisecond},
		vegeta.Result{Code: 0, Error: "dial tcp: connection refused", Timestamp: rs[0].Timestamp},
		vegeta.Result{Code: 200, Timestamp: rs[0].Timestamp, Headers: http.Header{results.HeaderLagUs: {"-5"}, results.HeaderNode: {"-3"}}},
	)
	a := NewAggregator()
	classes := map[string]uint64{}
	errs := map[string]uint64{}
	nodes := map[string]uint64{}
	var lagged uint64
	for i := range rs {
		a.Add(&rs[i])
		f := FactsOf(&rs[i])
		classes[string(classOf(f.Verdict))]++
		if !f.Verdict.OK() {
			errs[f.Verdict.String()]++
		}
		n := UnknownNode
		if f.Node > 0 {
			n = strconv.Itoa(f.Node)
		}
		nodes[n]++
		if f.HasLag {
			lagged++
			if f.Lag < 0 {
				t.Errorf("result %d: lag %v, want >= 0", i, f.Lag)
			}
		}
	}
	rep := a.Report(results.Meta{}, slo.Objectives{})
	if !equalCounts(classes, rep.Classes) {
		t.Errorf("classes by FactsOf %v, report %v", classes, rep.Classes)
	}
	if !equalCounts(errs, rep.Errors) {
		t.Errorf("errors by FactsOf %v, report %v", errs, rep.Errors)
	}
	repNodes := map[string]uint64{}
	for _, n := range rep.Nodes {
		repNodes[n.Node] = n.Requests
	}
	if !equalCounts(nodes, repNodes) {
		t.Errorf("node requests by FactsOf %v, report %v", nodes, repNodes)
	}
	if lagged != rep.Saturation.LagSamples {
		t.Errorf("%d results with a lag by FactsOf, report %d", lagged, rep.Saturation.LagSamples)
	}
	if classes[string(gateway.ClassOK)] == 0 || len(classes) < 5 || len(nodes) < 3 {
		t.Fatalf("the generated results are too uniform to prove anything: classes %v nodes %v", classes, nodes)
	}
}

func equalCounts(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestFactsOfDoesNotAllocate: the live metrics read every recorded result
// through FactsOf, at tens of thousands of results per second.
func TestFactsOfDoesNotAllocate(t *testing.T) {
	rs := reportstest.DefaultSpec(200).Results()
	var sink Facts
	n := testing.AllocsPerRun(10, func() {
		for i := range rs {
			sink = FactsOf(&rs[i])
		}
	})
	_ = sink
	if n != 0 {
		t.Errorf("FactsOf allocates %v times per 200 results, want 0", n)
	}
}
