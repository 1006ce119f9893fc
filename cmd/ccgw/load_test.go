package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/internal/testscale"
	"ccgw-harness/reports"
	"ccgw-harness/results"
)

// These tests run the ccgw binary as a pipeline does: a `ccgw mock`
// process, a targets.yaml pointing at it (url, tls.ca_file, password_env),
// and `ccgw load` / `ccgw report` processes, judged by their exit codes,
// messages and files, and by the mock's own count of sign-ins and
// sign-outs (/ccgw-admin/stats over HTTPS, trusting the mock's certificate).

// pwEnv names the environment variable that carries the agents' password
// to both the mock (--password-env) and ccgw load (agents.password_env).
const pwEnv = "CCGW_TEST_AGENT_PW"

// loadEnv is the environment of every process these tests start.
// CCGW_TARGETS and CCGW_TARGET are emptied so that the caller's shell
// cannot stand in for a missing flag.
var loadEnv = []string{pwEnv + "=pw-Load-7x1", "GORACE=atexit_sleep_ms=0", "CCGW_TARGETS=", "CCGW_TARGET="}

// testPlans are the plans of every test targets file. Agents 8, so a
// target's ids need 8 agents.
const testPlans = `plans:
  short: {agents: 8, rate: 40, duration: 1s}
  fast: {agents: 8, rate: 100, duration: 1s}
  long: {agents: 8, rate: 40, duration: 30s}
  shift: {agents: 8, rate: 4, duration: 2s, journey: {hold: 1500ms, repeat: 500ms}, signin: {status: 4, autoenteridle: true}}
  shiftlong: {agents: 8, rate: 4, duration: 2s, journey: {hold: 60s}}
`

// mockProc is a running `ccgw mock` process.
type mockProc struct {
	url, cert string
	hc        *http.Client
}

// startMockProc starts `ccgw mock` in dynamic mode with short Guid timings
// (rotation every 2 s, so a run follows rotations) and extra flags. It is
// killed at cleanup.
func startMockProc(t *testing.T, flags ...string) *mockProc {
	t.Helper()
	cert := filepath.Join(t.TempDir(), "mock.pem")
	args := append([]string{"mock", "--addr", "127.0.0.1:0", "--cert-out", cert, "--password-env", pwEnv,
		"--auth-mode", "dynamic", "--guid-interval", "2s", "--guid-timeout", "6s", "--poll-wait", "500ms"}, flags...)
	_, lines, stderr := startCCGW(t, loadEnv, args...)
	line := waitLine(t, lines, "listening on ", 30*time.Second)
	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatalf("mock --cert-out: %v (stderr %s)", err, stderr)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("mock --cert-out wrote no certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &mockProc{url: strings.TrimPrefix(line, "listening on "), cert: cert,
		hc: &http.Client{Transport: tr, Timeout: testscale.D(10 * time.Second)}}
}

// mockStats is the part of the mock's /ccgw-admin/stats these tests read.
type mockStats struct {
	Calls map[string]struct {
		Requests uint64 `json:"requests"`
	} `json:"calls"`
	ActiveSessions   int64  `json:"active_sessions"`
	SignIns          uint64 `json:"sign_ins"`
	SignOuts         uint64 `json:"sign_outs"`
	ReplacedSessions uint64 `json:"replaced_sessions"`
	IdleSignOuts     uint64 `json:"idle_sign_outs"`
}

// accounted reports whether every session the mock opened was closed, and
// by the harness: signed out, or replaced by the harness's own forced
// re-sign-in (after a 100-006 the gateway may answer a request that carried
// a rotated-out Guid too long on a starved machine), or ended idle (none
// in these short runs unless a poller starved for minutes).
func (s mockStats) accounted() bool {
	return s.ActiveSessions == 0 && s.SignOuts+s.ReplacedSessions+s.IdleSignOuts == s.SignIns
}

// stats reads the mock's counters.
func (m *mockProc) stats(t *testing.T) mockStats {
	t.Helper()
	resp, err := m.hc.Get(m.url + "/ccgw-admin/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s mockStats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("mock stats: status %d, %v", resp.StatusCode, err)
	}
	return s
}

// noSignIn fails unless the mock saw no sign-in attempt at all.
func (m *mockProc) noSignIn(t *testing.T, what string) {
	t.Helper()
	s := m.stats(t)
	if s.SignIns != 0 || s.Calls["signin"].Requests != 0 || s.Calls["forcelogin"].Requests != 0 || s.ActiveSessions != 0 {
		t.Errorf("%s: the mock saw %d sign-in and %d forcelogin requests (%d sessions): nothing may start before the checks pass",
			what, s.Calls["signin"].Requests, s.Calls["forcelogin"].Requests, s.ActiveSessions)
	}
}

// target is the targets.yaml block of a target on this mock named name,
// with agent IDs ids (distinct per concurrent run: the mock has one
// session per agent) and extra keys. A "tls:" extra replaces the default
// tls.ca_file (the mock's certificate).
func (m *mockProc) target(name, ids string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %s:\n    url: %s\n", name, m.url)
	custom := false
	for _, e := range extra {
		custom = custom || strings.HasPrefix(e, "tls:")
	}
	if !custom {
		fmt.Fprintf(&b, "    tls: {ca_file: %q}\n", m.cert)
	}
	fmt.Fprintf(&b, "    auth_mode: dynamic\n    guid_interval: 2s\n    guid_timeout: 6s\n    poll_wait: 500ms\n")
	fmt.Fprintf(&b, "    agents: {ids: %q, phonenum_prefix: \"7\", password_env: %s}\n", ids, pwEnv)
	for _, e := range extra {
		fmt.Fprintf(&b, "    %s\n", e)
	}
	return b.String()
}

// writeTargets writes a targets file with the blocks and testPlans into
// dir and returns its path.
func writeTargets(t *testing.T, dir string, blocks ...string) string {
	t.Helper()
	p := filepath.Join(dir, "targets.yaml")
	if err := os.WriteFile(p, []byte("targets:\n"+strings.Join(blocks, "")+testPlans), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadProc is a running ccgw process whose stderr is split into lines.
type loadProc struct {
	cmd         *exec.Cmd
	stdout      *syncWriter
	stdoutLines *lineWriter // stdout by lines (startLoadEnvCmd only)
	stderr      *lineWriter
	done        chan struct{} // closed when the process has exited
}

// startLoad starts `ccgw args...` (with loadEnv); it is killed at cleanup
// if still running.
func startLoad(t *testing.T, args ...string) *loadProc {
	t.Helper()
	cmd := exec.Command(ccgwBin, args...)
	cmd.Env = append(os.Environ(), loadEnv...)
	p := &loadProc{cmd: cmd, stdout: &syncWriter{}, stderr: newLineWriter(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// signal sends sig to the process.
func (p *loadProc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits at most testscale.D(d) for the process to exit and returns
// its exit code (-1 when a signal killed it).
func (p *loadProc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	d = testscale.D(d)
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("ccgw %v did not exit within %s\nstderr:\n%s", p.cmd.Args[1:], d, p.stderr)
		return 0
	}
}

// waitFor returns the first stderr line matching re, or fails after
// testscale.D(d) or when the process exits first.
func (p *loadProc) waitFor(t *testing.T, re *regexp.Regexp, d time.Duration) string {
	t.Helper()
	d = testscale.D(d)
	timeout := time.After(d)
	for {
		select {
		case l := <-p.stderr.lines:
			if re.MatchString(l) {
				return l
			}
		case <-p.done:
			// Lines written before the exit are all in the channel.
			for {
				select {
				case l := <-p.stderr.lines:
					if re.MatchString(l) {
						return l
					}
				default:
					t.Fatalf("ccgw exited (code %d) before a stderr line matching %q\nstderr:\n%s", p.cmd.ProcessState.ExitCode(), re, p.stderr)
				}
			}
		case <-timeout:
			t.Fatalf("no stderr line matching %q within %s\nstderr:\n%s", re, d, p.stderr)
		}
	}
}

// waitForStdout returns the first stdout line with prefix, or fails after
// testscale.D(d).
func (p *loadProc) waitForStdout(t *testing.T, prefix string, d time.Duration) string {
	t.Helper()
	timeout := time.After(testscale.D(d))
	for {
		select {
		case l := <-p.stdoutLines.lines:
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			t.Fatalf("no stdout line starting %q within %s\nstderr:\n%s", prefix, testscale.D(d), p.stderr)
		}
	}
}

// lineWriter keeps everything written and hands out whole lines.
type lineWriter struct {
	mu    sync.Mutex
	all   strings.Builder
	part  []byte
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 4096)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		select {
		case w.lines <- string(w.part[:i]):
		default: // never block the process; String() still has it
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// Lines of ccgw load's stderr the tests wait for.
var (
	signedInLine = regexp.MustCompile(`^sign-in: 8 of 8 agents signed in`)
	// progress30s is a plain progress line of the 30 s plan with requests
	// already sent: the measured attack is running.
	progress30s  = regexp.MustCompile(`^\d+s/30s +requests [1-9]\d*`)
	stoppingLine = regexp.MustCompile(`interrupt: stopping the attack, signing agents out`)
)

// readReport reads DIR/report.json.
func readReport(t *testing.T, dir string) *reports.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reports.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	return &r
}

// readText reads a file as a string.
func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// countResults decodes a gob results file with vegeta's own decoder and
// returns how many whole results it holds (for a run's results.bin, what
// report.json's requests count: the agents' sign-ins, polls and sign-outs
// are in calls.bin) and whether it ends cleanly (false: cut inside a
// result).
func countResults(t *testing.T, path string) (n int, clean bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(bufio.NewReader(f))
	for {
		var r vegeta.Result
		err := dec.Decode(&r)
		switch {
		case err == nil:
			n++
		case errors.Is(err, io.EOF):
			return n, true
		case errors.Is(err, io.ErrUnexpectedEOF):
			return n, false
		default:
			t.Fatalf("%s: result %d: %v", path, n+1, err)
		}
	}
}

// TestLoadSIGINT: the first SIGINT in the middle of a 30 s plan stops the
// attack, signs every agent out and writes the reports marked interrupted,
// with exit 130; results.bin holds exactly what the report counts.
func TestLoadSIGINT(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "1001-1008", "allow_load: true"))
	out := filepath.Join(dir, "out")
	p := startLoad(t, "load", "--targets", targets, "--target", "gw", "--plan", "long", "--out", out)
	p.waitFor(t, progress30s, 40*time.Second)
	started := time.Now()
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, 30*time.Second); code != exitInterrupted {
		t.Fatalf("exit %d after SIGINT, want %d\nstderr:\n%s", code, exitInterrupted, p.stderr)
	}
	// Stopping the attack, signing 8 agents out and writing the reports
	// take well under a second; 15 s (times the scale) is the hang guard,
	// and the report's duration below proves the attack stopped early.
	if d := time.Since(started); d > testscale.D(15*time.Second) {
		t.Errorf("took %s to stop after SIGINT: the attack did not stop at once", d)
	}
	stderr := p.stderr.String()
	if !stoppingLine.MatchString(stderr) || !strings.Contains(stderr, "sign-out: 8 agents signed out") {
		t.Errorf("stderr must say the attack stops and 8 agents were signed out:\n%s", stderr)
	}

	rep := readReport(t, out)
	if !rep.Interrupted || rep.Partial || rep.Requests == 0 || rep.DurationS >= 25 {
		t.Errorf("report.json: interrupted %v partial %v requests %d duration %.1fs; want interrupted, not partial, some requests, well short of 30 s",
			rep.Interrupted, rep.Partial, rep.Requests, rep.DurationS)
	}
	if rep.Target != "gw" || rep.Plan != "long" {
		t.Errorf("report.json names %s/%s, want gw/long", rep.Target, rep.Plan)
	}
	n, clean := countResults(t, filepath.Join(out, "results.bin"))
	if !clean || uint64(n) != rep.Requests {
		t.Errorf("results.bin holds %d whole results (ends cleanly: %v); report.json counts %d: want equal and a clean end", n, clean, rep.Requests)
	}
	summary := readText(t, filepath.Join(out, "summary.txt"))
	if !strings.Contains(summary, "INTERRUPTED") {
		t.Errorf("summary.txt does not say the run was interrupted:\n%s", summary)
	}
	if !strings.Contains(p.stdout.String(), "INTERRUPTED") || !strings.Contains(p.stdout.String(), "reports in "+out) {
		t.Errorf("stdout must carry the summary and where the reports are:\n%s", p.stdout)
	}
	meta, err := results.ReadMeta(filepath.Join(out, "meta.json"))
	if err != nil || !meta.Interrupted {
		t.Errorf("meta.json: interrupted %v, %v; want true", meta.Interrupted, err)
	}
	var junit struct {
		Tests int `xml:"tests,attr"`
		Suite []struct {
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(readText(t, filepath.Join(out, "junit.xml"))), &junit); err != nil || junit.Tests == 0 || len(junit.Suite) != 1 {
		t.Errorf("junit.xml: %v, %d tests; want a suite with the SLO gates", err, junit.Tests)
	} else {
		props := map[string]string{}
		for _, pr := range junit.Suite[0].Properties {
			props[pr.Name] = pr.Value
		}
		if props["requests"] != fmt.Sprint(rep.Requests) || props["plan"] != "long" || props["interrupted"] != "true" {
			t.Errorf("junit.xml properties %v; want plan long, the %d requests of report.json, interrupted true", props, rep.Requests)
		}
	}

	// The agents' password is in no output.
	pw := strings.TrimPrefix(loadEnv[0], pwEnv+"=")
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(readText(t, filepath.Join(out, e.Name())), pw) {
			t.Errorf("%s holds the agents' password", e.Name())
		}
	}
	if strings.Contains(stderr, pw) || strings.Contains(p.stdout.String(), pw) {
		t.Error("the agents' password was printed")
	}

	st := m.stats(t)
	if !st.accounted() || st.SignIns < 8 || st.SignOuts < 8 {
		t.Errorf("mock after SIGINT: %+v; want 0 active, at least the 8 agents signed out, every session closed", st)
	}
}

// TestLoadSecondSIGINT: a second SIGINT while the first is being handled
// (here: a sign-out the mock makes last 3 s) quits at once, non-zero, and
// says the agents may stay signed in. "At once" is proven by what did not
// happen rather than by a stopwatch: no sign-out finished (none is
// reported, and the mock still holds every session).
func TestLoadSecondSIGINT(t *testing.T) {
	t.Parallel()
	m := startMockProc(t, "--sign-in-latency", "3s")
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "1001-1008", "allow_load: true"))
	out := filepath.Join(dir, "out")
	p := startLoad(t, "load", "--targets", targets, "--target", "gw", "--plan", "long", "--out", out)
	p.waitFor(t, signedInLine, 40*time.Second)
	p.signal(t, syscall.SIGINT)
	p.waitFor(t, stoppingLine, 20*time.Second)
	second := time.Now()
	p.signal(t, syscall.SIGINT)
	code := p.wait(t, 20*time.Second)
	took := time.Since(second)
	if code == exitOK || code == -1 {
		t.Errorf("exit %d after the second SIGINT, want a non-zero exit code (%d)", code, exitInterrupted)
	}
	if st := m.stats(t); st.ActiveSessions != 8 {
		t.Errorf("the mock holds %d sessions after the exit, want all 8: a sign-out (3 s each) finished first, so the exit was not at once (took %s)", st.ActiveSessions, took)
	}
	stderr := p.stderr.String()
	if !strings.Contains(stderr, "again: quitting at once") {
		t.Errorf("stderr must say the second signal quits at once:\n%s", stderr)
	}
	if strings.Contains(stderr, "sign-out: ") {
		t.Errorf("the sign-out finished before the exit: the second SIGINT did not quit at once:\n%s", stderr)
	}
}

// TestLoadRefusesUnwritableOut: an OUT that cannot be written is refused
// with exit 2 and a message naming it, before anyone signs in. The paths
// fail for root too: /proc refuses new files and directories, and a
// regular file is not a directory.
func TestLoadRefusesUnwritableOut(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "1001-1008", "allow_load: true"))
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("not a directory\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outs := []string{file, filepath.Join(file, "out")}
	if runtime.GOOS == "linux" {
		outs = append(outs, "/proc/self", "/proc/self/ccgw-out")
	}
	for _, out := range outs {
		code, stdout, stderr := runCCGW(t, loadEnv, "load", "--targets", targets, "--target", "gw", "--plan", "short", "--out", out)
		if code != exitHarness || !strings.Contains(stderr, "output directory "+out+" ") {
			t.Errorf("--out %s: exit %d, stderr %q; want exit %d naming the output directory", out, code, stderr, exitHarness)
		}
		if strings.Contains(stdout, "reports in") {
			t.Errorf("--out %s: a run was reported: %s", out, stdout)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "not a directory\n" {
		t.Errorf("the regular file given as --out was changed: %q, %v", b, err)
	}
	m.noSignIn(t, "unwritable --out")
}

// TestLoadSafetyRails: allow_load, max_rate, production with --confirm,
// and whether TLS was verified, through the command line.
func TestLoadSafetyRails(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir,
		m.target("noload", "1001-1008"),
		m.target("capped", "2001-2008", "allow_load: true", "max_rate: 40"),
		m.target("prod", "3001-3008", "allow_load: true", "production: true"),
		m.target("skipverify", "4001-4008", "allow_load: true", "tls: {insecure_skip_verify: true}"),
	)
	load := func(out string, args ...string) []string {
		return append([]string{"load", "--targets", targets, "--out", filepath.Join(dir, out)}, args...)
	}

	// Refusals: exit 2 naming the target and the key or flag, nothing
	// signed in.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{load("o1", "--target", "noload", "--plan", "short"), []string{"target noload", "allow_load: true"}},
		{load("o2", "--target", "prod", "--plan", "short"), []string{"target prod", "production", "--confirm prod"}},
		{load("o3", "--target", "prod", "--plan", "short", "--confirm", "capped"), []string{"target prod", "--confirm prod"}},
	} {
		code, stdout, stderr := runCCGW(t, loadEnv, tc.args...)
		if code != exitHarness {
			t.Errorf("ccgw %v: exit %d, want %d (refused)", tc.args[4:], code, exitHarness)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("ccgw %v: stderr %q does not name %q", tc.args[4:], stderr, w)
			}
		}
		if strings.Contains(stdout, "reports in") {
			t.Errorf("ccgw %v ran despite the refusal", tc.args[4:])
		}
	}
	m.noSignIn(t, "refused runs")

	// Runs, side by side (distinct agents).
	type run struct {
		out  string
		code int
		err  string
	}
	procs := map[string]*loadProc{
		"capped":     startLoad(t, load("capped", "--target", "capped", "--plan", "fast")...),
		"prod":       startLoad(t, load("prod", "--target", "prod", "--plan", "short", "--confirm", "prod")...),
		"skipverify": startLoad(t, load("skipverify", "--target", "skipverify", "--plan", "short")...),
	}
	res := map[string]run{}
	for name, p := range procs {
		code := p.wait(t, time.Minute)
		if code != exitOK && code != exitGateFailed {
			t.Fatalf("%s: exit %d, want a completed run (0 or 1)\nstderr:\n%s", name, code, p.stderr)
		}
		res[name] = run{out: filepath.Join(dir, name), code: code, err: p.stderr.String()}
	}

	// max_rate caps the plan's 100/s at 40/s, and says so.
	capped := readReport(t, res["capped"].out)
	if capped.Rate.Requested != 40 {
		t.Errorf("capped: report.json rate.requested %v, want the target's max_rate 40", capped.Rate.Requested)
	}
	if capped.Requests < 30 || capped.Requests > 50 {
		t.Errorf("capped: %d requests in 1 s, want about 40 (the cap), not 100 (the plan)", capped.Requests)
	}
	if !strings.Contains(strings.Join(capped.Warnings, "\n"), "capped at 40/s") ||
		!strings.Contains(readText(t, filepath.Join(res["capped"].out, "summary.txt")), "capped at 40/s") {
		t.Errorf("capped: the warnings and summary.txt must say the plan was capped at 40/s: %q", capped.Warnings)
	}
	if !strings.Contains(res["capped"].err, "capped at 40/s") {
		t.Errorf("capped: stderr must warn about the cap:\n%s", res["capped"].err)
	}

	// TLS verification: on by default, and the summary says when it was off.
	if !capped.TLSVerify || !strings.Contains(readText(t, filepath.Join(res["capped"].out, "summary.txt")), "TLS verified") {
		t.Errorf("capped (tls.ca_file): tls_verify %v; the summary must say TLS verified", capped.TLSVerify)
	}
	skip := readReport(t, res["skipverify"].out)
	skipSummary := readText(t, filepath.Join(res["skipverify"].out, "summary.txt"))
	if skip.TLSVerify || !strings.Contains(skipSummary, "TLS NOT verified") || !strings.Contains(skipSummary, "verification is OFF") {
		t.Errorf("skipverify: tls_verify %v; the summary must say TLS was NOT verified and warn that verification is OFF:\n%s", skip.TLSVerify, skipSummary)
	}

	// production with the right --confirm runs.
	if prod := readReport(t, res["prod"].out); prod.Requests == 0 || prod.Target != "prod" {
		t.Errorf("prod --confirm prod: %d requests against %q, want a run against prod", prod.Requests, prod.Target)
	}

	st := m.stats(t)
	if !st.accounted() || st.SignIns < 24 || st.SignOuts < 24 {
		t.Errorf("mock: %+v; want 0 active, at least 24 sign-outs (three runs of 8 agents), every session closed", st)
	}
}

// TestLoadBadInput: each bad flag, argument or name exits 2 with a message
// naming it and what is allowed, and nothing starts.
func TestLoadBadInput(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "1001-1008", "allow_load: true"))
	badYAML := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badYAML, []byte(strings.Replace(readText(t, targets), "allow_load: true", "allow_load: yes please", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	base := []string{"load", "--out", out, "--targets", targets, "--target", "gw"}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown flag", append(base, "--plan", "short", "--no-such-flag"), []string{"-no-such-flag", "ccgw load -h"}},
		{"missing --plan", base, []string{"--plan", "want a plan name"}},
		{"unknown target", []string{"load", "--out", out, "--targets", targets, "--target", "nosuch", "--plan", "short"}, []string{`unknown target "nosuch"`, "known: gw"}},
		{"unknown plan", append(base, "--plan", "nosuch"), []string{`unknown plan "nosuch"`, "known: fast, long, shift, shiftlong, short"}},
		{"missing --target", []string{"load", "--out", out, "--targets", targets, "--plan", "short"}, []string{"--target", "CCGW_TARGET"}},
		{"zero rate", append(base, "--plan", "short", "--rate", "0"), []string{"-rate", "above 0"}},
		{"negative rate", append(base, "--plan", "short", "--rate", "-5"), []string{"-rate", "above 0"}},
		{"rate not a number", append(base, "--plan", "short", "--rate", "fast"), []string{`"fast"`, "-rate", "requests/s"}},
		{"rate too high", append(base, "--plan", "short", "--rate", "2e6"), []string{"-rate", "at most 1e+06"}},
		{"duration without unit", append(base, "--plan", "short", "--duration", "30"), []string{"-duration", "e.g. 30s"}},
		{"zero duration", append(base, "--plan", "short", "--duration", "0s"), []string{"-duration", "positive duration"}},
		{"negative duration", append(base, "--plan", "short", "--duration", "-1s"), []string{"-duration", "positive duration"}},
		{"duration too long", append(base, "--plan", "short", "--duration", "1000h"), []string{"-duration", "at most 168h"}},
		{"stray argument", append(base, "--plan", "short", "extra"), []string{`unexpected argument "extra"`}},
		{"missing targets file", []string{"load", "--out", out, "--targets", filepath.Join(dir, "nosuch.yaml"), "--target", "gw", "--plan", "short"}, []string{"--targets " + filepath.Join(dir, "nosuch.yaml"), "no such file", "CCGW_TARGETS"}},
		{"bad targets file", []string{"load", "--out", out, "--targets", badYAML, "--target", "gw", "--plan", "short"}, []string{badYAML + ":10:", "targets.gw.allow_load"}},
	} {
		code, stdout, stderr := runCCGW(t, loadEnv, tc.args...)
		if code != exitHarness {
			t.Errorf("%s: exit %d, want %d\nstderr: %s", tc.name, code, exitHarness, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q does not name %q", tc.name, strings.TrimSpace(stderr), w)
			}
		}
		if strings.Contains(stdout, "reports in") || strings.Contains(stderr, "signing in") {
			t.Errorf("%s: the run started", tc.name)
		}
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bad input created the output directory %s (%v)", out, err)
	}
	m.noSignIn(t, "bad input")
}

// TestTuneGCLeavesUserSettings checks that the load run's GC settings apply
// only where GOGC and GOMEMLIMIT do not say otherwise.
func TestTuneGCLeavesUserSettings(t *testing.T) {
	prevPct := debug.SetGCPercent(100)
	prevLim := debug.SetMemoryLimit(math.MaxInt64)
	defer func() { debug.SetGCPercent(prevPct); debug.SetMemoryLimit(prevLim) }()

	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != loadGCPercent {
		t.Errorf("without GOGC a load run collects at %d%%, want %d%%", got, loadGCPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != loadMemoryLimit {
		t.Errorf("without GOMEMLIMIT the soft limit is %d, want %d", got, loadMemoryLimit)
	}
	tuneGC(func(k string) string { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: the run must keep the runtime's setting, got %d%%", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set: the run must keep the runtime's limit, got %d", got)
	}
}

// TestLoadSIGINTJourneys: the first SIGINT while journeys hold ends them:
// each signs out and counts as interrupted, the reports are written and
// marked interrupted, exit 130.
func TestLoadSIGINTJourneys(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	dir := t.TempDir()
	targets := writeTargets(t, dir, m.target("gw", "1201-1208", "allow_load: true"))
	out := filepath.Join(dir, "out")
	p := startLoad(t, "load", "--targets", targets, "--target", "gw", "--plan", "shiftlong", "--out", out)
	p.waitFor(t, regexp.MustCompile(`journeys: 8 agents start a journey`), 40*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for m.stats(t).ActiveSessions < 8 { // every journey holding (bounded)
		if time.Now().After(deadline) {
			t.Fatalf("the 8 journeys did not all sign in within 30 s\nstderr:\n%s", p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, 30*time.Second); code != exitInterrupted {
		t.Fatalf("exit %d after SIGINT, want %d\nstderr:\n%s", code, exitInterrupted, p.stderr)
	}
	rep := readReport(t, out)
	j := rep.Journeys
	if !rep.Interrupted || j.Started != 8 || j.Interrupted != 8 || j.Completed != 0 || rep.Calls["logout"].Requests != 8 {
		t.Errorf("report.json: interrupted %v, journeys %+v, %d sign-outs; want 8 journeys interrupted and signed out", rep.Interrupted, j, rep.Calls["logout"].Requests)
	}
	if st := m.stats(t); st.ActiveSessions != 0 {
		t.Errorf("%d sessions left on the mock after SIGINT", st.ActiveSessions)
	}
}
