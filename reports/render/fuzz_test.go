package render

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/internal/testscale"
	"ccgw-harness/reports"
	"ccgw-harness/reports/reportstest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// fuzzReadLimit bounds one input's read, report and writers: far above
// what any input of the fuzzer's size needs, far below "hung".
const fuzzReadLimit = 10 * time.Second

// FuzzReadResults: any bytes as a results file (gob, or the json and csv
// encodings the reader sniffs) never panic and never hang: ReadFiles
// either fails with an error that names the file, or yields a count that
// the report agrees with, and reading the file twice merges to twice the
// count. Seeds: testdata/fuzz/FuzzReadResults and the encodings below
// (a small valid gob file, cut ones, json, csv, empty, junk).
func FuzzReadResults(f *testing.F) {
	rs := reportstest.DefaultSpec(12).Results()
	for _, enc := range []func(io.Writer) vegeta.Encoder{vegeta.NewEncoder, vegeta.NewJSONEncoder, vegeta.NewCSVEncoder} {
		var buf bytes.Buffer
		e := enc(&buf)
		for i := range rs {
			if err := e.Encode(&rs[i]); err != nil {
				f.Fatal(err)
			}
		}
		b := buf.Bytes()
		f.Add(b)
		f.Add(b[:len(b)-5])
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Add([]byte("hello, junk\x00\x01\x02"))
	f.Add(bytes.Repeat([]byte{0xfe, 0x01, 0x02, 0x7f}, 40))
	f.Add([]byte("{}\n"))
	f.Add([]byte("0,0,0,0,0,,,,\n"))

	dir := f.TempDir()
	path := filepath.Join(dir, "results.bin")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		type outcome struct {
			n, twice          int
			partial, partial2 bool
			err, err2         error
			rep               *reports.Report
		}
		done := make(chan outcome, 1)
		go func() {
			var o outcome
			a := reports.NewAggregator()
			o.n, o.partial, o.err = results.ReadFiles(a, path)
			o.rep = a.Report(results.Meta{Target: "t", Plan: "p", RequestedRate: 10, PlannedDuration: time.Second}, slo.Objectives{})
			_ = RunJSON(io.Discard, o.rep)
			_ = RunText(io.Discard, o.rep)
			_ = RunJUnit(io.Discard, o.rep)
			if o.err == nil {
				o.twice, o.partial2, o.err2 = results.ReadFiles(reports.NewAggregator(), path, path)
			}
			done <- o
		}()
		var o outcome
		select {
		case o = <-done:
		case <-time.After(testscale.D(fuzzReadLimit)):
			t.Fatalf("reading a %d-byte results file took more than %s", len(data), testscale.D(fuzzReadLimit))
		}
		if o.n < 0 || o.n > len(data) {
			t.Fatalf("ReadFiles counted %d results in %d bytes", o.n, len(data))
		}
		if o.err != nil {
			if msg := o.err.Error(); !strings.HasPrefix(msg, path+": ") {
				t.Fatalf("error %q does not start with the file name", msg)
			}
			return
		}
		if o.rep.Requests != uint64(o.n) || o.rep.Partial != o.partial {
			t.Fatalf("report: %d requests, partial %v; ReadFiles: %d, partial %v", o.rep.Requests, o.rep.Partial, o.n, o.partial)
		}
		if o.err2 != nil || o.twice != 2*o.n || o.partial2 != o.partial {
			t.Fatalf("the file read twice: %d results, partial %v, %v; want %d, %v, no error", o.twice, o.partial2, o.err2, 2*o.n, o.partial)
		}
	})
}
