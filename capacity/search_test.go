package capacity

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// outcomeFunc decides a synthetic step's outcome from its rate and phase.
type outcomeFunc func(rate float64, phase searchPhase, n int) stepOutcome

// synthetic returns the outcome of a gateway that sustains capacity c and a
// generator that keeps the schedule up to gen (0: always).
func synthetic(c, gen float64) outcomeFunc {
	return func(rate float64, phase searchPhase, _ int) stepOutcome {
		switch {
		case gen > 0 && rate > gen:
			return stepOutcome{Rate: rate, Phase: phase, LimitedBy: limitedByGenerator}
		case rate > c:
			return stepOutcome{Rate: rate, Phase: phase, Valid: true, LimitedBy: limitedBySLO("p99")}
		}
		return stepOutcome{Rate: rate, Phase: phase, Pass: true, Valid: true}
	}
}

// runSearch drives nextStep with f until it is done (failing t if it does
// not end within the hard limit) and returns the steps and the answer.
func runSearch(t *testing.T, s Settings, f outcomeFunc) ([]stepOutcome, searchAnswer) {
	t.Helper()
	var steps []stepOutcome
	for range s.HardStepLimit() + 1 {
		d := nextStep(s, steps)
		if d.Done {
			return steps, d.Answer
		}
		if d.Rate <= 0 || d.Rate > s.Max || math.IsNaN(d.Rate) {
			t.Fatalf("step %d: rate %v outside (0, max %v]", len(steps)+1, d.Rate, s.Max)
		}
		steps = append(steps, f(d.Rate, d.Phase, len(steps)))
	}
	t.Fatalf("the search did not end within %d steps: %+v", s.HardStepLimit(), steps)
	return nil, searchAnswer{}
}

func rates(steps []stepOutcome) []float64 {
	out := make([]float64, len(steps))
	for i, s := range steps {
		out[i] = s.Rate
	}
	return out
}

func phases(steps []stepOutcome) []searchPhase {
	out := make([]searchPhase, len(steps))
	for i, s := range steps {
		out[i] = s.Phase
	}
	return out
}

var acceptance = Settings{Start: 100, Max: 3000, Growth: 2, Precision: 0.05}

// TestSearchFindsCapacity: the acceptance settings against a gateway of
// capacity 600: doubling to the first failure, bisection to 5 %, and a
// confirmation, in that order.
func TestSearchFindsCapacity(t *testing.T) {
	steps, a := runSearch(t, acceptance, synthetic(600, 0))
	wantRates := []float64{100, 200, 400, 800, 600, 700, 650, 625, 600}
	wantPhases := []searchPhase{phaseGrow, phaseGrow, phaseGrow, phaseGrow, phaseBisect, phaseBisect, phaseBisect, phaseBisect, phaseConfirm}
	if !reflect.DeepEqual(rates(steps), wantRates) || !reflect.DeepEqual(phases(steps), wantPhases) {
		t.Errorf("steps %v %v\nwant %v %v", rates(steps), phases(steps), wantRates, wantPhases)
	}
	want := searchAnswer{Found: true, Rate: 600, Confirmed: true, LimitedBy: "slo:p99", Bound: 625}
	if a != want {
		t.Errorf("answer %+v, want %+v", a, want)
	}
	if n := acceptance.MaxSteps(); len(steps) > n {
		t.Errorf("%d steps, more than MaxSteps %d", len(steps), n)
	}
}

// TestSearchPrecision: for gateways of many capacities and several
// settings, the answer is confirmed, at most the capacity, within the
// precision of the next rate that failed, and the search stays within
// MaxSteps.
func TestSearchPrecision(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []Settings{
		acceptance,
		{Start: 50, Max: 1e5, Growth: 2, Precision: 0.01},
		{Start: 150, Max: 400, Growth: 1.5, Precision: 0.05},
		{Start: 1, Max: 1e6, Growth: 10, Precision: 0.1},
		{Start: 10, Max: 20, Growth: 3, Precision: 0.5},
	} {
		for range 300 {
			c := s.Start * math.Pow(s.Max/s.Start*1.5, r.Float64()) // some above max
			steps, a := runSearch(t, s, synthetic(c, 0))
			if len(steps) > s.MaxSteps() {
				t.Errorf("%+v capacity %.1f: %d steps, MaxSteps %d: %v", s, c, len(steps), s.MaxSteps(), rates(steps))
			}
			if !a.Found || !a.Confirmed || a.Rate > c {
				t.Fatalf("%+v capacity %.1f: answer %+v, want a confirmed rate at most the capacity: %v", s, c, a, rates(steps))
			}
			switch {
			case c >= s.Max:
				if a.Rate != s.Max || a.LimitedBy != limitedByMax || a.Bound != 0 {
					t.Errorf("%+v capacity %.1f above max: answer %+v, want max", s, c, a)
				}
			case a.LimitedBy != "slo:p99" || a.Bound <= c || a.Bound > a.Rate*(1+s.Precision)*1.01:
				// Bound within precision of the answer (1 % slack for the
				// 3-significant-digit rounding of the rates).
				t.Errorf("%+v capacity %.1f: answer %+v, want slo:p99 with a bound above the capacity within %.0f%%: %v", s, c, a, s.Precision*100, rates(steps))
			}
		}
	}
}

// TestSearchStartFails: when even the start rate fails, the search ends
// at once without an answer, naming the gate.
func TestSearchStartFails(t *testing.T) {
	steps, a := runSearch(t, acceptance, synthetic(50, 0))
	if len(steps) != 1 || steps[0].Rate != 100 {
		t.Errorf("steps %v, want only the start", rates(steps))
	}
	if a != (searchAnswer{LimitedBy: "slo:p99", Bound: 100}) {
		t.Errorf("answer %+v, want none, limited by slo:p99 at 100", a)
	}
}

// TestSearchGenerator: a generator that cannot keep the schedule above
// 1000/s makes those steps invalid; the answer is the highest rate it
// could drive, limited by the generator, not the gateway's capacity.
func TestSearchGenerator(t *testing.T) {
	steps, a := runSearch(t, acceptance, synthetic(5000, 1000))
	if !a.Found || !a.Confirmed || a.LimitedBy != limitedByGenerator || a.Rate > 1000 || a.Rate < 1000/1.06 {
		t.Errorf("answer %+v, want about 1000 limited by the generator: %v", a, rates(steps))
	}
	// The gateway below the generator's limit decides: slo.
	_, a = runSearch(t, acceptance, synthetic(700, 1000))
	if a.LimitedBy != "slo:p99" || a.Rate > 700 {
		t.Errorf("answer %+v, want the gateway's capacity (700) limited by slo:p99", a)
	}
	// Not even the start: no answer, the generator said so.
	_, a = runSearch(t, acceptance, synthetic(5000, 50))
	if a.Found || a.LimitedBy != limitedByGenerator {
		t.Errorf("answer %+v, want none, limited by the generator", a)
	}
}

// TestSearchRetriesInvalidSteps: an invalid step is run again once; a
// retry that passes does not bound the search, two invalid steps in a row
// at one rate do.
func TestSearchRetriesInvalidSteps(t *testing.T) {
	honest := synthetic(600, 0)
	once := map[float64]bool{}
	hiccup := func(rate float64, phase searchPhase, n int) stepOutcome {
		if rate == 200 && !once[rate] { // a moment of generator trouble
			once[rate] = true
			return stepOutcome{Rate: rate, Phase: phase, LimitedBy: limitedByGenerator}
		}
		return honest(rate, phase, n)
	}
	steps, a := runSearch(t, acceptance, hiccup)
	if a != (searchAnswer{Found: true, Rate: 600, Confirmed: true, LimitedBy: "slo:p99", Bound: 625}) {
		t.Errorf("answer %+v, want 600 as without the hiccup: %v", a, rates(steps))
	}
	if rates(steps)[1] != 200 || rates(steps)[2] != 200 || steps[2].Phase != phaseGrow || !steps[2].Pass {
		t.Errorf("the invalid step at 200 must be retried at once, in its phase: %v %v", rates(steps), phases(steps))
	}
	steps, a = runSearch(t, acceptance, synthetic(5000, 1000))
	if a.LimitedBy != limitedByGenerator || rates(steps)[4] != 1600 || rates(steps)[5] != 1600 || steps[6].Rate >= 1600 {
		t.Errorf("two invalid steps at 1600 must bound the search: %+v %v", a, rates(steps))
	}
}

// TestSearchConfirmationFails: a confirmation that does not pass becomes
// the upper bound, and the search goes on below it.
func TestSearchConfirmationFails(t *testing.T) {
	honest := synthetic(600, 0)
	flaky := func(rate float64, phase searchPhase, n int) stepOutcome {
		if phase == phaseConfirm && rate == 600 {
			return stepOutcome{Rate: rate, Phase: phase, Valid: true, LimitedBy: limitedBySLO("error_rate")}
		}
		return honest(rate, phase, n)
	}
	steps, a := runSearch(t, acceptance, flaky)
	if !a.Confirmed || a.Rate >= 600 || a.Rate < 400 || a.LimitedBy != "slo:error_rate" || a.Bound != 600 {
		t.Errorf("answer %+v, want a confirmed rate below 600, bounded by the failed confirmation: %v %v", a, rates(steps), phases(steps))
	}
	if steps[8].Phase != phaseConfirm || steps[8].Rate != 600 || steps[9].Phase != phaseBisect || steps[9].Rate != 500 {
		t.Errorf("after the failed confirmation at 600 the search must bisect 400..600: %v %v", rates(steps), phases(steps))
	}
}

// TestSearchEndsOnAnyHistory: a gateway that passes and fails at random
// still ends the search within the hard limit, and nextStep is pure.
func TestSearchEndsOnAnyHistory(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	coin := func(rate float64, phase searchPhase, n int) stepOutcome {
		switch r.IntN(3) {
		case 0:
			return stepOutcome{Rate: rate, Phase: phase, Pass: true, Valid: true}
		case 1:
			return stepOutcome{Rate: rate, Phase: phase, Valid: true, LimitedBy: "slo:p50"}
		}
		return stepOutcome{Rate: rate, Phase: phase, LimitedBy: limitedByGenerator}
	}
	for range 500 {
		steps, a := runSearch(t, acceptance, coin)
		if a.Found && a.Bound != 0 && a.Rate >= a.Bound {
			t.Fatalf("answer %+v at or above its bound: %v", a, rates(steps))
		}
		before := append([]stepOutcome(nil), steps...)
		d1, d2 := nextStep(acceptance, steps), nextStep(acceptance, steps)
		if d1 != d2 || !reflect.DeepEqual(before, steps) {
			t.Fatal("nextStep is not a pure function of its history")
		}
	}
}

// TestInterruptedAnswer: a stopped search answers its best rate so far,
// unconfirmed.
func TestInterruptedAnswer(t *testing.T) {
	steps := []stepOutcome{
		{Rate: 100, Phase: phaseGrow, Pass: true, Valid: true},
		{Rate: 200, Phase: phaseGrow, Pass: true, Valid: true},
		{Rate: 400, Phase: phaseGrow, Valid: true, LimitedBy: "slo:p99"},
	}
	if a := interruptedAnswer(steps); a != (searchAnswer{Found: true, Rate: 200, LimitedBy: limitedByInterrupted, Bound: 400}) {
		t.Errorf("answer %+v", a)
	}
	if a := interruptedAnswer(nil); a.Found || a.LimitedBy != limitedByInterrupted {
		t.Errorf("no steps: %+v", a)
	}
}

func TestSearchSettingsValidateAndRound(t *testing.T) {
	for _, s := range []Settings{
		{Start: 0, Max: 10, Growth: 2, Precision: 0.05},
		{Start: 10, Max: 5, Growth: 2, Precision: 0.05},
		{Start: 1, Max: 10, Growth: 1, Precision: 0.05},
		{Start: 1, Max: 10, Growth: 2, Precision: 0},
		{Start: 1, Max: math.Inf(1), Growth: 2, Precision: 0.05},
	} {
		if s.Validate() == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	if err := acceptance.Validate(); err != nil {
		t.Error(err)
	}
	for in, want := range map[float64]float64{612.5: 613, 1234: 1230, 99.95: 100, 0.3: 0.3, 337.5: 338, 3000: 3000, 1e6: 1e6} {
		if got := roundRate(in); got != want {
			t.Errorf("roundRate(%v) = %v, want %v", in, got, want)
		}
	}
	// 6 growing (100, 200, 400, 800, 1600, 3000), 5 halvings of a 100 %
	// interval down to 5 % and 1 for rounding, 1 confirming.
	if n := acceptance.MaxSteps(); n != 13 {
		t.Errorf("MaxSteps of the acceptance settings: %d, want 13", n)
	}
	if n := (Settings{Start: 100, Max: 100, Growth: 2, Precision: 0.05}).MaxSteps(); n != 2 {
		t.Errorf("MaxSteps with start = max: %d, want 2 (the step and its confirmation)", n)
	}
}
