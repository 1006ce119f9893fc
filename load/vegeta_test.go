package load_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/load"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/reports"
	"ccgw-harness/reports/render"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// TestVegetaSeesTheReport: vegeta's own report (the library behind `vegeta
// report`: vegeta.Metrics over vegeta.NewDecoder) over a run's results.bin
// counts exactly report.json's top-level requests and agrees with its
// latencies (see vegetaAgrees for how closely, and why not exactly);
// calls.bin holds the agents' own calls (sign-ins, keep-alive or journey
// polls, sign-outs) and results.bin none of them; and the run's directory
// read back as `ccgw report` reads it rebuilds report.json's top level,
// calls and journeys exactly.
func TestVegetaSeesTheReport(t *testing.T) {
	t.Run("rate", func(t *testing.T) {
		noLeaks(t)
		const agents = 8
		// Dynamic authentication: the agents keep alive by event polls.
		e := newEnv(t, agents, 100, 2*time.Second, true)
		o := e.run(context.Background(), t)
		rep := o.Report
		if rep.Requests != 200 {
			t.Fatalf("report.json counts %d requests, want the plan's 200", rep.Requests)
		}
		vegetaAgrees(t, e.out, rep)
		calls := callsFileCounts(t, e.out)
		if calls[gateway.CallSignIn] != agents || calls[gateway.CallLogout] != agents || calls[gateway.CallPoll] == 0 ||
			calls[gateway.CallPoll] != rep.Calls[gateway.CallPoll].Requests || calls[gateway.CallLoginInfo] != 0 {
			t.Errorf("calls.bin holds %v; want %d sign-ins and sign-outs, report.json's %d polls (some), no logininfo",
				calls, agents, rep.Calls[gateway.CallPoll].Requests)
		}
		sameAsRebuilt(t, e.out, rep)
	})

	t.Run("journeys", func(t *testing.T) {
		noLeaks(t)
		const n = 12
		// 12 journeys over 1.2 s, each holding 1 s with a logininfo every
		// 400 ms (3 each) and polls held 100 ms.
		e := journeyEnv(t, n, 10, time.Second, 400*time.Millisecond, 100*time.Millisecond, false)
		o := e.run(context.Background(), t)
		rep := o.Report
		j := rep.Journeys
		if j.Started != n || j.Completed != n || j.Ready != n {
			t.Fatalf("journeys %+v: want %d started, completed and ready", j, n)
		}
		if rep.Requests != n*3 {
			t.Fatalf("report.json counts %d requests, want %d (3 logininfo a journey)", rep.Requests, n*3)
		}
		vegetaAgrees(t, e.out, rep)
		calls := callsFileCounts(t, e.out)
		if calls[gateway.CallSignIn] != n || calls[gateway.CallLogout] != n || calls[gateway.CallPoll] < n ||
			calls[gateway.CallPoll] != rep.Calls[gateway.CallPoll].Requests || calls[gateway.CallLoginInfo] != 0 {
			t.Errorf("calls.bin holds %v; want %d sign-ins and sign-outs, report.json's %d polls (one a journey at least), no logininfo",
				calls, n, rep.Calls[gateway.CallPoll].Requests)
		}
		// The journey headers are split between the files: the ready time
		// rides on a logininfo (results.bin), the outcome on the sign-out
		// (calls.bin); the rebuilt journeys must still be exact.
		sameAsRebuilt(t, e.out, rep)
	})
}

// vegetaAgrees reads dir's results.bin with vegeta's decoder into vegeta's
// Metrics and compares them with rep's top level: requests exactly; max
// and mean within HdrHistogram's precision (0.1 %, plus 1 µs for our
// microsecond recording and 3-decimal milliseconds); p50, p90 and p99
// within a band of the exact order statistics. Ours (HdrHistogram,
// ValueAtPercentile: the sample of rank round(q·n), reported as its
// bucket's highest value) is within 0.1 % + 1 µs of an exact order
// statistic; vegeta's t-digest (compression 100) merges up to
// 4·n·q(1−q)/100 neighbouring samples into a centroid and interpolates
// between centroid means, so its estimate may lie anywhere between the
// exact values a few ranks either side. Both must fall within the order
// statistics 2 % of n (at least 2 ranks) either side of rank ⌈q·n⌉, so
// they differ by at most that band's width plus 0.1 % + 1 µs.
func vegetaAgrees(t *testing.T, dir string, rep *reports.Report) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, load.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(bufio.NewReader(f))
	var m vegeta.Metrics
	var lat []time.Duration
	for {
		var r vegeta.Result
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: result %d: %v", load.ResultsFile, len(lat)+1, err)
		}
		if c := gateway.CallOf(r.Method, r.URL); c != gateway.CallLoginInfo {
			t.Fatalf("%s holds a %s result: only logininfo belongs there", load.ResultsFile, c)
		}
		m.Add(&r)
		lat = append(lat, r.Latency)
	}
	m.Close()
	if m.Requests != rep.Requests || m.Requests == 0 {
		t.Fatalf("vegeta counts %d requests in %s, report.json %d", m.Requests, load.ResultsFile, rep.Requests)
	}
	slices.Sort(lat)
	n := len(lat)
	hdr := func(d time.Duration) time.Duration { return d/1000 + time.Microsecond }
	ms := func(x float64) time.Duration { return time.Duration(math.Round(x * 1e6)) }
	l := rep.LatencyMS
	if veg, ours := m.Latencies.Max, ms(l.Max); veg != lat[n-1] || (ours-veg).Abs() > hdr(veg) {
		t.Errorf("max: vegeta %v, ours %v, the largest latency %v", veg, ours, lat[n-1])
	}
	if veg, ours := m.Latencies.Mean, ms(l.Mean); (ours - veg).Abs() > hdr(veg) {
		t.Errorf("mean: vegeta %v, ours %v", veg, ours)
	}
	band := max(2, n/50)
	rank := func(r int) time.Duration { return lat[min(max(r, 1), n)-1] }
	for _, c := range []struct {
		name      string
		q         float64
		veg, ours time.Duration
	}{
		{"p50", 0.50, m.Latencies.P50, ms(l.P50)},
		{"p90", 0.90, m.Latencies.P90, ms(l.P90)},
		{"p99", 0.99, m.Latencies.P99, ms(l.P99)},
	} {
		r := int(math.Ceil(c.q * float64(n)))
		lo, hi := rank(r-band), rank(r+band)
		if c.veg < lo || c.veg > hi {
			t.Errorf("%s: vegeta %v outside the order statistics %d ranks either side of %d of %d: %v..%v", c.name, c.veg, band, r, n, lo, hi)
		}
		if c.ours < lo-time.Microsecond || c.ours > hi+hdr(hi) {
			t.Errorf("%s: ours %v outside the order statistics %d ranks either side of %d of %d: %v..%v (+0.1 %% + 1µs)", c.name, c.ours, band, r, n, lo, hi)
		}
		t.Logf("%s of %d: vegeta %v, report.json %v (difference %v; exact %v, band %v..%v)", c.name, n, c.veg, c.ours, (c.veg - c.ours).Abs(), rank(r), lo, hi)
	}
}

// callsFileCounts counts the results of dir's calls.bin by call, decoded
// with vegeta's decoder.
func callsFileCounts(t *testing.T, dir string) map[gateway.Call]uint64 {
	t.Helper()
	return loadtest.CallCounts(loadtest.ReadResults(t, filepath.Join(dir, load.CallsFile)))
}

// sameAsRebuilt fails unless the run directory dir, read back as `ccgw
// report` reads it (results.bin and calls.bin together, with meta.json),
// gives rep's report.json byte for byte.
func sameAsRebuilt(t *testing.T, dir string, rep *reports.Report) {
	t.Helper()
	var live, again bytes.Buffer
	if err := render.RunJSON(&live, rep); err != nil {
		t.Fatal(err)
	}
	if err := render.RunJSON(&again, rebuiltReport(t, dir)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(live.Bytes(), again.Bytes()) {
		t.Errorf("report.json rebuilt from %s and %s differs from the run's:\n%s\n%s", load.ResultsFile, load.CallsFile, again.Bytes(), live.Bytes())
	}
}
