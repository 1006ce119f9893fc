package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"ccgw-harness/dist"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/results"
)

// The network-cut test runs every process inside two network namespaces
// it creates itself, joined by a veth pair: addresses exist only inside
// them (10.213.x.1 and .2/30), nothing is added to this machine's own
// network. It needs root and `ip netns`; without them it is skipped.

// setnsSyscall is setns(2)'s number on this machine's architecture (0:
// unknown here).
var setnsSyscall = map[string]uintptr{"amd64": 308, "arm64": 268, "386": 346, "arm": 375, "riscv64": 268, "ppc64le": 350, "s390x": 339}[runtime.GOARCH]

// netnsPair is two namespaces, A (10.213.N.1) and B (10.213.N.2), joined
// by a veth pair whose B end can be cut.
type netnsPair struct {
	a, b  string
	addrA string
	linkB string
	run   func(args ...string)
}

// newNetnsPair creates the namespaces (deleted at cleanup), or skips the
// test saying why it cannot.
func newNetnsPair(t *testing.T) *netnsPair {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the network-cut test creates network namespaces: it needs root")
	}
	if setnsSyscall == 0 {
		t.Skipf("no setns(2) number known for %s", runtime.GOARCH)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("the network-cut test needs `ip netns` (iproute2): ip not found")
	}
	n := os.Getpid() % 250
	p := &netnsPair{a: fmt.Sprintf("ccgw-t%d-a", os.Getpid()), b: fmt.Sprintf("ccgw-t%d-b", os.Getpid()),
		addrA: fmt.Sprintf("10.213.%d.1", n), linkB: "vb"}
	if out, err := exec.Command("ip", "netns", "add", p.a).CombinedOutput(); err != nil {
		t.Skipf("`ip netns add` is not available here (%v: %s): the network-cut test is skipped", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", p.a).Run() })
	p.run = func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	p.run("netns", "add", p.b)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", p.b).Run() })
	p.run("-n", p.a, "link", "add", "va", "type", "veth", "peer", "name", p.linkB, "netns", p.b)
	p.run("-n", p.a, "addr", "add", p.addrA+"/30", "dev", "va")
	p.run("-n", p.b, "addr", "add", fmt.Sprintf("10.213.%d.2/30", n), "dev", p.linkB)
	for _, ns := range []string{p.a, p.b} {
		p.run("-n", ns, "link", "set", "lo", "up")
	}
	p.run("-n", p.a, "link", "set", "va", "up")
	p.run("-n", p.b, "link", "set", p.linkB, "up")
	return p
}

// cut takes B's end of the link down: B is cut off from A.
func (p *netnsPair) cut(t *testing.T) { p.run("-n", p.b, "link", "set", p.linkB, "down") }

// dialInA dials addr from inside namespace A: on a thread of its own that
// enters A (the socket stays there) and is discarded afterwards.
func (p *netnsPair) dialInA(ctx context.Context, network, addr string) (net.Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		f, err := os.Open("/var/run/netns/" + p.a)
		if err != nil {
			ch <- res{nil, err}
			return
		}
		defer f.Close()
		if _, _, e := syscall.RawSyscall(setnsSyscall, f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
			ch <- res{nil, fmt.Errorf("setns %s: %v", p.a, e)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		ch <- res{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// startInNetns starts `ccgw args...` inside network namespace ns.
func startInNetns(t *testing.T, ns string, env []string, args ...string) *loadProc {
	t.Helper()
	return startLoadEnvCmd(t, env, "ip", append([]string{"netns", "exec", ns, ccgwBin}, args...)...)
}

// TestDistNetworkCut is issue 19's cut-off test: a shard cut off from the
// run's network in the middle of the run is noticed by heartbeat within a
// few seconds; the others go on, the report names it missing with every
// request they measured, their agents are signed out, the run fails
// (exit 2); the cut shard loses its coordinator, stops, writes its own
// reports and exits 2.
func TestDistNetworkCut(t *testing.T) {
	t.Parallel()
	ns := newNetnsPair(t)
	// The mock, in A, on A's address.
	cert := filepath.Join(t.TempDir(), "mock.pem")
	mock := startInNetns(t, ns.a, loadEnv, "mock", "--addr", ns.addrA+":0", "--cert-out", cert, "--password-env", pwEnv,
		"--auth-mode", "dynamic", "--guid-interval", "2s", "--guid-timeout", "6s", "--poll-wait", "500ms")
	line := mock.waitForStdout(t, "listening on ", 30*time.Second)
	m := &mockProc{url: strings.TrimPrefix(line, "listening on "), cert: cert}
	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Timeout: testscale.D(10 * time.Second),
		Transport: &http.Transport{DialContext: ns.dialInA, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	stats := func() mockStats {
		t.Helper()
		resp, err := hc.Get(m.url + "/ccgw-admin/stats")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s mockStats
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	r := newDistRun(t, 3, distTargets(t, m, "3401-3412", killPlan), "long", "--duration", "12s", "--heartbeat-timeout", "2s")
	r.coordinator = ns.addrA + ":7000"
	r.netns = []string{ns.a, ns.a, ns.b}
	procs := r.startAll()
	procs[2].waitFor(t, regexp.MustCompile(`^\d+s/12s +requests [1-9]`), 2*time.Minute)
	ns.cut(t)
	t0 := time.Now()
	lost := procs[0].waitFor(t, regexp.MustCompile(`coordinator: shard 2 lost: no message for`), time.Minute)
	t.Logf("the coordinator noticed the cut after %s: %s", time.Since(t0).Round(time.Millisecond), lost)
	if c := procs[2].wait(t, 2*time.Minute); c != exitHarness {
		t.Errorf("the cut shard: exit %d, want 2\n%s", c, procs[2].stderr)
	}
	if s := procs[2].stderr.String(); !strings.Contains(s, "lost the coordinator") {
		t.Errorf("the cut shard does not say it lost its coordinator:\n%s", s)
	}
	if meta, err := results.ReadMeta(filepath.Join(r.out(2), results.MetaFile)); err != nil || meta.AbortedBy != results.AbortedByCoordinator {
		t.Errorf("the cut shard's own meta.json: aborted %q by %q, %v", meta.Aborted, meta.AbortedBy, err)
	}
	if c := procs[1].wait(t, 2*time.Minute); c != exitOK {
		t.Errorf("shard 1: exit %d, want 0\n%s", c, procs[1].stderr)
	}
	if c := procs[0].wait(t, 2*time.Minute); c != exitHarness {
		t.Errorf("coordinator: exit %d, want 2\n%s", c, procs[0].stderr)
	}
	rep := r.report()
	m0, _ := results.ReadMeta(filepath.Join(dist.ShardDir(r.out(0), 0), results.MetaFile))
	m1, _ := results.ReadMeta(filepath.Join(r.out(1), results.MetaFile))
	if !slices.Equal(rep.Shards.Missing, []int{2}) || rep.Requests != m0.Sent+m1.Sent || m0.Sent+m1.Sent != 240 {
		t.Errorf("report: missing %v, %d requests; want shard 2 missing and the others' 240 (sent %d + %d)", rep.Shards.Missing, rep.Requests, m0.Sent, m1.Sent)
	}
	if st := stats(); st.SignIns != 12 || st.SignOuts != 8 {
		t.Errorf("mock: %d sign-ins, %d sign-outs; want 12, and the 8 agents of the shards not cut off signed out", st.SignIns, st.SignOuts)
	}
}
