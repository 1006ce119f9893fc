package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The view of a Comparison (as view.go is a Report's): title, alerts and
// sections, which the compare writers beside the report writers render as
// text, Markdown and JUnit.

func compareTitle(c *Comparison) string {
	name := func(ri RunInfo) string { return orDash(ri.Target) + "/" + orDash(ri.Plan) }
	return "ccgw compare: baseline " + name(c.Baseline) + " vs current " + name(c.Current)
}

func compareAlerts(c *Comparison) []alert {
	var as []alert
	if !c.Comparable {
		text := "NOT COMPARABLE: " + strings.Join(c.Mismatches, "; ") +
			". Differences below may come from the setup, not from the release."
		if c.Thresholds.Strict {
			text += " Strict: this fails the comparison."
		}
		as = append(as, alert{"NOT COMPARABLE", text})
	}
	for _, n := range c.Notes {
		as = append(as, alert{"NOTE", "NOTE: " + n})
	}
	return as
}

func compareSections(c *Comparison) []section {
	runs := &table{head: []string{"", "baseline", "current"}}
	addRun := func(k string, f func(RunInfo) string) {
		runs.rows = append(runs.rows, []string{k, f(c.Baseline), f(c.Current)})
	}
	if c.Baseline.Source != "" || c.Current.Source != "" {
		addRun("report", func(r RunInfo) string { return orDash(r.Source) })
	}
	addRun("target / plan", func(r RunInfo) string { return orDash(r.Target) + " / " + orDash(r.Plan) })
	addRun("profile", func(r RunInfo) string { return orDash(r.Profile) })
	addRun("requested rate", func(r RunInfo) string { return yesNo(r.RequestedRate > 0, rate(r.RequestedRate), "-") })
	addRun("connections", func(r RunInfo) string {
		return yesNo(r.Connections > 0, strconv.Itoa(r.Connections), "-") + ", " + yesNo(r.HTTP2, "HTTP/2", "HTTP/1.1")
	})
	addRun("agents", func(r RunInfo) string { return strconv.Itoa(r.Agents) })
	addRun("started", func(r RunInfo) string { return fmtTime(r.Started) })
	addRun("duration", func(r RunInfo) string { return strconv.FormatFloat(r.DurationS, 'f', 3, 64) + " s" })
	ss := []section{{id: "runs", title: "Runs", table: runs}}

	groups := []struct{ group, title, head string }{
		{GroupRun, "Totals", "figure"},
		{GroupLatency, "Latency", "latency"},
		{GroupRetcode, "Retcodes", "retcode"},
		{GroupErrorClass, "Error classes", "class"},
		{GroupError, "Errors by kind", "error"},
		{GroupNodeP99, "p99 by gateway node", "node"},
	}
	for _, g := range groups {
		t := &table{head: []string{g.head, "baseline", "current", "delta", "delta %", "gate"},
			right: []bool{false, true, true, true, true, false}}
		for _, m := range c.Metrics {
			if m.Group != g.group {
				continue
			}
			name := m.Name
			if g.group == GroupRetcode {
				name += " " + retcodeMeaning(m.Name)
			}
			t.rows = append(t.rows, []string{name, metricValue(m, m.Baseline, m.Missing == "baseline"),
				metricValue(m, m.Current, m.Missing == "current"), metricDelta(m), metricDeltaPct(m), gateStatusText(m.Gate, !c.Thresholds.NoGates)})
		}
		s := section{id: "compare-" + g.group, title: g.title}
		switch {
		case len(t.rows) > 0:
			s.table = t
		case g.group == GroupNodeP99:
			s.lines = []string{"Not compared: one of the runs has no per-node figures."}
		case g.group == GroupRetcode:
			s.lines = []string{"No retcodes in either run."}
		default:
			s.lines = []string{"None in either run."}
		}
		ss = append(ss, s)
	}

	gt := &table{head: []string{"gate", "rule", "baseline", "current", "limit", "result", "detail"},
		right: []bool{false, false, true, true, true, false, false}}
	for _, g := range c.Gates {
		m := Metric{Unit: g.Unit}
		limit := g.Op + " " + metricValue(m, g.Limit, false)
		if g.Unit == "bool" {
			limit = "comparable"
		}
		gt.rows = append(gt.rows, []string{g.Name, g.Rule, gateRunValue(g, g.Baseline), gateRunValue(g, g.Current),
			limit, gateStatusText(g.Status, g.Enforced), g.Detail})
	}
	lines := []string{thresholdsLine(c.Thresholds)}
	ss = append(ss, section{id: "compare-gates", title: "Regression gates", lines: lines, table: gt})
	return ss
}

func thresholdsLine(t Thresholds) string {
	s := fmt.Sprintf("A latency percentile (p50 to p99.9) regresses when it grows by more than %s and by more than %s; "+
		"the error rate, when it grows by more than %s percentage points; throughput, when it drops by more than %s.",
		fracPct(t.MaxLatencyRegression), t.MinLatencyDelta,
		strconv.FormatFloat(t.MaxErrorRateIncrease*100, 'f', 2, 64), fracPct(t.MaxThroughputDrop))
	if t.NoGates {
		s += " Gates are disabled: nothing fails."
	}
	if t.Strict {
		s += " Strict: runs that are not comparable fail."
	}
	return s
}

func gateRunValue(g CompareGate, x float64) string {
	if g.Unit == "bool" {
		return yesNo(x != 0, "comparable", "NOT comparable")
	}
	return metricValue(Metric{Unit: g.Unit}, x, false)
}

func gateStatusText(status string, enforced bool) string {
	switch {
	case status == "":
		return ""
	case !enforced && (status == StatusRegressed || status == StatusFailed):
		return status + " (not enforced)"
	case status == StatusRegressed || status == StatusFailed:
		return strings.ToUpper(status)
	}
	return status
}

func metricValue(m Metric, x float64, missing bool) string {
	if missing {
		return "-"
	}
	switch m.Unit {
	case "rate":
		return rate(x)
	case "ratio":
		return pct(x)
	case "ms":
		return fmtMS(x)
	case "bool":
		return yesNo(x != 0, "yes", "no")
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

func metricDelta(m Metric) string {
	if m.Missing != "" {
		return "-"
	}
	d := math.Abs(m.Delta)
	var s string
	switch m.Unit {
	case "rate":
		s = strconv.FormatFloat(d, 'f', 2, 64) + "/s"
	case "ratio":
		s = strconv.FormatFloat(d*100, 'f', 2, 64) + " pp"
	case "ms":
		s = fmtMS(d)
	case "bool":
		return yesNo(d == 0, "same", "changed")
	default:
		s = strconv.FormatFloat(d, 'f', -1, 64)
	}
	if strings.Trim(s, "0./spm ") == "" { // rounds to zero: no sign
		return s
	}
	return yesNo(m.Delta < 0, "-", "+") + s
}

func metricDeltaPct(m Metric) string {
	switch {
	case m.Missing != "":
		return "-"
	case m.Unit == "bool":
		return ""
	case m.DeltaPct == nil:
		return "new"
	}
	return signedPct(*m.DeltaPct)
}

// signedPct formats a percentage with its sign: "+12.3%", "-4.0%", "0.0%".
func signedPct(p float64) string {
	s := strconv.FormatFloat(math.Abs(p), 'f', 1, 64) + "%"
	switch {
	case s == "0.0%":
		return s
	case p > 0:
		return "+" + s
	}
	return "-" + s
}
