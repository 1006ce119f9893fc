package render

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"ccgw-harness/reports"
	"ccgw-harness/reports/goldentest"
	"ccgw-harness/results"
)

// TestNoSecretsInOutputs: even results that (wrongly) carry a body and
// response headers with a token and a Guid never leak them into a report.
func TestNoSecretsInOutputs(t *testing.T) {
	const token, guid, password = "tok-SECRET-4711", "guid-SECRET-0815.AgentGateway2", "pw-SECRET-42"
	rs := goldentest.Spec().Results()[:200]
	for i := range rs {
		rs[i].Body = []byte(`{"retcode":"0","result":{"phonetoken":"` + token + `"}}`)
		rs[i].Headers.Set("Set-Guid", "JSESSIONID="+guid)
		rs[i].Headers.Set("Authorization", password)
	}
	dir := t.TempDir()
	path := goldentest.WriteResults(t, dir, "results.bin", rs)
	a := reports.NewAggregator()
	if _, _, err := results.ReadFiles(a, path); err != nil {
		t.Fatal(err)
	}
	live := aggregate(rs)
	for name, agg := range map[string]*reports.Aggregator{"file": a, "live": live} {
		out := filepath.Join(dir, name)
		if err := WriteRun(out, agg.Report(goldentest.Meta(), goldentest.SLO()), agg); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(out)
		if len(entries) != 6 {
			t.Errorf("%s: %d outputs, want 6", name, len(entries))
		}
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(out, e.Name()))
			for _, s := range []string{token, guid, password, "SECRET", "phonetoken"} {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s/%s contains %q", name, e.Name(), s)
				}
			}
		}
	}
}
