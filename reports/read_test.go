package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/reports/goldentest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// TestMergeEqualsCombined: two results files read together give the same
// report as one file holding all their results.
func TestMergeEqualsCombined(t *testing.T) {
	rs := goldentest.Spec().Results()
	dir := t.TempDir()
	var odd, even []vegeta.Result
	for i, r := range rs {
		if i%3 == 0 {
			odd = append(odd, r)
		} else {
			even = append(even, r)
		}
	}
	combined := goldentest.WriteResults(t, dir, "all.bin", rs)
	f1 := goldentest.WriteResults(t, dir, "a.bin", odd)
	f2 := goldentest.WriteResults(t, dir, "b.bin", even)

	one := NewAggregator()
	n1, p1, err := results.ReadFiles(one, combined)
	if err != nil {
		t.Fatal(err)
	}
	two := NewAggregator()
	n2, p2, err := results.ReadFiles(two, f1, f2)
	if err != nil {
		t.Fatal(err)
	}
	if n1 != len(rs) || n2 != len(rs) || p1 || p2 {
		t.Fatalf("read %d and %d results (partial %v %v), want %d", n1, n2, p1, p2, len(rs))
	}
	a, b := reportJSON(t, one.Report(goldentest.Meta(), goldentest.SLO())), reportJSON(t, two.Report(goldentest.Meta(), goldentest.SLO()))
	if !bytes.Equal(a, b) {
		t.Errorf("merged report differs from combined: %s", firstDiff(b, a))
	}
}

// TestFormats: vegeta's json and csv encodings read like gob.
func TestFormats(t *testing.T) {
	rs := goldentest.Spec().Results()[:400]
	dir := t.TempDir()
	gob := goldentest.WriteResults(t, dir, "r.bin", rs)
	want := NewAggregator()
	if _, _, err := results.ReadFiles(want, gob); err != nil {
		t.Fatal(err)
	}
	wantJSON := reportJSON(t, want.Report(goldentest.Meta(), goldentest.SLO()))
	for name, enc := range map[string]func(*bytes.Buffer) vegeta.Encoder{
		"json": func(b *bytes.Buffer) vegeta.Encoder { return vegeta.NewJSONEncoder(b) },
		"csv":  func(b *bytes.Buffer) vegeta.Encoder { return vegeta.NewCSVEncoder(b) },
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			e := enc(&buf)
			for i := range rs {
				if err := e.Encode(&rs[i]); err != nil {
					t.Fatal(err)
				}
			}
			p := filepath.Join(dir, "r."+name)
			if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			a := NewAggregator()
			n, partial, err := results.ReadFiles(a, p)
			if err != nil || partial || n != len(rs) {
				t.Fatalf("ReadFiles = %d %v %v", n, partial, err)
			}
			if got := reportJSON(t, a.Report(goldentest.Meta(), goldentest.SLO())); !bytes.Equal(got, wantJSON) {
				t.Errorf("%s report differs from gob: %s", name, firstDiff(got, wantJSON))
			}
			// Cut inside the last line: partial, the whole lines are read.
			if err := os.WriteFile(p, buf.Bytes()[:buf.Len()-5], 0o644); err != nil {
				t.Fatal(err)
			}
			n, partial, err = results.ReadFiles(NewAggregator(), p)
			if err != nil || !partial || n != len(rs)-1 {
				t.Errorf("cut %s: ReadFiles = %d %v %v, want %d true nil", name, n, partial, err, len(rs)-1)
			}
		})
	}
}

// TestReadRunDirectory: a run's directory is read as its results.bin and
// calls.bin together, and so is its results.bin named alone; a calls.bin
// named as well is read once; ReadFilesEach says what each file held; a
// calls.bin cut short makes the read partial; a directory without
// results.bin is refused, naming it.
func TestReadRunDirectory(t *testing.T) {
	rs, _ := goldentest.JourneySpec().Results()
	var top, calls []vegeta.Result
	for _, r := range rs {
		if results.IsTopLevel(gateway.CallOf(r.Method, r.URL)) {
			top = append(top, r)
		} else {
			calls = append(calls, r)
		}
	}
	if len(top) == 0 || len(calls) == 0 {
		t.Fatalf("the journey spec gives %d top-level results and %d calls: want both", len(top), len(calls))
	}
	dir := t.TempDir()
	all := goldentest.WriteResults(t, dir, "all.bin", rs)
	run := filepath.Join(dir, "run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	resultsFile := goldentest.WriteResults(t, run, results.ResultsFile, top)
	callsFile := goldentest.WriteResults(t, run, results.CallsFile, calls)
	want := NewAggregator()
	if _, _, err := results.ReadFiles(want, all); err != nil {
		t.Fatal(err)
	}
	wantJSON := reportJSON(t, want.Report(goldentest.JourneyMeta(), slo.Objectives{}))
	for name, paths := range map[string][]string{
		"directory":            {run},
		"results.bin":          {resultsFile},
		"both named":           {resultsFile, callsFile},
		"directory, calls.bin": {run, callsFile},
	} {
		a := NewAggregator()
		n, partial, err := results.ReadFiles(a, paths...)
		if err != nil || partial || n != len(rs) {
			t.Errorf("%s: ReadFiles = %d %v %v; want %d whole results", name, n, partial, err, len(rs))
			continue
		}
		if got := reportJSON(t, a.Report(goldentest.JourneyMeta(), slo.Objectives{})); !bytes.Equal(got, wantJSON) {
			t.Errorf("%s: the report differs from that of one file of every result: %s", name, firstDiff(got, wantJSON))
		}
	}
	// ReadFilesEach: per path, the results file's count and first send
	// (the measured requests) and the calls file's count.
	stats, err := results.ReadFilesEach(NewAggregator(), run, all)
	if err != nil || len(stats) != 2 {
		t.Fatalf("ReadFilesEach: %v, %v", stats, err)
	}
	first := top[0].Timestamp
	for _, r := range top {
		if r.Timestamp.Before(first) {
			first = r.Timestamp
		}
	}
	if s := stats[0]; s.Path != run || s.Results != len(top) || s.Calls != len(calls) || s.Partial || !s.FirstSend.Equal(first) {
		t.Errorf("the run's stats %+v; want %d results, %d calls, first send %s", s, len(top), len(calls), first)
	}
	if s := stats[1]; s.Path != all || s.Results != len(rs) || s.Calls != 0 {
		t.Errorf("the plain file's stats %+v; want %d results and no calls", s, len(rs))
	}
	// A calls.bin cut inside its last result.
	data, err := os.ReadFile(callsFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(callsFile, data[:len(data)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	a := NewAggregator()
	if n, partial, err := results.ReadFiles(a, run); err != nil || !partial || n != len(rs)-1 || !a.Report(goldentest.JourneyMeta(), slo.Objectives{}).Partial {
		t.Errorf("calls.bin cut short: ReadFiles = %d %v %v; want %d and partial", n, partial, err, len(rs)-1)
	}
	// A directory that is no run's.
	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := results.ReadFiles(NewAggregator(), empty); err == nil || !strings.Contains(err.Error(), empty) || !strings.Contains(err.Error(), results.ResultsFile) {
		t.Errorf("a directory without %s: %v; want an error naming it and the file", results.ResultsFile, err)
	}
}
