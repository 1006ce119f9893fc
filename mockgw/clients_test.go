package mockgw

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw/clienttest"
)

// TestPublicClients runs the raw-request matrix of clienttest against the
// mock in both authentication modes, for agents without a password (the
// vendor's Java demo sends "") and with one. The Guid interval and timeout
// are a millisecond: in dynamic mode every poll rotates, in static mode
// nothing may.
func TestPublicClients(t *testing.T) {
	for _, mode := range []gateway.AuthMode{gateway.AuthStatic, gateway.AuthDynamic} {
		for _, pw := range []string{"", "s3cret"} {
			name := string(mode) + "/no password"
			opts := []Option{WithAuthMode(mode), WithGuidInterval(time.Millisecond), WithGuidTimeout(time.Millisecond), WithPollWait(20 * time.Millisecond)}
			if pw == "" {
				opts = append(opts, WithNoPassword())
			} else {
				name = string(mode) + "/password"
				opts = append(opts, WithPassword(pw))
			}
			t.Run(name, func(t *testing.T) {
				srv := newServer(t, opts...)
				clienttest.Run(t, clienttest.Target{Addr: srv.Addr(), CertPEM: srv.CertPEM(), Mode: mode, Password: pw, FirstAgent: 1001})
				if st := srv.Stats(); st.Calls[CallOther].Requests != 0 {
					t.Errorf("%d requests went to no gateway path (404)", st.Calls[CallOther].Requests)
				}
			})
		}
	}
}

// TestServedPath: runs of literal slashes count as one; an encoded slash is
// decoded after, never merged.
func TestServedPath(t *testing.T) {
	for in, want := range map[string]string{
		"/agentgateway/resource/onlineagent/101/logininfo":       "/agentgateway/resource/onlineagent/101/logininfo",
		"/agentgateway/resource//onlineagent/101/logininfo":      "/agentgateway/resource/onlineagent/101/logininfo",
		"//agentgateway///resource//onlineagent//101//logininfo": "/agentgateway/resource/onlineagent/101/logininfo",
		"/agentgateway/resource//onlineagent/101/":               "/agentgateway/resource/onlineagent/101/",
		"/agentgateway/resource//onlineagent/%2F101/logininfo":   "/agentgateway/resource/onlineagent//101/logininfo",
		"/agentgateway/resource/onlineagent/%2F%2F101":           "/agentgateway/resource/onlineagent///101",
		"/agentgateway/resource//onlineagent/%20101/logininfo":   "/agentgateway/resource/onlineagent/ 101/logininfo",
	} {
		u, err := url.ParseRequestURI(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := servedPath(&http.Request{URL: u}); got != want {
			t.Errorf("%s: served as %q, want %q", in, got, want)
		}
	}
}

// TestClusterSetCookieBeforeSetGuid: in a cluster, sign-in answers the
// sticky cookie before Set-GUID in the header block (net/http writes the
// fields sorted by name, and "Set-Cookie" < "Set-GUID"), and a raw client
// that sends the cookie back reaches its node.
func TestClusterSetCookieBeforeSetGuid(t *testing.T) {
	srv := newServer(t, WithNodes(3), WithNoPassword())
	c, err := clienttest.Dial(srv.Addr(), srv.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for id := 1001; id < 1007; id++ {
		resp, err := c.Send(clienttest.JavaDemo.Request(c.Host(), http.MethodPut, gateway.ForceLoginPath(id), "", clienttest.JavaDemo.SignInBody("", "70001")).Bytes())
		if err != nil {
			t.Fatal(err)
		}
		ck, sg := resp.Index("Set-Cookie"), resp.Index(gateway.HeaderSetGuid)
		if ck < 0 || sg < 0 || ck > sg {
			t.Fatalf("agent %d: Set-Cookie at %d, Set-GUID at %d; want both, the cookie first", id, ck, sg)
		}
		cookie, _, _ := strings.Cut(resp.Get("Set-Cookie"), ";")
		parsed, err := gateway.ParseSetGuid(resp.Get(gateway.HeaderSetGuid))
		if err != nil {
			t.Fatal(err)
		}
		if cookie != RouteCookie+"="+string(rune('0'+parsed.Node)) {
			t.Fatalf("agent %d: cookie %q for a Guid of node %d", id, cookie, parsed.Node)
		}
		q := clienttest.JavaDemo.Request(c.Host(), http.MethodPost, gateway.LoginInfoPath(id), parsed.Guid, "")
		q.Fields = append(q.Fields, clienttest.Field{Name: "Cookie", Value: "JSESSIONID=x; " + cookie})
		resp, err = c.Send(q.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if v := gateway.JudgeLoginInfo(resp.Status, resp.Get("Content-Type"), resp.Body, "70001"); !v.OK() {
			t.Fatalf("agent %d: logininfo with the sticky cookie: %s", id, v)
		}
	}
}

// TestPollWithBodyEndsWhenClientLeaves: a body on the event poll is read and
// dropped, so the held poll ends when its client goes away rather than at
// the poll wait.
func TestPollWithBodyEndsWhenClientLeaves(t *testing.T) {
	srv := newServer(t, WithAuthMode(gateway.AuthStatic), WithPollWait(time.Hour))
	a := signIn(t, srv, srv.Client(), 1001)
	c, err := clienttest.Dial(srv.Addr(), srv.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	q := clienttest.Script.Request(c.Host(), http.MethodGet, gateway.EventPath(1001), a.guid, "")
	if q.Body == "" {
		t.Fatal("the script client sends no body on GET")
	}
	type outcome struct {
		resp *clienttest.Response
		err  error
	}
	sent := make(chan outcome, 1)
	go func() {
		resp, err := c.Send(q.Bytes())
		sent <- outcome{resp, err}
	}()
	eventually(t, 10*time.Second, "the poll is held", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.heldOps() == 1
	})
	_ = c.Close()
	// The client sees its own close, or, when it read the server's reaction
	// first, the empty answer of a handler whose request ended; never an
	// envelope.
	if o := <-sent; o.err == nil && len(o.resp.Body) != 0 {
		t.Fatalf("the abandoned poll answered HTTP %d with %d bytes", o.resp.Status, len(o.resp.Body))
	}
	eventually(t, 10*time.Second, "the held poll ended with its client", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.heldOps() == 0
	})
}
