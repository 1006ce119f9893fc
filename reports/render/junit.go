package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"

	"ccgw-harness/internal/human"
	"ccgw-harness/reports"
	"ccgw-harness/slo"
)

// RunJUnitSuite is the name of the junit.xml test suite.
const RunJUnitSuite = "ccgw slo"

// ComparisonJUnitSuite is the name of compare-junit.xml's test suite.
const ComparisonJUnitSuite = "ccgw compare"

// CapacityJUnitSuite is the name of a capacity search's junit.xml suite.
const CapacityJUnitSuite = "ccgw capacity"

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Name    string       `xml:"name,attr"`
	Tests   int          `xml:"tests,attr"`
	Fail    int          `xml:"failures,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// RunJUnit writes junit.xml: test suite "ccgw slo" with one test case per
// SLO gate (the contract gate is the "contract violations" case, with the
// violations by kind); a breached gate is a failure whose message says
// threshold and actual value. Suite properties say whether the run was
// interrupted or its results partial, so an archived verdict cannot pass
// for a whole run.
func RunJUnit(w io.Writer, r *reports.Report) error {
	s := junitSuite{Name: RunJUnitSuite, Time: strconv.FormatFloat(r.DurationS, 'f', 3, 64),
		Properties: []junitProperty{
			{"target", r.Target}, {"plan", r.Plan},
			{"requests", u(r.Requests)}, {"error_rate", strconv.FormatFloat(r.ErrorRate, 'f', -1, 64)},
			{"interrupted", strconv.FormatBool(r.Interrupted)}, {"partial", strconv.FormatBool(r.Partial)},
		}}
	if hasJourneys(r) {
		j := r.Journeys
		s.Properties = append(s.Properties, junitProperty{"journeys_started", u(j.Started)}, junitProperty{"journeys_completed", u(j.Completed)},
			junitProperty{"journeys_failed", u(j.Failed)}, junitProperty{"ready_p99_ms", strconv.FormatFloat(j.ReadyMS.P99, 'f', -1, 64)})
	}
	for _, g := range r.SLO {
		name := g.Name
		if g.Name == slo.GateContractViolations {
			name = "contract violations"
		}
		c := junitCase{Name: name, Classname: "ccgw.slo", Time: "0"}
		desc := fmt.Sprintf("%s: actual %s, threshold %s %s", g.Name, gateValue(g, g.Actual), g.Op, gateValue(g, g.Threshold))
		if g.Unit == "bool" {
			desc = fmt.Sprintf("%s: %s", g.Name, gateValue(g, g.Actual))
		}
		if g.Detail != "" {
			desc += " (" + g.Detail + ")"
		}
		if g.Name == slo.GateContractViolations && len(r.Violations) > 0 {
			c.SystemOut = "violations by kind: " + human.Counts(r.Violations)
		}
		switch {
		case g.Skipped:
			c.Skipped = &junitSkipped{Message: g.Name + ": " + g.Detail}
			s.Skipped++
		case g.Pass:
			if c.SystemOut == "" {
				c.SystemOut = desc
			}
		default:
			s.Failures++
			c.Failure = &junitFailure{Message: desc, Type: "SLOBreach", Text: desc}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{Name: RunJUnitSuite, Tests: s.Tests, Fail: s.Failures, Suites: []junitSuite{s}}
	return writeXML(w, doc)
}

// ComparisonJUnit writes compare-junit.xml: test suite "ccgw compare"
// with one test case per gate. A regressed or failed enforced gate is a
// failure whose message says baseline, current and limit; a gate that is
// not enforced or cannot be evaluated is skipped.
func ComparisonJUnit(w io.Writer, c *reports.Comparison) error {
	s := junitSuite{Name: ComparisonJUnitSuite, Time: "0", Properties: []junitProperty{
		{"baseline", orDash(c.Baseline.Target) + "/" + orDash(c.Baseline.Plan)},
		{"current", orDash(c.Current.Target) + "/" + orDash(c.Current.Plan)},
		{"comparable", strconv.FormatBool(c.Comparable)},
		{"verdict", c.Verdict},
	}}
	for _, g := range c.Gates {
		desc := fmt.Sprintf("%s %s: baseline %s, current %s, limit %s %s (rule %s)", g.Name, g.Status,
			gateRunValue(g, g.Baseline), gateRunValue(g, g.Current), g.Op, gateRunValue(g, g.Limit), g.Rule)
		if g.Unit == "bool" {
			desc = fmt.Sprintf("%s %s", g.Name, g.Status)
		}
		if g.Detail != "" {
			desc += ": " + g.Detail
		}
		tc := junitCase{Name: g.Name, Classname: "ccgw.compare", Time: "0"}
		bad := g.Status == reports.StatusRegressed || g.Status == reports.StatusFailed
		switch {
		case !g.Enforced || g.Status == reports.StatusSkipped:
			s.Skipped++
			tc.Skipped = &junitSkipped{Message: desc}
		case bad:
			s.Failures++
			typ := "Regression"
			if g.Name == reports.GateComparable {
				typ = "NotComparable"
			}
			tc.Failure = &junitFailure{Message: desc, Type: typ, Text: desc}
		default:
			tc.SystemOut = desc
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{Name: ComparisonJUnitSuite, Tests: s.Tests, Fail: s.Failures, Suites: []junitSuite{s}}
	return writeXML(w, doc)
}

// CapacityJUnit writes a capacity search's junit.xml: suite "ccgw
// capacity" with one case per step (a measured step passes whatever its
// verdict, which its name and output carry: failing above capacity is how
// the search finds it; an invalid or interrupted step is skipped, for it
// measured nothing of the gateway), the answer (a failure when there is
// none; skipped when the generator or an interruption stopped the search)
// and, with --require, the requirement (a failure when the answer is below
// it; skipped when that is left open).
func CapacityJUnit(w io.Writer, c *reports.Capacity) error {
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
		desc := fmt.Sprintf("required at least %s; answer: %s", human.ReqRate(*c.Require), c.Answer)
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

// writeXML writes doc as an indented XML document with its header and a
// final newline: the form every JUnit file of the harness has.
func writeXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
