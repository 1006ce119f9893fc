package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ccgw-harness/internal/testscale"
)

var signInReq = SignInRequest{Password: testPassword, PhoneNum: testPhone, Status: StatusIdle}

func TestDefaultTimeoutExceedsLongPoll(t *testing.T) {
	if DefaultTimeout <= DefaultPollWait {
		t.Fatalf("DefaultTimeout %v must exceed the event long poll %v", DefaultTimeout, DefaultPollWait)
	}
}

func TestNewClientValidatesBaseURL(t *testing.T) {
	good := map[string]string{
		"https://127.0.0.1:8043":       "https://127.0.0.1:8043",
		"https://127.0.0.1:8043/":      "https://127.0.0.1:8043",
		"HTTPS://gw.example:8043":      "https://gw.example:8043",
		"https://[::1]:8043":           "https://[::1]:8043",
		"https://nslb.example/proxy/":  "https://nslb.example/proxy",
		"https://nslb.example:8043/gw": "https://nslb.example:8043/gw",
	}
	for in, want := range good {
		c, err := NewClient(in)
		if err != nil {
			t.Errorf("NewClient(%q): %v", in, err)
			continue
		}
		if c.BaseURL() != want {
			t.Errorf("NewClient(%q).BaseURL() = %q, want %q", in, c.BaseURL(), want)
		}
	}
	bad := map[string]string{ // input -> substring of the error
		"http://127.0.0.1:8043":           "scheme must be https",
		"127.0.0.1:8043":                  "127.0.0.1:8043",
		"https://":                        "no host",
		"https:///path":                   "no host",
		"https://:8043":                   "no host",
		"ftp://gw.example":                "scheme must be https",
		"https://gw.example:8043?x=1":     "query",
		"https://gw.example:8043#frag":    "fragment",
		"https://gw.example:notaport":     "https://gw.example:notaport",
		"":                                "scheme must be https",
		"https://user:hunter2@gw.example": "user info",
	}
	for in, want := range bad {
		_, err := NewClient(in)
		if err == nil {
			t.Errorf("NewClient(%q) accepted it", in)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("NewClient(%q) error %q does not contain %q", in, err, want)
		}
		if in != "" && !strings.Contains(err.Error(), strings.TrimSuffix(strings.Split(in, "?")[0], "#frag")) && !strings.Contains(in, "hunter2") {
			t.Errorf("NewClient(%q) error %q does not name the URL", in, err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("NewClient error leaks the URL's password: %q", err)
		}
	}
}

func TestNewClientOptions(t *testing.T) {
	hc := &http.Client{}
	if _, err := NewClient("https://127.0.0.1:8043", WithHTTPClient(hc), WithTLS(TLSConfig{})); err == nil {
		t.Error("WithHTTPClient and WithTLS together: want an error (the TLS settings could not apply)")
	}
	if _, err := NewClient("https://127.0.0.1:8043", WithHTTPClient(hc), WithHTTP2(true)); err == nil {
		t.Error("WithHTTPClient and WithHTTP2 together: want an error")
	}

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	given := &http.Client{Jar: jar, Timeout: 5 * time.Second}
	c, err := NewClient("https://127.0.0.1:8043", WithHTTPClient(given))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPClient().Jar != nil {
		t.Error("the client kept a shared cookie jar: agents would share cookies")
	}
	if given.Jar == nil || given.CheckRedirect != nil {
		t.Error("NewClient modified the caller's http.Client")
	}
	if c.HTTPClient().Timeout != 5*time.Second {
		t.Error("the caller's client timeout was not kept")
	}

	c, err = NewClient("https://127.0.0.1:8043", WithTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := c.HTTPClient().Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T", c.HTTPClient().Transport)
	}
	if tr.ForceAttemptHTTP2 || tr.TLSNextProto == nil || len(tr.TLSNextProto) != 0 {
		t.Error("default transport must be HTTP/1.1 only (ForceAttemptHTTP2 false, empty TLSNextProto)")
	}
	if tr.Proxy != nil {
		t.Error("the transport must not go through an environment proxy")
	}
	if tr.TLSClientConfig.MinVersion != 0x0303 {
		t.Errorf("MinVersion %x, want TLS 1.2", tr.TLSClientConfig.MinVersion)
	}
	if tr.MaxIdleConnsPerHost != DefaultMaxIdleConnsPerHost {
		t.Errorf("MaxIdleConnsPerHost %d", tr.MaxIdleConnsPerHost)
	}
	if c.HTTPClient().Timeout != 3*time.Second {
		t.Errorf("http.Client timeout %v, want the WithTimeout value", c.HTTPClient().Timeout)
	}

	if _, err := NewClient("https://127.0.0.1:8043", WithTLS(TLSConfig{CAFile: "/nonexistent/ca.pem"})); err == nil ||
		!strings.Contains(err.Error(), "/nonexistent/ca.pem") || !strings.Contains(err.Error(), "https://127.0.0.1:8043") {
		t.Errorf("a bad CA file: want an error naming file and URL, got %v", err)
	}
}

func TestHTTPProtocolChoice(t *testing.T) {
	var proto atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(r.Proto)
		writeEnvelope(w, RetOK, "", nil)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := TLSConfig{CAPEM: certPEM(srv.Certificate())}
	for _, tc := range []struct {
		opts []Option
		want string
	}{
		{[]Option{WithTLS(ca)}, "HTTP/1.1"},
		{[]Option{WithTLS(ca), WithHTTP2(false)}, "HTTP/1.1"},
		{[]Option{WithTLS(ca), WithHTTP2(true)}, "HTTP/2.0"},
	} {
		c, err := NewClient(srv.URL, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(context.Background(), http.MethodGet, "/", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if got := proto.Load(); got != tc.want {
			t.Errorf("protocol %v, want %s", got, tc.want)
		}
		c.HTTPClient().CloseIdleConnections()
	}
}

func TestSignIn(t *testing.T) {
	var rec recorder
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		w.Header()[HeaderSetGuid] = []string{FormatSetGuid("3f2b9c1e-7d4a.AgentGateway3")}
		w.Header().Add("Set-Cookie", "NSLB=node3; Path=/; HttpOnly")
		w.Header().Add("Set-Cookie", `ROUTE="r1"; Path=/`)
		writeEnvelope(w, RetOK, "success", nil)
	})
	s, err := c.SignIn(context.Background(), 1001, signInReq)
	if err != nil {
		t.Fatal(err)
	}
	if s.Guid() != "3f2b9c1e-7d4a.AgentGateway3" || s.Node() != 3 || s.AgentID != 1001 || s.PhoneNum != testPhone {
		t.Errorf("session guid=%s node=%d agent=%d phone=%s", Mask(s.Guid()), s.Node(), s.AgentID, s.PhoneNum)
	}
	if got := s.CookieHeader(); got != `NSLB=node3; ROUTE="r1"` {
		t.Errorf("CookieHeader %q", got)
	}
	req := rec.last(t)
	if req.Method != http.MethodPut || req.Path != "/agentgateway/resource/onlineagent/1001" {
		t.Errorf("sign-in went to %s %s", req.Method, req.Path)
	}
	if got := req.Header.Values(HeaderContentType); len(got) != 1 || got[0] != ContentTypeJSON {
		t.Errorf("Content-Type %q", got)
	}
	if _, ok := req.Header[HeaderGuid]; ok {
		t.Error("sign-in must not send a Guid")
	}
	if _, ok := req.Header["Cookie"]; ok {
		t.Error("sign-in sent cookies it never received")
	}
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["password"] != testPassword || body["phonenum"] != testPhone || body["status"] != float64(StatusIdle) || len(body) != 3 {
		t.Errorf("sign-in body %v", mapKeys(body))
	}
	if int(req.ContentLength) != len(req.Body) || len(req.TransferEncoding) != 0 {
		t.Errorf("sign-in body framing: Content-Length %d, Transfer-Encoding %v", req.ContentLength, req.TransferEncoding)
	}

	s2, err := c.ForceSignIn(context.Background(), 1002, SignInRequest{Password: testPassword, PhoneNum: "71002"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.last(t); got.Method != http.MethodPut || got.Path != "/agentgateway/resource/onlineagent/1002/forcelogin" {
		t.Errorf("forced sign-in went to %s %s", got.Method, got.Path)
	}
	if s2.AgentID != 1002 || s2.PhoneNum != "71002" || s2.Guid() == "" {
		t.Errorf("forced sign-in session %v", s2)
	}
}

func mapKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestSignInFailures(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    Error
		msgHas  string
	}{
		{"already signed in", func(w http.ResponseWriter, r *http.Request) {
			writeEnvelope(w, RetAlreadySignedIn, "agent has signed in", nil)
		}, Error{Status: 200, Retcode: RetAlreadySignedIn, Message: "agent has signed in"}, ""},
		{"wrong password echoed", func(w http.ResponseWriter, r *http.Request) {
			writeEnvelope(w, RetWrongPassword, "password "+testPassword+" is wrong", nil)
		}, Error{Status: 200, Retcode: RetWrongPassword}, "Pa55…cret"},
		{"HTTP 503 without envelope", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}, Error{Status: 503}, ""},
		{"HTTP 500 with envelope", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(envelope(RetInternal, "boom", nil))
		}, Error{Status: 500, Retcode: RetInternal, Message: "boom"}, ""},
		{"truncated body", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"retcode":"0","message":`))
		}, Error{Status: 200}, "truncated"},
		{"no Set-GUID", func(w http.ResponseWriter, r *http.Request) {
			writeEnvelope(w, RetOK, "", nil)
		}, Error{Status: 200}, "Set-GUID"},
		{"malformed Set-GUID", func(w http.ResponseWriter, r *http.Request) {
			w.Header()[HeaderSetGuid] = []string{"JSESSIONID=" + testGuid + " trailing"}
			writeEnvelope(w, RetOK, "", nil)
		}, Error{Status: 200}, "malformed Set-GUID"},
		{"redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/steal", http.StatusFound)
		}, Error{Status: 302}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int32
			_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				tc.handler(w, r)
			})
			s, err := c.SignIn(context.Background(), 1001, signInReq)
			if s != nil || err == nil {
				t.Fatalf("want an error, got session %v", s)
			}
			e := asError(t, err)
			if e.Op != OpSignIn || e.AgentID != 1001 || e.Status != tc.want.Status || e.Retcode != tc.want.Retcode {
				t.Errorf("error %+v, want status %d retcode %q", *e, tc.want.Status, tc.want.Retcode)
			}
			if tc.want.Message != "" && e.Message != tc.want.Message {
				t.Errorf("message %q, want %q", e.Message, tc.want.Message)
			}
			if !strings.Contains(err.Error(), tc.msgHas) || !strings.Contains(err.Error(), "signin agent 1001") {
				t.Errorf("error text %q lacks %q", err, tc.msgHas)
			}
			assertNoSecrets(t, "error", err.Error())
			assertNoSecrets(t, "message", e.Message)
			if hits.Load() != 1 {
				t.Errorf("server saw %d requests, want 1", hits.Load())
			}
		})
	}
}

func TestLoginInfo(t *testing.T) {
	var rec recorder
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		writeEnvelope(w, RetOK, "success", map[string]string{"phonetoken": testToken, "phonenum": testPhone})
	})
	s := NewSession(1001, testPhone, testGuid)
	li, err := c.LoginInfo(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if li.PhoneToken != testToken || li.PhoneNum != testPhone {
		t.Errorf("LoginInfo %s %s", Mask(li.PhoneToken), li.PhoneNum)
	}
	req := rec.last(t)
	if req.Method != http.MethodPost || req.Path != "/agentgateway/resource/onlineagent/1001/logininfo" {
		t.Errorf("logininfo went to %s %s", req.Method, req.Path)
	}
	if got := req.Header.Values(HeaderGuid); len(got) != 1 || got[0] != testGuid {
		t.Errorf("Guid header %d values", len(got))
	}
	if got := req.Header.Values(HeaderContentType); len(got) != 1 || got[0] != ContentTypeJSON {
		t.Errorf("Content-Type %q", got)
	}
	if req.ContentLength != 0 || len(req.Body) != 0 || len(req.TransferEncoding) != 0 {
		t.Errorf("logininfo must have no body: Content-Length %d, %d body bytes, Transfer-Encoding %v",
			req.ContentLength, len(req.Body), req.TransferEncoding)
	}

	// A session without a known phonenum accepts whatever the gateway says.
	if _, err := c.LoginInfo(context.Background(), NewSession(1001, "", testGuid)); err != nil {
		t.Errorf("session without PhoneNum: %v", err)
	}
}

func TestLoginInfoFailures(t *testing.T) {
	okResult := map[string]string{"phonetoken": testToken, "phonenum": testPhone}
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		status    int
		retcode   string
		msgHas    string
		keepsInfo bool // the LoginInfo the gateway sent comes back with the error
	}{
		{"not signed in", func(w http.ResponseWriter, r *http.Request) {
			writeEnvelope(w, RetNotSignedIn, "agent not login", nil)
		}, 200, RetNotSignedIn, "agent not login", false},
		{"no permission, Guid echoed", func(w http.ResponseWriter, r *http.Request) {
			writeEnvelope(w, RetNoPermission, "guid "+testGuid+" not allowed", nil)
		}, 200, RetNoPermission, "3f2b…way1", false},
		{"HTTP 403", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
		}, 403, "", "HTTP 403", false},
		{"HTTP 401 with an envelope echoing the Guid", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write(envelope(RetNoPermission, "bad guid "+testGuid, nil))
		}, 401, RetNoPermission, "3f2b…way1", false},
		{"HTTP 405 with envelope", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", "POST")
			w.WriteHeader(http.StatusMethodNotAllowed)
			_, _ = w.Write(envelope(RetBadParam, "bad", nil))
		}, 405, RetBadParam, "HTTP 405", false},
		{"empty token", func(w http.ResponseWriter, r *http.Request) {
			writeEnvelope(w, RetOK, "", map[string]string{"phonetoken": "", "phonenum": testPhone})
		}, 200, "", ViolationEmptyToken, true},
		{"token member in the wrong case", func(w http.ResponseWriter, r *http.Request) {
			writeEnvelope(w, RetOK, "", map[string]string{"PhoneToken": testToken, "phonenum": testPhone})
		}, 200, "", ViolationEmptyToken, true},
		{"wrong phonenum", func(w http.ResponseWriter, r *http.Request) {
			writeEnvelope(w, RetOK, "", map[string]string{"phonetoken": testToken, "phonenum": "79999"})
		}, 200, "", ViolationWrongPhone, true},
		{"no result", func(w http.ResponseWriter, r *http.Request) {
			writeEnvelope(w, RetOK, "", nil)
		}, 200, "", ViolationNoResult, true},
		{"numeric token", func(w http.ResponseWriter, r *http.Request) {
			writeEnvelope(w, RetOK, "", map[string]any{"phonetoken": 12345678, "phonenum": testPhone})
		}, 200, "", ViolationResultTypes, true},
		{"not JSON content type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(HeaderContentType, "text/plain")
			_, _ = w.Write(envelope(RetOK, "", okResult))
		}, 200, "", ViolationContentType, true},
		{"token on an error", func(w http.ResponseWriter, r *http.Request) {
			writeEnvelope(w, RetNotSignedIn, "token "+testToken, okResult)
		}, 200, RetNotSignedIn, ViolationTokenOnError, true},
		{"truncated", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"retcode":"0","result":{"phonetoken":"` + testToken))
		}, 200, "", "truncated", false},
		{"trailing data", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(append(envelope(RetOK, "", okResult), []byte(" {}")...))
		}, 200, "", "data after", false},
		{"body too large", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(strings.Repeat(" ", MaxBodySize+1)))
		}, 200, "", "exceeds", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, c := newTLSServer(t, tc.handler)
			li, err := c.LoginInfo(context.Background(), NewSession(1001, testPhone, testGuid))
			if err == nil {
				t.Fatal("want an error")
			}
			e := asError(t, err)
			if e.Op != OpLoginInfo || e.AgentID != 1001 || e.Status != tc.status || e.Retcode != tc.retcode {
				t.Errorf("error op=%s agent=%d status=%d retcode=%q, want status %d retcode %q",
					e.Op, e.AgentID, e.Status, e.Retcode, tc.status, tc.retcode)
			}
			if !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("error text %q lacks %q", err, tc.msgHas)
			}
			if !tc.keepsInfo && li != (LoginInfo{}) {
				t.Errorf("returned LoginInfo %s/%s with the error", Mask(li.PhoneToken), li.PhoneNum)
			}
			assertNoSecrets(t, "error", err.Error())
		})
	}
}

// TestWireHeaders checks the request bytes as they travel: header names
// spelt exactly, no body on logininfo, cookies replayed.
func TestWireHeaders(t *testing.T) {
	ws := newWireServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // so the recorded bytes hold the whole request
		if r.Method == http.MethodPut {
			w.Header()[HeaderSetGuid] = []string{FormatSetGuid(testGuid)}
			w.Header().Add("Set-Cookie", "NSLB=n1; Path=/")
			writeEnvelope(w, RetOK, "", nil)
			return
		}
		writeEnvelope(w, RetOK, "", map[string]string{"phonetoken": testToken, "phonenum": testPhone})
	})
	c := ws.client(t)
	s, err := c.SignIn(context.Background(), 1001, signInReq)
	if err != nil {
		t.Fatal(err)
	}
	raw := ws.take()
	head, body, _ := strings.Cut(raw, "\r\n\r\n")
	wantLines(t, head, []string{
		"PUT /agentgateway/resource/onlineagent/1001 HTTP/1.1",
		"Content-Type: " + ContentTypeJSON,
	}, []string{"Guid:", "Cookie:", "Transfer-Encoding:"})
	if !strings.HasPrefix(body, `{"password":`) {
		t.Errorf("sign-in body does not follow the head: %.20q", body)
	}

	if _, err := c.LoginInfo(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	raw = ws.take()
	head, body, _ = strings.Cut(raw, "\r\n\r\n")
	wantLines(t, head, []string{
		"POST /agentgateway/resource/onlineagent/1001/logininfo HTTP/1.1",
		"Content-Type: application/json; charset=UTF-8",
		"Guid: " + testGuid,
		"Content-Length: 0",
		"Cookie: NSLB=n1",
	}, []string{"Transfer-Encoding:", "guid:", "GUID:"})
	if body != "" {
		t.Errorf("logininfo sent %d body bytes", len(body))
	}

	// Do sends a header key as spelt, replacing the default of the same name.
	if _, err := c.Do(context.Background(), http.MethodPost, LoginInfoPath(1001), s,
		http.Header{"guid": {"lowercase-guid"}, "content-type": {"text/plain"}}, nil); err != nil {
		t.Fatal(err)
	}
	head, _, _ = strings.Cut(ws.take(), "\r\n\r\n")
	wantLines(t, head, []string{"guid: lowercase-guid", "content-type: text/plain", "Cookie: NSLB=n1"},
		[]string{"Guid:", "Content-Type:"})
}

// wantLines checks that the request head has each line of want exactly
// (case-sensitive) and no line starting with a prefix of none.
func wantLines(t *testing.T, head string, want, none []string) {
	t.Helper()
	lines := strings.Split(head, "\r\n")
	has := map[string]bool{}
	for _, l := range lines {
		has[l] = true
	}
	for _, w := range want {
		if !has[w] {
			t.Errorf("request head lacks the line %q", redactGuids(w))
		}
	}
	for _, l := range lines {
		for _, n := range none {
			if strings.HasPrefix(l, n) {
				t.Errorf("request head has the line %q", redactGuids(l))
			}
		}
	}
}

func redactGuids(s string) string {
	return strings.NewReplacer(testGuid, Mask(testGuid), testGuid2, Mask(testGuid2)).Replace(s)
}

// TestCookiesPerSession: each session replays the cookies the gateway set
// for it, follows updates and deletions, and never sends another's.
func TestCookiesPerSession(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[string][]string{} // agent segment -> Cookie headers of logininfo calls
	)
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, PathPrefix+"/"), "/")
		agent := parts[1]
		switch {
		case r.Method == http.MethodPut:
			w.Header()[HeaderSetGuid] = []string{FormatSetGuid("guid-" + agent + ".AgentGateway1")}
			http.SetCookie(w, &http.Cookie{Name: "NSLB", Value: "node-" + agent, Path: "/"})
			http.SetCookie(w, &http.Cookie{Name: "ROUTE", Value: "r" + agent, Path: "/"})
			writeEnvelope(w, RetOK, "", nil)
		case parts[0] == "agentevent" && agent == "1001":
			http.SetCookie(w, &http.Cookie{Name: "NSLB", Value: "moved-1001", Path: "/"})
			http.SetCookie(w, &http.Cookie{Name: "ROUTE", Value: "", Path: "/", MaxAge: -1})
			http.SetCookie(w, &http.Cookie{Name: "OLD", Value: "x", Expires: time.Unix(1e9, 0)})
			writeEnvelope(w, RetOK, "", nil)
		default:
			mu.Lock()
			seen[agent] = append(seen[agent], strings.Join(r.Header.Values("Cookie"), " | "))
			mu.Unlock()
			phone := "7" + agent
			writeEnvelope(w, RetOK, "", map[string]string{"phonetoken": testToken, "phonenum": phone})
		}
	})
	ctx := context.Background()
	a, err := c.SignIn(ctx, 1001, SignInRequest{Password: testPassword, PhoneNum: "71001"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.SignIn(ctx, 1002, SignInRequest{Password: testPassword, PhoneNum: "71002"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Session{a, b, a} {
		if _, err := c.LoginInfo(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PollEvents(ctx, a); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Session{a, b} {
		if _, err := c.LoginInfo(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string][]string{
		"1001": {"NSLB=node-1001; ROUTE=r1001", "NSLB=node-1001; ROUTE=r1001", "NSLB=moved-1001"},
		"1002": {"NSLB=node-1002; ROUTE=r1002", "NSLB=node-1002; ROUTE=r1002"},
	}
	for agent, w := range want {
		if strings.Join(seen[agent], "\n") != strings.Join(w, "\n") {
			t.Errorf("agent %s sent cookies %q, want %q", agent, seen[agent], w)
		}
	}
}

// pollServer answers event polls: the first Guid gets a rotation to
// testGuid2 with an event, testGuid2 gets no rotation and a null event.
func pollServer(t *testing.T, rec *recorder) *Client {
	t.Helper()
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		req := rec.record(r)
		if r.Method != http.MethodGet || r.URL.Path != EventPath(1001) {
			http.NotFound(w, r)
			return
		}
		switch req.Header.Get(HeaderGuid) {
		case testGuid:
			w.Header()[HeaderSetGuid] = []string{FormatSetGuid(testGuid2)}
			w.Header()[HeaderContentType] = []string{ContentTypeJSON}
			_, _ = w.Write([]byte(`{"message":"","retcode":"0","event":{"eventType":"AgentState_Ready","workNo":"1001"}}`))
		case testGuid2:
			w.Header()[HeaderContentType] = []string{ContentTypeJSON}
			_, _ = w.Write([]byte(`{"message":"","retcode":"0","event":null}`))
		case "same-guid":
			w.Header()[HeaderSetGuid] = []string{FormatSetGuid("same-guid")}
			writeEnvelope(w, RetOK, "", map[string]int{"n": 1})
		case "bad-rotation":
			w.Header()[HeaderSetGuid] = []string{"JSESSIONID=" + testGuid + ",x"}
			writeEnvelope(w, RetOK, "", nil)
		default:
			writeEnvelope(w, RetNotSignedIn, "agent not signed in", nil)
		}
	})
	return c
}

func TestPollEventsRotatesGuid(t *testing.T) {
	var rec recorder
	c := pollServer(t, &rec)
	s := NewSession(1001, testPhone, testGuid)
	ctx := context.Background()

	pr, err := c.PollEvents(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if !pr.Rotated || s.Guid() != testGuid2 || s.Node() != 2 || pr.Retcode != RetOK {
		t.Errorf("after Set-GUID: rotated=%v guid=%s node=%d retcode=%q", pr.Rotated, Mask(s.Guid()), s.Node(), pr.Retcode)
	}
	if string(pr.Events) != `{"eventType":"AgentState_Ready","workNo":"1001"}` {
		t.Errorf("events %s", pr.Events)
	}
	if got := rec.last(t).Header.Get(HeaderGuid); got != testGuid {
		t.Errorf("first poll sent Guid %s", Mask(got))
	}

	pr, err = c.PollEvents(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Rotated || s.Guid() != testGuid2 || pr.Events != nil {
		t.Errorf("without Set-GUID: rotated=%v guid=%s events=%s", pr.Rotated, Mask(s.Guid()), pr.Events)
	}
	if got := rec.last(t).Header.Get(HeaderGuid); got != testGuid2 {
		t.Errorf("the poll after rotation sent Guid %s, want the new one", Mask(got))
	}

	same := NewSession(1001, testPhone, "same-guid")
	pr, err = c.PollEvents(ctx, same)
	if err != nil || pr.Rotated || same.Guid() != "same-guid" || string(pr.Events) != `{"n":1}` {
		t.Errorf("Set-GUID with the current Guid: rotated=%v events=%s err=%v", pr.Rotated, pr.Events, err)
	}

	bad := NewSession(1001, testPhone, "bad-rotation")
	pr, err = c.PollEvents(ctx, bad)
	if e := asError(t, err); e.Retcode != "" || !strings.Contains(e.Message, "Set-GUID") {
		t.Errorf("malformed Set-GUID: %v", err)
	}
	if pr.Rotated || bad.Guid() != "bad-rotation" {
		t.Error("a malformed Set-GUID changed the Guid")
	}
	assertNoSecrets(t, "error", err.Error())

	dead := NewSession(1001, testPhone, "dead-guid")
	pr, err = c.PollEvents(ctx, dead)
	if e := asError(t, err); e.Op != OpPollEvents || e.Retcode != RetNotSignedIn || pr.Retcode != RetNotSignedIn {
		t.Errorf("expired Guid: %v, PollResult retcode %q", err, pr.Retcode)
	}
}

func TestPollEventsIsBoundedByContextAndTimeout(t *testing.T) {
	release := make(chan struct{})
	srv, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		select { // a long poll with no event
		case <-r.Context().Done():
			// No answer at all: a handler that returned would send an
			// empty 200, which the client's transport may read before it
			// reports the cancellation.
			panic(http.ErrAbortHandler)
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	s := NewSession(1001, testPhone, testGuid)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.PollEvents(ctx, s)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a deadline error, got %v", err)
	}
	if v := ClassifyError(err); v.Class != ClassTimeout {
		t.Errorf("ClassifyError = %v, want timeout", v)
	}
	if !strings.Contains(err.Error(), "pollevents agent 1001") {
		t.Errorf("error %q does not name op and agent", err)
	}
	assertNoSecrets(t, "error", err.Error())
	// The poll ends with its 100 ms context, not with the held answer
	// (never): 5 s (times the scale) tells the two apart on any machine.
	if d := time.Since(start); d > testscale.D(5*time.Second) {
		t.Errorf("the poll took %v after its context expired", d)
	}

	short, err := NewClient(srv.URL, WithHTTPClient(srv.Client()), WithTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = short.PollEvents(context.Background(), s)
	if ClassifyError(err).Class != ClassTimeout {
		t.Errorf("WithTimeout did not bound the call: %v", err)
	}

	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := c.PollEvents(canceled, s); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
}

func TestUpdateGuid(t *testing.T) {
	var rec recorder
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		req := rec.record(r)
		switch req.Header.Get(HeaderGuid) {
		case testGuid:
			writeEnvelope(w, RetOK, "", map[string]string{"guid": testGuid2})
		case "empty":
			writeEnvelope(w, RetOK, "", map[string]string{"guid": ""})
		case "badchars":
			writeEnvelope(w, RetOK, "", map[string]string{"guid": testGuid + " x"})
		case "number":
			writeEnvelope(w, RetOK, "", map[string]int{"guid": 5})
		default:
			writeEnvelope(w, RetNoPermission, "no permission", nil)
		}
	})
	ctx := context.Background()
	s := NewSession(1001, testPhone, testGuid)
	g, err := c.UpdateGuid(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if g != testGuid2 || s.Guid() != testGuid2 || s.Node() != 2 {
		t.Errorf("UpdateGuid returned %s, session has %s", Mask(g), Mask(s.Guid()))
	}
	req := rec.last(t)
	if req.Method != http.MethodPut || req.Path != "/agentgateway/resource/onlineagent/1001/updateGuid" || len(req.Body) != 0 {
		t.Errorf("updateGuid request %s %s with %d body bytes", req.Method, req.Path, len(req.Body))
	}
	for _, old := range []string{"empty", "badchars", "number", "unknown"} {
		s := NewSession(1001, testPhone, old)
		g, err := c.UpdateGuid(ctx, s)
		e := asError(t, err)
		if g != "" || s.Guid() != old || e.Op != OpUpdateGuid {
			t.Errorf("%s: got %q, session %q, %v", old, g, s.Guid(), err)
		}
		assertNoSecrets(t, "error", err.Error())
	}
}

func TestSignOut(t *testing.T) {
	var rec recorder
	var out atomic.Bool
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		if out.Swap(true) {
			writeEnvelope(w, RetAlreadySignedOut, "already out", nil)
			return
		}
		writeEnvelope(w, RetOK, "", nil)
	})
	s := NewSession(1001, testPhone, testGuid)
	if err := c.SignOut(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	req := rec.last(t)
	if req.Method != http.MethodDelete || req.Path != "/agentgateway/resource/onlineagent/1001/logout" || req.Header.Get(HeaderGuid) != testGuid {
		t.Errorf("sign-out request %s %s", req.Method, req.Path)
	}
	if s.Guid() != testGuid {
		t.Error("SignOut must keep the (dead) Guid for probes")
	}
	err := c.SignOut(context.Background(), s)
	if e := asError(t, err); e.Op != OpSignOut || e.Retcode != RetAlreadySignedOut {
		t.Errorf("second sign-out: %v", err)
	}
}

func TestDo(t *testing.T) {
	var rec recorder
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/logininfo"):
			w.Header().Set("Allow", "POST")
			w.WriteHeader(http.StatusMethodNotAllowed)
		case strings.HasSuffix(r.URL.Path, "/big"):
			_, _ = w.Write([]byte(strings.Repeat("x", MaxBodySize+10)))
		default:
			w.Header()[HeaderSetGuid] = []string{FormatSetGuid(testGuid2)}
			http.SetCookie(w, &http.Cookie{Name: "NSLB", Value: "n2"})
			writeEnvelope(w, RetNotSignedIn, "not signed in", nil)
		}
	})
	ctx := context.Background()
	s := NewSession(1001, testPhone, testGuid)

	// Defaults with a session; the answer's cookies are kept, its Set-GUID is not applied.
	r, err := c.Do(ctx, http.MethodPost, LoginInfoPath(1001), s, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 200 || r.Envelope == nil || r.Envelope.Retcode != RetNotSignedIn || r.EnvelopeErr != nil {
		t.Errorf("Do response status=%d envelope=%v err=%v", r.Status, r.Envelope, r.EnvelopeErr)
	}
	if s.Guid() != testGuid || s.CookieHeader() != "NSLB=n2" {
		t.Errorf("after Do: guid %s cookies %q", Mask(s.Guid()), s.CookieHeader())
	}
	req := rec.last(t)
	if req.Header.Get(HeaderGuid) != testGuid || req.Header.Get(HeaderContentType) != ContentTypeJSON || req.ContentLength != 0 {
		t.Error("Do did not send the default headers")
	}

	// Overrides and removals.
	_, err = c.Do(ctx, http.MethodPost, LoginInfoPath(1001), s, http.Header{
		HeaderGuid:        {"other-guid"},
		HeaderContentType: nil,
		"Cookie":          {},
		"X-Probe":         {"a", "b"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req = rec.last(t)
	if got := req.Header.Values(HeaderGuid); len(got) != 1 || got[0] != "other-guid" {
		t.Errorf("Guid override: %q", got)
	}
	if _, ok := req.Header[HeaderContentType]; ok {
		t.Error("Content-Type was not removed")
	}
	if _, ok := req.Header["Cookie"]; ok {
		t.Error("Cookie was not removed")
	}
	if got := req.Header.Values("X-Probe"); len(got) != 2 {
		t.Errorf("X-Probe %q", got)
	}

	// Removing the Guid; a body; no session.
	_, err = c.Do(ctx, http.MethodPut, SignInPath(1001), s, http.Header{HeaderGuid: nil}, []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req = rec.last(t)
	if _, ok := req.Header[HeaderGuid]; ok {
		t.Error("Guid was not removed")
	}
	if string(req.Body) != `{"a":1}` || req.ContentLength != 7 {
		t.Errorf("body %q, Content-Length %d", req.Body, req.ContentLength)
	}
	if _, err = c.Do(ctx, http.MethodPost, LoginInfoPathRaw("abc"), nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	req = rec.last(t)
	if _, ok := req.Header[HeaderGuid]; ok || req.Path != PathPrefix+"/onlineagent/abc/logininfo" || len(req.Header.Values("Cookie")) != 0 {
		t.Errorf("Do without a session sent Guid or cookies, path %s", req.Path)
	}

	// A non-envelope answer is returned, not an error.
	r, err = c.Do(ctx, http.MethodGet, LoginInfoPath(1001), s, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 405 || r.Header.Get("Allow") != "POST" || r.Envelope != nil || !errors.Is(r.EnvelopeErr, ErrTruncated) {
		t.Errorf("405: status %d allow %q envelope %v err %v", r.Status, r.Header.Get("Allow"), r.Envelope, r.EnvelopeErr)
	}

	// The body cap.
	r, err = c.Do(ctx, http.MethodGet, "/big", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Body) != MaxBodySize || !errors.Is(r.EnvelopeErr, ErrBodyTooLarge) || r.Envelope != nil {
		t.Errorf("oversized body: %d bytes kept, err %v", len(r.Body), r.EnvelopeErr)
	}

	if _, err := c.Do(ctx, http.MethodGet, "no-slash", s, nil, nil); err == nil {
		t.Error("a path without a leading / was accepted")
	}
	if _, err := c.Do(ctx, "BAD METHOD", "/", s, nil, nil); err == nil {
		t.Error("an invalid method was accepted")
	}
}

func TestDoHostOverride(t *testing.T) {
	hosts := make(chan string, 1)
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		hosts <- r.Host
		writeEnvelope(w, RetOK, "", nil)
	})
	if _, err := c.Do(context.Background(), http.MethodGet, "/", nil, http.Header{"host": {"gw.other.test:8043"}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := <-hosts; got != "gw.other.test:8043" {
		t.Errorf("server saw Host %q", got)
	}
}

// TestBodyCutShortIsATransportError: an answer whose body ends before its
// Content-Length is a transport failure (eof), not an envelope verdict.
func TestBodyCutShortIsATransportError(t *testing.T) {
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Header()[HeaderContentType] = []string{ContentTypeJSON}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"retcode":"0",`))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // close the connection mid-body
	})
	_, err := c.LoginInfo(context.Background(), NewSession(1001, testPhone, testGuid))
	if err == nil {
		t.Fatal("a body cut short was accepted")
	}
	var ge *Error
	if errors.As(err, &ge) {
		t.Errorf("a cut body must be a transport error, got *Error %v", err)
	}
	if v := ClassifyError(err); v != (Verdict{Class: ClassTransport, Detail: "eof"}) {
		t.Errorf("ClassifyError(%v) = %+v", err, v)
	}
	if !strings.HasPrefix(err.Error(), "logininfo agent 1001: reading the 200 answer's body") {
		t.Errorf("error %q does not say op, agent and what failed", err)
	}
}

// TestConnectionReuse: sequential calls, successful or not, share one
// keep-alive connection.
func TestConnectionReuse(t *testing.T) {
	var conns atomic.Int32
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 3 {
		case 0:
			writeEnvelope(w, RetOK, "", map[string]string{"phonetoken": testToken, "phonenum": testPhone})
		case 1:
			writeEnvelope(w, RetNotSignedIn, strings.Repeat("m", 10000), nil)
		default:
			http.Error(w, strings.Repeat("e", 20000), http.StatusServiceUnavailable)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, WithTLS(TLSConfig{CAPEM: certPEM(srv.Certificate())}))
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(1001, testPhone, testGuid)
	for i := 0; i < 9; i++ {
		_, _ = c.LoginInfo(context.Background(), s)
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("9 sequential calls opened %d connections, want 1", got)
	}
}

// TestConcurrentCallsDuringRotation: logininfo calls in flight while polls
// rotate the Guid always send one whole Guid the gateway issued.
func TestConcurrentCallsDuringRotation(t *testing.T) {
	var issued sync.Map
	issued.Store("g0.AgentGateway1", true)
	var next atomic.Int32
	var bad atomic.Int32
	_, c := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		g := r.Header.Get(HeaderGuid)
		if _, ok := issued.Load(g); !ok {
			bad.Add(1)
		}
		if r.Method == http.MethodGet {
			ng := "g" + string(rune('a'+next.Add(1))) + ".AgentGateway2"
			issued.Store(ng, true)
			w.Header()[HeaderSetGuid] = []string{FormatSetGuid(ng)}
			writeEnvelope(w, RetOK, "", nil)
			return
		}
		writeEnvelope(w, RetOK, "", map[string]string{"phonetoken": testToken, "phonenum": testPhone})
	})
	s := NewSession(1001, testPhone, "g0.AgentGateway1")
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 10; i++ {
			if pr, err := c.PollEvents(ctx, s); err != nil || !pr.Rotated {
				errs <- errors.Join(err, errors.New("poll did not rotate"))
			}
		}
	}()
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, err := c.LoginInfo(ctx, s); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if bad.Load() != 0 {
		t.Errorf("%d requests carried a Guid the gateway never issued", bad.Load())
	}
	if s.Node() != 2 {
		t.Errorf("node %d after rotations", s.Node())
	}
}

func TestTransportErrorsNameOpAndAgentOnly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now: connections are refused
	c, err := NewClient("https://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(1001, testPhone, testGuid)
	ctx := context.Background()
	checks := []struct {
		op  string
		err error
	}{
		{OpLoginInfo, func() error { _, err := c.LoginInfo(ctx, s); return err }()},
		{OpPollEvents, func() error { _, err := c.PollEvents(ctx, s); return err }()},
		{OpUpdateGuid, func() error { _, err := c.UpdateGuid(ctx, s); return err }()},
		{OpSignOut, c.SignOut(ctx, s)},
		{OpSignIn, func() error { _, err := c.SignIn(ctx, 1001, signInReq); return err }()},
		{OpForceSignIn, func() error { _, err := c.ForceSignIn(ctx, 1001, signInReq); return err }()},
		{"do POST", func() error { _, err := c.Do(ctx, http.MethodPost, LoginInfoPath(1001), s, nil, nil); return err }()},
	}
	for _, ck := range checks {
		if ck.err == nil {
			t.Errorf("%s: no error against a closed port", ck.op)
			continue
		}
		if !strings.HasPrefix(ck.err.Error(), ck.op+" agent 1001: ") {
			t.Errorf("%s: error %q does not start with op and agent", ck.op, ck.err)
		}
		var ue *url.Error
		if !errors.As(ck.err, &ue) {
			t.Errorf("%s: the *url.Error is not reachable with errors.As", ck.op)
		}
		if v := ClassifyError(ck.err); v != (Verdict{Class: ClassTransport, Detail: "refused"}) {
			t.Errorf("%s: ClassifyError = %v", ck.op, v)
		}
		var ge *Error
		if errors.As(ck.err, &ge) {
			t.Errorf("%s: a transport failure must not be a *gateway.Error", ck.op)
		}
		assertNoSecrets(t, ck.op+" error", ck.err.Error())
	}
}
