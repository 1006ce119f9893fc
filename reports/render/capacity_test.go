package render

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ccgw-harness/reports"
	"ccgw-harness/slo"
)

// sampleCapacity is a finished search against a gateway of capacity 600:
// a pass, a gateway failure, an invalid step and the confirmation.
func sampleCapacity() *reports.Capacity {
	step := func(n int, phase string, rate, p99 float64, pass, valid bool, gates []string, by, reason string) reports.CapacityStep {
		return reports.CapacityStep{Step: n, Phase: phase, Rate: rate, Dir: filepath.Join("steps", itoa(n)), Achieved: rate, Throughput: rate,
			Requests: uint64(rate * 10), Success: uint64(rate * 10), LatencyMS: reports.Latencies{P50: p99 / 2, P99: p99},
			ResponseLatencyMS: reports.Latencies{P50: p99 / 2, P99: p99}, Pass: pass, Valid: valid, FailingGates: gates, LimitedBy: by, Reason: reason,
			Drained: true}
	}
	c := &reports.Capacity{Target: "mock", Plan: "capacity", LimitedBy: "slo:p99", Confirmed: true,
		MaxSustainableRate: ptr(600.0), Bound: ptr(625.0),
		Settings: reports.CapacitySettings{Start: 100, Max: 3000, StepS: 10, Precision: 0.05, Growth: 2, MaxSteps: 13, EstimateS: 135},
		SLO:      &slo.Objectives{Latency: map[string]time.Duration{"p99": 100 * time.Millisecond}, ErrorRate: ptr(0.01)}, LatencyFromPlanned: true,
		Agents: 100, Connections: 128, Workers: 256, TLSVerify: true, DurationS: 95,
		Steps: []reports.CapacityStep{
			step(1, "grow", 400, 2, true, true, nil, "", ""),
			step(2, "grow", 800, 420, false, true, []string{"p99"}, "slo:p99", "p99 412 ms > 100 ms on the response time alone: the gateway's"),
			step(3, "bisect", 700, 90, false, false, []string{"p99"}, "generator", "sent 91% of the planned requests"),
			step(4, "bisect", 625, 150, false, true, []string{"p99"}, "slo:p99", ""),
			step(5, "confirm", 600, 3, true, true, nil, "", ""),
		},
	}
	c.Describe()
	return c
}

// TestCapacityOutputs: capacity.json has the keys pipelines read, the
// summary and the page lead with the answer, the page carries the curve
// with the SLO line and the answer marked, and junit.xml has a case per
// step, the answer and the requirement.
func TestCapacityOutputs(t *testing.T) {
	c := sampleCapacity()
	c.SetRequire(500)
	dir := t.TempDir()
	if err := WriteCapacity(dir, c); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, reports.CapacityFile))
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"max_sustainable_rate", "limited_by", "steps", "require_met", "latency_from_planned", "bound"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("capacity.json lacks %s", k)
		}
	}
	steps := raw["steps"].([]any)
	for _, k := range []string{"rate", "achieved", "latency_ms", "error_rate", "pass", "valid", "failing_gates", "response_latency_ms", "dir", "generator"} {
		if _, ok := steps[0].(map[string]any)[k]; !ok {
			t.Errorf("capacity.json steps[0] lacks %s", k)
		}
	}
	back, err := reports.ReadCapacity(filepath.Join(dir, reports.CapacityFile))
	if err != nil || *back.MaxSustainableRate != 600 || len(back.Steps) != 5 || *back.RequireMet != true {
		t.Fatalf("ReadCapacity: %+v, %v", back, err)
	}
	if want := "600 req/s: the highest rate at which every SLO gate held; at 625 req/s the p99 gate failed"; c.Answer != want {
		t.Errorf("answer %q, want %q", c.Answer, want)
	}

	sum := readFile(t, filepath.Join(dir, reports.SummaryFile))
	for _, want := range []string{"Answer: 600 req/s", "limited_by slo:p99", "Require: at least 500 req/s: met", "INVALID (generator)", "FAIL p99",
		"planned send time", "CAPACITY: 600 req/s"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary.txt lacks %q:\n%s", want, sum)
		}
	}
	page := readFile(t, filepath.Join(dir, reports.HTMLFile))
	for _, want := range []string{`id="chart-capacity-latency"`, `id="chart-capacity-errors"`, `id="chart-capacity-throughput"`,
		"p99 SLO", "answer 600/s", "error_rate SLO", "p99, invalid steps", "<circle"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "http://") && !strings.Contains(page, "http://www.w3.org/2000/svg") {
		t.Error("report.html must be self-contained")
	}
	var ju struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suite    []struct {
			Skipped int `xml:"skipped,attr"`
			Cases   []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(readFile(t, filepath.Join(dir, reports.JUnitFile))), &ju); err != nil {
		t.Fatal(err)
	}
	if ju.Tests != 7 || ju.Failures != 0 || ju.Suite[0].Skipped != 1 {
		t.Errorf("junit: %d tests, %d failures, %d skipped; want 7 (5 steps, the answer, the requirement), 0, 1 (the invalid step)", ju.Tests, ju.Failures, ju.Suite[0].Skipped)
	}
	if n := ju.Suite[0].Cases; n[2].Skipped == nil || !strings.Contains(n[1].Name, "FAIL p99") || n[6].Name != "require 500/s" {
		t.Errorf("junit cases %+v", n)
	}
}

// TestCapacityVerdicts: the answer's words and the requirement for each
// way a search ends.
func TestCapacityVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mod     func(*reports.Capacity)
		require float64
		answer  string
		met     *bool
		fails   int
	}{
		{"below requirement", func(*reports.Capacity) {}, 700, "600 req/s: the highest rate", ptr(false), 1},
		{"generator", func(c *reports.Capacity) { c.LimitedBy, c.Bound = reports.CapacityLimitedByGenerator, ptr(700.0) }, 1000,
			"at least 600 req/s; the generator, not the gateway, stopped here (at 700 req/s it could not keep the schedule)", nil, 0},
		{"generator above requirement", func(c *reports.Capacity) { c.LimitedBy = reports.CapacityLimitedByGenerator }, 500, "at least 600 req/s; the generator", ptr(true), 0},
		{"max", func(c *reports.Capacity) { c.LimitedBy, c.Bound = reports.CapacityLimitedByMax, nil }, 0, "at least 600 req/s: every SLO gate held at the plan's max", nil, 0},
		{"none", func(c *reports.Capacity) { c.MaxSustainableRate, c.Bound = nil, ptr(100.0) }, 50, "none: even the start rate 100 req/s failed the p99 gate", ptr(false), 2},
		{"none, generator", func(c *reports.Capacity) {
			c.MaxSustainableRate, c.Bound, c.LimitedBy = nil, ptr(100.0), reports.CapacityLimitedByGenerator
		}, 0,
			"none measured: the generator could not keep the schedule even at the start rate 100 req/s", nil, 0},
		{"interrupted", func(c *reports.Capacity) {
			c.Interrupted, c.LimitedBy, c.Confirmed = true, reports.CapacityLimitedByInterrupted, false
		}, 1000,
			"at least 600 req/s so far: the search was interrupted", nil, 0},
		{"unconfirmed", func(c *reports.Capacity) { c.Confirmed = false }, 0, "(not confirmed)", nil, 0},
	} {
		c := sampleCapacity()
		tc.mod(c)
		c.Describe()
		if tc.require > 0 {
			c.SetRequire(tc.require)
		}
		if !strings.Contains(c.Answer, tc.answer) {
			t.Errorf("%s: answer %q, want %q", tc.name, c.Answer, tc.answer)
		}
		if (tc.met == nil) != (c.RequireMet == nil) || (tc.met != nil && *tc.met != *c.RequireMet) {
			t.Errorf("%s: require_met %v, want %v", tc.name, c.RequireMet, tc.met)
		}
		var b strings.Builder
		if err := CapacityJUnit(&b, c); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(b.String(), "<failure "); got != tc.fails {
			t.Errorf("%s: %d junit failures, want %d:\n%s", tc.name, got, tc.fails, b.String())
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
