package agents

import (
	"context"
	"testing"
	"time"

	"ccgw-harness/gateway"
	"ccgw-harness/internal/testscale"
	"ccgw-harness/load/loadtest"
	"ccgw-harness/mockgw"
	"ccgw-harness/mockgw/faultset"

	"go.uber.org/goleak"
)

// The pool's and keep-alive's own timing (session start, re-sign-in
// backoff, poll schedule) runs on a fake clock in these tests; the calls
// themselves are real HTTPS to an in-process mock over loopback.

const internalPassword = "internal-Pw-3k"

// leakCheck registers, before anything else of the test, a check that runs
// after every other cleanup: no goroutine the test started is left.
func leakCheck(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// mockEnv starts a mock (static authentication, documented timings unless
// extra options say otherwise) for n agents.
func mockEnv(t *testing.T, n int, extra ...mockgw.Option) *loadtest.Env {
	t.Helper()
	return loadtest.New(t, loadtest.Spec{Agents: n, Rate: 1, Duration: time.Second, Password: internalPassword}, extra...)
}

// signedInPool returns a pool of the env's agents on clock c, every one
// signed in (at c's time). Cleanup stops re-sign-in and signs them out.
func signedInPool(t *testing.T, le *loadtest.Env, c *fakeClock, opts ...PoolOption) *Pool {
	t.Helper()
	agents, err := le.Target.AgentList(le.Plan.Agents)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPool(le.Client, agents, opts...)
	if err != nil {
		t.Fatal(err)
	}
	p.clock = c
	sum, err := p.SignIn(context.Background())
	if err != nil || sum.SignedIn != len(agents) {
		t.Fatalf("sign-in: %v (%s)", err, sum)
	}
	t.Cleanup(func() { p.SignOut(context.Background()) })
	return p
}

// setFaults turns f on at the mock, failing the test when it refuses them.
func setFaults(t *testing.T, m *mockgw.Server, f faultset.Faults) {
	t.Helper()
	if err := m.SetFaults(f); err != nil {
		t.Fatalf("SetFaults: %v", err)
	}
}

// signIns is the mock's count of sign-in and forced sign-in requests.
func signIns(m *mockgw.Server) uint64 {
	st := m.Stats()
	return st.Calls[mockgw.CallSignIn].Requests + st.Calls[mockgw.CallForceLogin].Requests
}

// waitFor fails t unless cond holds within testscale.D(10s).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testscale.D(10 * time.Second))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", testscale.D(10*time.Second), what)
		}
		time.Sleep(2 * time.Millisecond) // polling a condition, bounded by the deadline
	}
}

// TestPoolLostReports: which reports of a lost session mark the agent gone
// and queue a re-sign-in. The queue is the pool's own, with no worker
// draining it, so what lost queued stays visible; lost never blocks, so
// each check follows its call deterministically.
func TestPoolLostReports(t *testing.T) {
	leakCheck(t)
	le := mockEnv(t, 4)
	c := newFakeClock()
	p := signedInPool(t, le, c)
	a, b, d, e := p.agents[0], p.agents[1], p.agents[2], p.agents[3]
	queued := func() []int {
		var ids []int
		for {
			select {
			case x := <-p.resignQ:
				ids = append(ids, x.id)
			default:
				return ids
			}
		}
	}

	// Re-sign-in not running: the agent is marked gone (Alive and the
	// keep-alive see it), nothing is queued.
	c.Advance(time.Millisecond)
	p.lost(a, c.Now(), nil)
	if !a.gone.Load() || a.resigning.Load() || p.Alive() != 3 {
		t.Fatalf("not running: gone %v resigning %v alive %d, want gone, not queued, 3 alive", a.gone.Load(), a.resigning.Load(), p.Alive())
	}

	// Running: a request answered 100-006 queues the agent once; a second
	// report while it is queued adds nothing.
	p.mu.Lock()
	p.running, p.resignQ, p.resignStop = true, make(chan *Agent, len(p.agents)), make(chan struct{})
	p.mu.Unlock()
	p.lost(b, c.Now(), nil)
	p.lost(b, c.Now(), nil)
	if q := queued(); len(q) != 1 || q[0] != b.id || !b.gone.Load() || !b.resigning.Load() {
		t.Fatalf("queued %v, gone %v resigning %v: want agent %d queued once", q, b.gone.Load(), b.resigning.Load(), b.id)
	}

	// A request sent before the agent's current session began is stale:
	// its 100-006 was for the old Guid.
	p.lost(d, time.Unix(0, d.signedAt.Load()-1), nil)
	if q := queued(); len(q) != 0 || d.gone.Load() {
		t.Fatalf("stale request report: queued %v, gone %v; want it ignored", q, d.gone.Load())
	}

	// A poll report names its session: one for a session the agent no
	// longer holds is stale, one for the current session counts.
	old := e.sess.Load()
	fresh, err := le.Client.ForceSignIn(context.Background(), e.id, gateway.SignInRequest{Password: e.password, PhoneNum: e.phone})
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Millisecond)
	e.setSession(fresh, c.Now())
	p.lost(e, time.Time{}, old)
	if q := queued(); len(q) != 0 || e.gone.Load() {
		t.Fatalf("poll report for a replaced session: queued %v, gone %v; want it ignored", q, e.gone.Load())
	}
	p.lost(e, time.Time{}, fresh)
	if q := queued(); len(q) != 1 || q[0] != e.id || !e.gone.Load() {
		t.Fatalf("poll report for the current session: queued %v, gone %v; want agent %d queued", q, e.gone.Load(), e.id)
	}

	// Stopped (the hand-made queue has no workers to wait for): nothing is
	// queued any more.
	p.StopReSignIn()
	for _, x := range p.agents {
		x.resigning.Store(false)
	}
	p.lost(d, c.Now(), nil)
	if q := queued(); len(q) != 0 || !d.gone.Load() {
		t.Fatalf("stopped: queued %v, gone %v", q, d.gone.Load())
	}
}

// TestPoolReSignInAndBackoff: a lost session is re-established by the
// re-sign-in workers; a failed attempt holds further attempts of that agent
// off for reSignInBackoff on the pool's clock, and reports of
// requests older than the new session are ignored.
func TestPoolReSignInAndBackoff(t *testing.T) {
	leakCheck(t)
	le := mockEnv(t, 2)
	c := newFakeClock()
	p := signedInPool(t, le, c)
	p.StartReSignIn()
	defer p.StopReSignIn()
	a, other := p.agents[0], p.agents[1]
	old := a.sess.Load()

	// The gateway loses every session and, for now, refuses sign-ins.
	le.Mock.Restart()
	setFaults(t, le.Mock, faultset.Faults{SignInFailRate: 1})
	c.Advance(time.Millisecond)
	failedAt := c.Now()
	p.lost(a, failedAt, nil)
	waitFor(t, "the failed re-sign-in", func() bool { return p.ReSignInFailures() == 1 && !a.resigning.Load() })
	if !a.gone.Load() || p.ReSignIns() != 0 || a.sess.Load() != old {
		t.Fatalf("after a failed re-sign-in: gone %v, re-sign-ins %d, session replaced %v", a.gone.Load(), p.ReSignIns(), a.sess.Load() != old)
	}
	if got, want := a.retryAt.Load(), failedAt.Add(reSignInBackoff).UnixNano(); got != want {
		t.Fatalf("retry not before +%v, want +%v (the backoff on the pool's clock)", time.Duration(got-c.start().UnixNano()), time.Duration(want-c.start().UnixNano()))
	}

	// Within the backoff a new 100-006 starts no attempt: lost returns
	// with nothing queued (a queued attempt would show as resigning until
	// it ends, and as a second failure once it has).
	before := signIns(le.Mock)
	c.Advance(reSignInBackoff - time.Millisecond)
	p.lost(a, c.Now(), nil)
	if a.resigning.Load() || p.ReSignInFailures() != 1 || signIns(le.Mock) != before {
		t.Fatalf("within the backoff: resigning %v, failures %d, mock sign-ins %d (was %d); want no attempt",
			a.resigning.Load(), p.ReSignInFailures(), signIns(le.Mock), before)
	}

	// Past the backoff, with the gateway accepting again: signed in again,
	// and the new Guid works on the gateway.
	setFaults(t, le.Mock, faultset.Faults{})
	c.Advance(time.Millisecond)
	p.lost(a, c.Now(), nil)
	waitFor(t, "the re-sign-in", func() bool { return p.ReSignIns() == 1 && !a.resigning.Load() })
	s := a.sess.Load()
	if s == old || a.gone.Load() || a.signedAt.Load() != c.Now().UnixNano() {
		t.Fatalf("after the re-sign-in: new session %v, gone %v, began at +%v (want +%v)",
			s != old, a.gone.Load(), time.Duration(a.signedAt.Load()-c.start().UnixNano()), c.Now().Sub(c.start()))
	}
	if _, err := le.Client.LoginInfo(context.Background(), s); err != nil {
		t.Fatalf("logininfo with the re-established session: %v", err)
	}
	if h := a.hdr.Load(); h == nil || h.guid != s.Guid() {
		t.Fatal("the targeter's header does not carry the new Guid")
	}

	// A request sent before the new session began was answered for the
	// old Guid: ignored. So is a report for the other agent's old request.
	p.lost(a, c.Now().Add(-time.Nanosecond), nil)
	p.lost(other, time.Unix(0, other.signedAt.Load()-1), nil)
	if a.gone.Load() || a.resigning.Load() || other.gone.Load() || p.ReSignIns() != 1 {
		t.Fatalf("stale reports: gone %v/%v resigning %v, re-sign-ins %d; want them ignored", a.gone.Load(), other.gone.Load(), a.resigning.Load(), p.ReSignIns())
	}
	if st := le.Mock.Stats(); st.SignIns != 2+1 {
		t.Errorf("mock sign-ins %d, want the 2 first and 1 re-sign-in", st.SignIns)
	}
}

// TestPoolStopReSignIn: StopReSignIn waits for a re-sign-in under way and
// drops the queued ones.
func TestPoolStopReSignIn(t *testing.T) {
	leakCheck(t)
	le := mockEnv(t, 2)
	c := newFakeClock()
	p := signedInPool(t, le, c, withReSignInConcurrency(1))
	p.StartReSignIn()
	a, b := p.agents[0], p.agents[1]

	// The one worker takes a; the mock holds its sign-in for a minute.
	le.Mock.Restart()
	setFaults(t, le.Mock, faultset.Faults{SignInLatency: time.Minute})
	before := signIns(le.Mock)
	c.Advance(time.Millisecond)
	p.lost(a, c.Now(), nil)
	waitFor(t, "agent a's re-sign-in under way at the mock", func() bool { return signIns(le.Mock) == before+1 })
	p.lost(b, c.Now(), nil) // queued behind it
	if !b.resigning.Load() {
		t.Fatal("agent b was not queued")
	}

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		p.StopReSignIn()
	}()
	waitFor(t, "the stop signalled", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return !p.running
	})
	// The worker is inside a's sign-in, which the mock holds: the stop
	// cannot have returned.
	select {
	case <-stopped:
		t.Fatal("StopReSignIn returned while a re-sign-in was under way")
	default:
	}
	// Closing the mock ends the held sign-in (it fails).
	le.Mock.Close()
	select {
	case <-stopped:
	case <-time.After(testscale.D(20 * time.Second)):
		t.Fatalf("StopReSignIn did not return within %v of the re-sign-in's end", testscale.D(20*time.Second))
	}
	if p.ReSignInFailures() != 1 || p.ReSignIns() != 0 || a.resigning.Load() || b.resigning.Load() || signIns(le.Mock) != before+1 {
		t.Errorf("failures %d re-sign-ins %d resigning a=%v b=%v mock sign-ins +%d: want a's attempt finished and b dropped unattempted",
			p.ReSignInFailures(), p.ReSignIns(), a.resigning.Load(), b.resigning.Load(), signIns(le.Mock)-before)
	}
	// Re-sign-in is off now: a report queues nothing.
	p.lost(b, c.Now(), nil)
	if b.resigning.Load() {
		t.Error("a report after StopReSignIn queued a re-sign-in")
	}
}
