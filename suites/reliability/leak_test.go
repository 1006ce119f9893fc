package reliability_test

import (
	"context"
	"testing"
	"time"

	"ccgw-harness/load"
	"ccgw-harness/mockgw"
	"ccgw-harness/mockgw/faultset"

	"go.uber.org/goleak"
)

// TestNoGoroutineLeakAfterRun: after load.Run returns — a complete run
// through resets, timeouts and a gateway restart in dynamic mode (so
// keep-alive polling, Guid rotation and re-sign-in all ran), and a run
// cancelled mid-attack as SIGINT does — and the mock and client are closed,
// no goroutine is left. Not parallel: goleak compares against the
// goroutines that existed when the test began.
func TestNoGoroutineLeakAfterRun(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	// Registered first, so it runs after every other cleanup (mock closed,
	// idle connections closed).
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })

	r := newRig(t, 20, 100, 2*time.Second, true)
	r.plan.Timeout = 300 * time.Millisecond
	// The restart comes after the attack's first 50 requests (half of its
	// 2 s), so the run sees it and its re-sign-ins however slow the machine.
	var restarted chan struct{}
	o, err := r.run(t, load.WithAttackStarted(func() {
		base := r.mock.Stats().Calls[mockgw.CallLoginInfo].Requests
		if err := r.mock.SetFaults(faultset.Faults{ResetRate: 0.02, StallRate: 0.02, StallFor: 2 * time.Second}); err != nil {
			t.Error(err)
		}
		restarted = make(chan struct{})
		go func() {
			defer close(restarted)
			if waitUntil(progressWait, func() bool { return r.mock.Stats().Calls[mockgw.CallLoginInfo].Requests >= base+50 }) {
				r.mock.Restart()
			}
		}()
	}))
	if restarted != nil {
		<-restarted
	}
	if err != nil {
		t.Fatalf("load.Run: %v", err)
	}
	if o.Meta.ReSignIns == 0 || o.Rotations == 0 || o.Report.Requests != 200 {
		t.Errorf("re-sign-ins %d, rotations %d, requests %d: the run did not exercise what it should", o.Meta.ReSignIns, o.Rotations, o.Report.Requests)
	}

	// A run cancelled mid-attack.
	r2 := newRig(t, 20, 100, 30*time.Second, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stopped chan struct{}
	o2, err := load.Run(ctx, r2.client, r2.target, r2.plan, r2.out, load.WithAttackStarted(func() {
		base := r2.mock.Stats().Calls[mockgw.CallLoginInfo].Requests
		stopped = make(chan struct{})
		go func() {
			defer close(stopped)
			defer cancel()
			waitUntil(progressWait, func() bool { return r2.mock.Stats().Calls[mockgw.CallLoginInfo].Requests >= base+20 })
		}()
	}))
	if stopped != nil {
		<-stopped
	}
	if err != nil {
		t.Fatalf("interrupted load.Run: %v", err)
	}
	if !o2.Meta.Interrupted || o2.Sent == 0 {
		t.Errorf("interrupted %v after %d requests: want an interrupted run", o2.Meta.Interrupted, o2.Sent)
	}
	for _, m := range []*mockgw.Server{r.mock, r2.mock} {
		if n := m.Stats().ActiveSessions; n != 0 {
			t.Errorf("%d sessions left", n)
		}
	}
	t.Logf("leak check: run 1 sent %d (re-sign-ins %d, rotations %d), run 2 interrupted after %d; goroutines checked after cleanup",
		o.Sent, o.Meta.ReSignIns, o.Rotations, o2.Sent)
}
