package mockgw

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw/faultset"
)

var setGuidRe = regexp.MustCompile(`^JSESSIONID=[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.AgentGateway1$`)

func TestSignInIssuesGuidAndEmptyResult(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	rep := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1001), body: validSignInBody("71001")})
	wantRetcode(t, rep, gateway.RetOK)
	if string(rep.env.Result) != "{}" {
		t.Errorf("result %s, want {}", rep.env.Result)
	}
	if h := rep.header.Get(gateway.HeaderSetGuid); !setGuidRe.MatchString(h) {
		t.Errorf("Set-GUID %q does not match %s", gateway.Mask(h), setGuidRe)
	}
	if ck := rep.header.Get("Set-Cookie"); ck != "" {
		t.Errorf("single node sets cookie %q", ck)
	}
	a := signIn(t, srv, c, 1002)
	b := signIn(t, srv, c, 1003)
	if a.guid == b.guid {
		t.Error("two sign-ins got the same Guid")
	}
}

func TestSignInValidatesBody(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	long := strings.Repeat("p", 33)
	bad := map[string]string{
		"not json":                `password=x`,
		"array":                   `[]`,
		"null":                    `null`,
		"empty object":            `{}`,
		"no password":             `{"phonenum":"123"}`,
		"empty password":          `{"password":"","phonenum":"123"}`,
		"password 33":             `{"password":"` + long + `","phonenum":"123"}`,
		"password boolean":        `{"password":true,"phonenum":"123"}`,
		"password null":           `{"password":null,"phonenum":"123"}`,
		"password object":         `{"password":{},"phonenum":"123"}`,
		"no phonenum":             `{"password":"x"}`,
		"empty phonenum":          `{"password":"x","phonenum":""}`,
		"phonenum letters":        `{"password":"x","phonenum":"12a"}`,
		"phonenum plus":           `{"password":"x","phonenum":"+123"}`,
		"phonenum 25 digits":      `{"password":"x","phonenum":"` + strings.Repeat("1", 25) + `"}`,
		"phonenum 25-digit num":   `{"password":"x","phonenum":` + strings.Repeat("1", 25) + `}`,
		"phonenum negative":       `{"password":"x","phonenum":-123}`,
		"phonenum float":          `{"password":"x","phonenum":1.5}`,
		"phonenum exponent":       `{"password":"x","phonenum":1e5}`,
		"phonenum true":           `{"password":"x","phonenum":true}`,
		"phonenum array":          `{"password":"x","phonenum":["123"]}`,
		"status 2":                `{"password":"x","phonenum":"1","status":2}`,
		"status string 2":         `{"password":"x","phonenum":"1","status":"2"}`,
		"status busy":             `{"password":"x","phonenum":"1","status":"busy"}`,
		"status empty string":     `{"password":"x","phonenum":"1","status":""}`,
		"status spaced string":    `{"password":"x","phonenum":"1","status":" 4"}`,
		"status float":            `{"password":"x","phonenum":"1","status":4.5}`,
		"status float string":     `{"password":"x","phonenum":"1","status":"4.0"}`,
		"status true":             `{"password":"x","phonenum":"1","status":true}`,
		"agenttype 5":             `{"password":"x","phonenum":"1","agenttype":5}`,
		"agenttype string 5":      `{"password":"x","phonenum":"1","agenttype":"5"}`,
		"agenttype video":         `{"password":"x","phonenum":"1","agenttype":"video"}`,
		"autoanswer yes":          `{"password":"x","phonenum":"1","autoanswer":"yes"}`,
		"autoanswer TRUE":         `{"password":"x","phonenum":"1","autoanswer":"TRUE"}`,
		"autoanswer empty string": `{"password":"x","phonenum":"1","autoanswer":""}`,
		"releasephone 1":          `{"password":"x","phonenum":"1","releasephone":1}`,
		"autoenteridle null":      `{"password":"x","phonenum":"1","autoenteridle":null}`,
	}
	for name, body := range bad {
		for _, path := range []string{gateway.SignInPath(1001), gateway.ForceLoginPath(1001)} {
			rep := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: path, body: body})
			if rep.retcode() != gateway.RetSignInParamInvalid {
				t.Errorf("%s %s: retcode %q, want 100-001", name, path, rep.retcode())
			}
			if rep.header.Get(gateway.HeaderSetGuid) != "" {
				t.Errorf("%s: rejected sign-in set a Guid", name)
			}
		}
	}
	good := []string{
		`{"password":"` + strings.Repeat("p", 32) + `","phonenum":"` + strings.Repeat("9", 24) + `"}`,
		`{"password":"x","phonenum":"1","status":3,"agenttype":4,"autoanswer":true,"autoenteridle":false,"releasephone":true}`,
		`{"password":"x","phonenum":"1","status":4,"agenttype":11}`,
		`{"password":"x","phonenum":"1","status":5,"unknownfield":"ignored"}`,
		// The Java binding's coercions (docs/mock-clients.md).
		`{"password":1234,"phonenum":70001}`,
		`{"password":"x","phonenum":` + strings.Repeat("9", 24) + `}`,
		`{"password":"x","phonenum":"1","status":"4","agenttype":"11"}`,
		`{"password":"x","phonenum":"1","status":"3","agenttype":"4"}`,
		`{"password":"x","phonenum":"1","status":"5"}`,
		`{"password":"x","phonenum":"1","autoanswer":"false","autoenteridle":"true","releasephone":"false"}`,
		`{"password":"x","phonenum":"1","ip":"127.0.0.1","entryIp":"10.0.0.1","pushUrl":"https://x/y","callBackUri":"https://x/z","serviceToken":"t",` +
			`"phonelinkage":false,"checkInWebm":"true","checkInMailm":false,"vcPhoneNumber":"123","listenStatus":false,"extra":{"a":[1,null]}}`,
	}
	for i, body := range good {
		rep := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(2000 + i), body: body})
		wantRetcode(t, rep, gateway.RetOK)
	}
}

func TestSignInPasswordAndAlreadySignedIn(t *testing.T) {
	srv := newServer(t, WithPassword("right"))
	c := srv.Client()
	rep := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1001), body: `{"password":"wrong","phonenum":"1"}`})
	wantRetcode(t, rep, gateway.RetWrongPassword)
	ok := `{"password":"right","phonenum":"1"}`
	wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1001), body: ok}), gateway.RetOK)
	rep = mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1001), body: ok})
	wantRetcode(t, rep, gateway.RetAlreadySignedIn)
	if rep.header.Get(gateway.HeaderSetGuid) != "" {
		t.Error("100-002 carries a Set-GUID")
	}
	// Without WithPassword any valid password is accepted.
	open := newServer(t)
	wantRetcode(t, mustDo(t, open.Client(), open.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1001), body: `{"password":"anything","phonenum":"1"}`}), gateway.RetOK)
}

func TestSignInAgentIDStrict(t *testing.T) {
	srv := newServer(t, WithIDRange(gateway.LegacyIDRange))
	c := srv.Client()
	for _, seg := range []string{"abc", "0101", "100", "60000", "999999", "-5", "+101", "1e3", "1234567890"} {
		path := gateway.PathPrefix + "/onlineagent/" + seg
		rep := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: path, body: validSignInBody("1")})
		wantRetcode(t, rep, gateway.RetBadParam)
	}
	wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(59999), body: validSignInBody("1")}), gateway.RetOK)
	wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(101), body: validSignInBody("1")}), gateway.RetOK)
}

func TestSignInWrongMethod(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	for path, allow := range map[string]string{
		gateway.SignInPath(1001):     "PUT",
		gateway.ForceLoginPath(1001): "PUT",
		gateway.LogoutPath(1001):     "DELETE",
		gateway.EventPath(1001):      "GET",
		gateway.UpdateGuidPath(1001): "PUT",
	} {
		rep := mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: path, body: validSignInBody("1")})
		if rep.status != http.StatusMethodNotAllowed || rep.header.Get("Allow") != allow {
			t.Errorf("POST %s: %d Allow %q, want 405 Allow %s", path, rep.status, rep.header.Get("Allow"), allow)
		}
	}
}

func TestOverlappingSignInAndSignOutIsRepeated(t *testing.T) {
	srv := newServer(t, WithFaults(faultset.Faults{SignInLatency: time.Minute}))
	c := srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type outcome struct {
		rep reply
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		rep, err := do(goroutineTB{t}, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1001), body: validSignInBody("1"), ctx: ctx})
		done <- outcome{rep, err}
	}()
	eventually(t, 5*time.Second, "first sign-in in progress", func() bool {
		_, busy := srv.ops.Load(1001)
		return busy
	})
	wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(1001), body: validSignInBody("1")}), gateway.RetRepeated)
	wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.ForceLoginPath(1001), body: validSignInBody("1")}), gateway.RetRepeated)
	wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodDelete, path: gateway.LogoutPath(1001), guid: ptr("x")}), gateway.RetRepeated)
	// The client gives up on the slow sign-in: the agent is free again, and
	// not signed in.
	cancel()
	// The client sees its cancellation, or, when its transport read the
	// mock's reaction first, the empty answer of a handler whose request
	// ended; never a sign-in envelope.
	if o := <-done; o.err == nil && len(o.rep.body) != 0 {
		t.Fatalf("cancelled sign-in answered %d %q", o.rep.status, o.rep.body)
	}
	setFaults(t, srv, faultset.Faults{})
	eventually(t, 5*time.Second, "sign-in lock released", func() bool {
		_, busy := srv.ops.Load(1001)
		return !busy
	})
	a := signIn(t, srv, c, 1001)
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetOK)
	if st := srv.Stats(); st.SignIns != 1 || st.Calls[CallSignIn].Retcodes[gateway.RetRepeated] != 1 {
		t.Errorf("sign-ins %d, 000-007 %d", st.SignIns, st.Calls[CallSignIn].Retcodes[gateway.RetRepeated])
	}
}

func TestForceLoginReplacesSession(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	old := signIn(t, srv, c, 1001)
	wantRetcode(t, old.loginInfo(t, srv, c), gateway.RetOK)
	repl := signInPath(t, srv, c, 1001, gateway.ForceLoginPath(1001), nil)
	if repl.guid == old.guid {
		t.Fatal("forcelogin kept the Guid")
	}
	wantRetcode(t, old.loginInfo(t, srv, c), gateway.RetNotSignedIn)
	rep := repl.loginInfo(t, srv, c)
	wantRetcode(t, rep, gateway.RetOK)
	// Forced sign-in also works with no session to replace.
	fresh := signInPath(t, srv, c, 1002, gateway.ForceLoginPath(1002), nil)
	wantRetcode(t, fresh.loginInfo(t, srv, c), gateway.RetOK)
	st := srv.Stats()
	if st.ReplacedSessions != 1 || st.ActiveSessions != 2 || st.SignIns != 3 {
		t.Errorf("stats replaced %d active %d sign-ins %d, want 1 2 3", st.ReplacedSessions, st.ActiveSessions, st.SignIns)
	}
}

func TestLogout(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	b := signIn(t, srv, c, 1002)
	base := srv.URL()
	wantRetcode(t, mustDo(t, c, base, req{method: http.MethodDelete, path: gateway.LogoutPath(1001)}), gateway.RetNoPermission)
	wantRetcode(t, mustDo(t, c, base, req{method: http.MethodDelete, path: gateway.LogoutPath(1001), guid: ptr("")}), gateway.RetNoPermission)
	wantRetcode(t, mustDo(t, c, base, req{method: http.MethodDelete, path: gateway.LogoutPath(1001), guid: ptr("nope")}), gateway.RetNotSignedIn)
	wantRetcode(t, mustDo(t, c, base, req{method: http.MethodDelete, path: gateway.LogoutPath(1001), guid: &b.guid}), gateway.RetNoPermission)
	wantRetcode(t, mustDo(t, c, base, req{method: http.MethodDelete, path: gateway.LogoutPath(1001), guid: &a.guid}), gateway.RetOK)
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetNotSignedIn)
	wantRetcode(t, mustDo(t, c, base, req{method: http.MethodDelete, path: gateway.LogoutPath(1001), guid: &a.guid}), gateway.RetNotSignedIn)
	wantRetcode(t, b.loginInfo(t, srv, c), gateway.RetOK)
	// Signed out, the agent can sign in again.
	again := signIn(t, srv, c, 1001)
	wantRetcode(t, again.loginInfo(t, srv, c), gateway.RetOK)
	if st := srv.Stats(); st.SignOuts != 1 {
		t.Errorf("sign_outs %d, want 1", st.SignOuts)
	}
}

func TestSignInConcurrentAgents(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	const n = 64
	agents := make([]*agent, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agents[i] = signIn(goroutineTB{t}, srv, c, 5000+i)
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for round := range 3 {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				gt := goroutineTB{t}
				rep := agents[i].loginInfo(gt, srv, c)
				if rep.retcode() != gateway.RetOK {
					t.Errorf("round %d agent %d: retcode %s", round, agents[i].id, rep.retcode())
					return
				}
				if li := rep.loginInfo(gt); li.PhoneNum != fmt.Sprintf("7%d", 5000+i) {
					t.Errorf("agent %d got phonenum %s", 5000+i, li.PhoneNum)
				}
			}()
		}
		wg.Wait()
	}
	if st := srv.Stats(); st.ActiveSessions != n || st.Calls[CallLoginInfo].Retcodes["0"] != 3*n {
		t.Errorf("active %d logininfo ok %d", st.ActiveSessions, st.Calls[CallLoginInfo].Retcodes["0"])
	}
}
