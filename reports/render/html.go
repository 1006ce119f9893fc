package render

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"

	"ccgw-harness/reports"
	"ccgw-harness/reports/internal/human"
)

// RunHTML writes report.html: one self-contained page (inline CSS and
// inline SVG charts, no script, nothing loaded from the network) with the
// verdict, the alerts, latency over time, the latency percentile curve,
// throughput and errors over time, and the summary's tables.
func RunHTML(w io.Writer, r *reports.Report) error {
	v := buildView(r)
	bw := bufio.NewWriter(w)
	e := html.EscapeString
	bw.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	bw.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(bw, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", e(v.title), pageCSS)
	fmt.Fprintf(bw, "<header><h1>%s</h1><div id=\"verdict\" class=\"verdict %s\">%s</div></header>\n",
		e(v.title), human.YesNo(v.pass, "pass", "fail"), e(v.verdict))
	for _, a := range v.alerts {
		fmt.Fprintf(bw, "<div class=\"alert\"><strong>%s</strong> %s</div>\n", e(a.title), e(trimTitle(a)))
	}
	bw.WriteString("<section class=\"cards\">\n")
	card := func(k, val string) {
		fmt.Fprintf(bw, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">%s</div></div>\n", e(k), e(val))
	}
	card("requests", u(r.Requests))
	card("error rate", human.Pct(r.ErrorRate))
	card("achieved rate", human.Rate(r.Rate.Achieved))
	card("p50", human.MS(r.LatencyMS.P50))
	card("p99", human.MS(r.LatencyMS.P99))
	card("p99.9", human.MS(r.LatencyMS.P999))
	card("max", human.MS(r.LatencyMS.Max))
	card("contract violations", u(r.ContractViolations))
	if hasJourneys(r) {
		card("journeys started", u(r.Journeys.Started))
		card("journeys failed", u(r.Journeys.Failed))
		card("ready p50", human.MS(r.Journeys.ReadyMS.P50))
		card("ready p99", human.MS(r.Journeys.ReadyMS.P99))
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
	fmt.Fprintf(bw, "<footer><div class=\"verdict %s\">%s</div></footer>\n</body>\n</html>\n", human.YesNo(v.pass, "pass", "fail"), e(v.verdict))
	return bw.Flush()
}

// CapacityHTML writes a capacity search's report.html: one
// self-contained page (inline CSS and SVG, no script, nothing from the
// network) with the answer, the capacity curve (offered rate against p50
// and p99 latency, error rate, and achieved rate, with the SLO lines and
// the answer marked), the steps and how to read them.
func CapacityHTML(w io.Writer, c *reports.Capacity) error {
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
		answer = human.ReqRate(*c.MaxSustainableRate)
		if c.GeneratorLimited() || c.LimitedBy == reports.CapacityLimitedByMax || c.Interrupted {
			answer = "≥ " + answer
		}
	}
	card("max sustainable rate", answer)
	card("limited by", c.LimitedBy)
	if c.Bound != nil {
		card("first rate not passing", human.ReqRate(*c.Bound))
	}
	if c.Require != nil {
		card("require", human.ReqRate(*c.Require))
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
			fmt.Fprintf(bw, "<p>step %d (%s): %s</p>\n", st.Step, e(human.ReqRate(st.Rate)), e(st.Reason))
		}
	}
	bw.WriteString("</section>\n<section id=\"notes\"><h2>How to read it</h2>\n<p>")
	bw.WriteString(e(strings.Join(capacityNotes(c), " ")))
	bw.WriteString("</p>\n</section>\n")
	fmt.Fprintf(bw, "<footer><div class=\"verdict %s\">%s</div></footer>\n</body>\n</html>\n", state, e(capacityVerdict(c)))
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

const capacityCSS = `
.verdict.open{background:#9a6700}
svg .marker{stroke:#fff;stroke-width:1}
`
