package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ccgw-harness/reports"
	"ccgw-harness/reports/goldentest"
)

// goldenComparison compares the golden run with a later, slower release:
// latencies ×1.3, another seed, a fourth node, twice the connections (so
// not comparable), read from two report.json files as `ccgw compare` does.
func goldenComparison(t *testing.T) *reports.Comparison {
	t.Helper()
	base := aggregate(goldentest.Spec().Results()).Report(goldentest.Meta(), goldentest.SLO())
	s := goldentest.Spec()
	s.Seed, s.Nodes, s.WorstAgent = 7, 4, 1005
	rs := s.Results()
	for i := range rs {
		rs[i].Latency = rs[i].Latency * 13 / 10
	}
	m := goldentest.Meta()
	m.Connections = 16
	cur := aggregate(rs).Report(m, goldentest.SLO())
	read := func(r *reports.Report) *reports.Report {
		back, err := reports.ReadReport(bytes.NewReader(reportJSON(t, r)))
		if err != nil {
			t.Fatal(err)
		}
		return back
	}
	c := reports.Compare(read(base), read(cur), reports.DefaultThresholds())
	c.Baseline.Source, c.Current.Source = "out/release-1.4/report.json", "out/release-1.5/report.json"
	return c
}

// TestCompareGolden renders every comparison writer and compares the bytes
// with testdata/compare (go test ./reports/render -update rewrites them).
func TestCompareGolden(t *testing.T) {
	c := goldenComparison(t)
	writers := map[string]func(io.Writer, *reports.Comparison) error{
		reports.CompareTextFile:     ComparisonText,
		reports.CompareJSONFile:     ComparisonJSON,
		reports.CompareMarkdownFile: ComparisonMarkdown,
		reports.CompareJUnitFile:    ComparisonJUnit,
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := write(&buf, c); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "compare", name)
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

	out := filepath.Join(t.TempDir(), "cmp")
	if err := WriteComparison(out, c); err != nil {
		t.Fatal(err)
	}
	for name, write := range writers {
		var buf bytes.Buffer
		_ = write(&buf, c)
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("WriteComparison %s: differs from its writer (err %v)", name, err)
		}
	}
}

// TestCompareGoldenFacts checks what the golden comparison must say, so an
// -update cannot silently bless a wrong one.
func TestCompareGoldenFacts(t *testing.T) {
	c := goldenComparison(t)
	if c.Pass || c.Comparable || len(c.Mismatches) != 1 || !strings.Contains(c.Mismatches[0], "number of connections differs: baseline 8, current 16") {
		t.Fatalf("pass %v comparable %v mismatches %q; want a failing, non-comparable comparison (connections)", c.Pass, c.Comparable, c.Mismatches)
	}
	p99 := gateByName(c, "p99")
	if p99.Status != reports.StatusRegressed || p99.Current <= p99.Baseline*1.1 {
		t.Errorf("p99 gate %+v: latencies ×1.3 must regress", p99)
	}
	if m := metricByName(c, reports.GroupNodeP99, "4"); m == nil || m.Missing != "baseline" {
		t.Errorf("node 4 row %+v: only the current run has node 4", m)
	}

	var txt, md, js, ju bytes.Buffer
	_ = ComparisonText(&txt, c)
	_ = ComparisonMarkdown(&md, c)
	_ = ComparisonJSON(&js, c)
	_ = ComparisonJUnit(&ju, c)
	for name, s := range map[string]string{"text": txt.String(), "markdown": md.String()} {
		for _, want := range []string{"NOT COMPARABLE", "connections differs", "out/release-1.4/report.json",
			"REGRESSED", "p99.9", "100-007", "transport reset", c.Verdict} {
			if name == "markdown" {
				want = mdEscape(want)
			}
			if !strings.Contains(s, want) {
				t.Errorf("%s output lacks %q", name, want)
			}
		}
	}
	if lines := strings.Split(strings.TrimSpace(txt.String()), "\n"); lines[len(lines)-1] != c.Verdict || !strings.HasPrefix(c.Verdict, "FAIL: ") {
		t.Errorf("text must end with the FAIL verdict, ends %q", lines[len(lines)-1])
	}
	var back reports.Comparison
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Pass || len(back.Gates) != len(c.Gates) || back.Thresholds != c.Thresholds {
		t.Errorf("compare.json reads back as %+v, %v", back, err)
	}
	var doc struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(ju.Bytes(), &doc); err != nil || len(doc.Suites) != 1 {
		t.Fatalf("compare-junit.xml: %v", err)
	}
	s := doc.Suites[0]
	failed := 0
	for _, g := range c.Gates {
		if !g.Pass {
			failed++
		}
	}
	if s.Name != ComparisonJUnitSuite || s.Tests != len(c.Gates) || len(s.Cases) != len(c.Gates) || s.Failures != failed || failed == 0 {
		t.Errorf("junit suite %q: %d tests %d failures; want one test case per gate (%d), %d failures", s.Name, s.Tests, s.Failures, len(c.Gates), failed)
	}
	for i, tc := range s.Cases {
		if tc.Name != c.Gates[i].Name || (tc.Failure != nil) != !c.Gates[i].Pass {
			t.Errorf("junit case %d: %s failure %v; gate %+v", i, tc.Name, tc.Failure != nil, c.Gates[i])
		}
	}
}

// TestCompareJUnitNotEnforced: with gates disabled, regressions are
// reported as skipped test cases, never failures.
func TestCompareJUnitNotEnforced(t *testing.T) {
	th := reports.DefaultThresholds()
	th.NoGates = true
	c := reports.Compare(baseReport(), modified(func(r *reports.Report) { r.LatencyMS.P99 = 30 }), th)
	var buf bytes.Buffer
	if err := ComparisonJUnit(&buf, c); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if strings.Contains(s, "<failure") || strings.Count(s, "<skipped") != len(c.Gates) || !strings.Contains(s, "p99 regressed") {
		t.Errorf("junit with gates disabled:\n%s", s)
	}
	var txt bytes.Buffer
	_ = ComparisonText(&txt, c)
	if !strings.Contains(txt.String(), "regressed (not enforced)") || !strings.Contains(txt.String(), "NOT GATED: gates disabled; would have failed: p99") {
		t.Errorf("text with gates disabled:\n%s", txt.String())
	}
}
