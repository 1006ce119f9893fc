package mockgw

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
)

// defectProbe runs a scenario against a fresh server and reports whether the
// gateway behaved as the contract says.
type defectProbe func(t *testing.T, srv *Server, c *http.Client, clk *fakeClock) bool

// defectProbes has one probe per defect.
var defectProbes = map[Defect]defectProbe{
	DefectAnyMethod: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		a := signIn(t, srv, c, 1001)
		rep := mustDo(t, c, srv.URL(), req{method: http.MethodGet, path: gateway.LoginInfoPath(a.id), guid: &a.guid})
		return rep.status == http.StatusMethodNotAllowed && !strings.Contains(string(rep.body), "phonetoken")
	},
	DefectNoAllowHeader: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		rep := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.LoginInfoPath(1001)})
		return rep.status == http.StatusMethodNotAllowed && rep.header.Get("Allow") == "POST"
	},
	DefectMissingGuidAccepted: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		a := signIn(t, srv, c, 1001)
		return mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(a.id)}).retcode() == gateway.RetNoPermission
	},
	DefectOtherAgentGuidAccepted: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		signIn(t, srv, c, 1001)
		b := signIn(t, srv, c, 1002)
		return mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(1001), guid: &b.guid}).retcode() == gateway.RetNoPermission
	},
	DefectSignedOutGuidAccepted: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		a := signIn(t, srv, c, 1001)
		wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodDelete, path: gateway.LogoutPath(a.id), guid: &a.guid}), gateway.RetOK)
		return a.loginInfo(t, srv, c).retcode() == gateway.RetNotSignedIn
	},
	DefectReplacedGuidAccepted: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		a := signIn(t, srv, c, 1001)
		signInPath(t, srv, c, a.id, gateway.ForceLoginPath(a.id), nil)
		return a.loginInfo(t, srv, c).retcode() == gateway.RetNotSignedIn
	},
	DefectNoIDRangeCheck: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		in := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(50), body: validSignInBody("1")})
		li := mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(1000000), guid: ptr("x")})
		return in.retcode() == gateway.RetBadParam && li.retcode() == gateway.RetBadParam
	},
	DefectTokenOnError: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		rep := mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(1001), guid: ptr("unknown")})
		return gateway.JudgeLoginInfo(rep.status, rep.header.Get("Content-Type"), rep.body, "1").String() == "retcode 100-006"
	},
	DefectNumericRetcode: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		a := signIn(t, srv, c, 1001)
		rep := a.loginInfo(t, srv, c)
		return rep.envErr == nil && rep.retcode() == gateway.RetOK
	},
	DefectTextContentType: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		a := signIn(t, srv, c, 1001)
		rep := a.loginInfo(t, srv, c)
		return gateway.JudgeLoginInfo(rep.status, rep.header.Get("Content-Type"), rep.body, a.phone).OK()
	},
	DefectConstantToken: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		a := signIn(t, srv, c, 1001)
		b := signIn(t, srv, c, 1002)
		return a.loginInfo(t, srv, c).loginInfo(t).PhoneToken != b.loginInfo(t, srv, c).loginInfo(t).PhoneToken
	},
	DefectPhonenumCrosstalk: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		a := signIn(t, srv, c, 1001)
		b := signIn(t, srv, c, 1002)
		for _, x := range []*agent{a, b, a, b} {
			if x.loginInfo(t, srv, c).loginInfo(t).PhoneNum != x.phone {
				return false
			}
		}
		return true
	},
	DefectOldGuidNeverExpires: func(t *testing.T, srv *Server, c *http.Client, clk *fakeClock) bool {
		a := signIn(t, srv, c, 1001)
		old := *a
		clk.Advance(gateway.DefaultGuidInterval)
		wantRetcode(t, a.poll(t, srv, c), gateway.RetOK) // rotates
		for range 2 {                                    // past the old Guid's timeout, polling to stay signed in
			clk.Advance(70 * time.Second)
			wantRetcode(t, a.poll(t, srv, c), gateway.RetOK)
		}
		return old.loginInfo(t, srv, c).retcode() == gateway.RetNotSignedIn
	},
	DefectWrongEnvelope: func(t *testing.T, srv *Server, c *http.Client, _ *fakeClock) bool {
		a := signIn(t, srv, c, 1001)
		rep := a.loginInfo(t, srv, c)
		return gateway.JudgeLoginInfo(rep.status, rep.header.Get("Content-Type"), rep.body, a.phone).OK()
	},
}

// TestEachDefectChangesBehaviour proves every defect is observable: its probe
// passes on a faithful server and fails with the defect switched on.
func TestEachDefectChangesBehaviour(t *testing.T) {
	for _, d := range AllDefects() {
		probe, ok := defectProbes[d]
		if !ok {
			t.Errorf("defect %s has no probe", d)
			continue
		}
		t.Run(string(d), func(t *testing.T) {
			for _, on := range []bool{false, true} {
				clk := newFakeClock()
				srv := newServer(t, WithClock(clk.Now), WithPollWait(5*time.Millisecond))
				if on {
					srv.SetDefects(d)
					if got := srv.Defects(); !slices.Equal(got, []Defect{d}) {
						t.Fatalf("Defects() = %v", got)
					}
				}
				if holds := probe(t, srv, srv.Client(), clk); holds == on {
					t.Errorf("defect on=%v: contract holds=%v", on, holds)
				}
				srv.Close()
			}
		})
	}
}

func TestPhonenumCrosstalkUnderConcurrency(t *testing.T) {
	srv := newServer(t, WithDefects(DefectPhonenumCrosstalk))
	c := srv.Client()
	agents := []*agent{signIn(t, srv, c, 1001), signIn(t, srv, c, 1002), signIn(t, srv, c, 1003)}
	wrong := make(chan bool, 300)
	done := make(chan struct{})
	for _, a := range agents {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 100 {
				rep, err := do(goroutineTB{t}, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(a.id), guid: &a.guid})
				if err != nil {
					return
				}
				wrong <- !strings.Contains(string(rep.body), `"phonenum":"`+a.phone+`"`)
			}
		}()
	}
	for range agents {
		<-done
	}
	close(wrong)
	n := 0
	for w := range wrong {
		if w {
			n++
		}
	}
	if n == 0 {
		t.Fatal("no crosstalk observed among 300 concurrent answers")
	}
}

func TestParseDefect(t *testing.T) {
	for _, d := range AllDefects() {
		for _, form := range []string{string(d), strings.ToUpper(string(d)), strings.ReplaceAll(string(d), "-", "_")} {
			if got, err := ParseDefect(form); err != nil || got != d {
				t.Errorf("ParseDefect(%q) = %q, %v", form, got, err)
			}
		}
	}
	if got, err := ParseDefect("AnyMethod"); err != nil || got != DefectAnyMethod {
		t.Errorf("ParseDefect(AnyMethod) = %q, %v", got, err)
	}
	if _, err := ParseDefect("no-such-defect"); err == nil || !strings.Contains(err.Error(), "no-such-defect") {
		t.Errorf("unknown defect: %v", err)
	}
	if len(AllDefects()) < 14 {
		t.Errorf("only %d defects", len(AllDefects()))
	}
	if _, err := New(WithDefects("bogus")); err == nil {
		t.Error("New accepted an unknown defect")
	}
}
