package agents

import (
	"container/heap"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"sync/atomic"
	"testing"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/mockgw"
)

// recvWork returns the next agent the scheduler hands out, failing t when
// none comes within testscale.D(10s).
func recvWork(t *testing.T, work <-chan *Agent) *Agent {
	t.Helper()
	select {
	case a := <-work:
		return a
	case <-time.After(testscale.D(10 * time.Second)):
		t.Fatalf("the scheduler handed out no agent within %v", testscale.D(10*time.Second))
		return nil
	}
}

// noWork fails t when the scheduler has an agent ready. Call it once the
// scheduler is known to wait for a later due time (fakeClock.waitArmed):
// then it can hand out nothing before the clock moves or an agent comes
// back, so an empty channel now proves nothing is handed out early.
func noWork(t *testing.T, work <-chan *Agent, why string) {
	t.Helper()
	select {
	case a := <-work:
		t.Fatalf("agent %d handed out %s", a.id, why)
	default:
	}
}

// TestKeepAliveScheduleDueOrder drives the scheduler alone on the fake
// clock, the test playing the workers: it hands out agents when they are
// due and never earlier, always the earliest first, and while no worker is
// free due agents wait (the slot cap), an agent handed back due earlier
// going ahead of them.
func TestKeepAliveScheduleDueOrder(t *testing.T) {
	c := newFakeClock()
	t0 := c.Now()
	k := &KeepAlive{clock: c}
	ag := make([]*Agent, 6)
	for i := range ag {
		ag[i] = &Agent{id: 1001 + i}
	}
	h := dueHeap{
		{a: ag[0], at: t0.Add(30 * time.Millisecond)},
		{a: ag[1], at: t0.Add(10 * time.Millisecond)},
		{a: ag[2], at: t0.Add(20 * time.Millisecond)},
		{a: ag[3], at: t0.Add(20*time.Millisecond + time.Nanosecond)},
	}
	heap.Init(&h)
	work := make(chan *Agent)
	back := make(chan due) // unbuffered: a send returns once the scheduler has the agent
	ctx, cancel := context.WithCancel(context.Background())
	k.wg.Add(1)
	go k.schedule(ctx, &h, work, back)
	defer func() {
		cancel()
		k.wg.Wait()
	}()

	// Nothing before the earliest due time (+10ms, agent 1002).
	c.mustWaitArmed(t, t0.Add(10*time.Millisecond), "the earliest agent")
	noWork(t, work, "before its due time")
	c.Advance(10 * time.Millisecond)
	if a := recvWork(t, work); a != ag[1] {
		t.Fatalf("first handed out: agent %d, want 1002 (due first)", a.id)
	}
	c.mustWaitArmed(t, t0.Add(20*time.Millisecond), "the next agent")
	noWork(t, work, "before its due time")

	// Everything due at once: handed out in due order.
	c.Advance(time.Second)
	for _, want := range []*Agent{ag[2], ag[3], ag[0]} {
		if a := recvWork(t, work); a != want {
			t.Fatalf("handed out agent %d, want %d (due order)", a.id, want.id)
		}
	}

	// An agent handed back is scheduled at its new time.
	again := c.Now().Add(time.Second)
	back <- due{a: ag[1], at: again}
	c.mustWaitArmed(t, again, "the rescheduled agent")
	noWork(t, work, "before its new due time")

	// No worker free (the test takes nothing): due agents wait. One handed
	// back meanwhile, due earlier, goes first when a worker is free; one
	// due later waits for its time.
	c.Advance(2 * time.Second) // agent 1002 is due
	back <- due{a: ag[4], at: again.Add(-time.Millisecond)}
	back <- due{a: ag[5], at: c.Now().Add(time.Minute)}
	for _, want := range []*Agent{ag[4], ag[1]} {
		if a := recvWork(t, work); a != want {
			t.Fatalf("handed out agent %d, want %d (the earliest due)", a.id, want.id)
		}
	}
	c.mustWaitArmed(t, c.Now().Add(time.Minute), "the agent due in a minute")
	noWork(t, work, "a minute early")
}

// kaEnv is a keep-alive over a pool of n signed-in agents on a fake clock,
// with a fixed pause of one second (fake) between an agent's answer and its
// next poll, and slots concurrent polls. The polls are real HTTPS to the
// mock; httptrace counts the polls holding a connection at once.
type kaEnv struct {
	clock          *fakeClock
	pool           *Pool
	keep           *KeepAlive
	mock           *mockgw.Server
	inflight, peak atomic.Int64
}

const kaPause = time.Second

func newKAEnv(t *testing.T, n, slots int, mockOpts ...mockgw.Option) *kaEnv {
	t.Helper()
	le := mockEnv(t, n, mockOpts...)
	e := &kaEnv{clock: newFakeClock(), mock: le.Mock}
	e.pool = signedInPool(t, le, e.clock)
	var err error
	e.keep, err = NewKeepAlive(e.pool, le.Client, le.Target, WithMaxPolls(slots), withPollPause(kaPause, kaPause))
	if err != nil {
		t.Fatal(err)
	}
	if e.keep.Slots() != slots {
		t.Fatalf("slots %d, want %d", e.keep.Slots(), slots)
	}
	// A poll holds a connection from GotConn until the transport takes it
	// back (PutIdleConn, before the poller sees the end of the answer).
	trace := &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			n := e.inflight.Add(1)
			for p := e.peak.Load(); n > p && !e.peak.CompareAndSwap(p, n); p = e.peak.Load() {
			}
		},
		PutIdleConn: func(error) { e.inflight.Add(-1) },
	}
	e.keep.Start(httptrace.WithClientTrace(context.Background(), trace))
	t.Cleanup(e.keep.Stop) // before the pool's sign-out (cleanups run last first)
	return e
}

// pollStats is the mock's poll requests and answers by retcode.
func pollStats(m *mockgw.Server) (requests uint64, retcodes map[string]uint64) {
	cs := m.Stats().Calls[mockgw.CallPoll]
	return cs.Requests, cs.Retcodes
}

// TestKeepAlivePollsOncePerPauseWithinSlots: on the fake clock, no agent
// polls before its pause has passed; then every agent polls exactly once,
// never more than the slots at once although all are due together and the
// mock holds each poll; and again after the next pause.
func TestKeepAlivePollsOncePerPauseWithinSlots(t *testing.T) {
	leakCheck(t)
	const n, slots = 6, 2
	// Each poll is held 50 ms (real time) by the mock: with more workers
	// than slots, polls of agents due together would overlap.
	e := newKAEnv(t, n, slots, mockgw.WithPollWait(50*time.Millisecond))
	t0 := e.clock.Now()

	e.clock.mustWaitArmed(t, t0.Add(kaPause), "the first polls")
	if req, _ := pollStats(e.mock); req != 0 || e.keep.Polls() != 0 {
		t.Fatalf("%d polls before the first pause passed", req)
	}
	for round := 1; round <= 2; round++ {
		e.clock.Advance(kaPause)
		waitFor(t, "a poll of every agent", func() bool { return e.keep.Polls() == int64(round*n) })
		// Every agent is next due a pause after its answer, on the fake
		// clock that has not moved: nothing else can be polled now.
		req, rc := pollStats(e.mock)
		if req != uint64(round*n) || rc[gateway.RetOK] != uint64(round*n) || e.keep.Failures() != 0 {
			t.Fatalf("round %d: the mock saw %d polls (%v answered 0), keep-alive failures %d; want %d, all answered",
				round, req, rc[gateway.RetOK], e.keep.Failures(), round*n)
		}
		if p := e.peak.Load(); p < 1 || p > slots {
			t.Fatalf("round %d: %d polls at once, want 1..%d (the slots)", round, p, slots)
		}
	}
}

// TestKeepAliveHandsLostSessionsToPool: a poll answered 100-006 (here: the
// gateway restarted while it was held) hands the agent to the pool, which
// signs it in again; the agent's next poll, a pause later on the fake
// clock, carries its new session.
func TestKeepAliveHandsLostSessionsToPool(t *testing.T) {
	leakCheck(t)
	const n = 3
	e := newKAEnv(t, n, n, mockgw.WithPollWait(time.Minute))
	e.pool.StartReSignIn()
	t0 := e.clock.Now()
	old := make([]*gateway.Session, n)
	for i, a := range e.pool.agents {
		old[i] = a.sess.Load()
	}

	e.clock.Advance(kaPause)
	waitFor(t, "every agent's poll held by the mock", func() bool { req, _ := pollStats(e.mock); return req == n })
	e.mock.Restart() // answers the held polls 100-006
	waitFor(t, "every agent signed in again", func() bool { return e.pool.ReSignIns() == n && e.pool.Alive() == n })
	if f := e.keep.Failures(); f != n {
		t.Errorf("keep-alive failures %d, want %d (the polls the restart ended)", f, n)
	}
	for i, a := range e.pool.agents {
		if a.sess.Load() == old[i] {
			t.Errorf("agent %d kept its lost session", a.id)
		}
	}
	// Rescheduled a pause (pauseMax) after the failed poll: not before.
	e.clock.mustWaitArmed(t, t0.Add(2*kaPause), "the polls after the failure")
	if req, _ := pollStats(e.mock); req != n {
		t.Fatalf("%d polls before the pause after the failure passed, want %d", req, n)
	}
	e.clock.Advance(kaPause)
	waitFor(t, "every agent's new poll held", func() bool { req, _ := pollStats(e.mock); return req == 2*n })
	if _, rc := pollStats(e.mock); rc[gateway.RetNotSignedIn] != n || rc[gateway.RetOK] != 0 {
		t.Errorf("poll answers %v: want the %d restart answers 100-006 and the new polls held", rc, n)
	}
}

// TestKeepAliveStopLetsAnswersArrive: Stop does not cut a poll whose answer
// is on its way. The gateway (an httptest TLS server) answers an event poll
// 200 ms after it arrives, rotating the Guid; Stop is called as soon as the
// poll arrived. The agent must hold the rotated Guid afterwards (the one
// its sign-out needs), and the gateway must not have seen the poll
// cancelled. On a machine so loaded that Stop runs after the answer the
// test proves less, but cannot fail.
func TestKeepAliveStopLetsAnswersArrive(t *testing.T) {
	const rotated = "22222222-0000-4000-8000-000000000000.AgentGateway1"
	arrived := make(chan struct{}, 1)
	var cancelled atomic.Bool
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(gateway.HeaderContentType, gateway.ContentTypeJSON)
		if r.Method == http.MethodPut {
			w.Header().Set(gateway.HeaderSetGuid, gateway.FormatSetGuid("11111111-0000-4000-8000-000000000000.AgentGateway1"))
			io.WriteString(w, `{"message":"success","retcode":"0","result":{}}`)
			return
		}
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-time.After(200 * time.Millisecond): // a slow gateway's answer
		case <-r.Context().Done():
			cancelled.Store(true)
			return
		}
		w.Header().Set(gateway.HeaderSetGuid, gateway.FormatSetGuid(rotated))
		io.WriteString(w, `{"message":"","retcode":"0","event":null}`)
	}))
	defer srv.Close()
	c, err := gateway.NewClient(srv.URL, gateway.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPool(c, []config.Agent{{ID: 1001, PhoneNum: "71001", Password: "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := p.SignIn(context.Background()); err != nil || sum.SignedIn != 1 {
		t.Fatalf("sign-in: %s %v", sum, err)
	}
	tgt := &config.Target{Name: "h", AuthMode: gateway.AuthDynamic, GuidInterval: time.Minute, GuidTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute, PollWait: time.Second}
	k, err := NewKeepAlive(p, c, tgt, withPollPause(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	k.Start(context.Background())
	select {
	case <-arrived:
	case <-time.After(testscale.D(10 * time.Second)):
		k.Stop()
		t.Fatal("no event poll arrived within 10s")
	}
	k.Stop()
	if cancelled.Load() {
		t.Error("Stop cancelled the poll whose answer was on its way")
	}
	if g := p.agents[0].sess.Load().Guid(); g != rotated {
		t.Errorf("after Stop the agent holds Guid %s, want the rotated %s", gateway.Mask(g), gateway.Mask(rotated))
	}
}
