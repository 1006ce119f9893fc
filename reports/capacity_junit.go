package reports

import (
	"fmt"
	"io"
	"strconv"
)

// CapacityJUnitSuite is the name of a capacity search's junit.xml suite.
const CapacityJUnitSuite = "ccgw capacity"

// WriteCapacityJUnit writes a capacity search's junit.xml: suite "ccgw
// capacity" with one case per step (a measured step passes whatever its
// verdict, which its name and output carry: failing above capacity is how
// the search finds it; an invalid or interrupted step is skipped, for it
// measured nothing of the gateway), the answer (a failure when there is
// none; skipped when the generator or an interruption stopped the search)
// and, with --require, the requirement (a failure when the answer is below
// it; skipped when that is left open).
func WriteCapacityJUnit(w io.Writer, c *Capacity) error {
	s := junitSuite{Name: CapacityJUnitSuite, Time: strconv.FormatFloat(c.DurationS, 'f', 3, 64),
		Properties: []junitProperty{
			{"target", c.Target}, {"plan", c.Plan}, {"limited_by", c.LimitedBy},
			{"max_sustainable_rate", optRate(c.MaxSustainableRate)},
			{"interrupted", strconv.FormatBool(c.Interrupted)},
		}}
	for _, st := range c.Steps {
		jc := junitCase{Name: fmt.Sprintf("step %02d %s %s: %s", st.Step, st.Phase, rateNum(st.Rate), stepVerdict(st)),
			Classname: "ccgw.capacity.step", Time: "0", SystemOut: stepText(st)}
		switch {
		case st.Interrupted:
			jc.Skipped = &junitSkipped{Message: "interrupted: the step did not run to its end"}
		case !st.Valid:
			jc.Skipped = &junitSkipped{Message: "invalid: " + st.Reason}
		}
		if jc.Skipped != nil {
			s.Skipped++
		}
		s.Cases = append(s.Cases, jc)
	}
	ans := junitCase{Name: "max sustainable rate", Classname: "ccgw.capacity", Time: "0", SystemOut: c.Answer}
	switch {
	case c.Interrupted || (c.GeneratorLimited() && !c.Found()):
		ans.Skipped = &junitSkipped{Message: c.Answer}
		s.Skipped++
	case !c.Found():
		ans.Failure = &junitFailure{Message: c.Answer, Type: "NoCapacity", Text: c.Answer}
		s.Failures++
	}
	s.Cases = append(s.Cases, ans)
	if c.Require != nil {
		req := junitCase{Name: "require " + rateNum(*c.Require), Classname: "ccgw.capacity", Time: "0"}
		desc := fmt.Sprintf("required at least %s; answer: %s", rateText(*c.Require), c.Answer)
		switch {
		case c.RequireMet == nil:
			req.Skipped = &junitSkipped{Message: "open: " + desc}
			s.Skipped++
		case !*c.RequireMet:
			req.Failure = &junitFailure{Message: desc, Type: "CapacityBelowRequirement", Text: desc}
			s.Failures++
		default:
			req.SystemOut = desc
		}
		s.Cases = append(s.Cases, req)
	}
	s.Tests = len(s.Cases)
	return writeXML(w, junitSuites{Name: CapacityJUnitSuite, Tests: s.Tests, Fail: s.Failures, Suites: []junitSuite{s}})
}

func optRate(r *float64) string {
	if r == nil {
		return "null"
	}
	return strconv.FormatFloat(*r, 'f', -1, 64)
}

// stepText is a step's figures in one line.
func stepText(st CapacityStep) string {
	s := fmt.Sprintf("offered %s, sent %s, %d requests, p50 %s, p99 %s (response p99 %s), errors %s: %s",
		rateNum(st.Rate), rateNum(st.Achieved), st.Requests, fmtMS(st.LatencyMS.P50), fmtMS(st.LatencyMS.P99),
		fmtMS(st.ResponseLatencyMS.P99), pct(st.ErrorRate), stepVerdict(st))
	if st.Reason != "" {
		s += " (" + st.Reason + ")"
	}
	return s
}
