package render

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"ccgw-harness/reports"
	"ccgw-harness/reports/goldentest"
	"ccgw-harness/results"
)

// TestGolden renders every writer for the fixed golden run and compares the
// bytes with testdata/golden (go test ./reports/render -update rewrites them).
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	path := goldentest.WriteResults(t, dir, "results.bin", goldentest.Spec().Results())
	a := reports.NewAggregator()
	n, partial, err := results.ReadFiles(a, path)
	if err != nil || partial || n != 2000 {
		t.Fatalf("ReadFiles = %d, %v, %v; want 2000, false, nil", n, partial, err)
	}
	r := a.Report(goldentest.Meta(), goldentest.SLO())
	writers := map[string]func(io.Writer) error{
		reports.SummaryFile:  func(w io.Writer) error { return RunText(w, r) },
		reports.JSONFile:     func(w io.Writer) error { return RunJSON(w, r) },
		reports.MarkdownFile: func(w io.Writer) error { return RunMarkdown(w, r) },
		reports.HTMLFile:     func(w io.Writer) error { return RunHTML(w, r) },
		reports.JUnitFile:    func(w io.Writer) error { return RunJUnit(w, r) },
		reports.HgrmFile:     func(w io.Writer) error { return RunHgrm(w, a) },
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := write(&buf); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./reports/render -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s: %s", name, golden, firstDiff(buf.Bytes(), want))
			}
		})
	}

	// WriteRun writes the same bytes into a directory.
	out := filepath.Join(dir, "out")
	if err := WriteRun(out, r, a); err != nil {
		t.Fatal(err)
	}
	for name, write := range writers {
		var buf bytes.Buffer
		_ = write(&buf)
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("WriteRun %s: differs from its writer (err %v)", name, err)
		}
	}
}

// TestGoldenJourneys renders every writer for the journey golden run and
// compares the bytes with testdata/golden/journey (-update rewrites them).
func TestGoldenJourneys(t *testing.T) {
	rs, _ := goldentest.JourneySpec().Results()
	path := goldentest.WriteResults(t, t.TempDir(), "results.bin", rs)
	a := reports.NewAggregator()
	if n, partial, err := results.ReadFiles(a, path); err != nil || partial || n != len(rs) {
		t.Fatalf("ReadFiles = %d, %v, %v; want %d, false, nil", n, partial, err, len(rs))
	}
	r := a.Report(goldentest.JourneyMeta(), goldentest.JourneySLO())
	writers := map[string]func(io.Writer) error{
		reports.SummaryFile:  func(w io.Writer) error { return RunText(w, r) },
		reports.JSONFile:     func(w io.Writer) error { return RunJSON(w, r) },
		reports.MarkdownFile: func(w io.Writer) error { return RunMarkdown(w, r) },
		reports.HTMLFile:     func(w io.Writer) error { return RunHTML(w, r) },
		reports.JUnitFile:    func(w io.Writer) error { return RunJUnit(w, r) },
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := write(&buf); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", "journey", name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./reports/render -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s: %s", name, golden, firstDiff(buf.Bytes(), want))
			}
		})
	}
}
