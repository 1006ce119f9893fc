package reports

import (
	"bufio"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteSummary writes summary.txt: what a person reads first. It ends with
// the PASS or FAIL line.
func WriteSummary(w io.Writer, r *Report) error {
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

// WriteComparisonText writes compare.txt: the runs, the figures of both
// with their deltas, the gates, and the PASS / FAIL / NOT GATED line last.
func WriteComparisonText(w io.Writer, c *Comparison) error {
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
