package render

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"ccgw-harness/internal/human"
	"ccgw-harness/reports"
)

// The view of a Comparison: title, alerts and sections, which the text
// and Markdown writers render (compare-junit.xml is the gates').

// comparisonView is a Comparison as compare.txt and compare.md show it.
func comparisonView(c *reports.Comparison) view {
	return view{title: compareTitle(c), alerts: compareAlerts(c), sections: compareSections(c),
		verdict: c.Verdict, state: human.YesNo(c.Pass, "pass", "fail")}
}

func compareTitle(c *reports.Comparison) string {
	name := func(ri reports.RunInfo) string { return orDash(ri.Target) + "/" + orDash(ri.Plan) }
	return "ccgw compare: baseline " + name(c.Baseline) + " vs current " + name(c.Current)
}

func compareAlerts(c *reports.Comparison) []alert {
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

func compareSections(c *reports.Comparison) []section {
	runs := &table{head: []string{"", "baseline", "current"}}
	addRun := func(k string, f func(reports.RunInfo) string) {
		runs.rows = append(runs.rows, []string{k, f(c.Baseline), f(c.Current)})
	}
	if c.Baseline.Source != "" || c.Current.Source != "" {
		addRun("report", func(r reports.RunInfo) string { return orDash(r.Source) })
	}
	addRun("target / plan", func(r reports.RunInfo) string { return orDash(r.Target) + " / " + orDash(r.Plan) })
	addRun("profile", func(r reports.RunInfo) string { return orDash(r.Profile) })
	addRun("requested rate", func(r reports.RunInfo) string {
		return human.YesNo(r.RequestedRate > 0, human.Rate(r.RequestedRate), "-")
	})
	addRun("connections", func(r reports.RunInfo) string {
		return human.YesNo(r.Connections > 0, strconv.Itoa(r.Connections), "-") + ", " + human.YesNo(r.HTTP2, "HTTP/2", "HTTP/1.1")
	})
	addRun("agents", func(r reports.RunInfo) string { return strconv.Itoa(r.Agents) })
	addRun("started", func(r reports.RunInfo) string { return fmtTime(r.Started) })
	addRun("duration", func(r reports.RunInfo) string { return strconv.FormatFloat(r.DurationS, 'f', 3, 64) + " s" })
	ss := []section{{id: "runs", title: "Runs", table: runs}}

	groups := []struct{ group, title, head string }{
		{reports.GroupRun, "Totals", "figure"},
		{reports.GroupLatency, "Latency", "latency"},
		{reports.GroupRetcode, "Retcodes", "retcode"},
		{reports.GroupErrorClass, "Error classes", "class"},
		{reports.GroupError, "Errors by kind", "error"},
		{reports.GroupNodeP99, "p99 by gateway node", "node"},
	}
	for _, g := range groups {
		t := &table{head: []string{g.head, "baseline", "current", "delta", "delta %", "gate"},
			right: []bool{false, true, true, true, true, false}}
		for _, m := range c.Metrics {
			if m.Group != g.group {
				continue
			}
			name := m.Name
			if g.group == reports.GroupRetcode {
				name += " " + retcodeMeaning(m.Name)
			}
			t.rows = append(t.rows, []string{name, metricValue(m, m.Baseline, m.Missing == "baseline"),
				metricValue(m, m.Current, m.Missing == "current"), metricDelta(m), metricDeltaPct(m), gateStatusText(m.Gate, !c.Thresholds.NoGates)})
		}
		s := section{id: "compare-" + g.group, title: g.title}
		switch {
		case len(t.rows) > 0:
			s.table = t
		case g.group == reports.GroupNodeP99:
			s.lines = []string{"Not compared: one of the runs has no per-node figures."}
		case g.group == reports.GroupRetcode:
			s.lines = []string{"No retcodes in either run."}
		default:
			s.lines = []string{"None in either run."}
		}
		ss = append(ss, s)
	}

	gt := &table{head: []string{"gate", "rule", "baseline", "current", "limit", "result", "detail"},
		right: []bool{false, false, true, true, true, false, false}}
	for _, g := range c.Gates {
		m := reports.Metric{Unit: g.Unit}
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

func thresholdsLine(t reports.Thresholds) string {
	s := fmt.Sprintf("A latency percentile (p50 to p99.9) regresses when it grows by more than %s and by more than %s; "+
		"the error rate, when it grows by more than %s percentage points; throughput, when it drops by more than %s.",
		human.FracPct(t.MaxLatencyRegression), t.MinLatencyDelta,
		strconv.FormatFloat(t.MaxErrorRateIncrease*100, 'f', 2, 64), human.FracPct(t.MaxThroughputDrop))
	if t.NoGates {
		s += " Gates are disabled: nothing fails."
	}
	if t.Strict {
		s += " Strict: runs that are not comparable fail."
	}
	return s
}

func gateRunValue(g reports.CompareGate, x float64) string {
	if g.Unit == "bool" {
		return human.YesNo(x != 0, "comparable", "NOT comparable")
	}
	return metricValue(reports.Metric{Unit: g.Unit}, x, false)
}

func gateStatusText(status string, enforced bool) string {
	switch {
	case status == "":
		return ""
	case !enforced && (status == reports.StatusRegressed || status == reports.StatusFailed):
		return status + " (not enforced)"
	case status == reports.StatusRegressed || status == reports.StatusFailed:
		return strings.ToUpper(status)
	}
	return status
}

func metricValue(m reports.Metric, x float64, missing bool) string {
	if missing {
		return "-"
	}
	switch m.Unit {
	case "rate":
		return human.Rate(x)
	case "ratio":
		return human.Pct(x)
	case "ms":
		return human.MS(x)
	case "bool":
		return human.YesNo(x != 0, "yes", "no")
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

func metricDelta(m reports.Metric) string {
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
		s = human.MS(d)
	case "bool":
		return human.YesNo(d == 0, "same", "changed")
	default:
		s = strconv.FormatFloat(d, 'f', -1, 64)
	}
	if strings.Trim(s, "0./spm ") == "" { // rounds to zero: no sign
		return s
	}
	return human.YesNo(m.Delta < 0, "-", "+") + s
}

func metricDeltaPct(m reports.Metric) string {
	switch {
	case m.Missing != "":
		return "-"
	case m.Unit == "bool":
		return ""
	case m.DeltaPct == nil:
		return "new"
	}
	return human.SignedPct(*m.DeltaPct)
}
