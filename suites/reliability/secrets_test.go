package reliability_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/load"
	"ccgw-harness/metrics/metricstest"
	"ccgw-harness/mockgw"
	"ccgw-harness/reports"
)

// Session timings of the secrets test's mock, which the harness reaches by
// URL like a real gateway (the targets file states the same values). As
// for the contract suite's embedded mock, a rotated-out Guid lives 4.5 s
// after its rotation could first happen and a session 8 s without a poll,
// so a slow request or a starved poller on a busy machine loses nothing.
const (
	secGuidInterval = 500 * time.Millisecond
	secGuidTimeout  = 5 * time.Second
	secIdleTimeout  = 8 * time.Second
	secPollWait     = 200 * time.Millisecond
	// secPasswordEnv is the variable the targets file names.
	secPasswordEnv = "CCGW_RELIABILITY_PASSWORD"
)

// secretSet collects what the mock's secret hook reports.
type secretSet struct {
	mu     sync.Mutex
	values map[string]string // secret -> kind
	calls  map[string]uint64 // kind -> hook calls
}

func newSecretSet() *secretSet {
	return &secretSet{values: map[string]string{}, calls: map[string]uint64{}}
}

// hook is the mock's secret hook. A Guid is recorded whole and as its UUID
// alone (the part before the node suffix), so that a leak of either is found.
func (s *secretSet) hook(kind, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[kind]++
	s.values[value] = kind
	if kind == mockgw.SecretGuid {
		if i := strings.Index(value, ".AgentGateway"); i > 0 {
			s.values[value[:i]] = kind
		}
	}
}

// snapshot returns the secrets by kind and the hook calls per kind.
func (s *secretSet) snapshot() (map[string]string, map[string]uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := make(map[string]string, len(s.values))
	for k, kind := range s.values {
		v[k] = kind
	}
	c := make(map[string]uint64, len(s.calls))
	for k, n := range s.calls {
		c[k] = n
	}
	return v, c
}

// scanner finds any of a set of secrets in bytes: an index by each
// secret's first 8 bytes, so one pass over an output checks every secret.
type scanner struct {
	byPrefix map[string][]string
	kinds    map[string]string
}

// scanPrefix is the length of the index keys; every secret is longer.
const scanPrefix = 8

func newScanner(secrets map[string]string) *scanner {
	sc := &scanner{byPrefix: map[string][]string{}, kinds: secrets}
	for s := range secrets {
		if len(s) >= scanPrefix {
			sc.byPrefix[s[:scanPrefix]] = append(sc.byPrefix[s[:scanPrefix]], s)
		}
	}
	return sc
}

// leak is one secret found in one output.
type leak struct{ file, kind, masked string }

// scan returns the secrets found in b.
func (sc *scanner) scan(name string, b []byte) []leak {
	var out []leak
	seen := map[string]bool{}
	for i := 0; i+scanPrefix <= len(b); i++ {
		cands, ok := sc.byPrefix[string(b[i:i+scanPrefix])]
		if !ok {
			continue
		}
		for _, c := range cands {
			if !seen[c] && bytes.HasPrefix(b[i:], []byte(c)) {
				seen[c] = true
				out = append(out, leak{file: name, kind: sc.kinds[c], masked: gateway.Mask(c)})
			}
		}
	}
	return out
}

// scanFiles scans every file; names are relative to root.
func (sc *scanner) scanFiles(t *testing.T, root string, files []string) []leak {
	t.Helper()
	var out []leak
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		out = append(out, sc.scan(rel, b)...)
	}
	return out
}

// captured is one run of a built binary with its output kept in files.
type captured struct {
	name string
	code int
	out  string // stdout and stderr, for failure messages
}

// TestNoSecretInAnyOutput runs the built `ccgw load` (plain progress on a
// pipe, and live progress on a terminal) and the contract suite against one
// mock reached by URL, collecting every Guid, phonetoken and password the
// mock issued or accepted, then scans every output file of both runs for
// every one of them: none may appear. The piped run serves its live metrics
// (--metrics-addr): they are scraped when the listener is up, at each
// progress line of the attack and during the linger, and every scrape is
// scanned too; no label value holds one of its agents' IDs. The scan proves
// its teeth: it saw every kind of secret, the hook saw every secret the
// mock's counters account for, and a secret planted into copies of three
// outputs is found.
func TestNoSecretInAnyOutput(t *testing.T) {
	t.Parallel()
	runSlot(t)
	ccgw := buildCCGW(t)
	suiteBin := buildContract(t)

	set := newSecretSet()
	m, err := mockgw.New(mockgw.WithPassword(agentPassword), mockgw.WithSecretHook(set.hook),
		mockgw.WithAuthMode(gateway.AuthDynamic),
		mockgw.WithGuidInterval(secGuidInterval), mockgw.WithGuidTimeout(secGuidTimeout),
		mockgw.WithIdleTimeout(secIdleTimeout), mockgw.WithPollWait(secPollWait))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)

	root := t.TempDir()
	ca := writeFile(t, root, "gateway-ca.pem", string(m.CertPEM()))
	gw := func(name, ids string) string {
		return fmt.Sprintf(`  %s:
    url: %s
    tls: {ca_file: %s}
    auth_mode: dynamic
    guid_interval: %v
    guid_timeout: %v
    idle_timeout: %v
    poll_wait: %v
    agents: {ids: %q, phonenum_prefix: "7", password_env: %s}
    allow_load: true
`, name, m.URL(), ca, secGuidInterval, secGuidTimeout, secIdleTimeout, secPollWait, ids, secPasswordEnv)
	}
	// A plain progress line comes every load.DefaultPlainInterval from the
	// start of the attack: the piped run lasts two intervals and a second,
	// so its first line is missed only if the progress printer is starved
	// for 6 s, not for the 1 s an interval plus a second would leave.
	plainDur := 2*load.DefaultPlainInterval + time.Second
	targets := writeFile(t, root, "targets.yaml", "targets:\n"+
		gw("suite", "1001-1100")+gw("piped", "2001-2020")+gw("terminal", "3001-3020")+
		fmt.Sprintf(`plans:
  piped: {agents: 20, rate: 50, duration: %v, warmup: 200ms, connections: 4}
  terminal: {agents: 20, rate: 50, duration: 3s, warmup: 200ms, connections: 4}
slo: {error_rate: 0.01, saturation: false}
`, plainDur))
	env := append(os.Environ(), secPasswordEnv+"="+agentPassword)

	// The three runs go side by side (different agents).
	var wg sync.WaitGroup
	var mu sync.Mutex
	var runs []captured
	var files []string // every output to scan
	add := func(c captured, fs ...string) {
		mu.Lock()
		defer mu.Unlock()
		runs = append(runs, c)
		files = append(files, fs...)
	}
	var plainErr, ttyNote string

	// ccgw load, stdout and stderr on pipes (plain progress), serving its
	// metrics, which are scraped as it runs.
	var scrapes []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		dir := filepath.Join(root, "piped")
		out := filepath.Join(dir, "out")
		stdout, stderr := filepath.Join(dir, "stdout.txt"), filepath.Join(dir, "stderr.txt")
		c, scraped := runScraped(t, "ccgw load (piped, metrics)", env, stdout, stderr, ccgw, "load", "--targets", targets, "--target", "piped", "--plan", "piped", "--out", out,
			"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "2m")
		errOut, _ := os.ReadFile(stderr)
		if !regexp.MustCompile(`\d+s/\d+s  requests \d+  rate`).Match(errOut) {
			plainErr = "no plain progress line in stderr:\n" + string(errOut)
		}
		mu.Lock()
		scrapes = scraped
		mu.Unlock()
		add(c, append(append(dirFiles(t, out), stdout, stderr), scraped...)...)
	}()

	// ccgw load with stderr on a terminal (the live, rewritten line).
	wg.Add(1)
	go func() {
		defer wg.Done()
		master, tty, err := openPTY()
		if err != nil {
			ttyNote = "terminal run skipped: " + err.Error()
			return
		}
		dir := filepath.Join(root, "terminal")
		out := filepath.Join(dir, "out")
		stdout, stderr := filepath.Join(dir, "stdout.txt"), filepath.Join(dir, "terminal.txt")
		c := runCaptured(t, "ccgw load (terminal)", env, stdout, "", &ptyOut{master: master, tty: tty, path: stderr}, ccgw, "load", "--targets", targets, "--target", "terminal", "--plan", "terminal", "--out", out)
		b, _ := os.ReadFile(stderr)
		// A live line is rewritten in place: "\r" then the line (the
		// terminal itself turns each "\n" into "\r\n"). One comes every
		// 500 ms of the 3 s attack: missed only if the printer is starved
		// for 2.5 s.
		if !regexp.MustCompile(`\r[^\r\n]*\d+s/\d+s  requests \d+  rate`).Match(b) {
			ttyNote = "no live progress line on the terminal:\n" + string(b)
		}
		add(c, append(dirFiles(t, out), stdout, stderr)...)
	}()

	// The contract suite, with its JSON and JUnit reports.
	wg.Add(1)
	go func() {
		defer wg.Done()
		dir := filepath.Join(root, "contract")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Error(err)
			return
		}
		stdout, stderr := filepath.Join(dir, "stdout.txt"), filepath.Join(dir, "stderr.txt")
		jsonRep, junit := filepath.Join(dir, "contract.json"), filepath.Join(dir, "contract-junit.xml")
		c := runCaptured(t, "contract suite", env, stdout, stderr, nil, suiteBin,
			"--ginkgo.no-color", "--ginkgo.v", "--ginkgo.json-report="+jsonRep, "--ginkgo.junit-report="+junit,
			"--targets="+targets, "--target=suite")
		add(c, stdout, stderr, jsonRep, junit)
	}()
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, c := range runs {
		if c.code != 0 {
			t.Errorf("%s exited %d, want 0 (a clean run)\n%s", c.name, c.code, tail(c.out, 3000))
		}
	}
	if plainErr != "" {
		t.Error(plainErr)
	}
	// The metrics were scraped at the start, during the attack and in the
	// linger, and no label holds an agent ID of the run.
	var phases []string
	for _, f := range scrapes {
		phases = append(phases, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "metrics-"), ".txt"))
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		x, err := metricstest.Parse(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, lv := range x.LabelValues() {
			for id := 2001; id <= 2020; id++ {
				if strings.Contains(lv, strconv.Itoa(id)) {
					t.Errorf("%s: label %s holds agent ID %d", filepath.Base(f), lv, id)
				}
			}
		}
	}
	if len(scrapes) < 3 || !strings.HasPrefix(phases[0], "1-start") || !strings.Contains(strings.Join(phases, " "), "-run") || !strings.HasSuffix(phases[len(phases)-1], "-linger") {
		t.Errorf("metrics scraped at %v: want the start, the attack and the linger", phases)
	}
	if strings.HasPrefix(ttyNote, "no live") {
		t.Error(ttyNote)
	} else if ttyNote != "" {
		t.Log(ttyNote)
	}
	st := m.Stats()
	if st.ActiveSessions != 0 {
		t.Errorf("%d sessions left after the runs", st.ActiveSessions)
	}

	// Every output that must exist does, and is not empty.
	want := []string{load.ResultsFile, load.CallsFile, load.MetaFile, reports.JSONFile, reports.SummaryFile, reports.MarkdownFile,
		reports.HTMLFile, reports.JUnitFile, reports.HgrmFile, "stdout.txt", "stderr.txt"}
	for _, f := range scrapes {
		want = append(want, filepath.Base(f))
	}
	have := map[string]bool{}
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Size() > 0 {
			have[filepath.Base(f)] = true
		}
	}
	for _, w := range append(want, "contract.json", "contract-junit.xml") {
		if !have[w] {
			t.Errorf("output %s is missing or empty: nothing to scan", w)
		}
	}

	// The hook saw every secret the mock's counters account for.
	secrets, calls := set.snapshot()
	li := st.Calls[mockgw.CallLoginInfo]
	if calls[mockgw.SecretToken] == 0 || calls[mockgw.SecretToken] != li.Retcodes[gateway.RetOK] {
		t.Errorf("%d phonetokens reported, the mock answered %d successful logininfo calls", calls[mockgw.SecretToken], li.Retcodes[gateway.RetOK])
	}
	if calls[mockgw.SecretGuid] == 0 || calls[mockgw.SecretGuid] != st.SignIns+st.Rotations {
		t.Errorf("%d Guids reported, the mock issued %d (%d sign-ins, %d rotations)", calls[mockgw.SecretGuid], st.SignIns+st.Rotations, st.SignIns, st.Rotations)
	}
	if st.Rotations == 0 {
		t.Error("no Guid was rotated: the runs did not exercise rotation")
	}
	kinds := map[string]int{}
	for s, k := range secrets {
		kinds[k]++
		if k == mockgw.SecretPassword && s != agentPassword {
			t.Errorf("the mock accepted a password other than the agents' (%s)", gateway.Mask(s))
		}
	}
	if kinds[mockgw.SecretPassword] != 1 || kinds[mockgw.SecretGuid] == 0 || kinds[mockgw.SecretToken] == 0 {
		t.Fatalf("secrets collected by kind %v: want every kind", kinds)
	}

	// The scan: no secret in any output.
	sc := newScanner(secrets)
	sort.Strings(files)
	start := time.Now()
	leaks := sc.scanFiles(t, root, files)
	took := time.Since(start)
	for _, l := range leaks {
		t.Errorf("%s contains a %s the mock issued (%s)", l.file, l.kind, l.masked)
	}

	// The scan has teeth: a secret of each kind (a Guid whole and its UUID
	// alone, a phonetoken, the password) planted into a copy of a text
	// report and of the binary results files is found.
	var planted []string
	for s, kind := range secrets {
		if kind == mockgw.SecretGuid && strings.Contains(s, ".AgentGateway") {
			planted = append(planted, s, s[:strings.Index(s, ".AgentGateway")])
			break
		}
	}
	for _, k := range []string{mockgw.SecretToken, mockgw.SecretPassword} {
		for s, kind := range secrets {
			if kind == k {
				planted = append(planted, s)
				break
			}
		}
	}
	if len(planted) != 4 {
		t.Fatalf("%d secrets to plant, want 4", len(planted))
	}
	for _, f := range files {
		base := filepath.Base(f)
		if base != reports.JSONFile && base != load.ResultsFile && base != load.CallsFile && !strings.HasSuffix(base, "-linger.txt") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range planted {
			cp := append(append(append([]byte{}, b[:len(b)/2]...), s...), b[len(b)/2:]...)
			if !slices.Contains(sc.scan(base, cp), leak{file: base, kind: secrets[s], masked: gateway.Mask(s)}) {
				t.Errorf("a %s planted into a copy of %s was not found", secrets[s], f)
			}
		}
	}
	var size int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			size += fi.Size()
		}
	}
	t.Logf("secrets: %d Guids (+UUIDs), %d phonetokens, %d password collected (hook calls %v); scanned %d outputs (%d bytes) in %v: %d leaks; mock: %d sign-ins, %d rotations, %d logininfo, %d sessions left",
		kinds[mockgw.SecretGuid], kinds[mockgw.SecretToken], kinds[mockgw.SecretPassword], calls, len(files), size, took.Round(time.Millisecond), len(leaks),
		st.SignIns, st.Rotations, li.Requests, st.ActiveSessions)
}

// Lines of ccgw load's stderr runScraped acts on.
var (
	metricsAddrLine = regexp.MustCompile(`^metrics: listening on (http://\S+)$`)
	progressLine    = regexp.MustCompile(`\d+s/\d+s  requests [1-9]\d*  rate`)
	lingerLine      = regexp.MustCompile(`^metrics: serving the final counts`)
)

// runScraped runs a `ccgw load ... --metrics-addr` binary like runCaptured
// and scrapes its metrics on the events its stderr announces: once when
// the listener is up, at each progress line with requests (the attack
// runs, Guids are live and rotating), and once in the linger after the
// reports, after which a SIGINT ends the linger. Each scrape is kept in a
// file beside stdout (metrics-N-start.txt, metrics-N-run.txt,
// metrics-N-linger.txt), returned in order.
func runScraped(t *testing.T, name string, env []string, stdoutPath, stderrPath, bin string, args ...string) (captured, []string) {
	c := captured{name: name, code: -1}
	dir := filepath.Dir(stdoutPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("%s: %v", name, err)
		return c, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), ExecTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Dir = env, dir
	stdout, err := os.Create(stdoutPath)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return c, nil
	}
	defer stdout.Close()
	stderr, err := os.Create(stderrPath)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return c, nil
	}
	defer stderr.Close()
	cmd.Stdout = stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return c, nil
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Errorf("%s: %v", name, err)
		return c, nil
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var files []string
	url := ""
	scrape := func(phase string) {
		x, err := metricstest.Scrape(ctx, hc, url)
		if err != nil {
			t.Errorf("%s: scrape %s: %v", name, phase, err)
			return
		}
		f := filepath.Join(dir, fmt.Sprintf("metrics-%d-%s.txt", len(files)+1, phase))
		if err := os.WriteFile(f, x.Text, 0o644); err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		files = append(files, f)
	}
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(stderr, line)
		switch {
		case url == "" && metricsAddrLine.MatchString(line):
			url = metricsAddrLine.FindStringSubmatch(line)[1]
			scrape("start")
		case url != "" && progressLine.MatchString(line):
			scrape("run")
		case url != "" && lingerLine.MatchString(line):
			scrape("linger")
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Errorf("%s: SIGINT during the linger: %v", name, err)
			}
		}
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Errorf("%s did not exit within %v", name, ExecTimeout)
	}
	c.code = exitCode(err)
	for _, p := range []string{stdoutPath, stderrPath} {
		b, _ := os.ReadFile(p)
		c.out += string(b)
	}
	t.Logf("%s: exit %d in %v, %d scrapes", name, c.code, time.Since(start).Round(time.Millisecond), len(files))
	return c, files
}

// ptyOut sends a child's stderr to a terminal and copies what it printed
// into a file.
type ptyOut struct {
	master, tty *os.File
	path        string
}

// runCaptured runs a binary with stdout and stderr into files (or stderr on
// a terminal), bounded by testscale.D(ExecTimeout). It may run on any
// goroutine: it reports problems with t.Errorf.
func runCaptured(t *testing.T, name string, env []string, stdoutPath, stderrPath string, term *ptyOut, bin string, args ...string) captured {
	c := captured{name: name, code: -1}
	if err := os.MkdirAll(filepath.Dir(stdoutPath), 0o755); err != nil {
		t.Errorf("%s: %v", name, err)
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), testscale.D(ExecTimeout))
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Dir = filepath.Dir(stdoutPath)
	errPath := stderrPath
	if term != nil {
		errPath = term.path
		defer term.master.Close()
		defer term.tty.Close()
	}
	stdout, err := os.Create(stdoutPath)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return c
	}
	defer stdout.Close()
	stderr, err := os.Create(errPath)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return c
	}
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if term != nil {
		cmd.Stderr = term.tty
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Errorf("%s: %v", name, err)
		return c
	}
	var copied chan struct{}
	if term != nil {
		// The child holds the terminal now; reading the master ends (EIO)
		// once it has exited.
		term.tty.Close()
		copied = make(chan struct{})
		go func() {
			defer close(copied)
			_, _ = io.Copy(stderr, term.master)
		}()
	}
	err = cmd.Wait()
	if copied != nil {
		<-copied
	}
	if ctx.Err() != nil {
		t.Errorf("%s did not exit within %v", name, testscale.D(ExecTimeout))
	}
	c.code = exitCode(err)
	for _, p := range []string{stdoutPath, errPath} {
		b, _ := os.ReadFile(p)
		c.out += string(b)
	}
	t.Logf("%s: exit %d in %v", name, c.code, time.Since(start).Round(time.Millisecond))
	return c
}

// dirFiles lists the regular files under dir.
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Errorf("listing %s: %v", dir, err)
	}
	return out
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
