package config

import (
	"reflect"
	"testing"
	"time"

	"ccgw-harness/slo"
)

func ptr[T any](v T) *T { return &v }

// TestSLOFor: the global slo, overridden key by key by the plan's slo; the
// File's own SLO is not changed by merging.
func TestSLOFor(t *testing.T) {
	f := mustLoad(t, "testdata/full.yaml")
	global := slo.Objectives{
		Latency:   map[string]time.Duration{"p50": 50 * time.Millisecond, "p99.9": 2 * time.Second, "mean": 40 * time.Millisecond, "max": 5 * time.Second},
		ErrorRate: ptr(0.01), MinRateRatio: ptr(0.9), MaxContractViolations: ptr(3), MaxLateRatio: ptr(0.05), Saturation: ptr(true),
	}
	if !reflect.DeepEqual(f.SLO, global) {
		t.Fatalf("global slo\n got %+v\nwant %+v", f.SLO, global)
	}
	tuned, _ := f.Plan("tuned") // slo: {p99: 200ms, p999: 1s, error_rate: "0.5%", saturation: false}
	want := slo.Objectives{
		Latency:   map[string]time.Duration{"p50": 50 * time.Millisecond, "p99": 200 * time.Millisecond, "p999": time.Second, "mean": 40 * time.Millisecond, "max": 5 * time.Second},
		ErrorRate: ptr(0.005), MinRateRatio: ptr(0.9), MaxContractViolations: ptr(3), MaxLateRatio: ptr(0.05), Saturation: ptr(false),
	}
	if got := f.SLOFor(tuned); !reflect.DeepEqual(got, want) {
		t.Errorf("SLOFor(tuned)\n got %+v\nwant %+v", got, want)
	}
	waves, _ := f.Plan("waves") // no slo of its own
	got := f.SLOFor(waves)
	if !reflect.DeepEqual(got, global) || !reflect.DeepEqual(f.SLOFor(nil), global) {
		t.Errorf("SLOFor(plan without slo) = %+v", got)
	}
	got.Latency["p50"] = time.Hour
	*got.ErrorRate = 1
	if f.SLO.Latency["p50"] != 50*time.Millisecond || *f.SLO.ErrorRate != 0.01 {
		t.Error("SLOFor's result shares state with the File")
	}
}

// TestSLOForEmptyGlobal: a plan's slo applies alone when there is no global
// one.
func TestSLOForEmptyGlobal(t *testing.T) {
	f := mustParse(t, "t.yaml", withBase("plans:", "  p: {agents: 1, rate: 1, duration: 1s, slo: {p95: 20ms, max_late_ratio: \"2%\"}}"))
	got := f.SLOFor(f.Plans["p"])
	want := slo.Objectives{Latency: map[string]time.Duration{"p95": 20 * time.Millisecond}, MaxLateRatio: ptr(0.02)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v want %+v", got, want)
	}
}
