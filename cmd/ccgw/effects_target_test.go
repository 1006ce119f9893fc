package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw"
)

// recordingGateway is an HTTPS gateway that passes every request on to an
// in-process mock and records what the harness sent: the sign-in bodies
// and the protocol of each logininfo that carried a Guid.
type recordingGateway struct {
	url, cert string

	mu        sync.Mutex
	signIns   []map[string]any
	loginInfo map[string]int // by protocol, "HTTP/1.1" or "HTTP/2.0"
}

// startRecordingGateway starts the mock and the recording gateway in front
// of it (the agents' password is loadEnv's).
func startRecordingGateway(t *testing.T) *recordingGateway {
	t.Helper()
	mock, err := mockgw.New(mockgw.WithAddr("127.0.0.1:0"), mockgw.WithPassword(strings.TrimPrefix(loadEnv[0], pwEnv+"=")),
		mockgw.WithPollWait(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mock.Close)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(mock.CertPEM())
	target, _ := url.Parse(mock.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	proxy.Transport = tr
	g := &recordingGateway{loginInfo: map[string]int{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch gateway.CallOf(r.Method, r.URL.Path) {
		case gateway.CallSignIn:
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var m map[string]any
			_ = json.Unmarshal(body, &m)
			delete(m, "password") // not kept: a secret
			g.mu.Lock()
			g.signIns = append(g.signIns, m)
			g.mu.Unlock()
		case gateway.CallLoginInfo:
			if r.Header.Get(gateway.HeaderGuid) != "" { // not the reachability probe
				g.mu.Lock()
				g.loginInfo[r.Proto]++
				g.mu.Unlock()
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	g.url = srv.URL
	g.cert = filepath.Join(t.TempDir(), "gateway.pem")
	if err := os.WriteFile(g.cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return g
}

// targets is a targets file with target m at this gateway (agents
// 1001-1008 with phonenum prefix prefix) and plan p.
func (g *recordingGateway) targets(prefix, plan string) map[string]string {
	return map[string]string{"targets.yaml": fmt.Sprintf(`targets:
  m:
    url: %s
    tls: {ca_file: %q}
    agents: {ids: "1001-1008", phonenum_prefix: %q, password_env: %s}
    allow_load: true
plans:
  p: %s
`, g.url, g.cert, prefix, pwEnv, plan)}
}

// TestPlanKeysReachTheGateway: what a gateway sees of a run changes with
// the plan's signin fields (in every sign-in body), the target's
// phonenum_prefix, http2 (logininfo over HTTP/2) and warmup (logininfo
// before the measured ones).
func TestPlanKeysReachTheGateway(t *testing.T) {
	t.Parallel()
	tuned, plain := startRecordingGateway(t), startRecordingGateway(t)
	runCLI(t, []cliCase{
		{name: "signin, phonenum_prefix, http2 and warmup",
			files: tuned.targets("55", `{agents: 2, rate: 10, duration: 1s, http2: true, warmup: 500ms, signin: {status: 3, autoanswer: true, autoenteridle: false, releasephone: true, agenttype: 11, ip: "10.1.2.3"}}`),
			args:  loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				tuned.mu.Lock()
				defer tuned.mu.Unlock()
				for _, s := range tuned.signIns {
					want := map[string]any{"phonenum": s["phonenum"], "status": 3.0, "autoanswer": true, "autoenteridle": false, "releasephone": true, "agenttype": 11.0, "ip": "10.1.2.3"}
					if !reflect.DeepEqual(s, want) || (s["phonenum"] != "551001" && s["phonenum"] != "551002") {
						t.Errorf("sign-in body %v; want the plan's signin fields and phonenum 55 + the agent ID", s)
					}
				}
				if len(tuned.signIns) != 2 {
					t.Errorf("%d sign-ins, want 2", len(tuned.signIns))
				}
				if n := tuned.loginInfo["HTTP/2.0"]; n <= int(rep.Requests) || tuned.loginInfo["HTTP/1.1"] != 0 {
					t.Errorf("logininfo by protocol %v, %d measured; want all over HTTP/2 and more than measured (the warm-up's)", tuned.loginInfo, rep.Requests)
				}
			}},
		{name: "none of them", files: plain.targets("7", "{agents: 2, rate: 10, duration: 1s}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				rep := r.completed(t)
				plain.mu.Lock()
				defer plain.mu.Unlock()
				if len(plain.signIns) != 2 {
					t.Errorf("%d sign-ins, want 2", len(plain.signIns))
				}
				for _, s := range plain.signIns {
					if len(s) != 1 || (s["phonenum"] != "71001" && s["phonenum"] != "71002") {
						t.Errorf("sign-in body %v; want the phonenum alone, 7 + the agent ID", s)
					}
				}
				if n := plain.loginInfo["HTTP/1.1"]; n != int(rep.Requests) || plain.loginInfo["HTTP/2.0"] != 0 {
					t.Errorf("logininfo by protocol %v, %d measured; want the measured ones alone, over HTTP/1.1", plain.loginInfo, rep.Requests)
				}
			}},
	})
}

// urlTarget is a targets.yaml target block named name on mock m: url, the
// given lines (a "tls" line replaces the mock's CA; "notls" leaves tls
// out), agents ids with password_env pwEnv unless a line sets agents.
func urlTarget(m *mockProc, name, ids string, lines ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %s:\n    url: %s\n    allow_load: true\n", name, m.url)
	tlsSet, agentsSet := false, false
	for _, l := range lines {
		switch {
		case l == "notls":
			tlsSet = true
			continue
		case strings.HasPrefix(l, "tls:"):
			tlsSet = true
		case strings.HasPrefix(l, "agents:"):
			agentsSet = true
		}
		fmt.Fprintf(&b, "    %s\n", l)
	}
	if !tlsSet {
		fmt.Fprintf(&b, "    tls: {ca_file: %q}\n", m.cert)
	}
	if !agentsSet {
		fmt.Fprintf(&b, "    agents: {ids: %q, phonenum_prefix: \"7\", password_env: %s}\n", ids, pwEnv)
	}
	return b.String()
}

// oneTarget is a targets file with one target block (named m) and plan p.
func oneTarget(block, plan string) map[string]string {
	return map[string]string{"targets.yaml": "targets:\n" + block + "plans:\n  p: " + plan + "\n"}
}

// TestTargetKeyEffects: each key of a real gateway's target changes what
// `ccgw load` does against a `ccgw mock` process: whether TLS verifies,
// which agents sign in and how (password, CSV, forced sign-in), which IDs
// are allowed, and how the sessions are kept alive (the keep-alive plans
// from the target's timings and names them when they leave little room).
func TestTargetKeyEffects(t *testing.T) {
	t.Parallel()
	m := startMockProc(t)
	// Agents 7001 and 7002 are signed in before the runs, so that the
	// runs' sign-ins meet 100-002 (already signed in).
	c, err := gateway.NewClient(m.url, gateway.WithTLS(gateway.TLSConfig{CAPEM: readPEM(t, m.cert)}))
	if err != nil {
		t.Fatal(err)
	}
	pw := strings.TrimPrefix(loadEnv[0], pwEnv+"=")
	for _, id := range []int{7001, 7002} {
		if _, err := c.SignIn(context.Background(), id, gateway.SignInRequest{Password: pw, PhoneNum: fmt.Sprintf("7%d", id)}); err != nil {
			t.Fatal(err)
		}
	}
	c.HTTPClient().CloseIdleConnections()
	plan := "{agents: 2, rate: 10, duration: 1s}"
	csv := fmt.Sprintf("agentid,phonenum,password\n6001,76001,%s\n6002,,%s\n", pw, pw)
	runCLI(t, []cliCase{
		{name: "tls ca_file left out", files: oneTarget(urlTarget(m, "m", "1001-1002", "notls"), plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) { r.refused(t, "target m", "is unreachable", "certificate") }},
		{name: "tls server_name", files: oneTarget(urlTarget(m, "m", "1003-1004", fmt.Sprintf("tls: {ca_file: %q, server_name: wrong.example}", m.cert)), plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) { r.refused(t, "target m", "is unreachable", "wrong.example") }},
		{name: "tls server_name right", files: oneTarget(urlTarget(m, "m", "1005-1006", fmt.Sprintf("tls: {ca_file: %q, server_name: localhost}", m.cert)), plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if rep := r.completed(t); !rep.TLSVerify || rep.Requests != 10 {
					t.Errorf("tls_verify %v, %d requests; want a verified run (the certificate names localhost)", rep.TLSVerify, rep.Requests)
				}
			}},
		{name: "guid_interval and guid_timeout", files: oneTarget(urlTarget(m, "m", "1007-1008", "auth_mode: dynamic", "guid_interval: 1s", "guid_timeout: 1100ms", "poll_wait: 200ms"), plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if w := keepAliveWarning(r.completed(t)); !strings.Contains(w, "within 100ms (guid_timeout - guid_interval)") {
					t.Errorf("keep-alive warning %q; want the 100ms a rotated-out Guid outlives its rotation named", w)
				}
			}},
		{name: "auth_mode static", files: oneTarget(urlTarget(m, "m", "1011-1012", "auth_mode: static", "guid_interval: 1s"), plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				// A static gateway's Guid never rotates: its timings mean nothing.
				r.refused(t, "targets.m.guid_interval: guid_interval does not apply with auth_mode static")
			}},
		{name: "idle_timeout and poll_wait", files: oneTarget(urlTarget(m, "m", "1015-1016", "auth_mode: static", "idle_timeout: 400ms", "poll_wait: 300ms"), plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if w := keepAliveWarning(r.completed(t)); !strings.Contains(w, "poll wait 300ms") || !strings.Contains(w, "within 400ms (idle_timeout)") {
					t.Errorf("keep-alive warning %q; want the poll wait and the idle timeout named", w)
				}
			}},
		{name: "agent_id_range", files: oneTarget(urlTarget(m, "m", "1017-1018", "agent_id_range: [2000, 3000]"), plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "targets.m.agents.ids", "agent 1017 is outside agent_id_range [2000, 3000]")
			}},
		{name: "agents ids", files: oneTarget(urlTarget(m, "m", "5001-5002"), plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.completed(t)
				if got := sendOrder(t, r.out()); len(got) != 10 || got[0] != 5001 || got[1] != 5002 {
					t.Errorf("agents in the attack's order %v; want 5001 and 5002 in turn", got)
				}
			}},
		{name: "agents password_env", files: oneTarget(urlTarget(m, "m", "", `agents: {ids: "5003-5004", phonenum_prefix: "7", password_env: CCGW_TEST_WRONG_PW}`), plan),
			args: loadArgs(), env: []string{"CCGW_TEST_WRONG_PW=not-the-password"},
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "no agent could sign in", gateway.RetWrongPassword)
				if strings.Contains(r.stderr, "not-the-password") {
					t.Error("the password was printed")
				}
			}},
		{name: "agents password_env unset", files: oneTarget(urlTarget(m, "m", "", `agents: {ids: "5005-5006", phonenum_prefix: "7", password_env: CCGW_TEST_UNSET_PW}`), plan), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "targets.m.agents.password_env", "CCGW_TEST_UNSET_PW is unset")
			}},
		{name: "agents file", files: map[string]string{"agents.csv": csv, "targets.yaml": oneTarget(urlTarget(m, "m", "", `agents: {file: agents.csv, phonenum_prefix: "7"}`), plan)["targets.yaml"]},
			args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.completed(t)
				if got := sendOrder(t, r.out()); len(got) != 10 || got[0] != 6001 || got[1] != 6002 {
					t.Errorf("agents in the attack's order %v; want the CSV's 6001 and 6002, signed in with its passwords", got)
				}
			}},
		{name: "force_login", files: oneTarget(urlTarget(m, "m", "7001"), "{agents: 1, rate: 10, duration: 1s}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				if rep := r.completed(t); rep.Calls[gateway.CallForceLogin].Requests != 1 || rep.AgentsFailed != 0 {
					t.Errorf("%d forced sign-ins, %d agents failed; want agent 7001, already signed in, signed in by force", rep.Calls[gateway.CallForceLogin].Requests, rep.AgentsFailed)
				}
			}},
		{name: "force_login false", files: oneTarget(urlTarget(m, "m", "7002", "force_login: false"), "{agents: 1, rate: 10, duration: 1s}"), args: loadArgs(),
			check: func(t *testing.T, r *cliRun) {
				r.refused(t, "no agent could sign in", gateway.RetAlreadySignedIn)
			}},
	})
}

// readPEM reads a certificate file.
func readPEM(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
