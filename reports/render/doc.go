// Package render shows the reports' three documents (a run's Report, a
// Comparison of two runs, a capacity search's Capacity) in every form a
// person or a pipeline reads: text (summary.txt, compare.txt), Markdown,
// a self-contained HTML page with inline SVG charts, JSON, JUnit XML and
// HdrHistogram's latency.hgrm. Each human-readable form is drawn from one
// view of its document, so the text, the Markdown and the page say the
// same; one file here per form covers every document that has it. The
// Write* functions write a document's set of files into a directory, each
// file whole and renamed into place. render judges nothing: every figure,
// gate and verdict comes from package reports.
package render
