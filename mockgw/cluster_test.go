package mockgw

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"ccgw-harness/gateway"
)

func TestClusterNodeSuffixesAndCookieRouting(t *testing.T) {
	const nodes = 3
	srv := newServer(t, WithNodes(nodes), WithAuthMode(gateway.AuthStatic))
	c := srv.Client()
	agents := make([]*agent, nodes)
	seen := map[int]bool{}
	for i := range agents {
		agents[i] = signIn(t, srv, c, 1001+i)
		a := agents[i]
		n := gateway.GuidNode(a.guid)
		if n < 1 || n > nodes {
			t.Fatalf("agent %d: Guid node %d, want 1..%d", a.id, n, nodes)
		}
		if !strings.HasSuffix(a.guid, gateway.NodeSuffix(n)) {
			t.Fatalf("agent %d: Guid lacks its node suffix", a.id)
		}
		if a.cookie == nil || a.cookie.Value != strconv.Itoa(n) {
			t.Fatalf("agent %d: NSLBROUTE cookie %v, want %d", a.id, a.cookie, n)
		}
		seen[n] = true
	}
	if len(seen) != nodes {
		t.Fatalf("round-robin sign-ins landed on nodes %v, want all %d", seen, nodes)
	}

	// The raw Set-Cookie has the documented attributes.
	rep := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(2001), body: validSignInBody("1")})
	ck := rep.header.Get("Set-Cookie")
	if !strings.HasPrefix(ck, RouteCookie+"=") || !strings.Contains(ck, "Path=/") || !strings.Contains(ck, "Secure") || !strings.Contains(ck, "HttpOnly") {
		t.Fatalf("Set-Cookie %q: want NSLBROUTE=<N>; Path=/; Secure; HttpOnly", ck)
	}

	// With the cookie every request reaches the agent's node.
	for _, a := range agents {
		for range 5 {
			wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetOK)
		}
	}
	// Without it, consecutive requests go round-robin: exactly one of
	// `nodes` consecutive requests reaches the node with the session.
	a := agents[0]
	counts := map[string]int{}
	for range nodes {
		rep := mustDo(t, c, srv.URL(), req{method: http.MethodPost, path: gateway.LoginInfoPath(a.id), guid: &a.guid})
		counts[rep.retcode()]++
	}
	if counts[gateway.RetOK] != 1 || counts[gateway.RetNotSignedIn] != nodes-1 {
		t.Fatalf("without the cookie: %v, want 1 success and %d x 100-006", counts, nodes-1)
	}

	// Being signed in is cluster-wide: a second sign-in on another node is 100-002.
	other := &http.Cookie{Name: RouteCookie, Value: strconv.Itoa(gateway.GuidNode(a.guid)%nodes + 1)}
	rep = mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.SignInPath(a.id), body: validSignInBody("1"), cookies: []*http.Cookie{other}})
	wantRetcode(t, rep, gateway.RetAlreadySignedIn)
	// A forced sign-in routed to another node moves the session there.
	moved := signInPath(t, srv, c, a.id, gateway.ForceLoginPath(a.id), []*http.Cookie{other})
	if moved.cookie.Value != other.Value || strconv.Itoa(gateway.GuidNode(moved.guid)) != other.Value {
		t.Fatalf("forcelogin via node %s landed on node %d", other.Value, gateway.GuidNode(moved.guid))
	}
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetNotSignedIn)
	wantRetcode(t, moved.loginInfo(t, srv, c), gateway.RetOK)
	if st := srv.Stats(); st.ActiveSessions != nodes+1 {
		t.Errorf("active sessions %d, want %d", st.ActiveSessions, nodes+1)
	}
}

func TestClusterRotationKeepsNodeSuffix(t *testing.T) {
	clk := newFakeClock()
	srv := newServer(t, WithNodes(2), WithClock(clk.Now))
	c := srv.Client()
	signIn(t, srv, c, 1001) // node 1
	a := signIn(t, srv, c, 1002)
	node := gateway.GuidNode(a.guid)
	clk.Advance(gateway.DefaultGuidInterval)
	old := a.guid
	wantRetcode(t, a.poll(t, srv, c), gateway.RetOK)
	if a.guid == old || gateway.GuidNode(a.guid) != node {
		t.Fatalf("rotated Guid node %d, want %d", gateway.GuidNode(a.guid), node)
	}
}
