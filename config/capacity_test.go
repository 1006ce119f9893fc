package config

import (
	"reflect"
	"testing"
	"time"
)

// TestCapacityPlan: a capacity plan's keys land in Plan.Capacity with the
// defaults filled in; it has no rate shape; a copy does not share it.
func TestCapacityPlan(t *testing.T) {
	f := mustParse(t, "targets.yaml", withBase("plans:",
		"  cap:",
		"    agents: 100",
		"    capacity: {start: 100, max: 3000, step: 30s}",
		"    warmup: 5s",
		"    connections: 128",
		"    slo: {p99: 100ms}",
		"  tight: {agents: 1, capacity: {start: 10, max: 10, step: 1s, precision: \"2%\", growth: 1.5}}"))
	p, err := f.Plan("cap")
	if err != nil {
		t.Fatal(err)
	}
	want := &Capacity{Start: 100, Max: 3000, Step: 30 * time.Second, Precision: DefaultCapacityPrecision, Growth: DefaultCapacityGrowth}
	if !reflect.DeepEqual(p.Capacity, want) {
		t.Errorf("capacity %+v, want %+v", p.Capacity, want)
	}
	if p.Profile() != ProfileCapacity || p.Rate != 0 || p.Duration != 0 || len(p.Stages) != 0 || p.Sine != nil || p.Concurrency != 0 {
		t.Errorf("a capacity plan has no rate shape: %+v", p)
	}
	if p.Warmup != 5*time.Second || p.Connections != 128 || f.SLOFor(p).Latency["p99"] != 100*time.Millisecond {
		t.Errorf("a capacity plan keeps the usual keys: %+v", p)
	}
	p.Capacity.Start = 1
	if q, _ := f.Plan("cap"); q.Capacity.Start != 100 {
		t.Error("Plan returned a capacity block shared with the File")
	}
	tight, _ := f.Plan("tight")
	if c := tight.Capacity; c.Precision != 0.02 || c.Growth != 1.5 || c.Start != 10 || c.Max != 10 || c.Step != time.Second {
		t.Errorf("tight %+v", c)
	}
}

// TestCapacityErrors: each mistake in a capacity plan or a mock's capacity
// is one message naming the file, line and field.
func TestCapacityErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml []byte
		want string
	}{
		{"capacity with rate", withBase("plans:", "  p:", "    agents: 1", "    rate: 5", "    capacity: {start: 1, max: 2, step: 1s}"),
			`targets.yaml:6: plans.p: rate and capacity are exclusive: a capacity plan's rates come from the search (capacity: {start, max, step, precision})`},
		{"capacity with duration", withBase("plans:", "  p:", "    agents: 1", "    capacity: {start: 1, max: 2, step: 1s}", "    duration: 1m"),
			`targets.yaml:7: plans.p.duration: a capacity plan has no duration: each step runs capacity.step`},
		{"capacity without step", withBase("plans:", "  p: {agents: 1, capacity: {start: 1, max: 2}}"),
			`targets.yaml:4: plans.p.capacity: missing key "step" (want {start, max, step, precision}, e.g. {start: 100, max: 3000, step: 30s, precision: "5%"})`},
		{"capacity unknown key", withBase("plans:", "  p: {agents: 1, capacity: {start: 1, max: 2, step: 1s, steps: 3}}"),
			`targets.yaml:4: plans.p.capacity: unknown key "steps" (allowed: start, max, step, precision, growth)`},
		{"capacity max below start", withBase("plans:", "  p:", "    agents: 1", "    capacity:", "      start: 500", "      max: 100", "      step: 1s"),
			`targets.yaml:8: plans.p.capacity.max: max 100 is below start 500: the search runs from start up to max`},
		{"capacity start zero", withBase("plans:", "  p:", "    agents: 1", "    capacity:", "      start: 0", "      max: 100", "      step: 1s"),
			`targets.yaml:7: plans.p.capacity.start: rate "0" is out of range: want requests/s above 0 and at most 1e+06`},
		{"capacity step without unit", withBase("plans:", "  p:", "    agents: 1", "    capacity:", "      start: 1", "      max: 100", "      step: 10"),
			`targets.yaml:9: plans.p.capacity.step: duration "10" has no unit: want e.g. 500ms, 15s or 5m`},
		{"capacity precision too fine", withBase("plans:", "  p:", "    agents: 1", "    capacity:", "      start: 1", "      max: 100", "      step: 1s", "      precision: 0.1%"),
			`targets.yaml:10: plans.p.capacity.precision: precision "0.1%" is out of range: want 1% to 50% (e.g. "5%")`},
		{"capacity precision not a ratio", withBase("plans:", "  p:", "    agents: 1", "    capacity:", "      start: 1", "      max: 100", "      step: 1s", "      precision: 5"),
			`targets.yaml:10: plans.p.capacity.precision: "5" is outside 0..1: want a fraction (0.01) or a percentage ("1%")`},
		{"capacity growth 1", withBase("plans:", "  p:", "    agents: 1", "    capacity:", "      start: 1", "      max: 100", "      step: 1s", "      growth: 1"),
			`targets.yaml:10: plans.p.capacity.growth: growth "1" is out of range: want a factor above 1 and at most 10 (e.g. 2: each step doubles the rate)`},
		{"capacity not a mapping", withBase("plans:", "  p: {agents: 1, capacity: 500}"),
			`targets.yaml:4: plans.p.capacity: want a mapping with keys start, max, step, precision, growth, got integer "500"`},
		{"mock capacity zero", doc("targets:", "  m:", "    mock: {capacity: 0}"),
			`targets.yaml:3: targets.m.mock.capacity: rate "0" is out of range: want requests/s above 0 and at most 1e+06`},
		{"mock capacity not a number", doc("targets:", "  m:", "    mock:", "      capacity: lots"),
			`targets.yaml:4: targets.m.mock.capacity: want a number, got string "lots"`},
	} {
		_, err := Parse("targets.yaml", tc.yaml)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if got := errLines(err); len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestMockCapacity: a mock's capacity key, absent by default.
func TestMockCapacity(t *testing.T) {
	f := mustParse(t, "targets.yaml", doc("targets:", "  a: {mock: {capacity: 600}}", "  b: {mock: {}}"))
	if c := f.Targets["a"].Mock.Capacity; c != 600 {
		t.Errorf("mock capacity %v, want 600", c)
	}
	if c := f.Targets["b"].Mock.Capacity; c != 0 {
		t.Errorf("default mock capacity %v, want 0 (no limit)", c)
	}
}
