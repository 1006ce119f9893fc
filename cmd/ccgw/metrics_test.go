package main

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/load"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/metrics"
	"ccgw-harness/metrics/metricstest"
)

// Lines of ccgw load's stderr about its metrics.
var (
	metricsLine  = regexp.MustCompile(`^metrics: listening on (http://127\.0\.0\.1:[1-9]\d*/metrics)$`)
	lingerLine   = regexp.MustCompile(`^metrics: serving the final counts at http://\S+ for 5m0s`)
	logininfoSel = map[string]string{metrics.LabelCall: gateway.CallLoginInfo}
)

// metricsURL waits for the line that names the metrics' address.
func (p *loadProc) metricsURL(t *testing.T) string {
	t.Helper()
	return metricsLine.FindStringSubmatch(p.waitFor(t, metricsLine, 40*time.Second))[1]
}

func scrapeOrFail(t *testing.T, url, what string) *metricstest.Exposition {
	t.Helper()
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	x, err := metricstest.Scrape(context.Background(), hc, url)
	if err != nil {
		t.Fatalf("scrape %s: %v", what, err)
	}
	return x
}

// noAgentLabels fails when a label value holds one of the agent IDs
// first..last.
func noAgentLabels(t *testing.T, x *metricstest.Exposition, first, last int) {
	t.Helper()
	for _, lv := range x.LabelValues() {
		for id := first; id <= last; id++ {
			if strings.Contains(lv, strconv.Itoa(id)) {
				t.Errorf("label %s holds agent ID %d", lv, id)
			}
		}
	}
}

// TestLoadMetricsGrow runs `ccgw load --metrics-addr 127.0.0.1:0` against a
// `ccgw mock` process and scrapes the printed address twice while the
// attack runs: the request counters grow between the scrapes, which are
// synchronised on the mock's own count of requests. SIGINT then stops the
// run as without metrics (exit 130, no linger) and closes the listener.
func TestLoadMetricsGrow(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "1001-1008", "allow_load: true"))
	out := filepath.Join(dir, "out")
	p := startLoad(t, "load", "--targets", targets, "--target", "gw", "--plan", "long", "--out", out,
		"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "5m")
	url := p.metricsURL(t)
	p.waitFor(t, progress30s, 40*time.Second) // the measured attack runs

	first := scrapeOrFail(t, url, "during the run")
	c1, ok := first.Sum(metrics.NameRequests, logininfoSel)
	if !ok {
		t.Fatalf("no %s in the exposition:\n%s", metrics.NameRequests, first.Text)
	}
	if v := first.By(metrics.NameStage, metrics.LabelStage, nil); v[metrics.StageMeasure] != 1 {
		t.Errorf("stage %v during the attack, want measure", v)
	}
	for name, want := range map[string]float64{metrics.NameAgents: 8, metrics.NamePlannedRate: 40} {
		if got, _ := first.Sum(name, map[string]string{metrics.LabelTarget: "gw", metrics.LabelPlan: "long"}); got != want {
			t.Errorf("%s{target=gw,plan=long} = %v, want %v", name, got, want)
		}
	}
	// More logininfo requests reach the mock than could be unrecorded at
	// the first scrape (every worker busy, one in each hand-over): then the
	// counter has grown.
	m1 := m.stats(t).Calls[gateway.CallLoginInfo].Requests
	underway := uint64(config.DefaultConnections*load.DefaultWorkersPerConnection + 3)
	deadline := time.Now().Add(time.Minute)
	for m.stats(t).Calls[gateway.CallLoginInfo].Requests <= m1+underway {
		if time.Now().After(deadline) {
			t.Fatalf("the mock received no more than %d logininfo requests within a minute", m1+underway)
		}
		time.Sleep(20 * time.Millisecond) // polling the mock's count, the condition waited for
	}
	second := scrapeOrFail(t, url, "later in the run")
	if c2, _ := second.Sum(metrics.NameRequests, logininfoSel); c2 <= c1 {
		t.Errorf("%s{call=logininfo} went from %v to %v between two scrapes, want it to grow", metrics.NameRequests, c1, c2)
	}
	noAgentLabels(t, second, 1001, 1008)

	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, 30*time.Second); code != exitInterrupted {
		t.Fatalf("exit %d after SIGINT, want %d\nstderr:\n%s", code, exitInterrupted, p.stderr)
	}
	if strings.Contains(p.stderr.String(), "serving the final counts") {
		t.Errorf("an interrupted run lingered:\n%s", p.stderr)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	if _, err := metricstest.Scrape(context.Background(), hc, url); err == nil {
		t.Error("the metrics are still served after ccgw load exited")
	}
}

// TestLoadMetricsLinger: after a complete run the metrics stay up for
// --metrics-linger, and a scrape then sees the final counts: the latency
// histogram counts per call and the requests by class equal the results of
// results.bin and calls.bin, and report.json's. A SIGINT during the linger ends it with the
// run's exit code (0 or 1 as report.json's verdict says, never 130).
func TestLoadMetricsLinger(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "2001-2008", "allow_load: true"))
	out := filepath.Join(dir, "out")
	p := startLoad(t, "load", "--targets", targets, "--target", "gw", "--plan", "short", "--out", out,
		"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "5m")
	url := p.metricsURL(t)
	p.waitFor(t, lingerLine, time.Minute)
	final := scrapeOrFail(t, url, "during the linger")

	rep := readReport(t, out)
	if n := len(loadtest.ReadResults(t, filepath.Join(out, load.ResultsFile))); n == 0 || uint64(n) != rep.Requests {
		t.Fatalf("%d results in results.bin, report.json counts %d", n, rep.Requests)
	}
	results := loadtest.ReadRun(t, out)
	calls, classes := map[string]float64{}, map[string]float64{}
	for i := range results {
		calls[gateway.CallOf(results[i].Method, results[i].URL)]++
		v := gateway.ParseVerdict(results[i].Error)
		if v.OK() {
			v.Class = gateway.ClassOK
		}
		classes[string(v.Class)]++
	}
	if got := final.By(metrics.NameRequestDuration, metrics.LabelCall, nil); !sameMap(got, calls) {
		t.Errorf("latency histogram counts by call %v, the results files %v", got, calls)
	}
	if got := final.By(metrics.NameRequests, metrics.LabelClass, nil); !sameMap(got, classes) {
		t.Errorf("%s by class %v, the results files %v", metrics.NameRequests, got, classes)
	}
	for name, want := range map[string]float64{metrics.NameAgentsSignedIn: 0, metrics.NameInFlight: 0, metrics.NameSignInAttempts: 8, metrics.NameAgents: 8} {
		if got, _ := final.Sum(name, nil); got != want {
			t.Errorf("during the linger %s = %v, want %v", name, got, want)
		}
	}
	if v := final.By(metrics.NameStage, metrics.LabelStage, nil); v[metrics.StageDone] != 1 {
		t.Errorf("stage %v during the linger, want done", v)
	}
	noAgentLabels(t, final, 2001, 2008)

	sent := time.Now()
	p.signal(t, syscall.SIGINT)
	want := exitOK
	if !rep.Pass {
		want = exitGateFailed // a loaded machine may fail the saturation gate
	}
	if code := p.wait(t, 30*time.Second); code != want {
		t.Fatalf("exit %d after a SIGINT during the linger, want the run's %d (report pass: %v)\nstderr:\n%s\nstdout:\n%s", code, want, rep.Pass, p.stderr, p.stdout)
	}
	if d := time.Since(sent); d > 15*time.Second {
		t.Errorf("took %s to exit after the SIGINT: the linger did not end", d)
	}
	if !strings.Contains(p.stdout.String(), "reports in "+out) {
		t.Errorf("stdout must carry the summary and where the reports are:\n%s", p.stdout)
	}
	if strings.Contains(p.stderr.String(), "stopping the attack") {
		t.Errorf("a signal during the linger was taken for an interruption of the run:\n%s", p.stderr)
	}
}

func sameMap(a, b map[string]float64) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// TestLoadMetricsBadAddr: a bad --metrics-addr or --metrics-linger, or an
// address in use, is refused with exit 2 naming the flag, before anyone
// signs in.
func TestLoadMetricsBadAddr(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "3001-3008", "allow_load: true"))
	out := filepath.Join(dir, "out")
	inUse, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inUse.Close()
	base := []string{"load", "--targets", targets, "--target", "gw", "--plan", "short", "--out", out}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no port", []string{"--metrics-addr", "localhost"}, []string{"-metrics-addr", "HOST:PORT"}},
		{"bad port", []string{"--metrics-addr", "127.0.0.1:99999"}, []string{"-metrics-addr", "0 to 65535"}},
		{"in use", []string{"--metrics-addr", inUse.Addr().String()}, []string{"--metrics-addr " + inUse.Addr().String(), "address already in use"}},
		{"bad linger", []string{"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "soon"}, []string{"-metrics-linger", "e.g. 30s"}},
		{"negative linger", []string{"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "-1s"}, []string{"-metrics-linger", "from 0 to 1h"}},
	} {
		code, stdout, stderr := runCCGW(t, loadEnv, append(base, tc.args...)...)
		if code != exitHarness {
			t.Errorf("%s: exit %d, want %d\nstderr: %s", tc.name, code, exitHarness, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q does not name %q", tc.name, strings.TrimSpace(stderr), w)
			}
		}
		if strings.Contains(stdout, "reports in") {
			t.Errorf("%s: the run started", tc.name)
		}
	}
	m.noSignIn(t, "bad metrics flags")
}
