package reports

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// TestGolden renders every writer for the fixed golden run and compares the
// bytes with testdata/golden (go test ./reports -update rewrites them).
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	path := writeResults(t, dir, "results.bin", goldenSpec().Results())
	a := NewAggregator()
	n, partial, err := results.ReadFiles(a, path)
	if err != nil || partial || n != 2000 {
		t.Fatalf("ReadFiles = %d, %v, %v; want 2000, false, nil", n, partial, err)
	}
	r := a.Report(goldenMeta(), goldenSLO())
	writers := map[string]func(io.Writer) error{
		SummaryFile:  func(w io.Writer) error { return WriteSummary(w, r) },
		JSONFile:     func(w io.Writer) error { return WriteJSON(w, r) },
		MarkdownFile: func(w io.Writer) error { return WriteMarkdown(w, r) },
		HTMLFile:     func(w io.Writer) error { return WriteHTML(w, r) },
		JUnitFile:    func(w io.Writer) error { return WriteJUnit(w, r) },
		HgrmFile:     func(w io.Writer) error { return WriteHgrm(w, a) },
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
				t.Fatalf("%v (run go test ./reports -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s: %s", name, golden, firstDiff(buf.Bytes(), want))
			}
		})
	}

	// WriteAll writes the same bytes into a directory.
	out := filepath.Join(dir, "out")
	if err := WriteAll(out, r, a); err != nil {
		t.Fatal(err)
	}
	for name, write := range writers {
		var buf bytes.Buffer
		_ = write(&buf)
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("WriteAll %s: differs from its writer (err %v)", name, err)
		}
	}
}

// TestGoldenFacts checks what the golden files must say, so that an -update
// cannot silently bless a wrong report.
func TestGoldenFacts(t *testing.T) {
	rs := goldenSpec().Results()
	r := aggregate(rs).Report(goldenMeta(), goldenSLO())

	var success, contract, resets, timeouts, h503 uint64
	for _, x := range rs {
		switch {
		case x.Error == "" && x.Code == 200:
			success++
		case x.Error == "transport reset":
			resets++
		case x.Error == "timeout":
			timeouts++
		case x.Error == "http 503":
			h503++
		case len(x.Error) > 9 && x.Error[:9] == "contract ":
			contract++
		}
	}
	if r.Requests != 2000 || r.Success != success {
		t.Errorf("requests %d success %d; want 2000 %d", r.Requests, r.Success, success)
	}
	if r.ContractViolations != contract || r.Errors["transport reset"] != resets || r.Errors["timeout"] != timeouts || r.Errors["http 503"] != h503 {
		t.Errorf("counts: contract %d/%d reset %d/%d timeout %d/%d 503 %d/%d", r.ContractViolations, contract,
			r.Errors["transport reset"], resets, r.Errors["timeout"], timeouts, r.Errors["http 503"], h503)
	}
	var errSum uint64
	for _, n := range r.Errors {
		errSum += n
	}
	if errSum != r.Requests-r.Success {
		t.Errorf("errors sum %d, want requests-success %d", errSum, r.Requests-r.Success)
	}
	if r.StatusCodes["0"] != resets+timeouts || r.StatusCodes["503"] != h503 {
		t.Errorf("status codes %v", r.StatusCodes)
	}
	if r.Retcodes["0"] != success+contract {
		t.Errorf("retcode 0 = %d, want successes+contract violations %d", r.Retcodes["0"], success+contract)
	}
	if len(r.Nodes) != 4 || r.Nodes[3].Node != UnknownNode || r.AgentsSeen != 20 {
		t.Errorf("nodes %v agents %d", r.Nodes, r.AgentsSeen)
	}
	if len(r.WorstAgents) != DefaultWorstAgents || r.WorstAgents[0].Agent != "1013" {
		t.Errorf("worst agents %v, want 1013 first", r.WorstAgents)
	}
	if !r.Saturation.Saturated || r.Pass {
		t.Errorf("saturated %v pass %v; want a saturated, failing run", r.Saturation.Saturated, r.Pass)
	}
	if len(r.TimeSeries) != 20 || r.TimeSeriesStep != 1 {
		t.Errorf("time series: %d buckets of %g s, want 20 of 1 s", len(r.TimeSeries), r.TimeSeriesStep)
	}
	names := []string{}
	for _, g := range r.SLO {
		names = append(names, g.Name)
	}
	want := []string{"mean", "p99", "p99.9", slo.GateErrorRate, slo.GateMinRateRatio, slo.GateContractViolations, slo.GateSaturation}
	if !slices.Equal(names, want) {
		t.Errorf("gates %v, want %v", names, want)
	}
}

// TestLiveEqualsFile: the live run adds results in completion order, `ccgw
// report` reads them in file order; report.json must be the same.
func TestLiveEqualsFile(t *testing.T) {
	rs := goldenSpec().Results()
	path := writeResults(t, t.TempDir(), "results.bin", rs)
	fromFile := NewAggregator()
	if _, _, err := results.ReadFiles(fromFile, path); err != nil {
		t.Fatal(err)
	}
	shuffled := slices.Clone(rs)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	live := aggregate(shuffled)
	a, b := reportJSON(t, fromFile.Report(goldenMeta(), goldenSLO())), reportJSON(t, live.Report(goldenMeta(), goldenSLO()))
	if !bytes.Equal(a, b) {
		t.Errorf("report.json depends on result order: %s", firstDiff(b, a))
	}
	// Reporting twice gives the same bytes (no clock, no randomness).
	if c := reportJSON(t, live.Report(goldenMeta(), goldenSLO())); !bytes.Equal(b, c) {
		t.Errorf("second Report differs: %s", firstDiff(c, b))
	}
}
