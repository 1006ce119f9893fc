package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// goldenSpec is the fixed, deterministic run behind the golden files.
func goldenSpec() reportstest.Spec { return reportstest.DefaultSpec(2000) }

func goldenMeta() results.Meta {
	return results.Meta{
		Target: "mock", Plan: "smoke", Profile: "constant", RequestedRate: 100,
		PlannedDuration: 20 * time.Second, Agents: 20, AgentsFailed: 1, Connections: 8,
		TLSVerify: true, ReSignIns: 2, Started: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
		Warnings: []string{"agent 1021 could not sign in: retcode 100-004"},
	}
}

func ptr[T any](v T) *T { return &v }

func goldenSLO() slo.Objectives {
	return slo.Objectives{
		Latency:   map[string]time.Duration{"p99": 500 * time.Millisecond, "p99.9": time.Second, "mean": 50 * time.Millisecond},
		ErrorRate: ptr(0.05), MinRateRatio: ptr(0.95),
	}
}

// writeResults writes rs to a gob results file in dir and returns its path.
func writeResults(t testing.TB, dir, name string, rs []vegeta.Result) string {
	t.Helper()
	var buf bytes.Buffer
	if err := reportstest.WriteGob(&buf, rs); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// reportJSON encodes a report as render.RunJSON writes report.json (the
// bytes of report.json itself are render's golden tests').
func reportJSON(t testing.TB, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// aggregate adds results to a new Aggregator.
func aggregate(rs []vegeta.Result, opts ...Option) *Aggregator {
	a := NewAggregator(opts...)
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
