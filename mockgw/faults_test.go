package mockgw

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/mockgw/faultset"
)

// faultSetup signs agent 1001 in on a faithful server, then turns f on.
func faultSetup(t *testing.T, f faultset.Faults, opts ...Option) (*Server, *http.Client, *agent) {
	t.Helper()
	srv := newServer(t, opts...)
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	setFaults(t, srv, f)
	return srv, c, a
}

// judge returns the verdict a load client would give a's logininfo answer.
func judge(t *testing.T, srv *Server, c *http.Client, a *agent) gateway.Verdict {
	t.Helper()
	rep, err := do(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(a.id), guid: &a.guid})
	if err != nil {
		return gateway.ClassifyError(err)
	}
	return gateway.JudgeLoginInfo(rep.status, rep.header.Get("Content-Type"), rep.body, a.phone)
}

func wantFaultCount(t *testing.T, srv *Server, kind string, n uint64) {
	t.Helper()
	if got := srv.Stats().Faults[kind]; got != n {
		t.Errorf("stats faults[%s] = %d, want %d", kind, got, n)
	}
}

func TestFaultReset(t *testing.T) {
	srv, c, a := faultSetup(t, faultset.Faults{ResetRate: 1}, WithPollWait(10*time.Millisecond))
	_, err := do(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(a.id), guid: &a.guid})
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("error %v, want ECONNRESET", err)
	}
	if v := gateway.ClassifyError(err); v.String() != "transport reset" {
		t.Errorf("verdict %q, want transport reset", v)
	}
	wantFaultCount(t, srv, faultset.CounterReset, 1)
	// Faults apply to logininfo only: the event poll and sign-in still work.
	wantRetcode(t, a.poll(t, srv, c), gateway.RetOK)
	signIn(t, srv, c, 1002)
	wantFaultCount(t, srv, faultset.CounterReset, 1)
}

func TestFaultStall(t *testing.T) {
	srv, c, a := faultSetup(t, faultset.Faults{StallRate: 1, StallFor: time.Minute})
	short := srv.Client()
	short.Timeout = 200 * time.Millisecond
	start := time.Now()
	if v := judge(t, srv, short, a); v.Class != gateway.ClassTimeout {
		t.Fatalf("verdict %q, want timeout", v)
	}
	// The client's 200 ms timeout ends it, not the minute's stall: 10 s
	// (times the scale) tells the two apart on any machine.
	if took := time.Since(start); took > testscale.D(10*time.Second) {
		t.Fatalf("stalled request took %v", took)
	}
	// A short stall ends with the connection closed and no answer.
	setFaults(t, srv, faultset.Faults{StallRate: 1, StallFor: 50 * time.Millisecond})
	_, err := do(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(a.id), guid: &a.guid})
	if v := gateway.ClassifyError(err); err == nil || v.Class != gateway.ClassTransport {
		t.Fatalf("after a stall: err %v (%q), want a transport error", err, v)
	}
	wantFaultCount(t, srv, faultset.CounterStall, 2)
}

func TestFaultTruncatedAndMalformed(t *testing.T) {
	srv, c, a := faultSetup(t, faultset.Faults{TruncatedRate: 1})
	if v := judge(t, srv, c, a); v.String() != "envelope truncated" {
		t.Errorf("truncated: verdict %q", v)
	}
	setFaults(t, srv, faultset.Faults{MalformedRate: 1})
	if v := judge(t, srv, c, a); v.String() != "envelope malformed" {
		t.Errorf("malformed: verdict %q", v)
	}
	wantFaultCount(t, srv, faultset.CounterTruncated, 1)
	wantFaultCount(t, srv, faultset.CounterMalformed, 1)
}

func TestFaultRetcodeAndHTTPError(t *testing.T) {
	srv, c, a := faultSetup(t, faultset.Faults{RetcodeRate: 1})
	if v := judge(t, srv, c, a); v.String() != "retcode 100-007" {
		t.Errorf("verdict %q, want retcode 100-007", v)
	}
	setFaults(t, srv, faultset.Faults{RetcodeRate: 1, Retcode: "999-001"})
	if v := judge(t, srv, c, a); v.String() != "retcode 999-001" {
		t.Errorf("verdict %q, want retcode 999-001", v)
	}
	setFaults(t, srv, faultset.Faults{HTTPErrorRate: 1})
	if v := judge(t, srv, c, a); v.String() != "http 503" {
		t.Errorf("verdict %q, want http 503", v)
	}
	setFaults(t, srv, faultset.Faults{HTTPErrorRate: 1, HTTPStatus: 502})
	if v := judge(t, srv, c, a); v.String() != "http 502" {
		t.Errorf("verdict %q, want http 502", v)
	}
	st := srv.Stats()
	li := st.Calls[CallLoginInfo]
	if li.Retcodes["999-001"] != 1 || li.Retcodes["100-007"] != 1 || li.HTTPStatus["503"] != 1 || li.HTTPStatus["502"] != 1 {
		t.Errorf("logininfo stats %+v", li)
	}
	if st.Faults[faultset.CounterRetcode] != 2 || st.Faults[faultset.CounterHTTPError] != 2 {
		t.Errorf("fault stats %v", st.Faults)
	}
}

func TestFaultPartialRate(t *testing.T) {
	srv, c, a := faultSetup(t, faultset.Faults{RetcodeRate: 0.5})
	counts := map[string]int{}
	for range 200 {
		counts[judge(t, srv, c, a).Key()]++
	}
	// Binomial(200, 0.5): 60..140 holds with overwhelming probability.
	if counts["ok"] < 60 || counts["retcode 100-007"] < 60 || counts["ok"]+counts["retcode 100-007"] != 200 {
		t.Fatalf("outcomes %v, want about half and half", counts)
	}
}

func TestFaultLatency(t *testing.T) {
	srv, c, a := faultSetup(t, faultset.Faults{LatencyFixed: 100 * time.Millisecond, LatencyJitter: 20 * time.Millisecond})
	start := time.Now()
	if v := judge(t, srv, c, a); !v.OK() {
		t.Fatalf("verdict %q", v)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("answered after %v, want >= 100ms", took)
	}
	setFaults(t, srv, faultset.Faults{LatencyDist: faultset.LatencyExponential, LatencyMean: 5 * time.Millisecond})
	for range 5 {
		if v := judge(t, srv, c, a); !v.OK() {
			t.Fatalf("verdict %q", v)
		}
	}
	wantFaultCount(t, srv, faultset.CounterLatency, 6)
}

func TestFaultSlowBody(t *testing.T) {
	// Headers at once, the body trickled: with the body spread over a
	// minute, the client has the headers and the first piece of the body
	// while the rest does not exist yet (the next piece is 8 s away), so
	// no timing of the machine can make this pass or fail.
	srv, c, a := faultSetup(t, faultset.Faults{SlowBodyRate: 1, SlowBodyFor: time.Minute})
	r, _ := http.NewRequest(http.MethodPost, srv.URL()+gateway.LoginInfoPath(a.id), nil)
	r.Header[gateway.HeaderGuid] = []string{a.guid}
	start := time.Now()
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > testscale.D(20*time.Second) {
		t.Fatalf("headers after %v: they waited for the minute-long body", took)
	}
	buf := make([]byte, max(resp.ContentLength, 1))
	n, err := resp.Body.Read(buf)
	resp.Body.Close() // ends the trickle
	if err != nil || n == 0 || int64(n) >= resp.ContentLength {
		t.Fatalf("first read of the body: %d of %d bytes (%v), want a first piece only", n, resp.ContentLength, err)
	}

	// A whole slow body takes at least the slow-body time (the mock sleeps
	// that long between the pieces) and is a valid success.
	setFaults(t, srv, faultset.Faults{SlowBodyRate: 1, SlowBodyFor: 400 * time.Millisecond})
	start = time.Now()
	if v := judge(t, srv, c, a); !v.OK() {
		t.Fatalf("slow body verdict %q", v)
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Fatalf("a 400 ms slow body was read in %v", took)
	}
	wantFaultCount(t, srv, faultset.CounterSlowBody, 2)
}

func TestFaultWrongPhone(t *testing.T) {
	srv, c, a := faultSetup(t, faultset.Faults{})
	b := signIn(t, srv, c, 1002)
	setFaults(t, srv, faultset.Faults{WrongPhoneRate: 1})
	for _, x := range []*agent{a, b, a, b} {
		rep := x.loginInfo(t, srv, c)
		wantRetcode(t, rep, gateway.RetOK)
		li := rep.loginInfo(t)
		if li.PhoneNum == x.phone || !isPhonenum(li.PhoneNum) {
			t.Fatalf("agent %d got phonenum %q, want another digits-only number", x.id, li.PhoneNum)
		}
		if v := gateway.JudgeLoginInfo(rep.status, rep.header.Get("Content-Type"), rep.body, x.phone); v.String() != "contract wrong_phonenum" {
			t.Fatalf("verdict %q", v)
		}
	}
	// After the first answer, another agent's number is returned.
	if li := a.loginInfo(t, srv, c).loginInfo(t); li.PhoneNum != b.phone {
		t.Errorf("agent %d got %q, want the previously served agent's %q", a.id, li.PhoneNum, b.phone)
	}
	wantFaultCount(t, srv, faultset.CounterWrongPhone, 5)
}

func TestFaultSignInFailByAgent(t *testing.T) {
	srv := newServer(t, WithFaults(faultset.Faults{SignInFailRate: 0.5}))
	c := srv.Client()
	var failed, ok []int
	for id := 3000; id < 3040; id++ {
		rep := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(id), body: validSignInBody("1")})
		switch rep.retcode() {
		case gateway.RetInternal:
			failed = append(failed, id)
		case gateway.RetOK:
			ok = append(ok, id)
		default:
			t.Fatalf("agent %d: retcode %s", id, rep.retcode())
		}
	}
	if len(failed) < 8 || len(ok) < 8 {
		t.Fatalf("%d failed, %d signed in: want about half each", len(failed), len(ok))
	}
	for _, id := range failed { // retries fail again, forced or not
		for _, p := range []string{gateway.SignInPath(id), gateway.ForceLoginPath(id)} {
			wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: p, body: validSignInBody("1")}), gateway.RetInternal)
		}
	}
	wantFaultCount(t, srv, faultset.CounterSignInFail, uint64(3*len(failed)))
}

func TestFaultRotateEveryPoll(t *testing.T) {
	srv, c, a := faultSetup(t, faultset.Faults{RotateEveryPoll: true}, WithPollWait(time.Minute))
	seen := map[string]bool{a.guid: true}
	start := time.Now()
	for range 3 {
		rep := a.poll(t, srv, c)
		wantRetcode(t, rep, gateway.RetOK)
		if seen[a.guid] {
			t.Fatal("poll did not rotate")
		}
		seen[a.guid] = true
		wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetOK)
	}
	// Held, each would take the minute's poll wait; 20 s (times the
	// scale) for all three tells the two apart.
	if took := time.Since(start); took > testscale.D(20*time.Second) {
		t.Fatalf("rotating polls were held (%v)", took)
	}
	wantFaultCount(t, srv, faultset.CounterRotateEveryPoll, 3)
}

func TestFaultTLS(t *testing.T) {
	srv, _, a := faultSetup(t, faultset.Faults{TLSFailRate: 1})
	fresh := srv.Client()
	_, err := do(t, fresh, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(a.id), guid: &a.guid})
	if err == nil {
		t.Fatal("handshake succeeded")
	}
	if v := gateway.ClassifyError(err); v.String() != "transport tls" {
		t.Errorf("verdict %q (%v), want transport tls", v, err)
	}
	wantFaultCount(t, srv, faultset.CounterTLSFail, 1)
	setFaults(t, srv, faultset.Faults{})
	wantRetcode(t, a.loginInfo(t, srv, fresh), gateway.RetOK)
}

func TestFaultsValidateNamesField(t *testing.T) {
	cases := map[string]faultset.Faults{
		"reset_rate":      {ResetRate: 1.5},
		"tls_fail_rate":   {TLSFailRate: -0.1},
		"stall_for":       {StallFor: -time.Second},
		"latency_dist":    {LatencyDist: "normal"},
		"latency_mean":    {LatencyDist: faultset.LatencyExponential},
		"retcode":         {Retcode: `bad"code`},
		"http_status":     {HTTPStatus: 200},
		"sign_in_latency": {SignInLatency: -1},
	}
	for field, f := range cases {
		err := f.Validate()
		var fe *faultset.FieldError
		if !errors.As(err, &fe) || fe.Field != field || !strings.Contains(err.Error(), field) {
			t.Errorf("%+v: error %v, want one naming %s", f, err, field)
		}
	}
	if err := (faultset.Faults{ResetRate: 1, HTTPStatus: 500, LatencyDist: faultset.LatencyUniform}).Validate(); err != nil {
		t.Errorf("valid faults: %v", err)
	}
	if _, err := New(WithFaults(faultset.Faults{StallRate: 2})); err == nil || !strings.Contains(err.Error(), "stall_rate") {
		t.Errorf("New with bad faults: %v", err)
	}
}

func TestFaultsJSON(t *testing.T) {
	in := faultset.Faults{LatencyFixed: 20 * time.Millisecond, ResetRate: 0.25, Retcode: "100-007", RotateEveryPoll: true, StallFor: 3 * time.Second}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"latency_fixed":"20ms"`, `"reset_rate":0.25`, `"rotate_every_poll":true`, `"stall_for":"3s"`, `"tls_fail_rate":0`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	var out faultset.Faults
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip: %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"slow_body_for":1000000}`), &out); err != nil || out.SlowBodyFor != time.Millisecond {
		t.Errorf("nanoseconds: %v %v", out.SlowBodyFor, err)
	}
	for body, field := range map[string]string{
		`{"bogus":1}`:             "bogus",
		`{"stall_for":"soon"}`:    "stall_for",
		`{"reset_rate":"high"}`:   "reset_rate",
		`{"http_status":502.5}`:   "http_status",
		`{"rotate_every_poll":1}`: "rotate_every_poll",
	} {
		var f faultset.Faults
		err := json.Unmarshal([]byte(body), &f)
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: error %v, want one naming %s", body, err, field)
		}
	}
}

// TestFaultKindIndexes: the stats counter indexes (fk*) name the kinds that
// faultset lists, in its order.
func TestFaultKindIndexes(t *testing.T) {
	want := map[int]string{
		fkLatency: faultset.CounterLatency, fkRetcode: faultset.CounterRetcode, fkHTTPError: faultset.CounterHTTPError, fkReset: faultset.CounterReset,
		fkMalformed: faultset.CounterMalformed, fkTruncated: faultset.CounterTruncated, fkStall: faultset.CounterStall, fkSlowBody: faultset.CounterSlowBody,
		fkWrongPhone: faultset.CounterWrongPhone, fkSignInFail: faultset.CounterSignInFail, fkRotateEveryPoll: faultset.CounterRotateEveryPoll,
		fkTLSFail: faultset.CounterTLSFail,
	}
	if len(faultKinds) != numFaultKinds || len(want) != numFaultKinds {
		t.Fatalf("%d kinds, %d indexes, %d names", len(faultKinds), numFaultKinds, len(want))
	}
	for i, name := range want {
		if faultKinds[i] != name {
			t.Errorf("faultKinds[%d] = %s, want %s", i, faultKinds[i], name)
		}
	}
}
