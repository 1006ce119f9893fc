package mockgw

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/mockgw/faultset"
)

func TestURLCertAndProtocols(t *testing.T) {
	srv := newServer(t)
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") || srv.URL() != "https://"+srv.Addr() {
		t.Fatalf("URL %q Addr %q", srv.URL(), srv.Addr())
	}
	block, _ := pem.Decode(srv.CertPEM())
	if block == nil {
		t.Fatal("CertPEM is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
		if err := cert.VerifyHostname(host); err != nil {
			t.Errorf("cert not valid for %s: %v", host, err)
		}
	}
	// HTTP/1.1 from Client().
	c := srv.Client()
	resp, err := c.Get(srv.URL() + AdminPrefix + "stats")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/1.1" {
		t.Errorf("Client() spoke %s", resp.Proto)
	}
	// HTTP/2 via ALPN for a client that asks, trusting only CertPEM.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.CertPEM())
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	defer h2.CloseIdleConnections()
	a := signIn(t, srv, h2, 1001)
	rep := a.loginInfo(t, srv, h2)
	wantRetcode(t, rep, gateway.RetOK)
	resp, err = h2.Get(srv.URL() + AdminPrefix + "stats")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" {
		t.Errorf("h2 client spoke %s", resp.Proto)
	}
	// The host of the listen address is in the certificate too.
	srv6, err := New(WithAddr("[::1]:0"))
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer srv6.Close()
	if !strings.HasPrefix(srv6.URL(), "https://[::1]:") {
		t.Errorf("IPv6 URL %q", srv6.URL())
	}
	wantRetcode(t, mustDo(t, srv6.Client(), srv6.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1001), body: validSignInBody("1")}), gateway.RetOK)
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, opt := range map[string]Option{
		"auth mode":     WithAuthMode("sometimes"),
		"guid interval": WithGuidInterval(0),
		"guid timeout":  WithGuidTimeout(-time.Second),
		"idle timeout":  WithIdleTimeout(0),
		"poll wait":     WithPollWait(0),
		"id range":      WithIDRange(gateway.IDRange{Min: 10, Max: 1}),
		"password":      WithPassword(strings.Repeat("x", 33)),
		"nodes":         WithNodes(0),
		"addr":          WithAddr("nowhere"),
	} {
		if srv, err := New(opt); err == nil {
			srv.Close()
			t.Errorf("%s: New accepted it", name)
		}
	}
}

func TestRestartLosesEverySession(t *testing.T) {
	srv := newServer(t, WithNodes(2), WithAuthMode(gateway.AuthStatic), WithPollWait(time.Minute))
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	b := signIn(t, srv, c, 1002)
	if gateway.GuidNode(a.guid) == gateway.GuidNode(b.guid) {
		t.Fatal("agents on one node")
	}
	held := make(chan reply, 1)
	go func() { held <- a.poll(goroutineTB{t}, srv, c) }()
	eventually(t, 5*time.Second, "poll held", func() bool { return srv.Stats().Calls[CallPoll].Requests == 1 })
	srv.Restart()
	select {
	case rep := <-held:
		wantRetcode(t, rep, gateway.RetNotSignedIn)
	case <-time.After(testscale.D(10 * time.Second)):
		t.Fatal("held poll survived the restart")
	}
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetNotSignedIn)
	wantRetcode(t, b.loginInfo(t, srv, c), gateway.RetNotSignedIn)
	if st := srv.Stats(); st.ActiveSessions != 0 || st.Restarts != 1 {
		t.Errorf("after restart: active %d restarts %d", st.ActiveSessions, st.Restarts)
	}
	again := signIn(t, srv, c, 1001) // not 100-002
	wantRetcode(t, again.loginInfo(t, srv, c), gateway.RetOK)
}

func TestStatsCounters(t *testing.T) {
	clk := newFakeClock()
	srv := newServer(t, WithClock(clk.Now), WithPollWait(5*time.Millisecond))
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	b := signIn(t, srv, c, 1002)
	mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1001), body: validSignInBody("1")}) // 100-002
	for range 3 {
		a.loginInfo(t, srv, c)
	}
	mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(1001)})               // 000-003
	mustDo(t, c, srv.URL(), req{method: http.MethodGet, path: gateway.LoginInfoPath(1001), guid: &a.guid}) // 405
	clk.Advance(gateway.DefaultGuidInterval)
	a.poll(t, srv, c) // rotates
	mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.UpdateGuidPath(a.id), guid: &a.guid})
	mustDo(t, c, srv.URL(), req{method: http.MethodDelete, path: gateway.LogoutPath(b.id), guid: &b.guid})
	signInPath(t, srv, c, 1001, gateway.ForceLoginPath(1001), nil)
	clk.Advance(gateway.DefaultIdleTimeout) // the new session of 1001 goes idle

	st := srv.Stats()
	check := func(name string, got, want uint64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	check("signin 0", st.Calls[CallSignIn].Retcodes["0"], 2)
	check("signin 100-002", st.Calls[CallSignIn].Retcodes["100-002"], 1)
	check("signin requests", st.Calls[CallSignIn].Requests, 3)
	check("forcelogin 0", st.Calls[CallForceLogin].Retcodes["0"], 1)
	check("logininfo 0", st.Calls[CallLoginInfo].Retcodes["0"], 3)
	check("logininfo 000-003", st.Calls[CallLoginInfo].Retcodes["000-003"], 1)
	check("logininfo 405", st.Calls[CallLoginInfo].HTTPStatus["405"], 1)
	check("logininfo requests", st.Calls[CallLoginInfo].Requests, 5)
	check("poll 0", st.Calls[CallPoll].Retcodes["0"], 1)
	check("updateguid 0", st.Calls[CallUpdateGuid].Retcodes["0"], 1)
	check("logout 0", st.Calls[CallLogout].Retcodes["0"], 1)
	check("sign_ins", st.SignIns, 3)
	check("sign_outs", st.SignOuts, 1)
	check("replaced", st.ReplacedSessions, 1)
	check("idle_sign_outs", st.IdleSignOuts, 1)
	check("rotations", st.Rotations, 2)
	if st.ActiveSessions != 0 {
		t.Errorf("active_sessions = %d, want 0", st.ActiveSessions)
	}
	if len(st.Calls) != 7 {
		t.Errorf("calls %v", st.Calls)
	}
}

// TestCloseStopsEveryGoroutine closes a server in the middle of a held poll,
// a stall, a slow body and an injected latency, and checks that Close
// returns promptly and leaves no goroutine behind.
func TestCloseStopsEveryGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	srv, err := New(WithAuthMode(gateway.AuthStatic), WithPollWait(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	var wg sync.WaitGroup
	start := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	start(func() {
		_, _ = do(goroutineTB{t}, c, srv.URL(), req{method: http.MethodGet, path: gateway.EventPath(a.id), guid: &a.guid})
	})
	eventually(t, 5*time.Second, "poll held", func() bool { return srv.Stats().Calls[CallPoll].Requests == 1 })
	for _, f := range []faultset.Faults{
		{StallRate: 1, StallFor: time.Minute},
		{SlowBodyRate: 1, SlowBodyFor: time.Minute},
		{LatencyFixed: time.Minute},
	} {
		setFaults(t, srv, f)
		n := srv.Stats().Calls[CallLoginInfo].Requests
		start(func() {
			_, _ = do(goroutineTB{t}, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(a.id), guid: &a.guid})
		})
		eventually(t, 5*time.Second, "fault in progress", func() bool { return srv.Stats().Calls[CallLoginInfo].Requests == n+1 })
	}
	// A connection that never finishes its handshake.
	raw, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	eventually(t, 5*time.Second, "raw connection accepted", func() bool { return srv.conns.Load() >= 2 })

	t0 := time.Now()
	srv.Close()
	srv.Close() // idempotent
	// Close ends every held operation at once; 5 s (times the scale) is
	// far beyond that and far below the minute each would otherwise last.
	if took := time.Since(t0); took > testscale.D(5*time.Second) {
		t.Errorf("Close took %v", took)
	}
	wg.Wait()
	c.CloseIdleConnections()
	goleak.VerifyNone(t, before)
	if _, err := c.Get(srv.URL() + AdminPrefix + "stats"); err == nil {
		t.Error("closed server still answers")
	}
}
