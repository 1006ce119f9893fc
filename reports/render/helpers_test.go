package render

import (
	"bytes"
	"flag"
	"strconv"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/reports"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func ptr[T any](v T) *T { return &v }

// reportJSON renders a report as report.json bytes.
func reportJSON(t testing.TB, r *reports.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RunJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// aggregate adds results to a new Aggregator.
func aggregate(rs []vegeta.Result, opts ...reports.Option) *reports.Aggregator {
	a := reports.NewAggregator(opts...)
	for i := range rs {
		a.Add(&rs[i])
	}
	return a
}

// firstDiff describes where two byte slices first differ.
func firstDiff(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y []byte
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if !bytes.Equal(x, y) {
			return "line " + strconv.Itoa(i+1) + ":\n  got:  " + string(x) + "\n  want: " + string(y)
		}
	}
	return "equal"
}

func itoa(i int) string { return strconv.Itoa(i) }

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func res(code uint16, verdict string, lat time.Duration, at time.Duration) vegeta.Result {
	return vegeta.Result{Code: code, Error: verdict, Latency: lat, Timestamp: t0.Add(at),
		URL: "https://127.0.0.1:8043/agentgateway/resource/onlineagent/1001/logininfo", Method: "POST"}
}

// baseReport is a hand-made report for the Compare table tests.
func baseReport() *reports.Report {
	return &reports.Report{
		Target: "staging", Plan: "golive", Profile: "stages", Requests: 10000, Success: 9900,
		Rate: reports.Rates{Requested: 100, Achieved: 99.9}, Throughput: 99, ErrorRate: 0.01,
		LatencyMS:   reports.Latencies{Min: 0.3, Mean: 2.5, P50: 2, P90: 4, P95: 5, P99: 10, P999: 20, Max: 50},
		StatusCodes: map[string]uint64{"200": 9950, "503": 50},
		Retcodes:    map[string]uint64{"0": 9950, "100-006": 50},
		Errors:      map[string]uint64{"retcode 100-006": 50, "http 503": 50},
		Classes:     map[string]uint64{"ok": 9900, "retcode": 50, "http": 50},
		Nodes:       []reports.NodeStats{{Node: "1", P99MS: 9}, {Node: "2", P99MS: 11}},
		Agents:      1000, Connections: 64, PlannedDurationS: 100,
	}
}

func modified(mods ...func(*reports.Report)) *reports.Report {
	r := baseReport()
	for _, m := range mods {
		m(r)
	}
	return r
}

func gateByName(c *reports.Comparison, name string) *reports.CompareGate {
	for i := range c.Gates {
		if c.Gates[i].Name == name {
			return &c.Gates[i]
		}
	}
	return nil
}

func metricByName(c *reports.Comparison, group, name string) *reports.Metric {
	for i := range c.Metrics {
		if c.Metrics[i].Group == group && c.Metrics[i].Name == name {
			return &c.Metrics[i]
		}
	}
	return nil
}
