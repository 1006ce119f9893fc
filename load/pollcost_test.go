package load

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/load/agents"
	"ccgw-harness/pace"
	"ccgw-harness/reports"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The poll-cost benchmark (issue 10) measures what one event poll and one
// logininfo call cost the generator in CPU, side by side in one run, against
// an independent gateway: a plain httptest TLS server in a child process
// (this test binary re-run as TestPollCostGateway), so that the process
// CPU the benchmark reads is the generator's alone. The gateway answers
// sign-in, logininfo and sign-out at once and holds every event poll
// pollCostHold before answering it idle, as a gateway does for an agent
// without events.
const (
	pollCostEnv    = "CCGW_POLLCOST_GATEWAY"
	pollCostHold   = 500 * time.Millisecond
	pollCostAgents = 1000
	pollCostWindow = 6 * time.Second
)

// TestPollCostGateway is the independent gateway of BenchmarkPollCost. It
// runs only in the child process the benchmark starts (pollCostEnv set):
// it prints its URL and its certificate (base64 PEM) on stdout and serves
// until its stdin closes (the parent ended).
func TestPollCostGateway(t *testing.T) {
	if os.Getenv(pollCostEnv) != "1" {
		t.Skip("the child gateway of BenchmarkPollCost")
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(pollCostHandler))
	// An ECDSA P-256 certificate, as the mock's: httptest's own is RSA 2048,
	// whose signatures would make this gateway, not the generator, the
	// limit of the journeys' TLS handshakes.
	cert, err := ecdsaCert()
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	fmt.Printf("%s %s\n", srv.URL, base64.StdEncoding.EncodeToString(pemCert))
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// ecdsaCert is a self-signed ECDSA P-256 certificate for 127.0.0.1.
func ecdsaCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pollcost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// pollCostHandler answers the agent interface as a gateway in static mode
// does for agents without events.
func pollCostHandler(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, gateway.PathPrefix)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/agentevent/"):
		t := time.NewTimer(pollCostHold)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
		io.WriteString(w, `{"message":"","retcode":"0","event":null}`)
	case r.Method == http.MethodPost && strings.HasSuffix(p, "/logininfo"):
		id := strings.TrimSuffix(strings.TrimPrefix(p, "/onlineagent/"), "/logininfo")
		io.WriteString(w, `{"message":"success","retcode":"0","result":{"phonetoken":"tok-`+id+`","phonenum":"7`+id+`"}}`)
	case r.Method == http.MethodPut && strings.HasPrefix(p, "/onlineagent/"):
		io.Copy(io.Discard, r.Body)
		w.Header().Set(gateway.HeaderSetGuid, "JSESSIONID=6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b.AgentGateway1")
		io.WriteString(w, `{"message":"success","retcode":"0","result":{}}`)
	case r.Method == http.MethodDelete && strings.HasSuffix(p, "/logout"):
		io.WriteString(w, `{"message":"success","retcode":"0","result":{}}`)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// startPollCostGateway starts the child gateway and returns a client that
// trusts it.
func startPollCostGateway(b *testing.B) *gateway.Client {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPollCostGateway$", "-test.count=1")
	cmd.Env = append(os.Environ(), pollCostEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("child gateway: %v", err)
	}
	u, cert64, ok := strings.Cut(strings.TrimSpace(line), " ")
	certPEM, derr := base64.StdEncoding.DecodeString(cert64)
	if !ok || derr != nil {
		b.Fatalf("child gateway said %q", line)
	}
	if blk, _ := pem.Decode(certPEM); blk == nil {
		b.Fatal("child gateway: no certificate")
	} else if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
		b.Fatal(err)
	}
	c, err := gateway.NewClient(u, gateway.WithTLS(gateway.TLSConfig{CAPEM: certPEM}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.HTTPClient().CloseIdleConnections() })
	return c
}

// profileTo writes a CPU profile to the file the environment variable env
// names (none when it is unset) until the returned func is called.
func profileTo(b *testing.B, env string) func() {
	path := os.Getenv(env)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pollCostTarget is the target of the independent gateway: static auth (no
// rotation), the documented idle timeout, polls held pollCostHold.
func pollCostTarget(c *gateway.Client) *config.Target {
	return &config.Target{Name: "indep", URL: c.BaseURL(), AuthMode: gateway.AuthStatic,
		GuidInterval: gateway.DefaultGuidInterval, GuidTimeout: gateway.DefaultGuidTimeout,
		IdleTimeout: gateway.DefaultIdleTimeout, PollWait: pollCostHold, AllowLoad: true, ForceLogin: true}
}

// BenchmarkPollCost reports, side by side in one run against the same
// independent gateway, the generator's CPU per event poll and per logininfo
// call, and their ratio:
//
//   - cpu-µs/poll: the journeys' keep-alive. pollCostAgents journeys sign
//     in within 5 s and hold; the window (pollCostWindow, from 8 s in) has
//     only their event polls: CPU in the window / polls answered in it
//     (counted from results.bin), the whole Job.Run pipeline included
//     (judging, recording);
//   - cpu-µs/poll-keepalive: a rate plan's keep-alive (the pool and its
//     scheduler) polling pollCostAgents agents, recorded likewise;
//   - cpu-µs/logininfo: a recorded logininfo attack at the same call rate
//     as the keep-alive's polls.
//
// It also reports the keep-alive's connections dialed (TLS handshakes) per
// poll in its window. Garbage collection runs as in `ccgw load` (GOGC=400).
func BenchmarkPollCost(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	c := startPollCostGateway(b)
	tgt := pollCostTarget(c)
	list := make([]config.Agent, pollCostAgents)
	ids := make([]int, pollCostAgents)
	for i := range list {
		list[i] = config.Agent{ID: 1001 + i, PhoneNum: "7" + strconv.Itoa(1001+i), Password: "pw"}
		ids[i] = 1001 + i
	}
	tgt.Agents = config.Agents{IDs: ids, PhonenumPrefix: "7", Password: "pw"}
	var journeyUS, keepUS, infoUS, dialsPerPoll float64
	for range b.N {
		journeyUS += measureJourneyPolls(b, c, tgt)
		p, d := measurePolls(b, c, tgt, list)
		keepUS += p
		dialsPerPoll += d
		infoUS += measureLoginInfo(b, c, list)
	}
	n := float64(b.N)
	b.ReportMetric(journeyUS/n, "cpu-µs/poll")
	b.ReportMetric(keepUS/n, "cpu-µs/poll-keepalive")
	b.ReportMetric(infoUS/n, "cpu-µs/logininfo")
	b.ReportMetric(journeyUS/infoUS, "poll/logininfo")
	b.ReportMetric(keepUS/infoUS, "keepalive/logininfo")
	b.ReportMetric(dialsPerPoll/n, "dials/poll")
}

// measureJourneyPolls runs pollCostAgents journeys (started within 5 s:
// each makes a TLS handshake; holding 8 s + pollCostWindow + 2 s, no
// repeat) while sampling the process CPU every 100 ms, and returns the CPU
// µs per event poll over the window in which every journey holds and only
// polls happen: from the last answer to a sign-in or logininfo to the first
// sign-out, as the results file says.
func measureJourneyPolls(b *testing.B, c *gateway.Client, tgt *config.Target) float64 {
	b.Helper()
	out := b.TempDir()
	plan := &config.Plan{Name: "polls", Agents: pollCostAgents, Rate: float64(pollCostAgents) / 5, Duration: 5 * time.Second,
		Timeout: 10 * time.Second, Connections: 1, SignInConcurrency: 1,
		Journey: &config.Journey{Hold: 8*time.Second + pollCostWindow + 2*time.Second}}
	type sample struct {
		at  time.Time
		cpu time.Duration
	}
	var samples []sample
	done := make(chan struct{})
	var wg sync.WaitGroup
	started := func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				samples = append(samples, sample{time.Now(), cpuTime()})
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}()
	}
	started2 := func() {
		started()
		wg.Add(1)
		go func() { // a CPU profile of the middle of the hold, when asked for
			defer wg.Done()
			time.Sleep(9 * time.Second)
			stop := profileTo(b, "CCGW_POLLCOST_POLLPROF")
			time.Sleep(pollCostWindow)
			stop()
		}()
	}
	o, err := Run(context.Background(), c, tgt, plan, out, WithAttackStarted(started2))
	close(done)
	wg.Wait()
	if err != nil {
		b.Fatal(err)
	}
	if o.Report.Journeys.Completed != pollCostAgents {
		b.Fatalf("journeys %+v", o.Report.Journeys)
	}
	rs := append(readAll(b, filepath.Join(out, ResultsFile)), readAll(b, filepath.Join(out, CallsFile))...)
	var w0, w1 time.Time
	for _, r := range rs {
		switch gateway.CallOf(r.Method, r.URL) {
		case gateway.CallPoll:
		case gateway.CallLogout:
			if w1.IsZero() || r.Timestamp.Before(w1) {
				w1 = r.Timestamp
			}
		default:
			if end := r.Timestamp.Add(r.Latency); end.After(w0) {
				w0 = end
			}
		}
	}
	// The samples just inside the window.
	first := slices.IndexFunc(samples, func(s sample) bool { return s.at.After(w0) })
	last := -1
	for i, s := range samples {
		if s.at.Before(w1) {
			last = i
		}
	}
	if first < 0 || last-first < 20 {
		b.Fatalf("no window of 2 s with polls only: last sign-in/logininfo answered %v, first sign-out %v", w0, w1)
	}
	s0, s1 := samples[first], samples[last]
	polls := 0
	for _, r := range rs {
		if end := r.Timestamp.Add(r.Latency); gateway.CallOf(r.Method, r.URL) == gateway.CallPoll && end.After(s0.at) && !end.After(s1.at) {
			polls++
		}
	}
	if polls == 0 {
		b.Fatal("no poll in the window")
	}
	b.Logf("journeys: window %v of polls only (%d polls)", s1.at.Sub(s0.at).Round(time.Millisecond), polls)
	return float64(s1.cpu-s0.cpu) / float64(time.Microsecond) / float64(polls)
}

// pollIndex is the index of the event poll in gateway.Calls.
var pollIndex = agents.CallIndex(gateway.CallPoll)

// readAll decodes a results file.
func readAll(b *testing.B, path string) []vegeta.Result {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(bufio.NewReader(f))
	var out []vegeta.Result
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			return out
		}
		out = append(out, r)
	}
}

// settle waits until n has not changed for a second (at least 3 s, at most
// max).
func settle(n *atomic.Int64, max time.Duration) {
	start, last, since := time.Now(), n.Load(), time.Now()
	for time.Since(start) < max {
		time.Sleep(250 * time.Millisecond)
		if v := n.Load(); v != last {
			last, since = v, time.Now()
		}
		if time.Since(since) >= time.Second && time.Since(start) >= 3*time.Second {
			return
		}
	}
}

// countingDials makes tr count the connections it dials.
func countingDials(tr *http.Transport) *atomic.Int64 {
	var n atomic.Int64
	dial := tr.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		n.Add(1)
		return dial(ctx, network, addr)
	}
	return &n
}

// measurePolls signs the agents in, keeps them alive as a load run does and
// returns the CPU µs per completed poll over the window and the
// connections dialed per poll meanwhile. The window starts once every
// agent has polled a few times, so the agents' connections are open.
func measurePolls(b *testing.B, c *gateway.Client, tgt *config.Target, list []config.Agent) (cpuPerPoll, dialsPerPoll float64) {
	b.Helper()
	ac, atr, err := agents.NewClient(c, len(list)+16)
	if err != nil {
		b.Fatal(err)
	}
	defer atr.CloseIdleConnections()
	dials := countingDials(atr)
	// The polls are recorded, as in a load run (and as the logininfo
	// results are).
	rec, err := newRecorder(b.TempDir(), reports.NewAggregator(), true)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.close()
	pool, err := agents.NewPool(ac, list, agents.WithCalls(agents.NewCalls(rec.record, "indep/bench")))
	if err != nil {
		b.Fatal(err)
	}
	if sum, err := pool.SignIn(context.Background()); err != nil || sum.Failed > 0 {
		b.Fatalf("sign-in: %v %s", err, sum)
	}
	keep, err := agents.NewKeepAlive(pool, ac, tgt)
	if err != nil {
		b.Fatal(err)
	}
	keep.Start(context.Background())
	// The agents' first polls open their connections all at once (a
	// handshake each): start the window once no connection was dialed for
	// a second (within 30 s).
	settle(dials, 30*time.Second)
	stopProf := profileTo(b, "CCGW_POLLCOST_KEEPPROF")
	p0, d0, c0 := keep.Polls(), dials.Load(), cpuTime()
	time.Sleep(pollCostWindow)
	p1, d1, c1 := keep.Polls(), dials.Load(), cpuTime()
	stopProf()
	keep.Stop()
	if out := pool.SignOut(context.Background()); out.Failed > 0 {
		b.Fatalf("sign-out: %s", out)
	}
	if p1 == p0 || rec.byCall[pollIndex] < uint64(p1-p0) {
		b.Fatalf("%d polls completed in the window, %d recorded in all", p1-p0, rec.byCall[pollIndex])
	}
	polls := float64(p1 - p0)
	return float64(c1-c0) / float64(time.Microsecond) / polls, float64(d1-d0) / polls
}

// measureLoginInfo runs a recorded logininfo attack (results judged,
// written and aggregated as in a load run) at the rate the polls ran at and
// returns the CPU µs per result.
func measureLoginInfo(b *testing.B, c *gateway.Client, list []config.Agent) float64 {
	b.Helper()
	ac, atr, err := agents.NewClient(c, len(list)+16)
	if err != nil {
		b.Fatal(err)
	}
	defer atr.CloseIdleConnections()
	pool, err := agents.NewPool(ac, list)
	if err != nil {
		b.Fatal(err)
	}
	if sum, err := pool.SignIn(context.Background()); err != nil || sum.Failed > 0 {
		b.Fatalf("sign-in: %v %s", err, sum)
	}
	defer pool.SignOut(context.Background())
	tg, err := pool.Targeter(agents.RoundRobin)
	if err != nil {
		b.Fatal(err)
	}
	atk, err := newAttacker(c, withConnections(32))
	if err != nil {
		b.Fatal(err)
	}
	defer atk.Close()
	rate := float64(len(list)) / (pollCostHold + (agents.DefaultPollPauseMin+agents.DefaultPollPauseMax)/2).Seconds()
	rec, err := newRecorder(b.TempDir(), reports.NewAggregator(), true)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.close()
	warm, _ := pace.Constant(rate, 3*time.Second)
	_, res := atk.Attack(context.Background(), "warm", tg.Targeter(), warm)
	for range res {
	}
	p, _ := pace.Constant(rate, pollCostWindow)
	stopProf := profileTo(b, "CCGW_POLLCOST_INFOPROF")
	c0 := cpuTime()
	// The results go through a session's drain, as a load run's do.
	sess := &Session{rec: rec, tg: tg, pool: pool}
	hits0 := tg.Hits()
	start, results := atk.Attack(context.Background(), "indep/bench", tg.Targeter(), p)
	sess.drain(newJudge(pool, p, start), results, nil, nil, hits0)
	c1 := cpuTime()
	stopProf()
	if rec.n == 0 {
		b.Fatal("no result")
	}
	return float64(c1-c0) / float64(time.Microsecond) / float64(rec.n)
}
