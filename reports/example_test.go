package reports_test

import (
	"fmt"
	"net/http"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/reports"
	"ccgw-harness/results"
	"ccgw-harness/slo"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The aggregator takes judged vegeta results (Error is a gateway.Verdict
// string, "" for success) as a run records them or as results.ReadFiles
// reads them back, and reports on them. Here ten logininfo results are
// built in code: nine answered in 10 ms, one refused with retcode 100-006.
func ExampleAggregator() {
	agg := reports.NewAggregator()
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 10 {
		r := &vegeta.Result{
			Attack:    "mock/smoke",
			Seq:       uint64(i),
			Code:      http.StatusOK,
			Timestamp: start.Add(time.Duration(i) * 100 * time.Millisecond),
			Latency:   10 * time.Millisecond,
			Method:    http.MethodPost,
			URL:       "https://gw.example:8043" + gateway.LoginInfoPath(1001+i),
		}
		if i == 9 {
			r.Error = "retcode " + gateway.RetNotSignedIn
			r.Latency = 2 * time.Millisecond
		}
		agg.Add(r) // Add keeps no reference to r
	}

	rep := agg.Report(results.Meta{Target: "mock", Plan: "smoke"}, slo.Objectives{})
	fmt.Println("requests:", rep.Requests)
	fmt.Println("success:", rep.Success)
	fmt.Printf("error rate: %.2f\n", rep.ErrorRate)
	fmt.Println("errors:", rep.Errors)
	fmt.Printf("p50: %.1f ms\n", rep.LatencyMS.P50)

	// Output:
	// requests: 10
	// success: 9
	// error rate: 0.10
	// errors: map[retcode 100-006:1]
	// p50: 10.0 ms
}
