package mockgw

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw/faultset"
)

// admin sends an admin request and returns status and body.
func adminDo(t *testing.T, srv *Server, c *http.Client, method, name, body string) (int, http.Header, []byte) {
	t.Helper()
	rep := mustDo(t, c, srv.URL(), req{method: method, path: AdminPrefix + name, body: body})
	return rep.status, rep.header, rep.body
}

func TestAdminStats(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	a.loginInfo(t, srv, c)
	status, _, body := adminDo(t, srv, c, http.MethodGet, "stats", "")
	if status != 200 {
		t.Fatalf("stats: %d", status)
	}
	var raw map[string]json.RawMessage
	decodeJSON(t, body, &raw)
	for _, k := range []string{"calls", "active_sessions", "sign_ins", "sign_outs", "idle_sign_outs", "rotations", "faults"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stats JSON lacks %q: %s", k, body)
		}
	}
	var st Stats
	decodeJSON(t, body, &st)
	if st.ActiveSessions != 1 || st.SignIns != 1 || st.Calls[CallLoginInfo].Retcodes["0"] != 1 || st.Calls[CallSignIn].Requests != 1 {
		t.Errorf("stats %+v", st)
	}
	if strings.Contains(string(body), a.guid) {
		t.Error("stats expose a Guid")
	}
	if status, h, _ := adminDo(t, srv, c, http.MethodPost, "stats", ""); status != 405 || h.Get("Allow") != "GET" {
		t.Errorf("POST stats: %d Allow %q", status, h.Get("Allow"))
	}
	if status, _, _ := adminDo(t, srv, c, http.MethodGet, "nothing", ""); status != 404 {
		t.Errorf("unknown admin path: %d", status)
	}
}

func TestAdminFaults(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	status, _, body := adminDo(t, srv, c, http.MethodPut, "faults", `{"retcode_rate":1,"retcode":"100-007","latency_fixed":"1ms"}`)
	if status != 200 {
		t.Fatalf("PUT faults: %d %s", status, body)
	}
	want := faultset.Faults{RetcodeRate: 1, Retcode: "100-007", LatencyFixed: time.Millisecond}
	if got := srv.Faults(); got != want {
		t.Fatalf("Faults() = %+v, want %+v", got, want)
	}
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetInternal)
	_, _, body = adminDo(t, srv, c, http.MethodGet, "faults", "")
	var got faultset.Faults
	decodeJSON(t, body, &got)
	if got != want {
		t.Fatalf("GET faults = %+v", got)
	}
	for in, field := range map[string]string{
		`{"reset_rate":2}`:        "reset_rate",
		`{"nope":true}`:           "nope",
		`{"stall_for":"forever"}`: "stall_for",
		`{"http_status":200}`:     "http_status",
	} {
		status, _, body := adminDo(t, srv, c, http.MethodPut, "faults", in)
		if status != http.StatusBadRequest || !strings.Contains(string(body), field) {
			t.Errorf("PUT %s: %d %s, want 400 naming %s", in, status, body, field)
		}
	}
	if srv.Faults() != want {
		t.Error("bad input changed the faults")
	}
	var fe *faultset.FieldError
	if err := srv.SetFaults(faultset.Faults{ResetRate: 2}); !errors.As(err, &fe) || fe.Field != "reset_rate" {
		t.Errorf("SetFaults of invalid faults: %v, want a FieldError naming reset_rate", err)
	}
	if srv.Faults() != want {
		t.Error("SetFaults applied invalid faults")
	}
	// PUT replaces: absent fields are zero.
	if status, _, _ := adminDo(t, srv, c, http.MethodPut, "faults", `{}`); status != 200 || srv.Faults() != (faultset.Faults{}) {
		t.Fatalf("PUT {}: %d %+v", status, srv.Faults())
	}
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetOK)
}

func TestAdminDefects(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	status, _, body := adminDo(t, srv, c, http.MethodGet, "defects", "")
	if status != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("GET defects: %d %s", status, body)
	}
	status, _, body = adminDo(t, srv, c, http.MethodPut, "defects", `["any-method","TextContentType"]`)
	if status != 200 {
		t.Fatalf("PUT defects: %d %s", status, body)
	}
	var names []string
	decodeJSON(t, body, &names)
	if strings.Join(names, ",") != "any-method,text-content-type" {
		t.Fatalf("defects %v", names)
	}
	a := signIn(t, srv, c, 1001)
	if rep := mustDo(t, c, srv.URL(), req{method: http.MethodGet, path: gateway.LoginInfoPath(a.id), guid: &a.guid}); rep.status != 200 {
		t.Fatalf("any-method via admin not active: %d", rep.status)
	}
	status, _, body = adminDo(t, srv, c, http.MethodPut, "defects", `["any-method","made-up"]`)
	if status != http.StatusBadRequest || !strings.Contains(string(body), "made-up") {
		t.Errorf("unknown defect: %d %s", status, body)
	}
	if status, _, _ := adminDo(t, srv, c, http.MethodPut, "defects", `"any-method"`); status != http.StatusBadRequest {
		t.Errorf("non-list: %d", status)
	}
	if len(srv.Defects()) != 2 {
		t.Errorf("bad input changed the defects: %v", srv.Defects())
	}
}

func TestAdminRestart(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	if status, h, _ := adminDo(t, srv, c, http.MethodGet, "restart", ""); status != 405 || h.Get("Allow") != "POST" {
		t.Errorf("GET restart: %d", status)
	}
	if status, _, _ := adminDo(t, srv, c, http.MethodPost, "restart", ""); status != http.StatusNoContent {
		t.Fatalf("POST restart: %d", status)
	}
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetNotSignedIn)
	if st := srv.Stats(); st.Restarts != 1 || st.ActiveSessions != 0 {
		t.Errorf("restarts %d active %d", st.Restarts, st.ActiveSessions)
	}
}
