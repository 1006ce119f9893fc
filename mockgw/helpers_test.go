package mockgw

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/mockgw/faultset"
)

// newServer starts a server that the test closes at its end.
func newServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	srv, err := New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// setFaults turns f on, failing the test when SetFaults refuses it.
func setFaults(t testing.TB, srv *Server, f faultset.Faults) {
	t.Helper()
	if err := srv.SetFaults(f); err != nil {
		t.Fatalf("SetFaults: %v", err)
	}
}

// fakeClock is a settable clock for WithClock.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// reply is one answer as a client sees it.
type reply struct {
	status int
	header http.Header
	body   []byte
	env    gateway.Envelope
	envErr error
}

// retcode returns the envelope retcode, or "" when there was none.
func (r reply) retcode() string { return r.env.Retcode }

// loginInfo decodes the result of a logininfo answer.
func (r reply) loginInfo(t testing.TB) gateway.LoginInfo {
	t.Helper()
	li, err := gateway.DecodeLoginInfo(r.env.Result)
	if err != nil {
		t.Fatalf("logininfo result: %v", err)
	}
	return li
}

// req describes one request.
type req struct {
	method, path string
	guid         *string // nil: no Guid header
	body         string
	cookies      []*http.Cookie
	header       map[string]string
	ctx          context.Context
}

// do sends a request and reads the whole answer.
func do(t testing.TB, c *http.Client, base string, q req) (reply, error) {
	t.Helper()
	ctx := q.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	r, err := http.NewRequestWithContext(ctx, q.method, base+q.path, body)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if q.body != "" || q.method == http.MethodPost {
		r.Header.Set(gateway.HeaderContentType, gateway.ContentTypeJSON)
	}
	if q.guid != nil {
		r.Header[gateway.HeaderGuid] = []string{*q.guid}
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	for _, ck := range q.cookies {
		r.AddCookie(ck)
	}
	resp, err := c.Do(r)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{status: resp.StatusCode, header: resp.Header, body: b}, err
	}
	rep := reply{status: resp.StatusCode, header: resp.Header, body: b}
	if len(b) > 0 {
		rep.env, rep.envErr = gateway.DecodeEnvelope(b)
	}
	return rep, nil
}

// mustDo is do that fails the test on a transport error.
func mustDo(t testing.TB, c *http.Client, base string, q req) reply {
	t.Helper()
	rep, err := do(t, c, base, q)
	if err != nil {
		t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	return rep
}

// agent is a signed-in test agent.
type agent struct {
	id     int
	phone  string
	guid   string
	cookie *http.Cookie // NSLBROUTE, in a cluster
}

// cookies returns the agent's cookies to replay.
func (a *agent) cookies() []*http.Cookie {
	if a.cookie == nil {
		return nil
	}
	return []*http.Cookie{a.cookie}
}

// validSignInBody returns a valid sign-in body.
func validSignInBody(phone string) string {
	return fmt.Sprintf(`{"password":"secret","phonenum":%q}`, phone)
}

// signIn signs agent id in (phonenum "7"+id) and fails the test unless it
// succeeds.
func signIn(t testing.TB, srv *Server, c *http.Client, id int) *agent {
	t.Helper()
	return signInPath(t, srv, c, id, gateway.SignInPath(id), nil)
}

// signInPath signs in through path (sign-in or forcelogin).
func signInPath(t testing.TB, srv *Server, c *http.Client, id int, path string, cookies []*http.Cookie) *agent {
	t.Helper()
	a := &agent{id: id, phone: fmt.Sprintf("7%d", id)}
	rep := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: path, body: validSignInBody(a.phone), cookies: cookies})
	if rep.status != 200 || rep.retcode() != gateway.RetOK {
		t.Fatalf("sign-in agent %d: status %d retcode %q", id, rep.status, rep.retcode())
	}
	sg, err := gateway.ParseSetGuid(rep.header.Get(gateway.HeaderSetGuid))
	if err != nil {
		t.Fatalf("sign-in agent %d: %v", id, err)
	}
	a.guid = sg.Guid
	for _, ck := range (&http.Response{Header: rep.header}).Cookies() {
		if ck.Name == RouteCookie {
			a.cookie = &http.Cookie{Name: ck.Name, Value: ck.Value}
		}
	}
	return a
}

// loginInfo calls logininfo for a with its Guid and cookie.
func (a *agent) loginInfo(t testing.TB, srv *Server, c *http.Client) reply {
	t.Helper()
	g := a.guid
	return mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(a.id), guid: &g, cookies: a.cookies()})
}

// poll calls the event poll for a with its Guid; a rotated Guid is adopted.
func (a *agent) poll(t testing.TB, srv *Server, c *http.Client) reply {
	t.Helper()
	g := a.guid
	rep := mustDo(t, c, srv.URL(), req{method: http.MethodGet, path: gateway.EventPath(a.id), guid: &g, cookies: a.cookies()})
	if h := rep.header.Get(gateway.HeaderSetGuid); h != "" {
		sg, err := gateway.ParseSetGuid(h)
		if err != nil {
			t.Fatalf("poll Set-GUID: %v", err)
		}
		a.guid = sg.Guid
	}
	return rep
}

// ptr returns a pointer to s.
func ptr(s string) *string { return &s }

// eventually polls cond every few milliseconds until it holds, or fails
// the test when testscale.D(within) passes first. Call it from the test's
// goroutine.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	within = testscale.D(within)
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(2 * time.Millisecond) // polling a condition, bounded by the deadline
	}
}

// goroutineTB is a testing.TB for the helpers (do, signIn, ...) when they
// run on a goroutine the test started: FailNow belongs to the test's own
// goroutine, so its Fatal and Fatalf report with Errorf and end only the
// calling goroutine (runtime.Goexit runs its deferred calls).
type goroutineTB struct{ testing.TB }

// Fatal reports args and ends the calling goroutine.
func (g goroutineTB) Fatal(args ...any) {
	g.TB.Helper()
	g.TB.Error(args...)
	runtime.Goexit()
}

// Fatalf reports the message and ends the calling goroutine.
func (g goroutineTB) Fatalf(format string, args ...any) {
	g.TB.Helper()
	g.TB.Errorf(format, args...)
	runtime.Goexit()
}

// FailNow marks the test failed and ends the calling goroutine.
func (g goroutineTB) FailNow() {
	g.TB.Fail()
	runtime.Goexit()
}

// wantRetcode asserts a 200 envelope with retcode rc and, for errors, no
// phonetoken.
func wantRetcode(t testing.TB, rep reply, rc string) {
	t.Helper()
	if rep.status != 200 {
		t.Fatalf("status %d, want 200 (retcode %s)", rep.status, rc)
	}
	if rep.envErr != nil {
		t.Fatalf("envelope: %v", rep.envErr)
	}
	if rep.retcode() != rc {
		t.Fatalf("retcode %q (%s), want %q (%s)", rep.retcode(), rep.env.Message, rc, gateway.RetcodeMeaning(rc))
	}
	if ct := rep.header.Get("Content-Type"); ct != ContentTypeJSON {
		t.Fatalf("Content-Type %q, want %q", ct, ContentTypeJSON)
	}
	if rc != gateway.RetOK && bytes.Contains(rep.body, []byte("phonetoken")) {
		t.Fatalf("error envelope carries a phonetoken")
	}
}

// decodeJSON decodes JSON into v or fails the test.
func decodeJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
