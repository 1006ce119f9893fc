package render

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/internal/human"
	"ccgw-harness/reports"
	"ccgw-harness/slo"
)

// The view of a capacity search's Capacity: its answer, the steps table,
// how to read it, and report.html's cards and capacity curve.

// capacityView is a Capacity as its summary.txt and report.html show it.
func capacityView(c *reports.Capacity) view {
	v := view{title: capacityTitle(c), lead: &section{id: "answer", title: "Answer", lines: capacityHead(c)},
		verdict: capacityVerdict(c), state: capacityState(c), css: capacityCSS,
		cards: capacityCards(c), charts: capacityCharts(c)}
	for _, wn := range c.Warnings {
		v.alerts = append(v.alerts, alert{"WARNING", "WARNING: " + wn})
	}
	steps := section{id: "steps", title: "Steps", table: capacityTable(c)}
	for _, st := range c.Steps {
		if st.Reason != "" {
			steps.after = append(steps.after, fmt.Sprintf("step %d (%s): %s", st.Step, human.ReqRate(st.Rate), st.Reason))
		}
	}
	v.sections = []section{steps, {id: "notes", title: "How to read it", lines: capacityNotes(c), joined: true}}
	return v
}

// capacityState is the verdict's colour: open when the generator or an
// interruption left the answer a lower bound.
func capacityState(c *reports.Capacity) string {
	switch {
	case c.Interrupted || c.GeneratorLimited():
		return "open"
	case !c.Found() || (c.RequireMet != nil && !*c.RequireMet):
		return "fail"
	}
	return "pass"
}

// capacityCards are the figures at the top of the page.
func capacityCards(c *reports.Capacity) []card {
	answer := "none"
	if c.Found() {
		answer = human.ReqRate(*c.MaxSustainableRate)
		if c.GeneratorLimited() || c.LimitedBy == reports.CapacityLimitedByMax || c.Interrupted {
			answer = "≥ " + answer
		}
	}
	cs := []card{{"max sustainable rate", answer}, {"limited by", c.LimitedBy}}
	if c.Bound != nil {
		cs = append(cs, card{"first rate not passing", human.ReqRate(*c.Bound)})
	}
	if c.Require != nil {
		cs = append(cs, card{"require", human.ReqRate(*c.Require)})
	}
	return append(cs, card{"steps", strconv.Itoa(len(c.Steps))}, card{"took", secs(c.DurationS)})
}

func capacityTitle(c *reports.Capacity) string {
	return fmt.Sprintf("ccgw capacity: target %s, plan %s", orDash(c.Target), orDash(c.Plan))
}

// capacityHead is the answer and the search's settings, as lines.
func capacityHead(c *reports.Capacity) []string {
	ls := []string{"Answer: " + c.Answer + " (limited_by " + c.LimitedBy + ")"}
	if c.Require != nil {
		state := "OPEN: the search stopped below it without the gateway failing"
		if c.RequireMet != nil {
			state = human.YesNo(*c.RequireMet, "met", "NOT MET")
		}
		ls = append(ls, fmt.Sprintf("Require: at least %s: %s", human.ReqRate(*c.Require), state))
	}
	s := c.Settings
	ls = append(ls, "",
		fmt.Sprintf("Search: from %s, growing ×%s up to %s, bisecting to %s; %s a step, warm-up %s.",
			human.ReqRate(s.Start), strconv.FormatFloat(s.Growth, 'f', -1, 64), human.ReqRate(s.Max), human.Pct(s.Precision),
			secs(s.StepS), secs(s.WarmupS)),
		fmt.Sprintf("Ran %d steps (at most %d unless a confirmation fails; estimate %s) in %s.",
			len(c.Steps), s.MaxSteps, secs(s.EstimateS), secs(c.DurationS)),
		fmt.Sprintf("Agents %d, %d connections (%d requests in flight at most), %s, TLS %s.",
			c.Agents, c.Connections, c.Workers, human.YesNo(c.HTTP2, "HTTP/2", "HTTP/1.1"), human.YesNo(c.TLSVerify, "verified", "NOT verified")),
		"Gates, on each step alone: "+gatesText(c.SLO)+".")
	if c.Interrupted {
		ls = append(ls, "INTERRUPTED: the search was stopped before it ended; the steps done so far are below.")
	}
	return ls
}

// gatesText lists the SLO's gates: "p99 <= 100 ms, error_rate <= 1.00%, ...".
func gatesText(s *slo.Objectives) string {
	if s == nil {
		return "contract violations"
	}
	var out []string
	keys := make([]string, 0, len(s.Latency))
	for k := range s.Latency {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, k+" <= "+human.MS(durMS(s.Latency[k])))
	}
	if s.ErrorRate != nil {
		out = append(out, "error_rate <= "+human.Pct(*s.ErrorRate))
	}
	if s.MinRateRatio != nil {
		out = append(out, "min_rate_ratio >= "+strconv.FormatFloat(*s.MinRateRatio, 'f', -1, 64))
	}
	maxCV := 0
	if s.MaxContractViolations != nil {
		maxCV = *s.MaxContractViolations
	}
	out = append(out, fmt.Sprintf("contract_violations <= %d", maxCV))
	return strings.Join(out, ", ")
}

// capacityTable is the steps table of the summary and the page.
func capacityTable(c *reports.Capacity) *table {
	t := &table{head: []string{"step", "phase", "rate", "achieved", "p50", "p99", "p99 response", "errors", "verdict"},
		right: []bool{true, false, true, true, true, true, true, true, false}}
	for _, st := range c.Steps {
		t.rows = append(t.rows, []string{strconv.Itoa(st.Step), st.Phase, rateNum(st.Rate), strconv.FormatFloat(st.Achieved, 'f', 1, 64) + "/s",
			human.MS(st.LatencyMS.P50), human.MS(st.LatencyMS.P99), human.MS(st.ResponseLatencyMS.P99), human.Pct(st.ErrorRate), stepVerdict(st)})
	}
	return t
}

func rateNum(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) + "/s" }

// stepVerdict is a step's verdict in a word or three.
func stepVerdict(st reports.CapacityStep) string {
	switch {
	case st.Interrupted:
		return "interrupted"
	case st.Pass:
		return "pass"
	case !st.Valid:
		return "INVALID (generator)"
	}
	return "FAIL " + strings.Join(st.FailingGates, ", ")
}

// stepText is a step's figures in one line.
func stepText(st reports.CapacityStep) string {
	s := fmt.Sprintf("offered %s, sent %s, %d requests, p50 %s, p99 %s (response p99 %s), errors %s: %s",
		rateNum(st.Rate), rateNum(st.Achieved), st.Requests, human.MS(st.LatencyMS.P50), human.MS(st.LatencyMS.P99),
		human.MS(st.ResponseLatencyMS.P99), human.Pct(st.ErrorRate), stepVerdict(st))
	if st.Reason != "" {
		s += " (" + st.Reason + ")"
	}
	return s
}

func optRate(r *float64) string {
	if r == nil {
		return "null"
	}
	return strconv.FormatFloat(*r, 'f', -1, 64)
}

// capacityNotes says how the search works and how to read it.
func capacityNotes(c *reports.Capacity) []string {
	return []string{
		"Each step offers a constant rate for its length and is judged on its own results by every SLO gate.",
		"Latency counts from each request's planned send time (its lag behind the schedule plus its response",
		"time), so a generator that falls behind cannot hide a slow gateway; 'p99 response' is the gateway's",
		"own response time (from the actual send, over the requests the generator sent on time).",
		"A failed gate is the gateway's when error rate or contract violations fail, or a latency gate fails on",
		"the response time alone. A step is INVALID (the generator, not the gateway, stopped it) when it sent",
		"at less than 98% of the planned rate, when only the generator's lag broke a latency gate, or when the",
		"response time was within twice the generator's own largest stall (its burst may have queued them) or",
		"the generator ran out of connections on a CPU-contended machine.",
		"The search grows the rate until a step does not pass, bisects between the highest pass and the lowest",
		"non-pass to the precision, and confirms the answer with one more step. Between steps the gateway is",
		"drained: one request at a time until answers are as fast as on the idle gateway.",
		"Each step's results and reports are in its directory (ccgw report DIR/steps/NN-RATE reproduces",
		"them); merged/results.bin holds every step's results, merged/calls.bin the agents' own calls.",
	}
}

// capacityVerdict is the last line: the answer in one line.
func capacityVerdict(c *reports.Capacity) string {
	switch {
	case c.Interrupted:
		return "CAPACITY INTERRUPTED: " + c.Answer
	case !c.Found():
		return "CAPACITY NONE: " + c.Answer
	case c.Require != nil && c.RequireMet != nil && !*c.RequireMet:
		return fmt.Sprintf("CAPACITY BELOW REQUIREMENT (%s): %s", human.ReqRate(*c.Require), c.Answer)
	}
	return "CAPACITY: " + c.Answer
}

// secs formats seconds for people: "10s", "2m03s", "1.5s".
func secs(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d < 10*time.Second {
		return strconv.FormatFloat(round(s, 1), 'f', -1, 64) + "s"
	}
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	if d < time.Hour {
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// curvePoint is one step on the capacity curve.
type curvePoint struct {
	rate float64
	st   reports.CapacityStep
}

// curve returns the valid, measured steps by rate (the last step at each
// rate: a confirmation supersedes the first measurement), and the invalid
// ones.
func curve(c *reports.Capacity) (valid, invalid []curvePoint) {
	last := map[float64]reports.CapacityStep{}
	for _, st := range c.Steps {
		switch {
		case st.Interrupted || st.Requests == 0:
		case st.Valid:
			last[st.Rate] = st
		default:
			invalid = append(invalid, curvePoint{st.Rate, st})
		}
	}
	for r, st := range last {
		valid = append(valid, curvePoint{r, st})
	}
	slices.SortFunc(valid, func(a, b curvePoint) int { return cmpFloat(a.rate, b.rate) })
	slices.SortFunc(invalid, func(a, b curvePoint) int { return cmpFloat(a.rate, b.rate) })
	return valid, invalid
}

// capacityCharts builds the capacity curve: latency, error rate and
// achieved rate against the offered rate.
func capacityCharts(c *reports.Capacity) []chart {
	valid, invalid := curve(c)
	xs := func(ps []curvePoint) []float64 {
		out := make([]float64, len(ps))
		for i, p := range ps {
			out[i] = p.rate
		}
		return out
	}
	ys := func(ps []curvePoint, f func(reports.CapacityStep) float64) []float64 {
		out := make([]float64, len(ps))
		for i, p := range ps {
			out[i] = f(p.st)
		}
		return out
	}
	// Invalid steps as dots without a line between them.
	dots := func(ps []curvePoint, f func(reports.CapacityStep) float64) ([]float64, []float64) {
		var x, y []float64
		for _, p := range ps {
			x, y = append(x, p.rate, p.rate), append(y, f(p.st), math.NaN())
		}
		return x, y
	}
	all := append(append([]curvePoint(nil), valid...), invalid...)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range all {
		lo, hi = math.Min(lo, p.rate), math.Max(hi, p.rate)
	}
	if len(all) == 0 {
		lo, hi = c.Settings.Start, c.Settings.Max
	}
	hline := func(name, color string, y float64) line {
		return line{name: name, color: color, dashed: true, xs: []float64{lo, hi}, ys: []float64{y, y}}
	}
	vline := func(y0, y1 float64) (line, bool) {
		if !c.Found() || y1 <= y0 {
			return line{}, false
		}
		a := *c.MaxSustainableRate
		return line{name: "answer " + rateNum(a), color: colorOK, dashed: true, xs: []float64{a, a}, ys: []float64{y0, y1}}, true
	}

	p50 := func(s reports.CapacityStep) float64 { return s.LatencyMS.P50 }
	p99 := func(s reports.CapacityStep) float64 { return s.LatencyMS.P99 }
	lat := chart{id: "chart-capacity-latency", title: "Latency against offered rate (from the planned send time)",
		xLabel: "offered rate (requests/s)", yLabel: "latency (ms, log scale)", logY: true,
		lines: []line{
			{name: "p50", color: colorP50, markers: true, xs: xs(valid), ys: ys(valid, p50)},
			{name: "p99", color: colorP99, markers: true, xs: xs(valid), ys: ys(valid, p99)},
		}}
	yLo, yHi := math.Inf(1), 0.0
	for _, l := range lat.lines {
		for _, y := range l.ys {
			if y > 0 {
				yLo, yHi = math.Min(yLo, y), math.Max(yHi, y)
			}
		}
	}
	if c.SLO != nil {
		keys := make([]string, 0, len(c.SLO.Latency))
		for k := range c.SLO.Latency {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			th := durMS(c.SLO.Latency[k])
			lat.lines = append(lat.lines, hline(k+" SLO", colorPlan, th))
			yLo, yHi = math.Min(yLo, th), math.Max(yHi, th)
		}
	}
	if len(invalid) > 0 {
		x, y := dots(invalid, p99)
		lat.lines = append(lat.lines, line{name: "p99, invalid steps", color: colorCurve, markers: true, xs: x, ys: y})
	}
	if l, ok := vline(yLo, yHi); ok {
		lat.lines = append(lat.lines, l)
	}

	errPct := func(s reports.CapacityStep) float64 { return s.ErrorRate * 100 }
	errs := chart{id: "chart-capacity-errors", title: "Error rate against offered rate",
		xLabel: "offered rate (requests/s)", yLabel: "error rate (%)",
		lines: []line{{name: "error rate", color: colorErr, markers: true, xs: xs(valid), ys: ys(valid, errPct)}}}
	eHi := 0.0
	for _, y := range ys(valid, errPct) {
		eHi = math.Max(eHi, y)
	}
	if c.SLO != nil && c.SLO.ErrorRate != nil {
		errs.lines = append(errs.lines, hline("error_rate SLO", colorPlan, *c.SLO.ErrorRate*100))
		eHi = math.Max(eHi, *c.SLO.ErrorRate*100)
	}
	if l, ok := vline(0, math.Max(eHi, 1)); ok {
		errs.lines = append(errs.lines, l)
	}

	achieved := func(s reports.CapacityStep) float64 { return s.Achieved }
	okRate := func(s reports.CapacityStep) float64 { return s.Throughput }
	thr := chart{id: "chart-capacity-throughput", title: "Achieved rate and successful answers against offered rate",
		xLabel: "offered rate (requests/s)", yLabel: "requests per second",
		lines: []line{
			{name: "offered", color: colorPlan, dashed: true, xs: []float64{lo, hi}, ys: []float64{lo, hi}},
			{name: "sent", color: colorP50, markers: true, xs: xs(valid), ys: ys(valid, achieved)},
			{name: "ok/s", color: colorOK, markers: true, xs: xs(valid), ys: ys(valid, okRate)},
		}}
	if len(invalid) > 0 {
		x, y := dots(invalid, achieved)
		thr.lines = append(thr.lines, line{name: "sent, invalid steps", color: colorCurve, markers: true, xs: x, ys: y})
	}
	return []chart{lat, errs, thr}
}
