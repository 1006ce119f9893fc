package render

import (
	"bufio"
	"io"
	"strings"
	"text/tabwriter"

	"ccgw-harness/reports"
)

// RunText writes summary.txt: what a person reads first. It ends with
// the PASS or FAIL line.
func RunText(w io.Writer, r *reports.Report) error { return writeText(w, runView(r)) }

// ComparisonText writes compare.txt: the runs, the figures of both
// with their deltas, the gates, and the PASS / FAIL / NOT GATED line last.
func ComparisonText(w io.Writer, c *reports.Comparison) error {
	return writeText(w, comparisonView(c))
}

// CapacityText writes a capacity search's summary.txt: the answer
// first, then the search's settings, the steps and how to read them. It
// ends with the CAPACITY line.
func CapacityText(w io.Writer, c *reports.Capacity) error { return writeText(w, capacityView(c)) }

// writeText writes a view as plain text: the title underlined, the lead,
// the alerts marked !!!, each section under its underlined title, and the
// verdict last.
func writeText(w io.Writer, v view) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(v.title + "\n" + strings.Repeat("=", len([]rune(v.title))) + "\n")
	if v.lead != nil {
		bw.WriteString("\n")
		for _, l := range v.lead.lines {
			bw.WriteString(l + "\n")
		}
	}
	for _, a := range v.alerts {
		bw.WriteString("\n!!! " + a.text + "\n")
	}
	for _, s := range v.sections {
		bw.WriteString("\n" + s.title + "\n" + strings.Repeat("-", len([]rune(s.title))) + "\n")
		for _, l := range s.lines {
			bw.WriteString(l + "\n")
		}
		if s.table != nil {
			writeTextTable(bw, s.table)
		}
		for _, l := range s.after {
			bw.WriteString(l + "\n")
		}
	}
	bw.WriteString("\n" + v.verdict + "\n")
	return bw.Flush()
}

func writeTextTable(w io.Writer, t *table) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(cells []string) {
		for i, c := range cells {
			tw.Write([]byte(strings.ReplaceAll(c, "\t", " ")))
			if i < len(cells)-1 {
				tw.Write([]byte{'\t'})
			}
		}
		tw.Write([]byte{'\n'})
	}
	row(t.head)
	for _, r := range t.rows {
		row(r)
	}
	tw.Flush()
}
