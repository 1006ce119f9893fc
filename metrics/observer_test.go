package metrics_test

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/metrics"
	"ccgw-harness/metrics/metricstest"
	"ccgw-harness/reports"
	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

func newMetrics(t testing.TB, opts ...metrics.Option) *metrics.Metrics {
	t.Helper()
	m, err := metrics.New(opts...)
	if err != nil {
		t.Fatalf("metrics.New: %v", err)
	}
	return m
}

func gather(t testing.TB, m *metrics.Metrics) *metricstest.Exposition {
	t.Helper()
	e, err := metricstest.Gather(m.Registry())
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	return e
}

// TestObserveCountsAsTheReport feeds a generated run (successes, retcodes,
// HTTP 503, resets, timeouts, contract violations, three nodes, lag)
// through an Observer and checks every count against the report of the
// same results.
func TestObserveCountsAsTheReport(t *testing.T) {
	m := newMetrics(t, metrics.WithTarget("mock"), metrics.WithPlan("smoke"), metrics.WithShard("2"))
	o := m.Observer()
	agg := reports.NewAggregator()
	var latSum float64
	spec := reportstest.DefaultSpec(5000)
	spec.Each(func(r *vegeta.Result) {
		o.Observe(r)
		agg.Add(r)
		latSum += r.Latency.Seconds()
	})
	rep := agg.Report(results.Meta{}, slo.Objectives{})
	e := gather(t, m)
	consts := map[string]string{metrics.LabelTarget: "mock", metrics.LabelPlan: "smoke", metrics.LabelShard: "2"}

	if n, _ := e.Sum(metrics.NameRequests, consts); uint64(n) != rep.Requests {
		t.Errorf("%s sums to %v, report.requests %d", metrics.NameRequests, n, rep.Requests)
	}
	if n, _ := e.Sum(metrics.NameRequestDuration, map[string]string{metrics.LabelCall: gateway.CallLoginInfo}); uint64(n) != rep.Requests {
		t.Errorf("%s counts %v logininfo results, report.requests %d", metrics.NameRequestDuration, n, rep.Requests)
	}
	for class, want := range rep.Classes {
		if got := e.By(metrics.NameRequests, metrics.LabelClass, nil)[class]; uint64(got) != want {
			t.Errorf("class %s: %v requests, report %d", class, got, want)
		}
	}
	errs := map[string]float64{}
	for _, s := range e.Families[metrics.NameRequests].GetMetric() {
		l := metricstest.Labels(s)
		if l[metrics.LabelClass] != string(gateway.ClassOK) {
			errs[strings.TrimSpace(l[metrics.LabelClass]+" "+l[metrics.LabelDetail])] += metricstest.Value(s)
		}
	}
	for k, want := range rep.Errors {
		if uint64(errs[k]) != want {
			t.Errorf("errors %q: %v, report %d", k, errs[k], want)
		}
	}
	rcs := e.By(metrics.NameRequests, metrics.LabelRetcode, nil)
	for rc, want := range rep.Retcodes {
		if uint64(rcs[rc]) != want {
			t.Errorf("retcode %s: %v, report %d", rc, rcs[rc], want)
		}
	}
	nodes := e.By(metrics.NameRequestDuration, metrics.LabelNode, nil)
	for _, n := range rep.Nodes {
		key := n.Node
		if key == reports.UnknownNode {
			key = "0"
		}
		if uint64(nodes[key]) != n.Requests {
			t.Errorf("node %s: %v results in the histogram, report %d", n.Node, nodes[key], n.Requests)
		}
	}
	h := e.Families[metrics.NameRequestDuration]
	var sum float64
	for _, s := range h.GetMetric() {
		sum += s.GetHistogram().GetSampleSum()
	}
	if math.Abs(sum-latSum) > 1e-6*latSum {
		t.Errorf("latency sum %v s, results %v s", sum, latSum)
	}
	if n, _ := e.Sum(metrics.NameScheduleLag, nil); uint64(n) != rep.Saturation.LagSamples {
		t.Errorf("%s counts %v, report lag samples %d", metrics.NameScheduleLag, n, rep.Saturation.LagSamples)
	}
	// Every ccgw_ series carries the constant labels.
	for name, f := range e.Families {
		if !strings.HasPrefix(name, "ccgw_") {
			continue
		}
		for _, s := range f.GetMetric() {
			l := metricstest.Labels(s)
			for k, v := range consts {
				if l[k] != v {
					t.Errorf("%s%v: label %s=%q, want %q", name, l, k, l[k], v)
				}
			}
		}
	}
	// No agent ID or URL in any label.
	for _, lv := range e.LabelValues() {
		for id := spec.FirstAgent; id < spec.FirstAgent+spec.Agents; id++ {
			if strings.Contains(lv, strconv.Itoa(id)) {
				t.Errorf("label %s holds agent ID %d", lv, id)
			}
		}
		if strings.Contains(lv, "/") || strings.Contains(lv, "://") {
			t.Errorf("label %s looks like a URL", lv)
		}
	}
}

// TestObserveCalls: each call of the vocabulary is its own series,
// whatever the agent in the URL.
func TestObserveCalls(t *testing.T) {
	m := newMetrics(t)
	o := m.Observer()
	base := "https://gw:8043" + gateway.PathPrefix
	calls := []struct {
		method, path string
		call         gateway.Call
		n            int
	}{
		{http.MethodPut, "/onlineagent/%d", gateway.CallSignIn, 3},
		{http.MethodPut, "/onlineagent/%d/forcelogin", gateway.CallForceLogin, 1},
		{http.MethodPost, "/onlineagent/%d/logininfo", gateway.CallLoginInfo, 5},
		{http.MethodGet, "/agentevent/%d", gateway.CallPoll, 4},
		{http.MethodDelete, "/onlineagent/%d/logout", gateway.CallLogout, 2},
		{http.MethodGet, "/onlineagent/%d/logininfo", gateway.CallOther, 1},
	}
	for _, c := range calls {
		for i := range c.n {
			r := vegeta.Result{Method: c.method, URL: base + strings.Replace(c.path, "%d", strconv.Itoa(1001+i), 1), Code: 200, Latency: time.Millisecond}
			o.Observe(&r)
		}
	}
	e := gather(t, m)
	reqs := e.By(metrics.NameRequests, metrics.LabelCall, nil)
	lat := e.By(metrics.NameRequestDuration, metrics.LabelCall, nil)
	for _, c := range calls {
		if reqs[c.call] != float64(c.n) || lat[c.call] != float64(c.n) {
			t.Errorf("call %s: %v requests and %v latencies, want %d", c.call, reqs[c.call], lat[c.call], c.n)
		}
	}
}

// TestLabelValuesBounded: a gateway inventing a new retcode, status or
// node per answer cannot grow the series beyond the bounds.
func TestLabelValuesBounded(t *testing.T) {
	const bound = 8
	m := newMetrics(t, metrics.WithMaxLabelValues(bound))
	o := m.Observer()
	url := "https://gw:8043" + gateway.LoginInfoPath(1001)
	const n = 200
	for i := range n {
		for _, r := range []vegeta.Result{
			{Method: "POST", URL: url, Code: 200, Error: "retcode " + strconv.Itoa(900000+i)},
			{Method: "POST", URL: url, Code: uint16(200 + i), Error: "http " + strconv.Itoa(200+i)},
			{Method: "POST", URL: url, Code: 200, Headers: http.Header{results.HeaderNode: {strconv.Itoa(i + 1)}}},
		} {
			o.Observe(&r)
		}
	}
	e := gather(t, m)
	if got := len(e.Families[metrics.NameRequests].GetMetric()); got > 3*(bound+1) {
		t.Errorf("%d series of %s, want at most %d", got, metrics.NameRequests, 3*(bound+1))
	}
	for _, l := range []string{metrics.LabelRetcode, metrics.LabelNode} {
		vals := e.By(metrics.NameRequests, l, nil)
		delete(vals, "") // no retcode read (the HTTP errors)
		if len(vals) > bound+1 || vals[metrics.OtherValue] == 0 {
			t.Errorf("label %s has values %v: want at most %d and the rest as %q", l, vals, bound, metrics.OtherValue)
		}
	}
	if got, _ := e.Sum(metrics.NameRequests, nil); got != 3*n {
		t.Errorf("%v requests counted, want %d (bounded labels lose no count)", got, 3*n)
	}
}

// TestNilMetrics: a run without metrics calls the same methods.
func TestNilMetrics(t *testing.T) {
	var m *metrics.Metrics
	o := m.Observer()
	if o != nil {
		t.Fatal("a nil Metrics gave an Observer")
	}
	o.Observe(&vegeta.Result{})
	m.SetStage(metrics.StageMeasure)
	m.ObserveReady(time.Second)
	m.JourneyDone(true)
	m.Attach(metrics.Source{})()
}

// TestObserveDoesNotAllocate: the recorder calls Observe for every result.
func TestObserveDoesNotAllocate(t *testing.T) {
	m := newMetrics(t)
	o := m.Observer()
	rs := reportstest.DefaultSpec(500).Results()
	for i := range rs {
		o.Observe(&rs[i]) // resolve every combination once
	}
	if n := testing.AllocsPerRun(5, func() {
		for i := range rs {
			o.Observe(&rs[i])
		}
	}); n != 0 {
		t.Errorf("Observe allocates %v times per %d results, want 0", n, len(rs))
	}
}

// TestStage: exactly one stage is 1.
func TestStage(t *testing.T) {
	m := newMetrics(t)
	for _, st := range metrics.Stages {
		m.SetStage(st)
		m.SetStage("bogus")
		vals := gather(t, m).By(metrics.NameStage, metrics.LabelStage, nil)
		if len(vals) != len(metrics.Stages) {
			t.Fatalf("stage values %v, want one per stage", vals)
		}
		for s, v := range vals {
			if want := map[bool]float64{true: 1, false: 0}[s == st]; v != want {
				t.Errorf("after SetStage(%s): %s=%v", st, s, v)
			}
		}
	}
}

// TestJourneys: time to ready and journey outcomes.
func TestJourneys(t *testing.T) {
	m := newMetrics(t, metrics.WithReadyThresholds(750*time.Millisecond))
	e := gather(t, m)
	if got := e.By(metrics.NameJourneys, metrics.LabelOutcome, nil); len(got) != 2 {
		t.Errorf("journey outcomes before any journey: %v, want both at 0", got)
	}
	for _, d := range []time.Duration{100 * time.Millisecond, 700 * time.Millisecond, 800 * time.Millisecond} {
		m.ObserveReady(d)
	}
	m.JourneyDone(true)
	m.JourneyDone(true)
	m.JourneyDone(false)
	e = gather(t, m)
	h := e.Families[metrics.NameJourneyReady].GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != 3 {
		t.Errorf("%d ready samples, want 3", h.GetSampleCount())
	}
	found := false
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == 0.75 {
			found = true
			if b.GetCumulativeCount() != 2 {
				t.Errorf("bucket le=0.75 counts %d, want 2", b.GetCumulativeCount())
			}
		}
	}
	if !found {
		t.Error("the ready threshold 750ms is not a bucket bound")
	}
	if got := e.By(metrics.NameJourneys, metrics.LabelOutcome, nil); got[metrics.OutcomeCompleted] != 2 || got[metrics.OutcomeFailed] != 1 {
		t.Errorf("journeys %v, want 2 completed, 1 failed", got)
	}
}

// TestLatencyThresholdsAreBounds: the SLO's thresholds resolve exactly.
func TestLatencyThresholdsAreBounds(t *testing.T) {
	m := newMetrics(t, metrics.WithLatencyThresholds(3*time.Millisecond, 40*time.Millisecond))
	o := m.Observer()
	url := "https://gw:8043" + gateway.LoginInfoPath(1001)
	for _, d := range []time.Duration{time.Millisecond, 3 * time.Millisecond, 3*time.Millisecond + 1, 39 * time.Millisecond, time.Second} {
		o.Observe(&vegeta.Result{Method: "POST", URL: url, Code: 200, Latency: d})
	}
	h := gather(t, m).Families[metrics.NameRequestDuration].GetMetric()[0].GetHistogram()
	want := map[float64]uint64{0.003: 2, 0.04: 4}
	for _, b := range h.GetBucket() {
		if w, ok := want[b.GetUpperBound()]; ok {
			if b.GetCumulativeCount() != w {
				t.Errorf("bucket le=%v counts %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), w)
			}
			delete(want, b.GetUpperBound())
		}
	}
	if len(want) != 0 {
		t.Errorf("thresholds missing from the buckets %v: %v", m.LatencyBuckets(), want)
	}
}

func TestBadConstLabel(t *testing.T) {
	if _, err := metrics.New(metrics.WithTarget("bad\xff")); err == nil || !strings.Contains(err.Error(), "target") {
		t.Errorf("New with an invalid target label: %v, want an error naming the label", err)
	}
}
