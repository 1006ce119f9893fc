package mockgw

import (
	"net/http"
	"regexp"
	"testing"

	"ccgw-harness/gateway"
)

var tokenRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestLoginInfoSuccess(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	seen := map[string]bool{}
	for range 20 {
		rep := a.loginInfo(t, srv, c)
		wantRetcode(t, rep, gateway.RetOK)
		if v := gateway.JudgeLoginInfo(rep.status, rep.header.Get("Content-Type"), rep.body, a.phone); !v.OK() {
			t.Fatalf("verdict %v", v)
		}
		li := rep.loginInfo(t)
		if !tokenRe.MatchString(li.PhoneToken) {
			t.Fatalf("phonetoken %s is not 32 hex digits", gateway.Mask(li.PhoneToken))
		}
		if seen[li.PhoneToken] {
			t.Fatal("phonetoken repeated")
		}
		seen[li.PhoneToken] = true
		if li.PhoneNum != a.phone {
			t.Fatalf("phonenum %q, want %q", li.PhoneNum, a.phone)
		}
	}
	// The request Content-Type is not checked.
	g := a.guid
	rep := mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(a.id), guid: &g, header: map[string]string{"Content-Type": "text/plain"}})
	wantRetcode(t, rep, gateway.RetOK)
}

func TestLoginInfoWrongMethodIs405WithAllow(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions} {
		rep := mustDo(t, c, srv.URL(), req{method: m, path: gateway.LoginInfoPath(a.id), guid: &a.guid})
		if rep.status != http.StatusMethodNotAllowed {
			t.Errorf("%s: status %d, want 405", m, rep.status)
		}
		if got := rep.header.Get("Allow"); got != "POST" {
			t.Errorf("%s: Allow %q, want POST", m, got)
		}
		if len(rep.body) != 0 {
			t.Errorf("%s: 405 body %q, want empty", m, rep.body)
		}
	}
	if n := srv.Stats().Calls[CallLoginInfo].HTTPStatus["405"]; n != 6 {
		t.Errorf("stats logininfo http_status 405 = %d, want 6", n)
	}
}

func TestLoginInfoRetcodes(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	b := signIn(t, srv, c, 1002)
	gone := signIn(t, srv, c, 1003)
	wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodDelete, path: gateway.LogoutPath(gone.id), guid: &gone.guid}), gateway.RetOK)
	replaced := signIn(t, srv, c, 1004)
	signInPath(t, srv, c, 1004, gateway.ForceLoginPath(1004), nil)

	cases := []struct {
		name string
		seg  string
		guid *string
		want string
	}{
		{"bad agent ID letters", "abc", &a.guid, gateway.RetBadParam},
		{"agent ID leading zero", "01001", &a.guid, gateway.RetBadParam},
		{"agent ID below range", "100", &a.guid, gateway.RetBadParam},
		{"agent ID above range", "1000000", &a.guid, gateway.RetBadParam},
		{"bad agent ID beats missing Guid", "x", nil, gateway.RetBadParam},
		{"missing Guid", "1001", nil, gateway.RetNoPermission},
		{"empty Guid", "1001", ptr(""), gateway.RetNoPermission},
		{"other agent's live Guid", "1001", &b.guid, gateway.RetNoPermission},
		{"unknown Guid", "1001", ptr("00000000-0000-4000-8000-000000000000.AgentGateway1"), gateway.RetNotSignedIn},
		{"malformed Guid", "1001", ptr("not a guid"), gateway.RetNotSignedIn},
		{"signed-out Guid", "1003", &gone.guid, gateway.RetNotSignedIn},
		{"replaced Guid", "1004", &replaced.guid, gateway.RetNotSignedIn},
		{"other agent's dead Guid", "1001", &gone.guid, gateway.RetNotSignedIn},
		{"own Guid", "1001", &a.guid, gateway.RetOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPathRaw(tc.seg), guid: tc.guid})
			wantRetcode(t, rep, tc.want)
		})
	}
	st := srv.Stats().Calls[CallLoginInfo]
	if st.Retcodes[gateway.RetBadParam] != 5 || st.Retcodes[gateway.RetNoPermission] != 3 || st.Retcodes[gateway.RetNotSignedIn] != 5 || st.Retcodes[gateway.RetOK] != 1 {
		t.Errorf("stats logininfo retcodes %v", st.Retcodes)
	}
}

func TestUnknownPathIs404(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	for _, p := range []string{"/", gateway.PathPrefix + "/onlineagent/1001/nothing", gateway.PathPrefix + "/agentevent/1001/x", gateway.PathPrefix + "/onlineagent/1001/"} {
		if rep := mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: p}); rep.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, rep.status)
		}
	}
	if n := srv.Stats().Calls[CallOther].HTTPStatus["404"]; n != 4 {
		t.Errorf("other 404s %d, want 4", n)
	}
}
