package render

import (
	"encoding/json"
	"io"

	"ccgw-harness/reports"
)

// RunJSON writes report.json: r indented, keys as docs/reports-and-gates.md lists them.
func RunJSON(w io.Writer, r *reports.Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ComparisonJSON writes compare.json: c indented.
func ComparisonJSON(w io.Writer, c *reports.Comparison) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// CapacityJSON writes capacity.json: c indented.
func CapacityJSON(w io.Writer, c *reports.Capacity) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}
