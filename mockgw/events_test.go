package mockgw

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/mockgw/faultset"
)

func TestPollRotatesGuidInDynamicMode(t *testing.T) {
	clk := newFakeClock()
	srv := newServer(t, WithClock(clk.Now), WithPollWait(20*time.Millisecond))
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	first := a.guid

	// Younger than GUIDINTERVAL: the poll is held and answers without a new Guid.
	clk.Advance(30 * time.Second)
	rep := a.poll(t, srv, c)
	wantRetcode(t, rep, gateway.RetOK)
	if string(rep.body) != `{"message":"","retcode":"0"}` {
		t.Errorf("poll body %q, want exactly the gateway's idle answer", rep.body)
	}
	if rep.header.Get(gateway.HeaderSetGuid) != "" {
		t.Fatal("rotated before GUIDINTERVAL")
	}

	// Past GUIDINTERVAL: the poll answers at once with Set-GUID.
	clk.Advance(31 * time.Second) // t0+61s
	rep = a.poll(t, srv, c)
	wantRetcode(t, rep, gateway.RetOK)
	if a.guid == first {
		t.Fatal("no rotation after GUIDINTERVAL")
	}
	if !strings.HasPrefix(rep.header.Get(gateway.HeaderSetGuid), "JSESSIONID=") || gateway.GuidNode(a.guid) != 1 {
		t.Fatalf("Set-GUID %s: want JSESSIONID=<uuid>.AgentGateway1", gateway.Mask(rep.header.Get(gateway.HeaderSetGuid)))
	}
	old := &agent{id: a.id, phone: a.phone, guid: first}
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetOK)
	wantRetcode(t, old.loginInfo(t, srv, c), gateway.RetOK) // within GUIDTIMEOUT of its issue

	clk.Advance(58 * time.Second) // t0+119s: old still valid
	wantRetcode(t, old.loginInfo(t, srv, c), gateway.RetOK)
	clk.Advance(2 * time.Second) // t0+121s: old expired, new alive (last poll t0+61s)
	wantRetcode(t, old.loginInfo(t, srv, c), gateway.RetNotSignedIn)
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetOK)
	if st := srv.Stats(); st.Rotations != 1 {
		t.Errorf("rotations %d, want 1", st.Rotations)
	}
}

func TestPollAnswersWhenRotationBecomesDueDuringHold(t *testing.T) {
	srv := newServer(t, WithGuidInterval(200*time.Millisecond), WithPollWait(30*time.Second))
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	first := a.guid
	start := time.Now()
	rep := a.poll(t, srv, c)
	took := time.Since(start)
	wantRetcode(t, rep, gateway.RetOK)
	if a.guid == first {
		t.Fatal("held poll did not rotate")
	}
	// The poll is answered when the Guid turns 200 ms old, not after the
	// 30 s poll wait: 10 s (times the scale) tells the two apart.
	if took > testscale.D(10*time.Second) {
		t.Fatalf("held poll took %v, want about the Guid interval", took)
	}
}

func TestPollHoldsForPollWait(t *testing.T) {
	srv := newServer(t, WithAuthMode(gateway.AuthStatic), WithPollWait(150*time.Millisecond))
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	start := time.Now()
	rep := a.poll(t, srv, c)
	if took := time.Since(start); took < 140*time.Millisecond {
		t.Fatalf("idle poll answered after %v, want the poll wait (150ms)", took)
	}
	wantRetcode(t, rep, gateway.RetOK)
}

func TestPollErrors(t *testing.T) {
	srv := newServer(t, WithPollWait(10*time.Millisecond))
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	b := signIn(t, srv, c, 1002)
	get := func(seg string, guid *string) reply {
		return mustDo(t, c, srv.URL(), req{method: http.MethodGet, path: gateway.PathPrefix + "/agentevent/" + seg, guid: guid})
	}
	wantRetcode(t, get("12x", &a.guid), gateway.RetBadParam)
	wantRetcode(t, get("1001", nil), gateway.RetNoPermission)
	wantRetcode(t, get("1001", &b.guid), gateway.RetNoPermission)
	wantRetcode(t, get("1001", ptr("zzz")), gateway.RetNotSignedIn)
	wantRetcode(t, get("1001", &a.guid), gateway.RetOK)
}

func TestHeldPollEndsWithSession(t *testing.T) {
	srv := newServer(t, WithAuthMode(gateway.AuthStatic), WithPollWait(time.Minute))
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	done := make(chan reply, 1)
	go func() { done <- a.poll(goroutineTB{t}, srv, c) }()
	eventually(t, 5*time.Second, "poll is held", func() bool { return srv.Stats().Calls[CallPoll].Requests == 1 })
	signInPath(t, srv, c, 1001, gateway.ForceLoginPath(1001), nil)
	select {
	case rep := <-done:
		wantRetcode(t, rep, gateway.RetNotSignedIn)
	case <-time.After(testscale.D(10 * time.Second)):
		t.Fatal("held poll did not end when its session was replaced")
	}
}

func TestHeldPollEndsWhenClientGoesAway(t *testing.T) {
	srv := newServer(t, WithAuthMode(gateway.AuthStatic), WithPollWait(time.Minute))
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	ctx, cancel := context.WithCancel(context.Background())
	type outcome struct {
		rep reply
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		rep, err := do(goroutineTB{t}, c, srv.URL(), req{method: http.MethodGet, path: gateway.EventPath(a.id), guid: &a.guid, ctx: ctx})
		done <- outcome{rep, err}
	}()
	eventually(t, 5*time.Second, "poll is held", func() bool { return srv.Stats().Calls[CallPoll].Requests == 1 })
	cancel()
	// The client sees its cancellation, or, when the transport read the
	// mock's reaction first, the answer of a handler whose request ended:
	// no envelope. Never the held poll's answer.
	if o := <-done; o.err == nil && len(o.rep.body) != 0 {
		t.Fatalf("cancelled poll answered %d %q", o.rep.status, o.rep.body)
	}
	// The handler ends with the request: the server's tracked operations drain.
	eventually(t, 5*time.Second, "held poll released", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.heldOps() == 0
	})
}

func TestIdleSignOut(t *testing.T) {
	clk := newFakeClock()
	srv := newServer(t, WithClock(clk.Now), WithAuthMode(gateway.AuthStatic), WithPollWait(5*time.Millisecond))
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	b := signIn(t, srv, c, 1002)
	// Polling keeps a alive across several idle timeouts; b never polls.
	for range 3 {
		clk.Advance(100 * time.Second)
		wantRetcode(t, a.poll(t, srv, c), gateway.RetOK)
	}
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetOK)
	wantRetcode(t, b.loginInfo(t, srv, c), gateway.RetNotSignedIn)
	st := srv.Stats()
	if st.IdleSignOuts != 1 || st.ActiveSessions != 1 {
		t.Errorf("idle sign-outs %d active %d, want 1 1", st.IdleSignOuts, st.ActiveSessions)
	}
	// The sweeper signs idle agents out without any request for them.
	clk.Advance(121 * time.Second)
	eventually(t, 5*time.Second, "sweeper signs a out", func() bool { return srv.stats.active.Load() == 0 })
	if st := srv.Stats(); st.IdleSignOuts != 2 {
		t.Errorf("idle sign-outs %d, want 2", st.IdleSignOuts)
	}
	// Signed out for idleness, the agent may sign in again.
	signIn(t, srv, c, 1002)
}

func TestStaticModeNeverRotates(t *testing.T) {
	clk := newFakeClock()
	srv := newServer(t, WithClock(clk.Now), WithAuthMode(gateway.AuthStatic), WithPollWait(5*time.Millisecond),
		WithFaults(faultset.Faults{RotateEveryPoll: true}))
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	first := a.guid
	for range 40 { // 40 x 100 s: far past GUIDINTERVAL and GUIDTIMEOUT
		clk.Advance(100 * time.Second)
		rep := a.poll(t, srv, c)
		wantRetcode(t, rep, gateway.RetOK)
		if rep.header.Get(gateway.HeaderSetGuid) != "" {
			t.Fatal("static mode rotated the Guid")
		}
	}
	if a.guid != first {
		t.Fatal("Guid changed")
	}
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetOK)
	if st := srv.Stats(); st.Rotations != 0 {
		t.Errorf("rotations %d, want 0", st.Rotations)
	}
}

func TestUpdateGuid(t *testing.T) {
	clk := newFakeClock()
	srv := newServer(t, WithClock(clk.Now), WithPollWait(5*time.Millisecond))
	c := srv.Client()
	a := signIn(t, srv, c, 1001)
	old := *a
	rep := mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.UpdateGuidPath(a.id), guid: &a.guid})
	wantRetcode(t, rep, gateway.RetOK)
	var res gateway.UpdateGuidResult
	decodeJSON(t, rep.env.Result, &res)
	sg, err := gateway.ParseSetGuid(rep.header.Get(gateway.HeaderSetGuid))
	if err != nil || sg.Guid != res.Guid || res.Guid == a.guid || sg.Node != 1 {
		t.Fatalf("updateGuid: result and Set-GUID disagree or unchanged (err %v)", err)
	}
	a.guid = res.Guid
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetOK)
	wantRetcode(t, old.loginInfo(t, srv, c), gateway.RetOK)
	clk.Advance(60 * time.Second)
	a.poll(t, srv, c) // keep the agent alive (may rotate again)
	clk.Advance(61 * time.Second)
	wantRetcode(t, old.loginInfo(t, srv, c), gateway.RetNotSignedIn)
	wantRetcode(t, a.loginInfo(t, srv, c), gateway.RetOK)

	wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.UpdateGuidPath(a.id)}), gateway.RetNoPermission)
	wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.UpdateGuidPath(a.id), guid: &old.guid}), gateway.RetNotSignedIn)
	wantRetcode(t, mustDo(t, c, srv.URL(), req{method: http.MethodPut, path: gateway.PathPrefix + "/onlineagent/1x/updateGuid", guid: &a.guid}), gateway.RetBadParam)
	var raw map[string]json.RawMessage
	decodeJSON(t, rep.body, &raw)
	if _, ok := raw["result"]; !ok {
		t.Error("updateGuid answer has no result")
	}
}
