package capacity_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ccgw-harness/capacity"
	"ccgw-harness/config"
	"ccgw-harness/connect"
	"ccgw-harness/reports"
)

// BenchmarkCapacitySearch600 is issue #11's acceptance figure: the repo's
// capacity plan (from 100/s doubling to 3000/s, 10 s steps, 5 %, p99
// 100 ms) against its mock-capacity target (the embedded mock with
// capacity 600), as `make capacity` runs it. The answer must lie within
// 5 % of 600, in under 5 minutes. It reports the answer and the search's
// wall time (sign-in to sign-out). On a machine too loaded to drive the
// steps the answer says limited_by generator: reported, not failed, as the
// figure was not measured then.
func BenchmarkCapacitySearch600(b *testing.B) {
	f, err := config.Load("../targets.yaml")
	if err != nil {
		b.Fatal(err)
	}
	t, err := f.Target("mock-capacity")
	if err != nil {
		b.Fatal(err)
	}
	p, err := f.Plan("capacity")
	if err != nil {
		b.Fatal(err)
	}
	// The outputs stay for a person to read (out/ is git-ignored).
	out := filepath.Join("..", "out", "bench", "capacity")
	if err := os.RemoveAll(out); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		j, err := capacity.New(t, p, out, capacity.WithSLO(f.SLOFor(p)))
		if err != nil {
			b.Fatal(err)
		}
		rt, err := connect.Open(context.Background(), t)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		o, err := j.Run(context.Background(), rt.Client, rt.Config)
		took := time.Since(start)
		rt.Close()
		if err != nil {
			b.Fatal(err)
		}
		c := o.Capacity
		// The answer first: go test keeps only the first lines of a
		// benchmark's log.
		b.Logf("answer: %s (limited_by %s) in %s, %d steps; the search's outputs are in %s", c.Answer, c.LimitedBy, took.Round(time.Second), len(c.Steps), out)
		for _, st := range c.Steps {
			b.Logf("step %d %s %v/s: %s, p99 %.1f ms, response p99 %.1f ms, max lag %.1f ms", st.Step, st.Phase, st.Rate,
				map[bool]string{true: "pass", false: map[bool]string{true: "FAIL", false: "INVALID"}[st.Valid]}[st.Pass],
				st.LatencyMS.P99, st.ResponseLatencyMS.P99, st.Generator.MaxLagMS)
		}
		b.ReportMetric(took.Seconds(), "s/search")
		b.ReportMetric(float64(len(c.Steps)), "steps")
		switch {
		case c.LimitedBy == reports.CapacityLimitedByGenerator:
			b.Logf("NOT MEASURED: the generator could not drive the steps on this machine now (see the invalid steps)")
			continue
		case !c.Found():
			b.Errorf("no answer: %s", c.Answer)
			continue
		}
		b.ReportMetric(*c.MaxSustainableRate, "req/s-answer")
		if math.Abs(*c.MaxSustainableRate-600) > 0.05*600 {
			b.Errorf("answer %s: want within 5%% of 600", c.Answer)
		}
		if took > 5*time.Minute {
			b.Errorf("the search took %s, want under 5 minutes", took)
		}
	}
}
