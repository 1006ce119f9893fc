package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"ccgw-harness/gateway"
)

// The per-call and journey parts of the summary, Markdown and HTML.

// orderedCalls returns the calls of r in gateway.Calls order.
func orderedCalls(r *Report) []string {
	var out []string
	for _, c := range gateway.Calls {
		if _, ok := r.Calls[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

func callSection(r *Report) section {
	s := section{id: "calls", title: "Calls",
		lines: []string{"Every call the run made, by call; the latency, status, retcode and error tables below are logininfo's. A poll's latency is how long the gateway held the long poll: about its poll wait when the agent had no event."}}
	t := &table{head: []string{"call", "requests", "errors", "error rate", "p50", "p90", "p99", "max", "retcodes"},
		right: []bool{false, true, true, true, true, true, true, true, false}}
	for _, name := range orderedCalls(r) {
		c := r.Calls[name]
		if c.Requests == 0 {
			t.rows = append(t.rows, []string{name, "0", "0", "-", "-", "-", "-", "-", "-"})
			continue
		}
		l := c.LatencyMS
		t.rows = append(t.rows, []string{name, u(c.Requests), u(c.Errors), pct(c.ErrorRate),
			fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P99), fmtMS(l.Max), kindsText(c.Retcodes)})
	}
	s.table = t
	return s
}

// hasJourneys reports whether r is a journey run.
func hasJourneys(r *Report) bool { return r.Journeys.Planned > 0 || r.Journeys.Started > 0 }

func journeySection(r *Report) section {
	j := r.Journeys
	s := section{id: "journeys", title: "Journeys (time to softphone-ready)"}
	repeat := "no repeat"
	if j.RepeatS > 0 {
		repeat = "logininfo again every " + strconv.FormatFloat(j.RepeatS, 'f', -1, 64) + " s"
	}
	s.lines = []string{
		fmt.Sprintf("%d planned, %d started, %d completed, %d failed, %d interrupted; hold %s s, %s.",
			j.Planned, j.Started, j.Completed, j.Failed, j.Interrupted, strconv.FormatFloat(j.HoldS, 'f', -1, 64), repeat),
		fmt.Sprintf("Journeys started per second: requested %s, achieved %s%s.", yesNo(j.Rate.Requested > 0, rate(j.Rate.Requested), "-"), rate(j.Rate.Achieved), ratioText(r.Saturation.RateRatio)),
		fmt.Sprintf("Time to softphone-ready (sign-in sent to first valid token) of the %d journeys that got a token:", j.Ready),
	}
	l := j.ReadyMS
	s.table = &table{head: []string{"min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max"},
		right: []bool{true, true, true, true, true, true, true, true},
		rows:  [][]string{{fmtMS(l.Min), fmtMS(l.Mean), fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P95), fmtMS(l.P99), fmtMS(l.P999), fmtMS(l.Max)}}}
	if j.Ready == 0 {
		s.table = nil
		s.lines[2] = "No journey got a valid token."
	}
	return s
}

func journeyFailSection(r *Report) section {
	s := section{id: "journey-failures", title: "Failed journeys by step"}
	if len(r.Journeys.FailedBy) == 0 {
		s.lines = []string{"No journey failed."}
		return s
	}
	t := &table{head: []string{"step and verdict", "journeys", "share of started"}, right: []bool{false, true, true}}
	for _, k := range sortedByCount(r.Journeys.FailedBy) {
		t.rows = append(t.rows, []string{k, u(r.Journeys.FailedBy[k]), share(r.Journeys.FailedBy[k], r.Journeys.Started)})
	}
	s.table = t
	return s
}

// callColors are the lines of the per-call chart, in gateway.Calls order.
var callColors = map[string]string{
	gateway.CallSignIn: "#1f77b4", gateway.CallForceLogin: "#ff7f0e", gateway.CallLoginInfo: "#2ca02c",
	gateway.CallPoll: "#9467bd", gateway.CallLogout: "#8c564b", gateway.CallUpdateGuid: "#e377c2", gateway.CallOther: "#7f7f7f",
}

// callChart plots each call's latency percentiles (p50 to max) on the axis
// of the percentile curve.
func callChart(r *Report) (chart, bool) {
	maxInv := 1000.0
	for _, c := range r.Calls {
		maxInv = math.Max(maxInv, float64(c.Requests))
	}
	c := chart{id: "chart-calls", title: "Latency by call (p50, p90, p95, p99, p99.9, max)",
		xLabel: "percentile", yLabel: "latency (ms, log scale)", logX: true, logY: true, xTicks: percentileAxisTicks(maxInv)}
	for _, name := range orderedCalls(r) {
		cr := r.Calls[name]
		if cr.Requests == 0 {
			continue
		}
		l := cr.LatencyMS
		qs := []float64{50, 90, 95, 99, 99.9}
		ys := []float64{l.P50, l.P90, l.P95, l.P99, l.P999, l.Max}
		var xs []float64
		for _, q := range qs {
			xs = append(xs, math.Min(1/(1-q/100), maxInv))
		}
		xs = append(xs, math.Max(float64(cr.Requests), xs[len(xs)-1]))
		c.lines = append(c.lines, line{name: name, color: callColors[name], xs: xs, ys: ys})
	}
	return c, len(c.lines) > 0
}

// readyChart plots time to ready over time (by the journeys' start).
func readyChart(r *Report) (chart, bool) {
	pts := r.Journeys.ReadySeries
	if len(pts) == 0 {
		return chart{}, false
	}
	n := len(pts)
	ts, p50, p99 := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, p := range pts {
		ts[i], p50[i], p99[i] = p.T, p.P50MS, p.P99MS
		if p.Journeys == 0 {
			p50[i], p99[i] = math.NaN(), math.NaN()
		}
	}
	step := r.Journeys.ReadySeriesStepS
	if step <= 0 {
		step = 1
	}
	return chart{id: "chart-ready", title: "Time to softphone-ready over time (p50 and p99 per " + stepName(step) + " of journey starts)",
		xLabel: "seconds since the first journey started", yLabel: "time to ready (ms, log scale)", logY: true,
		lines: []line{{name: "ready p50", color: colorP50, xs: ts, ys: p50}, {name: "ready p99", color: colorP99, xs: ts, ys: p99}}}, true
}

// journeyCharts are the charts the journeys and calls add to report.html.
func journeyCharts(r *Report) []chart {
	var cs []chart
	if c, ok := callChart(r); ok {
		cs = append(cs, c)
	}
	if c, ok := readyChart(r); ok {
		cs = append(cs, c)
	}
	return slices.Clip(cs)
}

// ratioText is " (N% of requested)" for a known rate ratio.
func ratioText(p *float64) string {
	if p == nil {
		return ""
	}
	return " (" + pct(*p) + " of requested)"
}
