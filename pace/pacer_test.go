package pace_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/pace"
)

// paceAll drives a pacer the way vegeta's attack loop does, with a clock that
// jumps to each due time, and returns the send offsets.
func paceAll(t *testing.T, p pace.Pacer, limit int) []time.Duration {
	t.Helper()
	var sent []time.Duration
	var now time.Duration
	for hits := uint64(0); ; hits++ {
		wait, stop := p.Pace(now, hits)
		if stop {
			return sent
		}
		now += wait
		sent = append(sent, now)
		if len(sent) > limit {
			t.Fatalf("pacer did not stop after %d hits", limit)
		}
	}
}

func TestConstantSchedule(t *testing.T) {
	s, err := pace.Constant(200, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sent := paceAll(t, s, 10000)
	if len(sent) != 1000 || s.Hits() != 1000 {
		t.Fatalf("sent %d hits (Hits %d), want 1000", len(sent), s.Hits())
	}
	for n, at := range sent {
		want := time.Duration(n) * 5 * time.Millisecond
		if p := s.Planned(uint64(n)); p < want-time.Microsecond || p > want+time.Microsecond {
			t.Fatalf("Planned(%d) = %s, want %s", n, p, want)
		}
		// With an exact clock the hit goes out up to TimerSlack early.
		if at > want+time.Microsecond || at < want-pace.TimerSlack-time.Microsecond {
			t.Fatalf("hit %d sent at %s, want within %s before %s", n, at, pace.TimerSlack, want)
		}
	}
	if r := s.Rate(time.Second); r != 200 {
		t.Errorf("Rate = %v", r)
	}
	// Running behind: no wait.
	if w, stop := s.Pace(time.Second, 10); w != 0 || stop {
		t.Errorf("Pace behind schedule = %s, %v", w, stop)
	}
}

func TestStagesWithRamp(t *testing.T) {
	// 0 -> 100/s over 2 s, hold 2 s; then step to 50/s for 2 s.
	s, err := pace.Stages(pace.Stage{Rate: 100, Duration: 4 * time.Second, Ramp: 2 * time.Second}, pace.Stage{Rate: 50, Duration: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Integral: 100 (ramp) + 200 + 100.
	if s.Hits() != 400 || s.Duration() != 6*time.Second {
		t.Fatalf("hits %d duration %s, want 400 over 6s", s.Hits(), s.Duration())
	}
	sent := paceAll(t, s, 1000)
	if len(sent) != 400 {
		t.Fatalf("sent %d", len(sent))
	}
	// During the ramp the n-th hit is at sqrt(2n/k) with k = 50/s².
	planned := func(n int) float64 {
		return s.Planned(uint64(n)).Seconds()
	}
	for _, n := range []int{1, 25, 50, 99} {
		want := math.Sqrt(2 * float64(n) / 50)
		if got := planned(n); math.Abs(got-want) > 1e-6 {
			t.Errorf("ramp hit %d planned at %.6fs, want %.6fs", n, got, want)
		}
		if d := want - sent[n].Seconds(); d < 0 || d > pace.TimerSlack.Seconds()+1e-9 {
			t.Errorf("ramp hit %d sent at %.6fs, planned %.6fs", n, sent[n].Seconds(), want)
		}
	}
	if got := planned(300); math.Abs(got-4) > 1e-6 {
		t.Errorf("hit 300 planned at %.6fs, want 4s (the second stage starts)", got)
	}
	for i := 1; i < len(sent); i++ {
		if sent[i] < sent[i-1] {
			t.Fatalf("hit %d planned before hit %d", i, i-1)
		}
	}
	if r := s.Rate(time.Second); math.Abs(r-50) > 1e-9 {
		t.Errorf("rate mid-ramp = %v, want 50", r)
	}
}

func TestSineSchedule(t *testing.T) {
	s, err := pace.Sine(100, 50, 4*time.Second, 8*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Whole periods: the integral is mean × duration.
	if h := s.Hits(); h < 799 || h > 801 {
		t.Errorf("hits %d, want 800", h)
	}
	if r := s.Rate(time.Second); math.Abs(r-150) > 0.5 {
		t.Errorf("rate at the peak = %v, want 150", r)
	}
	if r := s.Rate(3 * time.Second); math.Abs(r-50) > 0.5 {
		t.Errorf("rate at the trough = %v, want 50", r)
	}
	sent := paceAll(t, s, 2000)
	// More hits in the first half-period than in the second.
	var first, second int
	for _, at := range sent {
		switch {
		case at < 2*time.Second:
			first++
		case at < 4*time.Second:
			second++
		}
	}
	if first <= second {
		t.Errorf("hits in the rising half %d, falling half %d", first, second)
	}
}

func TestMaxRateCap(t *testing.T) {
	p := &config.Plan{Name: "p", Stages: []config.Stage{{Rate: 1000, Duration: 2 * time.Second, Ramp: 2 * time.Second}}}
	pacer, warnings, err := pace.ForPlan(p, 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "max_rate") {
		t.Errorf("warnings %q", warnings)
	}
	// Ramp 0 -> 500 over 1 s (250 hits), then 500/s for 1 s.
	if h := pacer.(*pace.Schedule).Hits(); h != 750 {
		t.Errorf("capped hits %d, want 750", h)
	}
	if r := pacer.Rate(1500 * time.Millisecond); r != 500 {
		t.Errorf("capped rate %v", r)
	}
	// Closed model: capped too.
	c, warnings, err := pace.ForPlan(&config.Plan{Name: "c", Concurrency: 4, Duration: time.Second}, 100)
	if err != nil || len(warnings) != 1 {
		t.Fatalf("closed: %v %q", err, warnings)
	}
	if got := len(paceAll(t, c, 1000)); got != 100 {
		t.Errorf("capped closed model sent %d in 1s, want 100", got)
	}
	// Below the cap: untouched.
	if _, warnings, _ := pace.ForPlan(&config.Plan{Name: "x", Rate: 10, Duration: time.Second}, 500); len(warnings) != 0 {
		t.Errorf("warnings %q", warnings)
	}
}

func TestClosedModel(t *testing.T) {
	c, err := pace.NewClosed(8, time.Second, 0)
	if err != nil {
		t.Fatal(err)
	}
	if w, stop := c.Pace(500*time.Millisecond, 1e6); w != 0 || stop {
		t.Errorf("closed pace mid-run = %s %v", w, stop)
	}
	if _, stop := c.Pace(time.Second, 5); !stop {
		t.Error("closed model did not stop at its duration")
	}
	if _, ok := any(c).(interface{ Planned(uint64) time.Duration }); ok {
		t.Error("closed model claims a schedule")
	}
}

func TestSchedulesRejectBadInput(t *testing.T) {
	if _, err := pace.Constant(0, time.Second); err == nil {
		t.Error("rate 0 accepted")
	}
	if _, err := pace.Stages(pace.Stage{Rate: 1, Duration: time.Second, Ramp: 2 * time.Second}); err == nil {
		t.Error("ramp longer than its stage accepted")
	}
	if _, err := pace.Sine(10, 20, time.Second, time.Second); err == nil {
		t.Error("amplitude above the mean accepted")
	}
}
