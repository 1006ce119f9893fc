// Package goldentest is the fixed run behind the reports' golden files,
// shared by the tests of reports (the judgement) and reports/render (the
// forms): the same results, metadata and objectives, written once. It is
// test support: only tests import it. (results' own tests cannot: this
// package imports results.)
package goldentest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// Spec is the rate run behind testdata/golden.
func Spec() reportstest.Spec { return reportstest.DefaultSpec(2000) }

// Meta is the rate run's meta.json.
func Meta() results.Meta {
	return results.Meta{
		Target: "mock", Plan: "smoke", Profile: "constant", RequestedRate: 100,
		PlannedDuration: 20 * time.Second, Agents: 20, AgentsFailed: 1, Connections: 8,
		TLSVerify: true, ReSignIns: 2, Started: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
		Warnings: []string{"agent 1021 could not sign in: retcode 100-004"},
	}
}

// SLO is the rate run's objectives.
func SLO() slo.Objectives {
	return slo.Objectives{
		Latency:   map[string]time.Duration{"p99": 500 * time.Millisecond, "p99.9": time.Second, "mean": 50 * time.Millisecond},
		ErrorRate: ptr(0.05), MinRateRatio: ptr(0.95),
	}
}

// JourneySpec is the journey run behind testdata/golden/journey.
func JourneySpec() reportstest.JourneySpec { return reportstest.DefaultJourneySpec(200) }

// JourneyMeta is the journey run's meta.json.
func JourneyMeta() results.Meta {
	s := JourneySpec()
	return results.Meta{
		Target: "mock", Plan: "shiftstart", Profile: "constant", PlannedDuration: 20 * time.Second,
		Agents: 100, TLSVerify: true, Started: s.Start,
		Journeys: s.Journeys, JourneyRate: s.Rate, JourneyHold: s.Hold, JourneyRepeat: s.Repeat,
	}
}

// JourneySLO is the journey run's objectives.
func JourneySLO() slo.Objectives {
	return slo.Objectives{
		Latency:   map[string]time.Duration{"p99": 500 * time.Millisecond},
		ErrorRate: ptr(0.05),
		Ready:     map[string]time.Duration{"p99": 100 * time.Millisecond, "p50": 50 * time.Millisecond},
		Calls: map[string]slo.CallObjectives{
			gateway.CallSignIn:     {Latency: map[string]time.Duration{"p99": 2 * time.Second}, ErrorRate: ptr(0.01)},
			gateway.CallPoll:       {ErrorRate: ptr(0.05)},
			gateway.CallUpdateGuid: {Latency: map[string]time.Duration{"p99": time.Second}},
		},
	}
}

// WriteResults writes rs to a gob results file dir/name and returns its
// path.
func WriteResults(t testing.TB, dir, name string, rs []vegeta.Result) string {
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

func ptr[T any](v T) *T { return &v }
