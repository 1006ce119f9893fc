package load_test

import (
	"context"
	"testing"
	"time"

	"ccgw-harness/load"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/mockgw"
	"ccgw-harness/mockgw/faultset"
)

// BenchmarkConstantRate runs a 200/s plan for 3 s against the mock, whose
// answers take 20 ms, and reports how close the achieved rate came to the
// plan (rate-ratio: achieved/requested, 1 is perfect) and what the client
// and loopback added to the injected 20 ms at the median
// (p50-overhead-ms). Both depend on the machine and on what else runs on
// it, which is why they are a benchmark's figures rather than a test's
// assertions; on an idle 2-core machine expect a ratio above 0.98 and an
// overhead under 6 ms (the load tests check the schedule and counts
// instead, which hold on any machine).
func BenchmarkConstantRate(b *testing.B) {
	const rate, latency = 200.0, 20 * time.Millisecond
	var ratio, overhead float64
	runs := 0
	for b.Loop() {
		le := loadtest.New(b, loadtest.Spec{Agents: 20, Rate: rate, Duration: 3 * time.Second, Password: testPassword},
			mockgw.WithFaults(faultset.Faults{LatencyFixed: latency}))
		le.Plan.Warmup = 200 * time.Millisecond
		o, err := load.Run(context.Background(), le.Client, le.Target, le.Plan, le.Out)
		if err != nil {
			b.Fatalf("load.Run: %v", err)
		}
		if o.Report.Requests != uint64(rate*3) {
			b.Fatalf("%d requests, want %v", o.Report.Requests, rate*3)
		}
		ratio += o.Report.Rate.Achieved / rate
		overhead += o.Report.LatencyMS.P50 - float64(latency)/1e6
		runs++
	}
	b.ReportMetric(ratio/float64(runs), "rate-ratio")
	b.ReportMetric(overhead/float64(runs), "p50-overhead-ms")
}
