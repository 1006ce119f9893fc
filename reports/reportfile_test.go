package reports

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ccgw-harness/reports/goldentest"
)

// TestReadReportFile: a run directory or its report.json reads as the
// report; anything else is refused naming the file and what is allowed.
func TestReadReportFile(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	// report.json as render.WriteRun writes it (reports cannot import
	// render).
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(run, JSONFile)
	if err := os.WriteFile(want, reportJSON(t, aggregate(goldentest.Spec().Results()).Report(goldentest.Meta(), goldentest.SLO())), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{run, want} {
		r, path, err := ReadReportFile(arg)
		if err != nil || path != want || r.Requests != uint64(len(goldentest.Spec().Results())) {
			t.Errorf("%s: %v, %q, %v; want the run's report from %s", arg, r, path, err, want)
		}
	}
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	meta := write("meta.json", `{"target": "m", "plan": "p"}`)
	bin := write("results.bin", "\x03\x01\x01\x06Result\x01 gob")
	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nosuch")
	for arg, msg := range map[string]string{
		missing: missing + ": no such file or directory: want a run directory holding report.json (written by ccgw load or ccgw report) or a report.json file",
		empty:   empty + ": no report.json in this directory: want a run directory",
		meta:    meta + `: not a report.json (no "requests" key): want a run directory`,
		bin:     bin + ": not a report.json (invalid character",
	} {
		if _, _, err := ReadReportFile(arg); err == nil || !strings.HasPrefix(err.Error(), msg) {
			t.Errorf("%s: %v\nwant an error starting %q", arg, err, msg)
		}
	}
}

// TestReadReportFileKeepsTheCause: the shortened message still wraps the
// JSON error.
func TestReadReportFileKeepsTheCause(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "report.json")
	if err := os.WriteFile(bad, []byte("{"+strings.Repeat(`"k":1,`, 100)+"oops}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadReportFile(bad)
	var se *json.SyntaxError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "not a report.json (invalid character") {
		t.Errorf("bad JSON: %v, want a message wrapping the *json.SyntaxError", err)
	}
}
