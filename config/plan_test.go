package config

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// TestPlanDefaults: what a plan gets when it only says agents, rate and
// duration.
func TestPlanDefaults(t *testing.T) {
	f := mustParse(t, "targets.yaml", withBase("plans:", "  smoke: {agents: 50, rate: 20, duration: 15s}"))
	p, err := f.Plan("smoke")
	if err != nil {
		t.Fatal(err)
	}
	want := &Plan{Name: "smoke", Line: 4, Agents: 50, Rate: 20, Duration: 15 * time.Second,
		Connections: 32, Order: OrderRoundRobin, Timeout: 10 * time.Second, SignInConcurrency: 32}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("smoke\n got %+v\nwant %+v", p, want)
	}
	if p.Total() != 15*time.Second || p.Profile() != ProfileConstant || p.PeakRate() != 20 || p.SignInFailureBudget() != 0 {
		t.Errorf("Total %v Profile %s PeakRate %v budget %d", p.Total(), p.Profile(), p.PeakRate(), p.SignInFailureBudget())
	}
}

// TestPlanOverrides: every plan key lands in its field (testdata/full.yaml).
func TestPlanOverrides(t *testing.T) {
	f := mustLoad(t, "testdata/full.yaml")
	p, err := f.Plan("tuned")
	if err != nil {
		t.Fatal(err)
	}
	if p.Agents != 20 || p.Rate != 12.5 || p.Duration != 90*time.Second || p.Connections != 8 || !p.HTTP2 ||
		p.Order != OrderShuffle || p.Warmup != 5*time.Second || p.Timeout != 2*time.Second ||
		p.MaxSignInFailures != 0.05 || p.SignInConcurrency != 4 || p.SLO == nil {
		t.Errorf("tuned %+v", p)
	}
	if p.Total() != 90*time.Second {
		t.Errorf("Total %v: warmup must be excluded", p.Total())
	}
	if p.SignInFailureBudget() != 1 { // 5% of 20
		t.Errorf("budget %d, want 1", p.SignInFailureBudget())
	}
	w, _ := f.Plan("waves")
	if w.SignInFailureBudget() != 2 || w.Profile() != ProfileSine || w.PeakRate() != 50 {
		t.Errorf("waves: budget %d profile %s peak %v", w.SignInFailureBudget(), w.Profile(), w.PeakRate())
	}
}

// TestPlanUnknown lists the known plans.
func TestPlanUnknown(t *testing.T) {
	f := mustParse(t, "t.yaml", withBase("plans:", "  z: {agents: 1, rate: 1, duration: 1s}", "  a: {agents: 1, rate: 1, duration: 1s}"))
	if _, err := f.Plan("nope"); err == nil || err.Error() != `t.yaml: unknown plan "nope" (known: a, z)` {
		t.Errorf("err = %v", err)
	}
	f = mustParse(t, "t.yaml", withBase())
	if _, err := f.Plan("smoke"); err == nil || err.Error() != `t.yaml: unknown plan "smoke" (known: none defined)` {
		t.Errorf("no plans: err = %v", err)
	}
}

// TestPlanIsACopy: a caller may override a plan's rate (ccgw load --rate)
// without changing the File.
func TestPlanIsACopy(t *testing.T) {
	f := mustParse(t, "t.yaml", withBase("plans:", "  s:", "    agents: 1", "    stages: [{rate: 5, duration: 1s}]", "    slo: {p99: 1s}"))
	a, _ := f.Plan("s")
	a.Stages[0].Rate = 99
	a.SLO.Latency["p99"] = time.Hour
	b, _ := f.Plan("s")
	if b.Stages[0].Rate != 5 || b.SLO.Latency["p99"] != time.Second {
		t.Errorf("editing one Plan copy changed the File: %+v", b)
	}
}

// TestStagesRamp: over the first `ramp` of a stage the rate moves linearly
// from the previous stage's rate (0 for the first), then holds.
func TestStagesRamp(t *testing.T) {
	f := mustParse(t, "t.yaml", withBase("plans:", "  golive:", "    agents: 1000",
		"    stages: [{rate: 100, duration: 1m, ramp: 30s}, {rate: 500, duration: 5m, ramp: 1m}, {rate: 200, duration: 1m}]"))
	p, _ := f.Plan("golive")
	if p.Total() != 7*time.Minute || p.Profile() != ProfileStages || p.PeakRate() != 500 {
		t.Fatalf("Total %v Profile %s Peak %v", p.Total(), p.Profile(), p.PeakRate())
	}
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{
		{-time.Second, 0},
		{0, 0}, {15 * time.Second, 50}, {30 * time.Second, 100}, {59 * time.Second, 100}, // 0 -> 100 over 30 s
		{time.Minute, 100}, {90 * time.Second, 300}, {2 * time.Minute, 500}, {5 * time.Minute, 500}, // 100 -> 500 over 1 min
		{6 * time.Minute, 200}, {6*time.Minute + 59*time.Second, 200}, // a step down: no ramp
		{7 * time.Minute, 0}, // after the plan
	} {
		if got := p.RateAt(c.at); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("RateAt(%v) = %v, want %v", c.at, got, c.want)
		}
	}
}

// TestSineAndClosed: a sine starts at its mean rising; a closed plan has no
// rate.
func TestSineAndClosed(t *testing.T) {
	f := mustParse(t, "t.yaml", withBase("plans:",
		"  s: {agents: 1, sine: {mean: 100, amplitude: 50, period: 20s}, duration: 1m}",
		"  c: {agents: 1, concurrency: 8, duration: 30s}"))
	s, _ := f.Plan("s")
	for at, want := range map[time.Duration]float64{0: 100, 5 * time.Second: 150, 10 * time.Second: 100, 15 * time.Second: 50, time.Minute: 0} {
		if got := s.RateAt(at); math.Abs(got-want) > 1e-9 {
			t.Errorf("sine RateAt(%v) = %v, want %v", at, got, want)
		}
	}
	c, _ := f.Plan("c")
	if c.Profile() != ProfileClosed || c.Concurrency != 8 || c.Total() != 30*time.Second || c.RateAt(time.Second) != 0 || c.PeakRate() != 0 {
		t.Errorf("closed %+v", c)
	}
}

// TestMaxSignInFailures: a count or a ratio, written either way.
func TestMaxSignInFailures(t *testing.T) {
	for in, want := range map[string]int{`3`: 3, `"3"`: 3, `"5%"`: 5, `0.05`: 5, `0`: 0, `"0%"`: 0, `"12.5%"`: 12} {
		f := mustParse(t, "t.yaml", withBase("plans:", "  p: {agents: 100, rate: 1, duration: 1s, max_signin_failures: "+in+"}"))
		if got := f.Plans["p"].SignInFailureBudget(); got != want {
			t.Errorf("max_signin_failures %s: budget %d of 100, want %d", in, got, want)
		}
	}
	for _, in := range []string{`-1`, `1.5`, `"x%"`, `"-1%"`, `true`, `[1]`} {
		if _, err := Parse("t.yaml", withBase("plans:", "  p: {agents: 100, rate: 1, duration: 1s, max_signin_failures: "+in+"}")); err == nil {
			t.Errorf("max_signin_failures %s accepted", in)
		}
	}
}

// TestOverride: --rate and --duration on a copy of a plan.
func TestOverride(t *testing.T) {
	p := &Plan{Name: "p", Stages: []Stage{{Rate: 10, Duration: 2 * time.Second}, {Rate: 20, Duration: 3 * time.Second, Ramp: time.Second}}}
	q := *p
	if err := q.Override(0, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if q.Total() != 3*time.Second || len(q.Stages) != 2 || q.Stages[1].Duration != time.Second {
		t.Errorf("stages cut at 3s: %+v", q.Stages)
	}
	q = *p
	if err := q.Override(0, 7*time.Second); err != nil || q.Total() != 7*time.Second || q.Stages[1].Duration != 5*time.Second {
		t.Errorf("stages lengthened to 7s: %+v %v", q.Stages, err)
	}
	q = *p
	if err := q.Override(50, 0); err != nil || q.Profile() != ProfileConstant || q.Rate != 50 || q.Duration != 5*time.Second {
		t.Errorf("rate override: %+v %v", q, err)
	}
	if err := q.Override(-1, 0); err == nil {
		t.Error("negative rate accepted")
	}
}
