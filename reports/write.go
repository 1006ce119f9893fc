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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	outs := []struct {
		name  string
		write func(io.Writer) error
	}{
		{SummaryFile, func(w io.Writer) error { return WriteSummary(w, r) }},
		{JSONFile, func(w io.Writer) error { return WriteJSON(w, r) }},
		{MarkdownFile, func(w io.Writer) error { return WriteMarkdown(w, r) }},
		{HTMLFile, func(w io.Writer) error { return WriteHTML(w, r) }},
		{JUnitFile, func(w io.Writer) error { return WriteJUnit(w, r) }},
		{HgrmFile, func(w io.Writer) error { return WriteHgrm(w, a) }},
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

// WriteComparisonAll writes compare.txt, compare.json, compare.md and
// compare-junit.xml into dir (created if missing), each written whole and
// renamed into place.
func WriteComparisonAll(dir string, c *Comparison) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	outs := []struct {
		name  string
		write func(io.Writer, *Comparison) error
	}{
		{CompareTextFile, WriteComparisonText},
		{CompareJSONFile, WriteComparisonJSON},
		{CompareMarkdownFile, WriteComparisonMarkdown},
		{CompareJUnitFile, WriteComparisonJUnit},
	}
	var errs []error
	for _, o := range outs {
		var buf bytes.Buffer
		if err := o.write(&buf, c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.name, err))
			continue
		}
		if err := writeFileAtomic(filepath.Join(dir, o.name), buf.Bytes()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
