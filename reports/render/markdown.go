package render

import (
	"bufio"
	"io"
	"strings"

	"ccgw-harness/reports"
)

// RunMarkdown writes report.md: the summary's content as Markdown tables
// (for CI job summaries and pull requests).
func RunMarkdown(w io.Writer, r *reports.Report) error { return writeMarkdown(w, runView(r)) }

// ComparisonMarkdown writes compare.md: compare.txt's content as
// Markdown (for CI job summaries and pull requests).
func ComparisonMarkdown(w io.Writer, c *reports.Comparison) error {
	return writeMarkdown(w, comparisonView(c))
}

// writeMarkdown writes a view as Markdown: the title, the verdict in bold
// first and last, the alerts quoted, each section under its heading. A
// capacity search has no Markdown form: its view's lead and lines after a
// table are not written.
func writeMarkdown(w io.Writer, v view) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("# " + mdEscape(v.title) + "\n\n")
	bw.WriteString("**" + mdEscape(v.verdict) + "**\n")
	for _, a := range v.alerts {
		bw.WriteString("\n> **" + mdEscape(a.title) + "**: " + mdEscape(strings.TrimPrefix(strings.TrimPrefix(a.text, a.title), ": ")) + "\n")
	}
	for _, s := range v.sections {
		bw.WriteString("\n## " + mdEscape(s.title) + "\n\n")
		for _, l := range s.lines {
			bw.WriteString(mdEscape(l) + "\n\n")
		}
		if s.table != nil {
			writeMDTable(bw, s.table)
		}
	}
	bw.WriteString("\n**" + mdEscape(v.verdict) + "**\n")
	return bw.Flush()
}

func writeMDTable(w *bufio.Writer, t *table) {
	cells := func(cs []string) {
		w.WriteString("|")
		for _, c := range cs {
			w.WriteString(" " + mdEscape(c) + " |")
		}
		w.WriteString("\n")
	}
	cells(t.head)
	w.WriteString("|")
	for i := range t.head {
		if i < len(t.right) && t.right[i] {
			w.WriteString("---:|")
		} else {
			w.WriteString("---|")
		}
	}
	w.WriteString("\n")
	for _, r := range t.rows {
		cells(r)
	}
}

var mdReplacer = strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`")

func mdEscape(s string) string { return mdReplacer.Replace(s) }
