package results

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/reports/reportstest"
	"ccgw-harness/slo"
)

// goldenSpec is the fixed, deterministic run of the reports' golden files.
func goldenSpec() reportstest.Spec { return reportstest.DefaultSpec(2000) }

func goldenMeta() Meta {
	return Meta{
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

// recorder is a Sink that calls fn with every result and counts the
// MarkPartial calls.
type recorder struct {
	fn      func(*vegeta.Result)
	partial int
}

func (r *recorder) Add(x *vegeta.Result) {
	if r.fn != nil {
		r.fn(x)
	}
}

func (r *recorder) MarkPartial() { r.partial++ }

// discard is a Sink that keeps nothing.
func discard() *recorder { return &recorder{} }
