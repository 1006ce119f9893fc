package render

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/reports"
	"ccgw-harness/reports/internal/human"
	"ccgw-harness/slo"
)

// The human-readable documents (summary.txt, report.md, report.html, and a
// comparison's and a capacity search's) are built from a view: a title,
// loud alerts, and sections of lines and tables.

// section is one block of a rendered report.
type section struct {
	id    string // anchor / chart hook in HTML
	title string
	lines []string // paragraphs before the table
	table *table
}

// table is a rendered table; numeric columns are right-aligned.
type table struct {
	head  []string
	right []bool
	rows  [][]string
}

// alert is a loud warning shown before everything else.
type alert struct {
	title string
	text  string
}

// view is what every human-readable writer shows.
type view struct {
	title    string
	alerts   []alert
	sections []section
	verdict  string // "PASS: ..." or "FAIL: ..."
	pass     bool
}

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
