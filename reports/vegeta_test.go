package reports

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
	"ccgw-harness/reports/goldentest"
	"ccgw-harness/results"
	"ccgw-harness/slo"
)

var (
	vegetaOnce sync.Once
	vegetaPath string
	vegetaErr  error
	vegetaDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if vegetaDir != "" {
		os.RemoveAll(vegetaDir)
	}
	os.Exit(code)
}

// vegetaCLI builds vegeta's CLI (a tool of go.mod) once per test binary.
func vegetaCLI(t *testing.T) string {
	t.Helper()
	vegetaOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			vegetaErr = err
			return
		}
		if vegetaDir, vegetaErr = os.MkdirTemp("", "ccgw-vegeta-"); vegetaErr != nil {
			return
		}
		vegetaPath = filepath.Join(vegetaDir, "vegeta")
		cmd := exec.Command(goBin, "build", "-o", vegetaPath, "github.com/tsenart/vegeta/v12")
		if out, err := cmd.CombinedOutput(); err != nil {
			vegetaErr = &exec.Error{Name: "go build vegeta: " + string(out), Err: err}
		}
	})
	if vegetaErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(vegetaErr)
		}
		t.Skip(vegetaErr)
	}
	return vegetaPath
}

// vegetaMetrics is the part of `vegeta report -type=json` compared here.
type vegetaMetrics struct {
	Requests  uint64 `json:"requests"`
	Latencies struct {
		Mean int64 `json:"mean"`
		P50  int64 `json:"50th"`
		P90  int64 `json:"90th"`
		P95  int64 `json:"95th"`
		P99  int64 `json:"99th"`
		Max  int64 `json:"max"`
		Min  int64 `json:"min"`
	} `json:"latencies"`
}

func vegetaReport(t *testing.T, path string) vegetaMetrics {
	t.Helper()
	out, err := exec.Command(vegetaCLI(t), "report", "-type=json", path).Output()
	if err != nil {
		t.Fatalf("vegeta report: %v", err)
	}
	var m vegetaMetrics
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("vegeta report json: %v\n%s", err, out)
	}
	return m
}

// withinHDR reports whether ours (ms) is within HDR precision of want (ns):
// 0.1 % + 1 µs.
func withinHDR(oursMS float64, wantNS int64) bool {
	want := float64(wantNS) / 1e6
	return math.Abs(oursMS-want) <= want*0.001+0.001
}

// plateauLatency gives a latency distribution (by rank fraction f, non-
// decreasing) on which vegeta's t-digest is exact at p50, p90, p95 and p99:
// each falls inside a wide plateau of equal values (t-digest interpolates
// between centroid means, which are equal there).
func plateauLatency(f float64) time.Duration {
	g := func(f float64) time.Duration { return time.Millisecond + time.Duration(f*float64(20*time.Millisecond)) }
	for _, p := range [][2]float64{{0.40, 0.60}, {0.86, 0.92}, {0.93, 0.97}, {0.985, 0.995}} {
		if f >= p[0] && f < p[1] {
			return g(p[0])
		}
	}
	if f >= 0.9999 {
		return 1234567 * time.Microsecond
	}
	return g(f)
}

// TestVegetaCrossCheck compares our figures with `vegeta report` on the
// same results file.
func TestVegetaCrossCheck(t *testing.T) {
	dir := t.TempDir()
	t.Run("plateaus", func(t *testing.T) {
		const n = 20_000
		rng := rand.New(rand.NewPCG(11, 12))
		rs := make([]vegeta.Result, n)
		for i := range rs {
			rs[i] = res(200, "", plateauLatency(float64(i)/n), time.Duration(i)*time.Millisecond)
		}
		rng.Shuffle(n, func(i, j int) { rs[i].Latency, rs[j].Latency = rs[j].Latency, rs[i].Latency })
		path := goldentest.WriteResults(t, dir, "plateaus.bin", rs)
		a := NewAggregator()
		if _, _, err := results.ReadFiles(a, path); err != nil {
			t.Fatal(err)
		}
		ours := a.Report(results.Meta{}, slo.Objectives{})
		v := vegetaReport(t, path)
		if v.Requests != ours.Requests {
			t.Errorf("requests: vegeta %d, ours %d", v.Requests, ours.Requests)
		}
		l := ours.LatencyMS
		for _, c := range []struct {
			name string
			ours float64
			veg  int64
		}{
			{"p50", l.P50, v.Latencies.P50}, {"p90", l.P90, v.Latencies.P90}, {"p95", l.P95, v.Latencies.P95},
			{"p99", l.P99, v.Latencies.P99}, {"max", l.Max, v.Latencies.Max}, {"min", l.Min, v.Latencies.Min},
			{"mean", l.Mean, v.Latencies.Mean},
		} {
			if !withinHDR(c.ours, c.veg) {
				t.Errorf("%s: ours %.3f ms, vegeta %.6f ms: more than 0.1 %% + 1 µs apart", c.name, c.ours, float64(c.veg)/1e6)
			}
		}
	})

	// A journey run's directory: results.bin holds the top level's
	// results (the journeys' logininfo), which vegeta counts as our top
	// level does; calls.bin the agents' own calls, which vegeta counts as
	// our calls do. The directory read back reports as one file of every
	// result does.
	t.Run("journeys", func(t *testing.T) {
		rs, _ := goldentest.JourneySpec().Results()
		var top, calls []vegeta.Result
		for _, r := range rs {
			if results.IsTopLevel(gateway.CallOf(r.Method, r.URL)) {
				top = append(top, r)
			} else {
				calls = append(calls, r)
			}
		}
		run := filepath.Join(dir, "journeys")
		if err := os.MkdirAll(run, 0o755); err != nil {
			t.Fatal(err)
		}
		goldentest.WriteResults(t, run, results.ResultsFile, top)
		goldentest.WriteResults(t, run, results.CallsFile, calls)
		all := goldentest.WriteResults(t, dir, "journeys-all.bin", rs)
		a, b := NewAggregator(), NewAggregator()
		if _, _, err := results.ReadFiles(a, run); err != nil {
			t.Fatal(err)
		}
		if _, _, err := results.ReadFiles(b, all); err != nil {
			t.Fatal(err)
		}
		ours := a.Report(goldentest.JourneyMeta(), slo.Objectives{})
		if x, y := reportJSON(t, ours), reportJSON(t, b.Report(goldentest.JourneyMeta(), slo.Objectives{})); !bytes.Equal(x, y) {
			t.Errorf("the run's directory reports differently from one file of all its results: %s", firstDiff(x, y))
		}
		v := vegetaReport(t, filepath.Join(run, results.ResultsFile))
		if v.Requests != ours.Requests || v.Requests != uint64(len(top)) || !withinHDR(ours.LatencyMS.Max, v.Latencies.Max) {
			t.Errorf("vegeta reads %d results (max %d ns) in results.bin, our top level %d (max %.3f ms)", v.Requests, v.Latencies.Max, ours.Requests, ours.LatencyMS.Max)
		}
		var n uint64
		var maxMS float64
		for name, c := range ours.Calls {
			if !results.IsTopLevel(name) {
				n += c.Requests
				maxMS = math.Max(maxMS, c.LatencyMS.Max)
			}
		}
		if v := vegetaReport(t, filepath.Join(run, results.CallsFile)); v.Requests != n || v.Requests != uint64(len(calls)) || !withinHDR(maxMS, v.Latencies.Max) {
			t.Errorf("vegeta reads %d results (max %d ns) in calls.bin, our calls but logininfo add up to %d (max %.3f ms)", v.Requests, v.Latencies.Max, n, maxMS)
		}
	})

	// On a smooth distribution vegeta's t-digest estimates percentiles
	// (it interpolates), so compare both with the exact order statistics:
	// ours must be within HDR precision of them.
	t.Run("golden", func(t *testing.T) {
		rs := goldentest.Spec().Results()
		path := goldentest.WriteResults(t, dir, "golden.bin", rs)
		a := NewAggregator()
		if _, _, err := results.ReadFiles(a, path); err != nil {
			t.Fatal(err)
		}
		ours := a.Report(results.Meta{}, slo.Objectives{})
		v := vegetaReport(t, path)
		lat := make([]int64, len(rs))
		for i, r := range rs {
			lat[i] = int64(r.Latency)
		}
		slices.Sort(lat)
		exact := func(p float64) int64 {
			rank := min(max(int(p/100*float64(len(lat))+0.5), 1), len(lat))
			return lat[rank-1]
		}
		if v.Requests != ours.Requests || !withinHDR(ours.LatencyMS.Max, v.Latencies.Max) ||
			!withinHDR(ours.LatencyMS.Min, v.Latencies.Min) || !withinHDR(ours.LatencyMS.Mean, v.Latencies.Mean) {
			t.Errorf("requests/min/mean/max: ours %d %+v, vegeta %+v", ours.Requests, ours.LatencyMS, v)
		}
		for _, c := range []struct {
			p    float64
			ours float64
			veg  int64
		}{{50, ours.LatencyMS.P50, v.Latencies.P50}, {90, ours.LatencyMS.P90, v.Latencies.P90},
			{95, ours.LatencyMS.P95, v.Latencies.P95}, {99, ours.LatencyMS.P99, v.Latencies.P99}} {
			if !withinHDR(c.ours, exact(c.p)) {
				t.Errorf("p%g: ours %.3f ms, exact %.6f ms: more than 0.1 %% + 1 µs apart", c.p, c.ours, float64(exact(c.p))/1e6)
			}
			// vegeta's estimate lies between the exact values one
			// percentile point either side.
			if lo, hi := exact(c.p-1), exact(min(c.p+1, 100)); c.veg < lo || c.veg > hi {
				t.Errorf("p%g: vegeta %d ns outside the exact p%g..p%g range %d..%d", c.p, c.veg, c.p-1, c.p+1, lo, hi)
			}
			t.Logf("p%g: ours %.3f ms, exact %.3f ms, vegeta (t-digest) %.3f ms", c.p, c.ours, float64(exact(c.p))/1e6, float64(c.veg)/1e6)
		}
	})
}
