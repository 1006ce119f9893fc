package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"ccgw-harness/internal/atomicfile"
	"ccgw-harness/reports"
)

// WriteRun writes every output into dir (created if missing): summary.txt,
// report.json, report.md, report.html, junit.xml and latency.hgrm. Each file
// is written whole and renamed into place. a supplies the histogram for
// latency.hgrm.
func WriteRun(dir string, r *reports.Report, a *reports.Aggregator) error {
	return writeOutputs(dir, []output{
		{reports.SummaryFile, func(w io.Writer) error { return RunText(w, r) }},
		{reports.JSONFile, func(w io.Writer) error { return RunJSON(w, r) }},
		{reports.MarkdownFile, func(w io.Writer) error { return RunMarkdown(w, r) }},
		{reports.HTMLFile, func(w io.Writer) error { return RunHTML(w, r) }},
		{reports.JUnitFile, func(w io.Writer) error { return RunJUnit(w, r) }},
		{reports.HgrmFile, func(w io.Writer) error { return RunHgrm(w, a) }},
	})
}

// WriteComparison writes compare.txt, compare.json, compare.md and
// compare-junit.xml into dir (created if missing), each written whole and
// renamed into place.
func WriteComparison(dir string, c *reports.Comparison) error {
	of := func(write func(io.Writer, *reports.Comparison) error) func(io.Writer) error {
		return func(w io.Writer) error { return write(w, c) }
	}
	return writeOutputs(dir, []output{
		{reports.CompareTextFile, of(ComparisonText)},
		{reports.CompareJSONFile, of(ComparisonJSON)},
		{reports.CompareMarkdownFile, of(ComparisonMarkdown)},
		{reports.CompareJUnitFile, of(ComparisonJUnit)},
	})
}

// WriteCapacity writes capacity.json, summary.txt, report.html and
// junit.xml of a search into dir, each whole and renamed into place, so a
// search that is stopped keeps the files of the steps done so far.
func WriteCapacity(dir string, c *reports.Capacity) error {
	return writeOutputs(dir, []output{
		{reports.CapacityFile, func(w io.Writer) error { return CapacityJSON(w, c) }},
		{reports.SummaryFile, func(w io.Writer) error { return CapacityText(w, c) }},
		{reports.HTMLFile, func(w io.Writer) error { return CapacityHTML(w, c) }},
		{reports.JUnitFile, func(w io.Writer) error { return CapacityJUnit(w, c) }},
	})
}

// output is one file of a report: its name and its writer.
type output struct {
	name  string
	write func(io.Writer) error
}

// writeOutputs writes each output into dir (created if missing), each
// whole and renamed into place; a failing one does not stop the others.
func writeOutputs(dir string, outs []output) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var errs []error
	for _, o := range outs {
		var buf bytes.Buffer
		if err := o.write(&buf); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.name, err))
			continue
		}
		if err := atomicfile.Write(filepath.Join(dir, o.name), buf.Bytes()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
