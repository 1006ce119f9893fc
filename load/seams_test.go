package load_test

import (
	"context"
	"testing"
	"time"

	"ccgw-harness/load"
	"ccgw-harness/metrics"
	"ccgw-harness/reports"
	"ccgw-harness/results"
)

// TestStopDuringAttack: a Stop in the middle of a 30 s attack ends it: the
// run signs its agents out and writes its reports, aborted with the
// Stop's reason and by, not interrupted; the aggregator the caller gave
// holds every recorded result; Status followed the run's stages.
func TestStopDuringAttack(t *testing.T) {
	noLeaks(t)
	e := newEnv(t, 4, 50, 30*time.Second, false)
	stop := make(chan load.Stop, 1)
	agg := reports.NewAggregator()
	job, err := load.NewJob(e.target, e.plan, e.out, load.WithStop(stop), load.WithAggregator(agg))
	if err != nil {
		t.Fatal(err)
	}
	if s := job.Status(); s.Stage != metrics.StageOpen || !s.Started.IsZero() {
		t.Errorf("status before the run: %+v", s)
	}
	done := make(chan *load.Outcome, 1)
	go func() {
		o, err := job.Run(context.Background(), e.client, e.target)
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- o
	}()
	eventually(t, progressWait, "the attack to record 20 requests", func() bool {
		s := job.Status()
		return s.Stage == metrics.StageMeasure && !s.Started.IsZero() && agg.Snapshot().Requests >= 20 && s.Alive == 4
	})
	t0 := time.Now()
	stop <- load.Stop{Reason: "error rate 60% over the last 2s, above 20%", By: results.AbortedByRule}
	var o *load.Outcome
	select {
	case o = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the run did not end within a minute of its Stop")
	}
	t.Logf("stopped %s after the Stop, %d requests sent", time.Since(t0).Round(time.Millisecond), o.Sent)
	if o.Meta.Aborted != "error rate 60% over the last 2s, above 20%" || o.Meta.AbortedBy != results.AbortedByRule || o.Meta.Interrupted {
		t.Errorf("meta: aborted %q by %q, interrupted %v", o.Meta.Aborted, o.Meta.AbortedBy, o.Meta.Interrupted)
	}
	if o.Sent >= 1500 || o.Report.Pass || o.Report.Requests != agg.Snapshot().Requests || o.Report.Requests != o.Recorded {
		t.Errorf("sent %d of 1500, pass %v, report %d requests, aggregator %d, recorded %d",
			o.Sent, o.Report.Pass, o.Report.Requests, agg.Snapshot().Requests, o.Recorded)
	}
	if o.SignOut.SignedOut != 4 || e.mock.Stats().ActiveSessions != 0 {
		t.Errorf("sign-out %s, mock sessions %d: want all 4 agents signed out", o.SignOut, e.mock.Stats().ActiveSessions)
	}
	if s := job.Status(); s.Stage != metrics.StageDone {
		t.Errorf("status after the run: %+v", s)
	}
}

// TestStopAtTheGate: a Stop while the run waits at its start gate ends it
// before any measured request, signed out, aborted as the Stop says.
func TestStopAtTheGate(t *testing.T) {
	noLeaks(t)
	e := newEnv(t, 2, 20, 5*time.Second, false)
	stop := make(chan load.Stop, 1)
	atGate := make(chan struct{})
	gate := func(ctx context.Context) (time.Time, error) {
		close(atGate)
		<-ctx.Done()
		return time.Time{}, ctx.Err()
	}
	done := make(chan *load.Outcome, 1)
	go func() {
		o, err := load.Run(context.Background(), e.client, e.target, e.plan, e.out, load.WithStop(stop), load.WithStartGate(gate))
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- o
	}()
	select {
	case <-atGate:
	case <-time.After(time.Minute):
		t.Fatal("the run never reached its gate")
	}
	stop <- load.Stop{Reason: "lost the coordinator", By: results.AbortedByCoordinator}
	o := <-done
	if o.Sent != 0 || o.Meta.AbortedBy != results.AbortedByCoordinator || o.Meta.Interrupted || o.SignOut.SignedOut != 2 {
		t.Errorf("sent %d, aborted %q by %q, interrupted %v, sign-out %s", o.Sent, o.Meta.Aborted, o.Meta.AbortedBy, o.Meta.Interrupted, o.SignOut)
	}
}
