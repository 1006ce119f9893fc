package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/mockgw"
	"ccgw-harness/mockgw/clienttest"
	"ccgw-harness/mockgw/faultset"
)

// TestMockCommandServesUntilSignal runs `ccgw mock` as a script would: port
// 0, --cert-out, the "listening on" line with the real port, a client that
// trusts only the written certificate, then SIGINT for a clean exit 0.
func TestMockCommandServesUntilSignal(t *testing.T) {
	certFile := filepath.Join(t.TempDir(), "mock.pem")
	cmd, lines, stderr := startCCGW(t, []string{"CCGW_TEST_PW=s3cret-pw"}, "mock", "--addr", "127.0.0.1:0", "--cert-out", certFile,
		"--auth-mode", "static", "--agent-id-range", "101-59999", "--password-env", "CCGW_TEST_PW", "--nodes", "2")
	line := waitLine(t, lines, "listening on ", 30*time.Second)
	url := strings.TrimPrefix(line, "listening on ")
	if !strings.HasPrefix(url, "https://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("want the real loopback port in %q", line)
	}
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatalf("--cert-out did not write the certificate: %v", err)
	}
	c, err := gateway.NewClient(url, gateway.WithTLS(gateway.TLSConfig{CAPEM: pem}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.SignIn(ctx, 1001, gateway.SignInRequest{Password: "wrong", PhoneNum: "71001"}); err == nil || !strings.Contains(err.Error(), gateway.RetWrongPassword) {
		t.Fatalf("--password-env must set the password: a wrong one gets %s, got %v", gateway.RetWrongPassword, err)
	}
	s, err := c.SignIn(ctx, 1001, gateway.SignInRequest{Password: "s3cret-pw", PhoneNum: "71001"})
	if err != nil {
		t.Fatalf("sign-in with the --password-env password: %v", err)
	}
	if s.Node() < 1 || s.Node() > 2 {
		t.Errorf("--nodes 2: the Guid must name node 1 or 2, got %d", s.Node())
	}
	li, err := c.LoginInfo(ctx, s)
	if err != nil || li.PhoneNum != "71001" {
		t.Fatalf("logininfo: phonenum %q, err %v; want the signed-in phonenum", li.PhoneNum, err)
	}
	if _, err := c.LoginInfo(ctx, gateway.NewSession(60000, "7", s.Guid())); err == nil || !strings.Contains(err.Error(), gateway.RetBadParam) {
		t.Fatalf("--agent-id-range 101-59999: agent 60000 must get %s, got %v", gateway.RetBadParam, err)
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(url + "/ccgw-admin/stats")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var stats map[string]any
	if err := json.Unmarshal(body, &stats); err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin stats: status %d, %v", resp.StatusCode, err)
	}
	if strings.Contains(string(body), s.Guid()) || strings.Contains(stderr.String(), s.Guid()) {
		t.Error("a Guid leaked into the admin stats or the mock's log")
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("SIGINT must stop the mock with exit 0: %v\nstderr: %s", err, stderr.String())
		}
	case <-time.After(testscale.D(20 * time.Second)):
		t.Fatalf("the mock did not stop within %v of SIGINT", testscale.D(20*time.Second))
	}
	if strings.Contains(stderr.String(), "s3cret-pw") {
		t.Error("the password leaked into the mock's log")
	}
}

// TestMockCommandAnswersPublicClients starts the real `ccgw mock` binary in
// each authentication mode, for agents without a password (an empty
// --password, as the vendor's Java demo signs in with ""), and runs clienttest's
// raw-request matrix against it: requests written byte for byte as public
// clients write them, over TLS trusting only the --cert-out certificate.
// A millisecond Guid interval and timeout make every dynamic poll rotate
// and prove that static mode never does.
func TestMockCommandAnswersPublicClients(t *testing.T) {
	for _, mode := range []gateway.AuthMode{gateway.AuthStatic, gateway.AuthDynamic} {
		t.Run(string(mode), func(t *testing.T) {
			certFile := filepath.Join(t.TempDir(), "mock.pem")
			args := []string{"mock", "--addr", "127.0.0.1:0", "--cert-out", certFile, "--auth-mode", string(mode), "--password", "", "--poll-wait", "20ms"}
			if mode == gateway.AuthDynamic { // a static gateway refuses Guid timings: they would change nothing
				args = append(args, "--guid-interval", "1ms", "--guid-timeout", "1ms")
			}
			cmd, lines, stderr := startCCGW(t, nil, args...)
			url := strings.TrimPrefix(waitLine(t, lines, "listening on ", 30*time.Second), "listening on ")
			pem, err := os.ReadFile(certFile)
			if err != nil {
				t.Fatalf("--cert-out: %v", err)
			}
			clienttest.Run(t, clienttest.Target{Addr: strings.TrimPrefix(url, "https://"), CertPEM: pem, Mode: mode, FirstAgent: 1001})

			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("SIGINT must stop the mock with exit 0: %v\nstderr: %s", err, stderr.String())
				}
			case <-time.After(testscale.D(20 * time.Second)):
				t.Fatalf("the mock did not stop within %v of SIGINT", testscale.D(20*time.Second))
			}
			if got := strings.TrimSpace(stderr.String()); got != "ccgw mock: stopping" {
				t.Errorf("the mock's log: %q, want only its stopping line", got)
			}
		})
	}
}

// TestMockCommandRejectsBadFlags checks that each bad flag is named with what
// is allowed, and nothing starts (exit 2).
func TestMockCommandRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--auth-mode", "sometimes"}, "--auth-mode"},
		{[]string{"--agent-id-range", "999-101"}, "--agent-id-range"},
		{[]string{"--nodes", "0"}, "--nodes"},
		{[]string{"--capacity", "-5"}, "--capacity"},
		{[]string{"--capacity", "lots"}, "-capacity"},
		{[]string{"--guid-interval", "2m", "--guid-timeout", "1m"}, "--guid-timeout"},
		{[]string{"--reset-rate", "1.5"}, "--reset-rate"},
		{[]string{"--defect", "no-such-defect"}, "defect"},
		{[]string{"--password-env", "CCGW_TEST_UNSET_VAR"}, "CCGW_TEST_UNSET_VAR"},
		{[]string{"--guid-timeout-from", "later"}, "--guid-timeout-from"},
		{[]string{"--password", "", "--password-env", "HOME"}, "exclude"},
		{[]string{"stray"}, "stray"},
	} {
		code, stdout, stderr := runCCGW(t, nil, append([]string{"mock", "--addr", "127.0.0.1:0"}, tc.args...)...)
		if code != exitHarness || !strings.Contains(stderr, tc.want) {
			t.Errorf("ccgw mock %v: exit %d, stderr %q; want exit %d naming %q", tc.args, code, stderr, exitHarness, tc.want)
		}
		if strings.Contains(stdout, "listening on") {
			t.Errorf("ccgw mock %v started despite the bad flag", tc.args)
		}
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	code, out, _ := runCCGW(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "ccgw ") {
		t.Errorf("ccgw version: exit %d, %q", code, out)
	}
	code, _, stderr := runCCGW(t, nil, "nosuch")
	if code != exitHarness || !strings.Contains(stderr, `unknown command "nosuch"`) {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
}

// TestMockFaultFlags: every faultset field has its flag, and the flag sets
// that field.
func TestMockFaultFlags(t *testing.T) {
	var args []string
	var want faultset.Faults
	for _, fd := range faultset.Fields() {
		switch p := fd.Ptr(&want).(type) {
		case *float64:
			*p = 0.25
			args = append(args, "--"+fd.Flag()+"=0.25")
		case *time.Duration:
			*p = 3 * time.Millisecond
			args = append(args, "--"+fd.Flag()+"=3ms")
		case *string:
			v := map[faultset.Kind]string{faultset.Dist: faultset.LatencyExponential, faultset.Retcode: "100-001"}[fd.Kind]
			*p = v
			args = append(args, "--"+fd.Flag()+"="+v)
		case *int:
			*p = 502
			args = append(args, "--"+fd.Flag()+"=502")
		case *bool:
			*p = true
			args = append(args, "--"+fd.Flag())
		}
	}
	// Only the flags' mapping: all of them at once are no sensible mock
	// (ccgw mock refuses e.g. --latency-jitter with an exponential
	// latency), see TestMockRefusesSettingsThatChangeNothing.
	var got faultset.Faults
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	faultFlags(fs, &got)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("faults from %v:\n got %+v\nwant %+v", args, got, want)
	}
}

// TestMockFlagsWithoutPassword: an empty --password (or --password-env
// variable) make a mock whose agents have none; --guid-timeout-from is
// parsed. The options are checked by starting the mock in-process.
func TestMockFlagsWithoutPassword(t *testing.T) {
	t.Setenv("CCGW_TEST_EMPTY_PW", "")
	for _, args := range [][]string{{"--password", ""}, {"--password-env", "CCGW_TEST_EMPTY_PW"}} {
		f, err := parseMockFlags(append([]string{"--addr", "127.0.0.1:0", "--guid-timeout-from", "rotation"}, args...), io.Discard)
		if err != nil || !f.noPassword || f.guidTimeoutFrom != "rotation" {
			t.Fatalf("%v: %+v %v", args, f, err)
		}
		opts, err := f.options()
		if err != nil {
			t.Fatal(err)
		}
		srv, err := mockgw.New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		c, err := gateway.NewClient(srv.URL(), gateway.WithTLS(gateway.TLSConfig{CAPEM: srv.CertPEM()}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SignIn(context.Background(), 1001, gateway.SignInRequest{Password: "", PhoneNum: "40038"}); err != nil {
			t.Errorf("%v: sign-in with an empty password: %v", args, err)
		}
		c.HTTPClient().CloseIdleConnections()
		srv.Close()
	}
	if f, err := parseMockFlags([]string{"--addr", "127.0.0.1:0"}, io.Discard); err != nil || f.noPassword {
		t.Errorf("without --password: no password %v, err %v; want any non-empty password accepted as before", f != nil && f.noPassword, err)
	}
}
