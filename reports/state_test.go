package reports

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/reports/goldentest"
	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
)

// TestStateMergeIsExact: aggregators that each saw part of a run, their
// states sent as JSON and merged into one, report exactly what one
// aggregator of all the results reports: rate and journey runs, with
// bounds small enough that agents, kinds and the time series are cut and
// coarsened on the way.
func TestStateMergeIsExact(t *testing.T) {
	rate := reportstest.DefaultSpec(3000)
	rate.Agents, rate.Nodes = 40, 5
	journeys, _ := reportstest.DefaultJourneySpec(120).Results()
	for _, c := range []struct {
		name    string
		results []vegeta.Result
		opts    []Option
		meta    results.Meta
	}{
		{"rate", rate.Results(), nil, goldentest.Meta()},
		{"rate-bounded", rate.Results(), []Option{WithMaxAgents(7), WithMaxKinds(2), WithMaxSeriesBuckets(16), WithMaxNodes(2)}, goldentest.Meta()},
		{"journeys", journeys, []Option{WithMaxSeriesBuckets(16)}, results.Meta{Target: "mock", Plan: "shiftstart", JourneyRate: 10, Journeys: 120}},
	} {
		t.Run(c.name, func(t *testing.T) {
			one := NewAggregator(c.opts...)
			parts := []*Aggregator{NewAggregator(c.opts...), NewAggregator(c.opts...), NewAggregator(c.opts...)}
			rng := rand.New(rand.NewPCG(3, 4))
			for i := range c.results {
				one.Add(&c.results[i])
				parts[rng.IntN(len(parts))].Add(&c.results[i])
			}
			merged := NewAggregator(c.opts...)
			for _, p := range parts {
				b, err := json.Marshal(p.State(true))
				if err != nil {
					t.Fatal(err)
				}
				var s State
				if err := json.Unmarshal(b, &s); err != nil {
					t.Fatal(err)
				}
				if err := merged.Merge(&s); err != nil {
					t.Fatal(err)
				}
			}
			slo := goldentest.SLO()
			want, got := jsonOf(t, one.Report(c.meta, slo)), jsonOf(t, merged.Report(c.meta, slo))
			if !bytes.Equal(want, got) {
				t.Errorf("the merged states' report differs from one aggregator's:\nwant %s\ngot  %s", want, got)
			}
			// latency.hgrm (reports/render) is drawn from this histogram alone.
			if !reflect.DeepEqual(one.LatencyHistogram().Export(), merged.LatencyHistogram().Export()) {
				t.Error("the latency histogram (latency.hgrm) of the merged states differs")
			}
			if one.Snapshot() != merged.Snapshot() {
				t.Errorf("live figures %+v, merged %+v", one.Snapshot(), merged.Snapshot())
			}
		})
	}
}

// TestStateRefusesForeign: a state of another version, or with a
// histogram outside the aggregator's range, is refused before anything of
// it is merged.
func TestStateRefusesForeign(t *testing.T) {
	a := NewAggregator()
	reportstest.DefaultSpec(100).Each(a.Add)
	s := a.State(false)
	s.Version = 99
	if err := NewAggregator().Merge(s); err == nil {
		t.Error("a state of version 99 was merged")
	}
	s = a.State(false)
	s.Lat.Hist.V[0] = -5
	b := NewAggregator()
	if err := b.Merge(s); err == nil || b.Snapshot().Requests != 0 {
		t.Errorf("a bad histogram: %v, %d requests merged", err, b.Snapshot().Requests)
	}
	if err := NewAggregator(WithLatencyFromPlanned(true)).Merge(a.State(false)); err == nil {
		t.Error("a state counted from the send time was merged into one counted from the planned time")
	}
}

// TestWindow: a window between two states of one aggregator counts the
// results added in between, and its percentile is theirs.
func TestWindow(t *testing.T) {
	a := NewAggregator()
	add := func(n int, lat time.Duration, errText string) {
		for i := range n {
			r := vegeta.Result{Method: "POST", URL: "https://127.0.0.1/agentgateway/resource/onlineagent/1001/logininfo", Code: 200,
				Timestamp: time.Unix(1000, int64(i)), Latency: lat, Error: errText}
			a.Add(&r)
		}
	}
	add(100, time.Millisecond, "")
	then := a.State(false)
	add(50, 100*time.Millisecond, "retcode 100-006")
	add(50, 2*time.Millisecond, "")
	var w Window
	w.Add(a.State(false), then)
	if w.Requests != 100 || w.Errors != 50 || w.ErrorRate() != 0.5 {
		t.Errorf("window: %d requests, %d errors, rate %v; want 100, 50, 0.5", w.Requests, w.Errors, w.ErrorRate())
	}
	if p := w.Percentile(99); p < 99*time.Millisecond || p > 101*time.Millisecond {
		t.Errorf("window p99 %s, want about 100ms (the slow half)", p)
	}
	var all Window
	all.Add(a.State(false), nil)
	if all.Requests != 200 || all.Percentile(50) > 3*time.Millisecond {
		t.Errorf("window from the start: %d requests, p50 %s", all.Requests, all.Percentile(50))
	}
}

func jsonOf(t *testing.T, r *Report) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
