package render

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/human"
	"ccgw-harness/reports"
	"ccgw-harness/slo"
)

// Each document has one view (runView, comparisonView, capacityView),
// and every human-readable form renders that view, never the document:
// writeText (summary.txt, compare.txt), writeMarkdown (report.md,
// compare.md) and writePage (report.html), so they say the same.

// view is a document as a person reads it.
type view struct {
	title string
	// lead holds the lines under the title, before the alerts (a capacity
	// search's answer); "" separates paragraphs. The page shows it as a
	// section before the charts.
	lead   *section
	alerts []alert
	// sections are in reading order; the page moves those marked first
	// before its charts.
	sections []section
	verdict  string // the last line: "PASS: ...", "FAIL: ...", "CAPACITY: ..."
	// cards, charts, state (the verdict's colour: pass, fail or open) and
	// css (beyond pageCSS) are the page's alone.
	cards  []card
	charts []chart
	state  string
	css    string
}

// section is one block of a view.
type section struct {
	id    string // the page's anchor
	title string
	lines []string // paragraphs before the table
	table *table
	after []string // paragraphs after the table
	// first: the page shows it before the charts (the SLO gates, what a
	// pipeline failed on). joined: the page shows lines as one paragraph
	// (text hard-wrapped for summary.txt).
	first, joined bool
}

// table is a rendered table; numeric columns are right-aligned.
type table struct {
	head  []string
	right []bool
	rows  [][]string
}

// alert is a loud warning shown before the sections: text is "TITLE:
// what", title the TITLE.
type alert struct {
	title string
	text  string
}

// card is one figure at the top of the page.
type card struct{ k, v string }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

func share(n, total uint64) string {
	if total == 0 {
		return "-"
	}
	return human.Pct(float64(n) / float64(total))
}

// gateValue formats a gate's threshold or actual value by its unit.
func gateValue(g reports.Gate, x float64) string {
	switch g.Unit {
	case "ms":
		return human.MS(x)
	case "ratio":
		if g.Name == slo.GateErrorRate || strings.HasSuffix(g.Name, "."+slo.GateErrorRate) {
			return human.Pct(x)
		}
		return strconv.FormatFloat(x, 'f', 4, 64)
	case "bool":
		return human.YesNo(x != 0, "saturated", "not saturated")
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// retcodeMeaning is gateway.RetcodeMeaning, with the "other" bucket named.
func retcodeMeaning(code string) string {
	if code == reports.OtherKey {
		return "retcodes beyond the counted kinds"
	}
	return gateway.RetcodeMeaning(code)
}

func stepName(step float64) string {
	if step == 1 {
		return "second"
	}
	return fmt.Sprintf("%g s", step)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func durMS(d time.Duration) float64 { return round(float64(d)/1e6, 3) }

// round rounds x to n decimals.
func round(x float64, n int) float64 {
	p := math.Pow10(n)
	return math.Round(x*p) / p
}
