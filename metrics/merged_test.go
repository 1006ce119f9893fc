package metrics_test

import (
	"net/http/httptest"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/metrics"
	"ccgw-harness/metrics/metricstest"
	"ccgw-harness/reports/reportstest"
)

// TestMergedSumsShards: the merged metrics of three shards count what one
// Metrics fed every shard's results counts; a shard gone keeps its counts
// but not its gauges; the stage is the earliest of the shards still there.
func TestMergedSumsShards(t *testing.T) {
	one := newMetrics(t, metrics.WithTarget("mock"), metrics.WithPlan("smoke"))
	oneObs := one.Observer()
	merged, err := metrics.NewMerged()
	if err != nil {
		t.Fatal(err)
	}
	shards := make([]*metrics.Metrics, 3)
	for i := range shards {
		shards[i] = newMetrics(t, metrics.WithTarget("mock"), metrics.WithPlan("smoke"), metrics.WithoutRuntimeMetrics())
		obs := shards[i].Observer()
		spec := reportstest.DefaultSpec(700)
		spec.Seed, spec.FirstAgent = uint64(10+i), 1001+100*i
		spec.Each(func(r *vegeta.Result) { obs.Observe(r); oneObs.Observe(r) })
		shards[i].Attach(metrics.Source{Agents: 10})
		shards[i].SetStage([]string{metrics.StageMeasure, metrics.StageFinish, metrics.StageSignIn}[i])
		b, err := shards[i].Exposition()
		if err != nil {
			t.Fatal(err)
		}
		if err := merged.Set(i, b, false); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(merged.Handler())
	defer srv.Close()
	scrape := func() *metricstest.Exposition {
		t.Helper()
		e, err := metricstest.Scrape(t.Context(), srv.Client(), srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	want := gather(t, one)
	e := scrape()
	for _, name := range []string{metrics.NameRequests, metrics.NameRequestDuration, metrics.NameScheduleLag} {
		w, _ := want.Sum(name, nil)
		g, ok := e.Sum(name, nil)
		if !ok || g != w {
			t.Errorf("%s: merged %v (%v), one Metrics of all results %v", name, g, ok, w)
		}
	}
	if a, _ := e.Sum(metrics.NameAgents, nil); a != 30 {
		t.Errorf("%s %v, want the three shards' 30", metrics.NameAgents, a)
	}
	if st := e.By(metrics.NameStage, metrics.LabelStage, nil); st[metrics.StageSignIn] != 1 || st[metrics.StageMeasure] != 0 {
		t.Errorf("stage %v: want signin, the earliest", st)
	}
	if _, ok := e.Sum("go_goroutines", nil); !ok {
		t.Error("no Go runtime metrics of the serving process")
	}
	merged.Gone(2)
	e = scrape()
	if a, _ := e.Sum(metrics.NameAgents, nil); a != 20 {
		t.Errorf("%s %v after shard 2 is gone, want 20", metrics.NameAgents, a)
	}
	if w, _ := want.Sum(metrics.NameRequests, nil); func() float64 { g, _ := e.Sum(metrics.NameRequests, nil); return g }() != w {
		t.Error("a shard gone took its counts with it")
	}
	if st := e.By(metrics.NameStage, metrics.LabelStage, nil); st[metrics.StageMeasure] != 1 {
		t.Errorf("stage %v: want measure, the earliest of the shards still there", st)
	}
	if err := merged.Set(5, []byte("not an exposition"), false); err == nil {
		t.Error("a bad exposition was taken")
	}
}
