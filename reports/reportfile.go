package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// maxReportSize bounds how much of a file is read as report.json (a
// results.bin passed by mistake must not be read whole).
const maxReportSize = 64 << 20

// reportKeys are keys every report.json has; a JSON file without them
// (meta.json, a compare.json) is not a report.
var reportKeys = []string{"requests", "rate", "error_rate", "latency_ms"}

// ReadReportFile reads the report of a run directory (its JSONFile) or a
// report.json file, as ccgw compare is given them, and returns it with the
// file's path. A file that is not a report.json (a results file, meta.json,
// compare.json: larger than maxReportSize, not JSON, or without
// reportKeys) is refused. Errors start with arg or the file's path and say
// what is allowed; a JSON error is shortened but wrapped.
func ReadReportFile(arg string) (*Report, string, error) {
	want := "want a run directory holding " + JSONFile + " (written by ccgw load or ccgw report) or a " + JSONFile + " file"
	fi, err := os.Stat(arg)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, "", fmt.Errorf("%s: no such file or directory: %s", arg, want)
		}
		return nil, "", fmt.Errorf("%s: %w", arg, err)
	}
	path := arg
	if fi.IsDir() {
		path = filepath.Join(arg, JSONFile)
		if _, err := os.Stat(path); err != nil {
			return nil, "", fmt.Errorf("%s: no %s in this directory: %s", arg, JSONFile, want)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxReportSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxReportSize {
		return nil, "", fmt.Errorf("%s: not a %s (larger than %d MB): %s", path, JSONFile, maxReportSize>>20, want)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, "", fmt.Errorf("%s: not a %s (%w): %s", path, JSONFile, shortError{err}, want)
	}
	for _, k := range reportKeys {
		if _, ok := keys[k]; !ok {
			return nil, "", fmt.Errorf("%s: not a %s (no %q key): %s", path, JSONFile, k, want)
		}
	}
	r, err := ReadReport(bytes.NewReader(b))
	if err != nil {
		return nil, "", fmt.Errorf("%s: not a %s (%w): %s", path, JSONFile, shortError{err}, want)
	}
	return r, path, nil
}

// shortError is a JSON error shortened for a message (the file may be
// binary, so the error never quotes its content beyond what encoding/json
// does); Unwrap keeps the whole error.
type shortError struct{ err error }

// Error returns the first 120 bytes of the error's text.
func (e shortError) Error() string {
	s := e.err.Error()
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// Unwrap returns the JSON error.
func (e shortError) Unwrap() error { return e.err }
