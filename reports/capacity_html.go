package reports

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// WriteCapacityHTML writes a capacity search's report.html: one
// self-contained page (inline CSS and SVG, no script, nothing from the
// network) with the answer, the capacity curve (offered rate against p50
// and p99 latency, error rate, and achieved rate, with the SLO lines and
// the answer marked), the steps and how to read them.
func WriteCapacityHTML(w io.Writer, c *Capacity) error {
	bw := bufio.NewWriter(w)
	e := html.EscapeString
	title := capacityTitle(c)
	state := "pass"
	switch {
	case c.Interrupted || c.GeneratorLimited():
		state = "open"
	case !c.Found() || (c.RequireMet != nil && !*c.RequireMet):
		state = "fail"
	}
	bw.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	bw.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(bw, "<title>%s</title>\n<style>%s%s</style>\n</head>\n<body>\n", e(title), pageCSS, capacityCSS)
	fmt.Fprintf(bw, "<header><h1>%s</h1><div id=\"verdict\" class=\"verdict %s\">%s</div></header>\n", e(title), state, e(capacityVerdict(c)))
	for _, wn := range c.Warnings {
		fmt.Fprintf(bw, "<div class=\"alert\"><strong>WARNING</strong> %s</div>\n", e(wn))
	}
	bw.WriteString("<section class=\"cards\">\n")
	card := func(k, v string) {
		fmt.Fprintf(bw, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">%s</div></div>\n", e(k), e(v))
	}
	answer := "none"
	if c.Found() {
		answer = rateText(*c.MaxSustainableRate)
		if c.GeneratorLimited() || c.LimitedBy == CapacityLimitedByMax || c.Interrupted {
			answer = "≥ " + answer
		}
	}
	card("max sustainable rate", answer)
	card("limited by", c.LimitedBy)
	if c.Bound != nil {
		card("first rate not passing", rateText(*c.Bound))
	}
	if c.Require != nil {
		card("require", rateText(*c.Require))
	}
	card("steps", strconv.Itoa(len(c.Steps)))
	card("took", secs(c.DurationS))
	bw.WriteString("</section>\n")
	fmt.Fprintf(bw, "<section id=\"answer\"><h2>Answer</h2>\n")
	for _, l := range capacityHead(c) {
		if l != "" {
			fmt.Fprintf(bw, "<p>%s</p>\n", e(l))
		}
	}
	bw.WriteString("</section>\n")
	for _, ch := range capacityCharts(c) {
		fmt.Fprintf(bw, "<section class=\"chartbox\"><h2>%s</h2>\n%s\n</section>\n", e(ch.title), ch.svg())
	}
	bw.WriteString("<section id=\"steps\"><h2>Steps</h2>\n")
	writeHTMLTable(bw, capacityTable(c))
	for _, st := range c.Steps {
		if st.Reason != "" {
			fmt.Fprintf(bw, "<p>step %d (%s): %s</p>\n", st.Step, e(rateText(st.Rate)), e(st.Reason))
		}
	}
	bw.WriteString("</section>\n<section id=\"notes\"><h2>How to read it</h2>\n<p>")
	bw.WriteString(e(strings.Join(capacityNotes(c), " ")))
	bw.WriteString("</p>\n</section>\n")
	fmt.Fprintf(bw, "<footer><div class=\"verdict %s\">%s</div></footer>\n</body>\n</html>\n", state, e(capacityVerdict(c)))
	return bw.Flush()
}

const capacityCSS = `
.verdict.open{background:#9a6700}
svg .marker{stroke:#fff;stroke-width:1}
`

// curvePoint is one step on the capacity curve.
type curvePoint struct {
	rate float64
	st   CapacityStep
}

// curve returns the valid, measured steps by rate (the last step at each
// rate: a confirmation supersedes the first measurement), and the invalid
// ones.
func curve(c *Capacity) (valid, invalid []curvePoint) {
	last := map[float64]CapacityStep{}
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
func capacityCharts(c *Capacity) []chart {
	valid, invalid := curve(c)
	xs := func(ps []curvePoint) []float64 {
		out := make([]float64, len(ps))
		for i, p := range ps {
			out[i] = p.rate
		}
		return out
	}
	ys := func(ps []curvePoint, f func(CapacityStep) float64) []float64 {
		out := make([]float64, len(ps))
		for i, p := range ps {
			out[i] = f(p.st)
		}
		return out
	}
	// Invalid steps as dots without a line between them.
	dots := func(ps []curvePoint, f func(CapacityStep) float64) ([]float64, []float64) {
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

	p50 := func(s CapacityStep) float64 { return s.LatencyMS.P50 }
	p99 := func(s CapacityStep) float64 { return s.LatencyMS.P99 }
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

	errPct := func(s CapacityStep) float64 { return s.ErrorRate * 100 }
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

	achieved := func(s CapacityStep) float64 { return s.Achieved }
	okRate := func(s CapacityStep) float64 { return s.Throughput }
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
