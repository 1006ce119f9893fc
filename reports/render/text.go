package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"ccgw-harness/reports"
	"ccgw-harness/reports/internal/human"
)

// RunText writes summary.txt: what a person reads first. It ends with
// the PASS or FAIL line.
func RunText(w io.Writer, r *reports.Report) error {
	v := buildView(r)
	bw := bufio.NewWriter(w)
	bw.WriteString(v.title + "\n")
	bw.WriteString(strings.Repeat("=", len([]rune(v.title))) + "\n")
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
	}
	bw.WriteString("\n" + v.verdict + "\n")
	return bw.Flush()
}

// ComparisonText writes compare.txt: the runs, the figures of both
// with their deltas, the gates, and the PASS / FAIL / NOT GATED line last.
func ComparisonText(w io.Writer, c *reports.Comparison) error {
	bw := bufio.NewWriter(w)
	title := compareTitle(c)
	bw.WriteString(title + "\n" + strings.Repeat("=", len([]rune(title))) + "\n")
	for _, a := range compareAlerts(c) {
		bw.WriteString("\n!!! " + a.text + "\n")
	}
	for _, s := range compareSections(c) {
		bw.WriteString("\n" + s.title + "\n" + strings.Repeat("-", len([]rune(s.title))) + "\n")
		for _, l := range s.lines {
			bw.WriteString(l + "\n")
		}
		if s.table != nil {
			writeTextTable(bw, s.table)
		}
	}
	bw.WriteString("\n" + c.Verdict + "\n")
	return bw.Flush()
}

// CapacityText writes a capacity search's summary.txt: the answer
// first, then the search's settings, the steps and how to read them. It
// ends with the CAPACITY line.
func CapacityText(w io.Writer, c *reports.Capacity) error {
	bw := bufio.NewWriter(w)
	title := capacityTitle(c)
	bw.WriteString(title + "\n" + strings.Repeat("=", len([]rune(title))) + "\n\n")
	for _, l := range capacityHead(c) {
		bw.WriteString(l + "\n")
	}
	for _, wn := range c.Warnings {
		bw.WriteString("\n!!! WARNING: " + wn + "\n")
	}
	bw.WriteString("\nSteps\n-----\n")
	writeTextTable(bw, capacityTable(c))
	for _, st := range c.Steps {
		if st.Reason != "" {
			fmt.Fprintf(bw, "step %d (%s): %s\n", st.Step, human.ReqRate(st.Rate), st.Reason)
		}
	}
	bw.WriteString("\nHow to read it\n--------------\n")
	for _, l := range capacityNotes(c) {
		bw.WriteString(l + "\n")
	}
	bw.WriteString("\n" + capacityVerdict(c) + "\n")
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
