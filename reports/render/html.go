package render

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strings"

	"ccgw-harness/reports"
)

// RunHTML writes report.html: one self-contained page (inline CSS and
// inline SVG charts, no script, nothing loaded from the network) with the
// verdict, the alerts, latency over time, the latency percentile curve,
// throughput and errors over time, and the summary's tables.
func RunHTML(w io.Writer, r *reports.Report) error { return writePage(w, runView(r)) }

// CapacityHTML writes a capacity search's report.html: one
// self-contained page (inline CSS and SVG, no script, nothing from the
// network) with the answer, the capacity curve (offered rate against p50
// and p99 latency, error rate, and achieved rate, with the SLO lines and
// the answer marked), the steps and how to read them.
func CapacityHTML(w io.Writer, c *reports.Capacity) error { return writePage(w, capacityView(c)) }

// writePage writes a view as one HTML page: the verdict in the header, the
// alerts, the cards, the lead and the sections marked first, the charts,
// the other sections, and the verdict again in the footer.
func writePage(w io.Writer, v view) error {
	bw := bufio.NewWriter(w)
	e := html.EscapeString
	bw.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	bw.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(bw, "<title>%s</title>\n<style>%s%s</style>\n</head>\n<body>\n", e(v.title), pageCSS, v.css)
	fmt.Fprintf(bw, "<header><h1>%s</h1><div id=\"verdict\" class=\"verdict %s\">%s</div></header>\n", e(v.title), v.state, e(v.verdict))
	for _, a := range v.alerts {
		fmt.Fprintf(bw, "<div class=\"alert\"><strong>%s</strong> %s</div>\n", e(a.title), e(trimTitle(a)))
	}
	bw.WriteString("<section class=\"cards\">\n")
	for _, c := range v.cards {
		fmt.Fprintf(bw, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">%s</div></div>\n", e(c.k), e(c.v))
	}
	bw.WriteString("</section>\n")
	// An empty line separates paragraphs in text; here every line is a
	// paragraph of its own.
	writeSection := func(s section) {
		fmt.Fprintf(bw, "<section id=\"%s\"><h2>%s</h2>\n", s.id, e(s.title))
		if s.joined {
			bw.WriteString("<p>" + e(strings.Join(s.lines, " ")) + "</p>\n")
		} else {
			for _, l := range s.lines {
				if l != "" {
					fmt.Fprintf(bw, "<p>%s</p>\n", e(l))
				}
			}
		}
		if s.table != nil {
			writeHTMLTable(bw, s.table)
		}
		for _, l := range s.after {
			if l != "" {
				fmt.Fprintf(bw, "<p>%s</p>\n", e(l))
			}
		}
		bw.WriteString("</section>\n")
	}
	if v.lead != nil {
		writeSection(*v.lead)
	}
	for _, s := range v.sections {
		if s.first {
			writeSection(s)
		}
	}
	for _, c := range v.charts {
		fmt.Fprintf(bw, "<section class=\"chartbox\"><h2>%s</h2>\n%s\n</section>\n", e(c.title), c.svg())
	}
	for _, s := range v.sections {
		if !s.first {
			writeSection(s)
		}
	}
	fmt.Fprintf(bw, "<footer><div class=\"verdict %s\">%s</div></footer>\n</body>\n</html>\n", v.state, e(v.verdict))
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
