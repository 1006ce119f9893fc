package load_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/load"
	"ccgw-harness/metrics"
	"ccgw-harness/metrics/metricstest"
)

// TestMetricsDuringRun serves a run's metrics on a real listener and
// scrapes them over HTTP: during the measured attack the request counters
// grow between two scrapes (synchronised on the mock's own count of
// requests, never on time), and after the run, while the server lingers,
// every figure equals the run's: the latency histogram's count per call and
// the requests by class equal the results in results.bin, and the agents'
// counters equal the outcome's. No label holds an agent ID.
func TestMetricsDuringRun(t *testing.T) {
	noLeaks(t)
	const agents, rate = 20, 50.0
	// A long plan: the test interrupts it once it has seen the counters grow.
	e := newEnv(t, agents, rate, time.Minute, true)
	e.plan.Warmup = 200 * time.Millisecond
	m, err := metrics.New(metrics.WithTarget(e.target.Name), metrics.WithPlan(e.plan.Name))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := metrics.Serve("127.0.0.1:0", m)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	scrape := func(what string) *metricstest.Exposition {
		t.Helper()
		x, err := metricstest.Scrape(context.Background(), hc, srv.URL())
		if err != nil {
			t.Fatalf("scrape %s: %v", what, err)
		}
		return x
	}
	logininfo := map[string]string{metrics.LabelCall: gateway.CallLoginInfo}

	before := scrape("before the run")
	if v := before.By(metrics.NameStage, metrics.LabelStage, nil); v[metrics.StageOpen] != 1 {
		t.Errorf("stage before the run: %v, want open", v)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	type result struct {
		o   *load.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		o, err := load.Run(ctx, e.client, e.target, e.plan, e.out, load.WithMetrics(m),
			load.WithAttackStarted(func() { close(started) }))
		done <- result{o, err}
	}()
	select {
	case <-started:
	case r := <-done:
		t.Fatalf("the run ended before its attack started: %v", r.err)
	case <-time.After(time.Minute):
		t.Fatal("the attack did not start within a minute")
	}

	// First scrape, in the measured attack.
	first := scrape("during the run")
	c1, _ := first.Sum(metrics.NameRequests, logininfo)
	if v := first.By(metrics.NameStage, metrics.LabelStage, nil); v[metrics.StageMeasure] != 1 {
		t.Errorf("stage during the attack: %v, want measure", v)
	}
	for name, want := range map[string]float64{metrics.NameAgents: agents, metrics.NameSignInAttempts: agents, metrics.NameSignInFailures: 0} {
		if got, _ := first.Sum(name, nil); got != want {
			t.Errorf("during the run %s = %v, want %v", name, got, want)
		}
	}
	// Every agent signed in; until the first rotation their Guids name the
	// node, so the per-node gauge sums to the agents alive (a lost session
	// may be on its way back).
	if got, _ := first.Sum(metrics.NameAgentsSignedIn, nil); got < 1 || got > agents {
		t.Errorf("during the run %s = %v, want 1..%d", metrics.NameAgentsSignedIn, got, agents)
	}
	if got, _ := first.Sum(metrics.NamePlannedRate, nil); got != rate {
		t.Errorf("during the run %s = %v, want the plan's %v", metrics.NamePlannedRate, got, rate)
	}

	// Wait until the mock has received more logininfo requests than could
	// be under way unrecorded at the first scrape: every worker busy with
	// one, plus one in each hand-over between vegeta and the recorder. Then
	// the recorder has counted more than at the first scrape.
	m1 := logininfoRequests(e.mock)
	underway := uint64(e.plan.Connections*load.DefaultWorkersPerConnection + 3)
	eventually(t, time.Minute, "the mock to receive more logininfo requests", func() bool {
		return logininfoRequests(e.mock) > m1+underway
	})
	second := scrape("later in the run")
	c2, _ := second.Sum(metrics.NameRequests, logininfo)
	h2, _ := second.Sum(metrics.NameRequestDuration, logininfo)
	if c2 <= c1 {
		t.Errorf("%s{call=logininfo} went from %v to %v between two scrapes, want it to grow", metrics.NameRequests, c1, c2)
	}
	if h2 < c2 {
		t.Errorf("latency histogram counts %v of %v requests", h2, c2)
	}
	if l, _ := second.Sum(metrics.NameScheduleLag, nil); l < c2 {
		t.Errorf("schedule lag counts %v of %v open-model requests", l, c2)
	}

	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the run did not stop within 2 minutes of its cancellation")
	}
	if r.err != nil {
		t.Fatalf("load.Run: %v", r.err)
	}
	o := r.o

	// After the run (the server still serves): the figures equal the run's.
	after := scrape("after the run")
	results := readAllResults(t, e.out)
	if len(results) == 0 || uint64(len(results)) != sumCalls(o) {
		t.Fatalf("%d results in %s and %s, recorded %d", len(results), load.ResultsFile, load.CallsFile, sumCalls(o))
	}
	calls := map[string]float64{}
	classes := map[string]float64{}
	for i := range results {
		calls[gateway.CallOf(results[i].Method, results[i].URL)]++
		v := gateway.ParseVerdict(results[i].Error)
		c := string(v.Class)
		if v.OK() {
			c = string(gateway.ClassOK)
		}
		classes[c]++
	}
	if got := after.By(metrics.NameRequestDuration, metrics.LabelCall, nil); !sameCounts(got, calls) {
		t.Errorf("latency histogram counts by call %v, the results files hold %v", got, calls)
	}
	if got := after.By(metrics.NameRequests, metrics.LabelCall, nil); !sameCounts(got, calls) {
		t.Errorf("%s by call %v, the results files hold %v", metrics.NameRequests, got, calls)
	}
	if got := after.By(metrics.NameRequests, metrics.LabelClass, nil); !sameCounts(got, classes) {
		t.Errorf("%s by class %v, the results files hold %v", metrics.NameRequests, got, classes)
	}
	for name, want := range map[string]int64{
		metrics.NameRotations: o.Rotations, metrics.NamePolls: o.Polls,
		metrics.NameReSignIns: int64(o.Meta.ReSignIns), metrics.NameAgentsSignedIn: 0,
		metrics.NameInFlight: 0, metrics.NamePlannedRate: 0,
	} {
		if got, _ := after.Sum(name, nil); got != float64(want) {
			t.Errorf("after the run %s = %v, want %d", name, got, want)
		}
	}
	if o.Rotations == 0 {
		t.Error("no Guid rotation was followed: the run did not exercise the counter")
	}
	if v := after.By(metrics.NameStage, metrics.LabelStage, nil); v[metrics.StageDone] != 1 {
		t.Errorf("stage after the run: %v, want done", v)
	}
	for _, lv := range after.LabelValues() {
		for id := e.target.Agents.IDs[0]; id <= e.target.Agents.IDs[len(e.target.Agents.IDs)-1]; id++ {
			if strings.Contains(lv, strconv.Itoa(id)) {
				t.Errorf("label %s holds agent ID %d", lv, id)
			}
		}
	}
}

// sameCounts compares counts, absent keys reading as 0.
func sameCounts(a, b map[string]float64) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// TestMetricsAcrossJobs: a Metrics shared by two runs one after the other
// (a capacity search) keeps counting, and a run without WithMetrics still
// records (the recorder's hook is nil).
func TestMetricsAcrossJobs(t *testing.T) {
	noLeaks(t)
	e := newEnv(t, 8, 100, 300*time.Millisecond, false)
	m, err := metrics.New(metrics.WithoutRuntimeMetrics())
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for i := range 2 {
		e.out = t.TempDir()
		o := e.run(context.Background(), t, load.WithMetrics(m))
		total += float64(sumCalls(o))
		x, err := metricstest.Gather(m.Registry())
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := x.Sum(metrics.NameRequestDuration, nil); got != total {
			t.Errorf("after job %d: %v results in the histogram, want %v", i+1, got, total)
		}
		if got, _ := x.Sum(metrics.NameSignInAttempts, nil); got != float64(8*(i+1)) {
			t.Errorf("after job %d: %s = %v, want %d", i+1, metrics.NameSignInAttempts, got, 8*(i+1))
		}
	}
	o := e.run(context.Background(), t)
	if o.Recorded == 0 {
		t.Error("a run without metrics recorded nothing")
	}
}

// sumCalls is the number of results a run recorded, every call counted.
func sumCalls(o *load.Outcome) uint64 {
	var n uint64
	for _, c := range o.Calls {
		n += c
	}
	return n
}
