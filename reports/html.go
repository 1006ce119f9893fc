package reports

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
)

// WriteHTML writes report.html: one self-contained page (inline CSS and
// inline SVG charts, no script, nothing loaded from the network) with the
// verdict, the alerts, latency over time, the latency percentile curve,
// throughput and errors over time, and the summary's tables.
func WriteHTML(w io.Writer, r *Report) error {
	v := buildView(r)
	bw := bufio.NewWriter(w)
	e := html.EscapeString
	bw.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	bw.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(bw, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", e(v.title), pageCSS)
	fmt.Fprintf(bw, "<header><h1>%s</h1><div id=\"verdict\" class=\"verdict %s\">%s</div></header>\n",
		e(v.title), yesNo(v.pass, "pass", "fail"), e(v.verdict))
	for _, a := range v.alerts {
		fmt.Fprintf(bw, "<div class=\"alert\"><strong>%s</strong> %s</div>\n", e(a.title), e(trimTitle(a)))
	}
	bw.WriteString("<section class=\"cards\">\n")
	card := func(k, val string) {
		fmt.Fprintf(bw, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">%s</div></div>\n", e(k), e(val))
	}
	card("requests", u(r.Requests))
	card("error rate", pct(r.ErrorRate))
	card("achieved rate", rate(r.Rate.Achieved))
	card("p50", fmtMS(r.LatencyMS.P50))
	card("p99", fmtMS(r.LatencyMS.P99))
	card("p99.9", fmtMS(r.LatencyMS.P999))
	card("max", fmtMS(r.LatencyMS.Max))
	card("contract violations", u(r.ContractViolations))
	if hasJourneys(r) {
		card("journeys started", u(r.Journeys.Started))
		card("journeys failed", u(r.Journeys.Failed))
		card("ready p50", fmtMS(r.Journeys.ReadyMS.P50))
		card("ready p99", fmtMS(r.Journeys.ReadyMS.P99))
	}
	bw.WriteString("</section>\n")

	// The SLO gates first (what a pipeline failed on), then the charts, then
	// the summary's other tables.
	writeSection := func(s section) {
		fmt.Fprintf(bw, "<section id=\"%s\"><h2>%s</h2>\n", s.id, e(s.title))
		for _, l := range s.lines {
			fmt.Fprintf(bw, "<p>%s</p>\n", e(l))
		}
		if s.table != nil {
			writeHTMLTable(bw, s.table)
		}
		bw.WriteString("</section>\n")
	}
	for _, s := range v.sections {
		if s.id == "slo" {
			writeSection(s)
		}
	}
	for _, c := range append(charts(r), journeyCharts(r)...) {
		fmt.Fprintf(bw, "<section class=\"chartbox\"><h2>%s</h2>\n%s\n</section>\n", e(c.title), c.svg())
	}
	for _, s := range v.sections {
		if s.id != "slo" {
			writeSection(s)
		}
	}
	fmt.Fprintf(bw, "<footer><div class=\"verdict %s\">%s</div></footer>\n</body>\n</html>\n", yesNo(v.pass, "pass", "fail"), e(v.verdict))
	return bw.Flush()
}

func trimTitle(a alert) string {
	if len(a.text) > len(a.title)+2 && a.text[:len(a.title)] == a.title {
		return a.text[len(a.title)+2:]
	}
	return a.text
}

func writeHTMLTable(w *bufio.Writer, t *table) {
	e := html.EscapeString
	w.WriteString("<table>\n<thead><tr>")
	for i, h := range t.head {
		fmt.Fprintf(w, "<th%s>%s</th>", numClass(t, i), e(h))
	}
	w.WriteString("</tr></thead>\n<tbody>\n")
	for _, row := range t.rows {
		w.WriteString("<tr>")
		for i, c := range row {
			cls := numClass(t, i)
			if c == "FAIL" {
				cls = ` class="bad"`
			}
			fmt.Fprintf(w, "<td%s>%s</td>", cls, e(c))
		}
		w.WriteString("</tr>\n")
	}
	w.WriteString("</tbody>\n</table>\n")
}

func numClass(t *table, i int) string {
	if i < len(t.right) && t.right[i] {
		return ` class="num"`
	}
	return ""
}

// charts builds the report's charts from its time series and percentiles.
func charts(r *Report) []chart {
	n := len(r.TimeSeries)
	ts := make([]float64, n)
	p50, p99 := make([]float64, n), make([]float64, n)
	okRate, errRate := make([]float64, n), make([]float64, n)
	step := r.TimeSeriesStep
	if step <= 0 {
		step = 1
	}
	for i, p := range r.TimeSeries {
		ts[i] = p.T
		p50[i], p99[i] = p.P50MS, p.P99MS
		if p.Requests == 0 {
			p50[i], p99[i] = math.NaN(), math.NaN() // no requests: a gap, not 0 ms
		}
		okRate[i] = float64(p.OK) / step
		errRate[i] = float64(p.Errors) / step
	}
	lat := chart{id: "chart-latency", title: "Latency over time (p50 and p99 per " + stepName(step) + ")",
		xLabel: "seconds since the first request", yLabel: "latency (ms, log scale)", logY: true,
		lines: []line{{name: "p50", color: colorP50, xs: ts, ys: p50}, {name: "p99", color: colorP99, xs: ts, ys: p99}}}
	thr := chart{id: "chart-throughput", title: "Throughput and errors over time",
		xLabel: "seconds since the first request", yLabel: "responses per second (by send time)",
		lines: []line{{name: "ok/s", color: colorOK, xs: ts, ys: okRate}, {name: "errors/s", color: colorErr, xs: ts, ys: errRate}}}
	if r.Rate.Requested > 0 && n > 0 {
		thr.lines = append(thr.lines, line{name: "requested", color: colorPlan, dashed: true,
			xs: []float64{ts[0], ts[n-1]}, ys: []float64{r.Rate.Requested, r.Rate.Requested}})
	}

	// Percentile curve on a log axis of 1/(1-q); the maximum sits at the
	// resolution of the data (1 in requests).
	maxInv := math.Max(float64(r.Requests), 10)
	var qx, qy []float64
	for _, p := range r.Percentiles {
		inv := maxInv
		if p.Q < 100 {
			inv = math.Min(1/(1-p.Q/100), maxInv)
		}
		qx, qy = append(qx, inv), append(qy, p.MS)
	}
	hdrc := chart{id: "chart-percentiles", title: "Latency by percentile (HdrHistogram, all results)",
		xLabel: "percentile", yLabel: "latency (ms, log scale)", logX: true, logY: true, xTicks: percentileAxisTicks(maxInv),
		lines: []line{{name: "latency", color: colorCurve, xs: qx, ys: qy}}}
	return []chart{lat, hdrc, thr}
}

func stepName(step float64) string {
	if step == 1 {
		return "second"
	}
	return fmt.Sprintf("%g s", step)
}

const pageCSS = `
:root{--fg:#1b1f23;--muted:#586069;--bg:#fff;--line:#e1e4e8;--ok:#1a7f37;--bad:#cf222e}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:20px}
header{display:flex;align-items:center;justify-content:space-between;gap:16px;border-bottom:2px solid var(--line);padding-bottom:10px}
h1{font-size:22px;margin:0}
h2{font-size:17px;margin:26px 0 8px}
.verdict{font-weight:700;padding:6px 12px;border-radius:6px;color:#fff}
.verdict.pass{background:var(--ok)}
.verdict.fail{background:var(--bad)}
.alert{margin:14px 0;padding:12px 14px;border:2px solid var(--bad);background:#ffebe9;border-radius:6px;font-size:15px}
.alert strong{color:var(--bad)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(115px,1fr));gap:10px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 10px}
.card .k{color:var(--muted);font-size:12px}
.card .v{font-size:19px;font-weight:600}
.chartbox svg{width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
svg .plot{fill:#fafbfc;stroke:#d0d7de}
svg .grid{stroke:#e1e4e8;stroke-width:1}
svg .tick{font-size:11px;fill:var(--muted)}
svg .axis{font-size:12px;fill:var(--fg)}
svg .legend{font-size:12px;fill:var(--fg)}
table{border-collapse:collapse;margin:6px 0 10px;min-width:40%}
th,td{border:1px solid var(--line);padding:4px 9px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.bad{color:var(--bad);font-weight:700}
footer{margin-top:24px;border-top:2px solid var(--line);padding-top:12px}
`
