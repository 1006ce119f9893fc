package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Output file names written by WriteAll.
const (
	SummaryFile  = "summary.txt"
	JSONFile     = "report.json"
	MarkdownFile = "report.md"
	HTMLFile     = "report.html"
	JUnitFile    = "junit.xml"
	HgrmFile     = "latency.hgrm"
)

// Output file names written by WriteComparisonAll.
const (
	CompareTextFile     = "compare.txt"
	CompareJSONFile     = "compare.json"
	CompareMarkdownFile = "compare.md"
	CompareJUnitFile    = "compare-junit.xml"
)

// WriteAll writes every output into dir (created if missing): summary.txt,
// report.json, report.md, report.html, junit.xml and latency.hgrm. Each file
// is written whole and renamed into place. a supplies the histogram for
// latency.hgrm.
func WriteAll(dir string, r *Report, a *Aggregator) error {
	return writeOutputs(dir, []output{
		{SummaryFile, func(w io.Writer) error { return WriteSummary(w, r) }},
		{JSONFile, func(w io.Writer) error { return WriteJSON(w, r) }},
		{MarkdownFile, func(w io.Writer) error { return WriteMarkdown(w, r) }},
		{HTMLFile, func(w io.Writer) error { return WriteHTML(w, r) }},
		{JUnitFile, func(w io.Writer) error { return WriteJUnit(w, r) }},
		{HgrmFile, func(w io.Writer) error { return WriteHgrm(w, a) }},
	})
}

// WriteComparisonAll writes compare.txt, compare.json, compare.md and
// compare-junit.xml into dir (created if missing), each written whole and
// renamed into place.
func WriteComparisonAll(dir string, c *Comparison) error {
	of := func(write func(io.Writer, *Comparison) error) func(io.Writer) error {
		return func(w io.Writer) error { return write(w, c) }
	}
	return writeOutputs(dir, []output{
		{CompareTextFile, of(WriteComparisonText)},
		{CompareJSONFile, of(WriteComparisonJSON)},
		{CompareMarkdownFile, of(WriteComparisonMarkdown)},
		{CompareJUnitFile, of(WriteComparisonJUnit)},
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
		if err := writeFileAtomic(filepath.Join(dir, o.name), buf.Bytes()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// over path.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}
