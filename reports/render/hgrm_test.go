package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"ccgw-harness/reports"
	"ccgw-harness/reports/goldentest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

// TestHgrmFormat: latency.hgrm is HdrHistogram's percentile distribution:
// the header, non-decreasing rows ending at percentile 1 with the total
// count, and the footer the reference implementation writes.
func TestHgrmFormat(t *testing.T) {
	a := aggregate(goldentest.Spec().Results())
	var buf bytes.Buffer
	if err := RunHgrm(&buf, a); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	sc.Scan()
	if got := strings.Fields(sc.Text()); strings.Join(got, " ") != "Value Percentile TotalCount 1/(1-Percentile)" {
		t.Fatalf("header %q", sc.Text())
	}
	var rows [][]float64
	var footer []string
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == "":
		case strings.HasPrefix(l, "#["):
			footer = append(footer, l)
		default:
			var row []float64
			for _, f := range strings.Fields(l) {
				x, err := strconv.ParseFloat(f, 64)
				if err != nil {
					t.Fatalf("row %q: %v", l, err)
				}
				row = append(row, x)
			}
			rows = append(rows, row)
		}
	}
	if len(rows) < 20 {
		t.Fatalf("only %d rows", len(rows))
	}
	for i := 1; i < len(rows); i++ {
		if rows[i][0] < rows[i-1][0] || rows[i][1] < rows[i-1][1] || rows[i][2] < rows[i-1][2] {
			t.Errorf("row %d decreases: %v after %v", i, rows[i], rows[i-1])
		}
	}
	last := rows[len(rows)-1]
	if len(last) != 3 || last[1] != 1 || last[2] != 2000 {
		t.Errorf("last row %v, want percentile 1.0 and count 2000 without 1/(1-p)", last)
	}
	r := a.Report(results.Meta{}, slo.Objectives{})
	for _, row := range rows {
		if row[1] == 0.5 && row[0] != r.LatencyMS.P50 {
			t.Errorf("hgrm p50 %v ms, report p50 %v ms", row[0], r.LatencyMS.P50)
		}
	}
	// The footer's geometry agrees with the library's own printout.
	var ref bytes.Buffer
	if _, err := a.LatencyHistogram().PercentilesPrint(&ref, 5, 1000); err != nil {
		t.Fatal(err)
	}
	want := ref.String()[strings.LastIndex(ref.String(), "#[Buckets"):]
	if len(footer) != 3 || !strings.HasPrefix(footer[0], "#[Mean    = ") || !strings.HasPrefix(footer[1], "#[Max     = ") ||
		strings.Join(strings.Fields(footer[2]), " ") != strings.Join(strings.Fields(want), " ") ||
		!strings.Contains(footer[1], "Total count    =         2000]") {
		t.Errorf("footer %q, want Mean/Max lines and %q", footer, want)
	}
}

// TestHgrmOfMergedStates: latency.hgrm of aggregators' states merged into
// one (a distributed run's coordinator) is the file of one aggregator of
// all the results.
func TestHgrmOfMergedStates(t *testing.T) {
	rs := goldentest.Spec().Results()
	one := reports.NewAggregator()
	parts := []*reports.Aggregator{reports.NewAggregator(), reports.NewAggregator(), reports.NewAggregator()}
	for i := range rs {
		one.Add(&rs[i])
		parts[i%len(parts)].Add(&rs[i])
	}
	merged := reports.NewAggregator()
	for _, p := range parts {
		b, err := json.Marshal(p.State(true))
		if err != nil {
			t.Fatal(err)
		}
		var s reports.State
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		if err := merged.Merge(&s); err != nil {
			t.Fatal(err)
		}
	}
	var wh, gh bytes.Buffer
	if err := RunHgrm(&wh, one); err != nil {
		t.Fatal(err)
	}
	if err := RunHgrm(&gh, merged); err != nil {
		t.Fatal(err)
	}
	if wh.String() != gh.String() {
		t.Error("latency.hgrm of the merged states differs")
	}
}
