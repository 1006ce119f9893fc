package capacity

import (
	"fmt"
	"math"
	"strconv"

	"ccgw-harness/config"
	"ccgw-harness/reports"
)

// searchPhase is what a capacity step is for.
type searchPhase string

// The phases of a capacity search.
const (
	// phaseGrow steps grow geometrically from the start rate until one does
	// not pass (or the maximum is reached).
	phaseGrow searchPhase = "grow"
	// phaseBisect steps halve the interval between the highest passing and
	// the lowest failing rate until it is within the precision.
	phaseBisect searchPhase = "bisect"
	// phaseConfirm is one more step at the answer: it must pass again.
	phaseConfirm searchPhase = "confirm"
)

// What limited a capacity answer (searchAnswer.LimitedBy, capacity.json's
// limited_by): the reports package's vocabulary. A gateway's SLO gate is
// limitedBySLOPrefix + the gate's name ("slo:p99", "slo:error_rate").
const (
	// limitedByGenerator: the generator, not the gateway, could not keep
	// the schedule at the next rate; the answer is a lower bound.
	limitedByGenerator = reports.CapacityLimitedByGenerator
	// limitedByMax: the gateway passed at the plan's max; the answer is a
	// lower bound (raise max to search further).
	limitedByMax = reports.CapacityLimitedByMax
	// limitedByInterrupted: the search was stopped (SIGINT) before it
	// ended; the answer is the highest rate that passed so far.
	limitedByInterrupted = reports.CapacityLimitedByInterrupted
	// limitedBySLOPrefix precedes the name of the SLO gate that failed.
	limitedBySLOPrefix = reports.CapacityLimitedBySLO
)

// limitedBySLO is the LimitedBy of a step that failed SLO gate gate.
func limitedBySLO(gate string) string { return limitedBySLOPrefix + gate }

// Settings are a capacity search's parameters (config.Capacity without
// the step length).
type Settings struct {
	Start, Max float64 // requests/s: the first rate and the highest one a step may run
	Growth     float64 // factor between two growing steps, above 1
	Precision  float64 // bisect until the failing rate is at most this ratio above the passing one
}

// settingsOf returns the settings of a plan's capacity block.
func settingsOf(c *config.Capacity) Settings {
	return Settings{Start: c.Start, Max: c.Max, Growth: c.Growth, Precision: c.Precision}
}

// Validate checks the settings (the configuration checks them too; this
// guards callers that build settings themselves).
func (s Settings) Validate() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case bad(s.Start) || bad(s.Max) || s.Start <= 0 || s.Max < s.Start:
		return fmt.Errorf("capacity search: want 0 < start <= max, got start %v max %v", s.Start, s.Max)
	case bad(s.Growth) || s.Growth <= 1:
		return fmt.Errorf("capacity search: growth %v: want a factor above 1", s.Growth)
	case bad(s.Precision) || s.Precision <= 0 || s.Precision >= 1:
		return fmt.Errorf("capacity search: precision %v: want a ratio above 0 and below 1", s.Precision)
	}
	return nil
}

// stepOutcome is what the search needs to know of a finished step.
type stepOutcome struct {
	Rate  float64 // the step's offered rate, requests/s
	Phase searchPhase
	// Pass: every SLO gate held on the step alone and the generator kept
	// the schedule.
	Pass bool
	// Valid: the generator kept the schedule, so a step that did not pass
	// failed on the gateway's account. An invalid step says nothing about
	// the gateway at its rate.
	Valid bool
	// LimitedBy names why a step that did not pass did not: limitedBySLO
	// of its first failing gate, or limitedByGenerator.
	LimitedBy string
}

// searchDecision is the search's next move: another step, or the answer.
type searchDecision struct {
	Done   bool
	Rate   float64      // the next step's rate (when not Done)
	Phase  searchPhase  // the next step's phase (when not Done)
	Answer searchAnswer // the answer (when Done)
}

// searchAnswer is a capacity search's result.
type searchAnswer struct {
	// Found is false when not even the start rate passed.
	Found bool
	// Rate is the highest rate that passed (and, when Confirmed, passed
	// again in the confirmation step); 0 when not Found.
	Rate float64
	// Confirmed: the confirmation step at Rate passed.
	Confirmed bool
	// LimitedBy says what stopped the search above Rate: limitedBySLO of
	// the gate that failed at Bound, limitedByGenerator, limitedByMax or
	// limitedByInterrupted.
	LimitedBy string
	// Bound is the lowest rate that did not pass (0 when every step
	// passed): the capacity lies in [Rate, Bound).
	Bound float64
}

// MaxSteps is the number of steps a search with these settings runs at
// most when no confirmation step fails and no step is retried: the growing
// steps from Start to Max, the bisection of the widest interval growth can
// leave (a factor Growth) down to Precision, and the confirmation. A failed
// confirmation reopens the search below, an invalid step is retried;
// nextStep stops after HardStepLimit steps whatever happens.
func (s Settings) MaxSteps() int {
	grow := 1
	for r := s.Start; r < s.Max && grow < 1000; grow++ {
		r = s.grow(r)
	}
	bisect := 0
	if s.Max > s.Start {
		for gap := s.Growth - 1; gap > s.Precision && bisect < 1000; bisect++ {
			gap /= 2
		}
		bisect++ // rounding the midpoints to 3 significant digits can cost one more
	}
	return grow + bisect + 1
}

// HardStepLimit is the most steps nextStep allows: three times MaxSteps,
// room for confirmations that fail on a gateway that passes and fails the
// same rate by turns. Every search ends by itself.
func (s Settings) HardStepLimit() int { return 3 * s.MaxSteps() }

// grow returns the rate after r while growing: r × Growth, rounded, at most
// Max, and always above r.
func (s Settings) grow(r float64) float64 {
	next := roundRate(r * s.Growth)
	if next <= r {
		next = r * s.Growth
	}
	return min(next, s.Max)
}

// roundRate rounds a rate to 3 significant digits (612.5 → 613, 1234 →
// 1230), so the rates a search picks read well and repeat exactly.
func roundRate(x float64) float64 {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	q := math.Pow(10, math.Floor(math.Log10(x))-2)
	v := math.Round(x/q) * q
	// Strip the float noise of the division (0.1 × 3 = 0.30000000000000004).
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return v
}

// searchBounds returns, for the steps so far, the highest passing rate
// below the lowest rate that did not pass (lo, 0 if none), that lowest
// rate (upper, +Inf if every step passed) and what stopped it (the latest
// reason for a rate that did not pass twice).
func searchBounds(steps []stepOutcome) (lo, upper float64, upperBy string) {
	upper = math.Inf(1)
	for _, st := range steps {
		if !st.Pass && st.Rate <= upper {
			upper, upperBy = st.Rate, st.LimitedBy
		}
	}
	for _, st := range steps {
		if st.Pass && st.Rate < upper && st.Rate > lo {
			lo = st.Rate
		}
	}
	return lo, upper, upperBy
}

// invalidRetries is how many times a search runs an invalid step's
// rate again before the invalid step bounds the search: a generator on a
// shared machine can miss its schedule for a moment, and an invalid step
// says nothing about the gateway.
const invalidRetries = 1

// effective returns the steps that count: an invalid step followed by
// another at the same rate (its retry) is superseded.
func effective(steps []stepOutcome) []stepOutcome {
	out := make([]stepOutcome, 0, len(steps))
	for i, st := range steps {
		if !st.Valid && !st.Pass && i+1 < len(steps) && steps[i+1].Rate == st.Rate {
			continue
		}
		out = append(out, st)
	}
	return out
}

// retryDue reports whether the last step is invalid and its rate has been
// run invalid at most invalidRetries times in a row.
func retryDue(steps []stepOutcome) bool {
	last := steps[len(steps)-1]
	if last.Valid || last.Pass {
		return false
	}
	n := 0
	for i := len(steps) - 1; i >= 0 && steps[i].Rate == last.Rate && !steps[i].Valid && !steps[i].Pass; i-- {
		n++
	}
	return n <= invalidRetries
}

// nextStep decides a capacity search's next move from its settings and
// the outcomes of the steps so far, in order. It is a pure function: the
// same history always gives the same decision.
//
//   - No step yet: grow at Start.
//   - An invalid step is run again at the same rate and phase, up to
//     invalidRetries times; a retry supersedes it.
//   - Every step passed: grow to the highest passing rate × Growth (at most
//     Max); once Max passed, confirm it.
//   - A step did not pass (failed, or was invalid): the lowest such rate
//     is the upper bound. With no pass below it the search ends without an
//     answer. Otherwise bisect between the highest pass below it and it
//     until the upper bound is within Precision of the pass, then confirm
//     the pass. A confirmation that does not pass becomes the new upper
//     bound, and the search goes on below it.
//   - The answer is the confirmed rate; LimitedBy comes from the upper
//     bound (its failing gate, or the generator), or is limitedByMax.
func nextStep(s Settings, steps []stepOutcome) searchDecision {
	if len(steps) == 0 {
		return searchDecision{Rate: s.Start, Phase: phaseGrow}
	}
	if len(steps) < s.HardStepLimit() && retryDue(steps) {
		last := steps[len(steps)-1]
		return searchDecision{Rate: last.Rate, Phase: last.Phase}
	}
	all := steps
	steps = effective(steps)
	lo, upper, upperBy := searchBounds(steps)
	limit := upperBy
	if math.IsInf(upper, 1) {
		limit = limitedByMax
	}
	answer := searchAnswer{Found: lo > 0, Rate: lo, LimitedBy: limit}
	if !math.IsInf(upper, 1) {
		answer.Bound = upper
	}
	last := steps[len(steps)-1]
	switch {
	case last.Phase == phaseConfirm && last.Pass && last.Rate == lo:
		answer.Confirmed = true
		return searchDecision{Done: true, Answer: answer}
	case len(all) >= s.HardStepLimit():
		return searchDecision{Done: true, Answer: answer}
	case math.IsInf(upper, 1):
		if lo >= s.Max {
			return searchDecision{Rate: s.Max, Phase: phaseConfirm}
		}
		return searchDecision{Rate: s.grow(lo), Phase: phaseGrow}
	case lo == 0:
		return searchDecision{Done: true, Answer: answer}
	}
	mid := roundRate((lo + upper) / 2)
	if upper <= lo*(1+s.Precision) || mid <= lo || mid >= upper {
		return searchDecision{Rate: lo, Phase: phaseConfirm}
	}
	return searchDecision{Rate: mid, Phase: phaseBisect}
}

// interruptedAnswer is the answer of a search stopped before it ended: the
// highest rate that passed so far below any that did not, unconfirmed.
func interruptedAnswer(steps []stepOutcome) searchAnswer {
	lo, upper, _ := searchBounds(effective(steps))
	a := searchAnswer{Found: lo > 0, Rate: lo, LimitedBy: limitedByInterrupted}
	if !math.IsInf(upper, 1) {
		a.Bound = upper
	}
	return a
}
