package dist

import (
	"context"
	"fmt"
	"strings"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/load"
	"ccgw-harness/metrics"
	"ccgw-harness/reports"
	"ccgw-harness/results"
)

// DefaultJudgeInterval is how often an abort_when rule is judged (and a
// single run takes the snapshot its windows come from).
const DefaultJudgeInterval = time.Second

// Rule is a plan's abort_when as a run judges it: the figures of the last
// Window of the whole run (every shard's together), judged every second
// once the measured attack has run a whole window, break it when more
// than ErrorRate of the window's requests failed or their p99 is above
// P99. A window without requests breaks nothing.
type Rule struct {
	ErrorRate *float64
	P99       time.Duration
	Window    time.Duration
}

// RuleOf is the rule of a plan's abort_when (nil: none).
func RuleOf(a *config.AbortWhen) *Rule {
	if a == nil {
		return nil
	}
	return &Rule{ErrorRate: a.ErrorRate, P99: a.P99, Window: a.Window}
}

// String describes the rule.
func (r *Rule) String() string {
	var parts []string
	if r.ErrorRate != nil {
		parts = append(parts, fmt.Sprintf("error rate above %s", pct(*r.ErrorRate)))
	}
	if r.P99 > 0 {
		parts = append(parts, fmt.Sprintf("p99 above %s", r.P99))
	}
	return strings.Join(parts, " or ") + " over the last " + r.Window.String()
}

// Judge says whether window w (the rule's window) breaks the rule, and
// how.
func (r *Rule) Judge(w *reports.Window) (string, bool) {
	if r == nil || w.Requests == 0 {
		return "", false
	}
	if r.ErrorRate != nil && w.ErrorRate() > *r.ErrorRate {
		return fmt.Sprintf("error rate %s over the last %s (%d of %d requests failed), above abort_when's %s",
			pct(w.ErrorRate()), r.Window, w.Errors, w.Requests, pct(*r.ErrorRate)), true
	}
	if p := w.Percentile(99); r.P99 > 0 && p > r.P99 {
		return fmt.Sprintf("p99 %s over the last %s (%d requests), above abort_when's %s",
			p.Round(time.Microsecond), r.Window, w.Requests, r.P99), true
	}
	return "", false
}

// Due reports whether the rule is judged at now for an attack that
// started at start (zero: not yet): once it has run a whole window.
func (r *Rule) Due(start, now time.Time) bool {
	return r != nil && !start.IsZero() && now.Sub(start) >= r.Window
}

func pct(x float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", x*100), "0"), ".0") + "%"
}

// history is the states of one aggregator taken over time, for windows.
type history struct {
	at     []time.Time
	states []*reports.State
}

// add records state s taken at at, keeping what windows of length keep
// still need.
func (h *history) add(at time.Time, s *reports.State, keep time.Duration) {
	h.at = append(h.at, at)
	h.states = append(h.states, s)
	// Keep the newest state at or before at-keep (a window's base) and
	// everything after it.
	cut := 0
	for i := range h.at {
		if !h.at[i].After(at.Add(-keep)) {
			cut = i
		}
	}
	if cut > 0 {
		h.at, h.states = h.at[cut:], h.states[cut:]
	}
}

// latest is the newest state (nil: none).
func (h *history) latest() *reports.State {
	if len(h.states) == 0 {
		return nil
	}
	return h.states[len(h.states)-1]
}

// base is the newest state taken at or before t (nil: none, the window
// counts from the aggregator's start).
func (h *history) base(t time.Time) *reports.State {
	var b *reports.State
	for i := range h.at {
		if !h.at[i].After(t) {
			b = h.states[i]
		}
	}
	return b
}

// WatchRule judges rule every DefaultJudgeInterval over the figures of a
// single run (job, counting into agg) and sends one Stop (by
// results.AbortedByRule) on stop when they break it. It returns when ctx
// ends; a run of one process calls it beside Job.Run, as the coordinator
// of a distributed run judges the run's merged figures.
func WatchRule(ctx context.Context, rule *Rule, job *load.Job, agg *reports.Aggregator, stop chan<- load.Stop, logf func(string, ...any)) {
	if rule == nil {
		return
	}
	tick := time.NewTicker(DefaultJudgeInterval)
	defer tick.Stop()
	var h history
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			st := job.Status()
			if st.Stage != metrics.StageMeasure {
				if st.Stage == metrics.StageFinish || st.Stage == metrics.StageDone {
					return
				}
				continue
			}
			h.add(now, agg.State(false), rule.Window)
			if !rule.Due(st.Started, now) {
				continue
			}
			var w reports.Window
			w.Add(h.latest(), h.base(now.Add(-rule.Window)))
			if why, broke := rule.Judge(&w); broke {
				logf("abort_when: %s: stopping the run", why)
				select {
				case stop <- load.Stop{Reason: why, By: results.AbortedByRule}:
				default:
				}
				return
			}
		}
	}
}
