package agents

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
)

// Keep-alive defaults. A real agent client long-polls its events and polls
// again 200-500 ms after each answer; the pause shrinks when the target's
// Guid or idle timings leave less room (see KeepAlive).
const (
	// DefaultPollPauseMin and DefaultPollPauseMax bound the pause after an
	// answer before the agent's next poll.
	DefaultPollPauseMin = 200 * time.Millisecond
	DefaultPollPauseMax = 500 * time.Millisecond
	// DefaultMaxPolls caps the event polls outstanding at once (see
	// KeepAlive); it is raised automatically when the pool needs more to
	// keep every session alive.
	DefaultMaxPolls = 1024
	// PollTimeoutMargin is added to the target's poll wait to bound one
	// poll.
	PollTimeoutMargin = 15 * time.Second
	// stopGrace is how long Stop lets the polls under way finish
	// before it cancels them: an answer already on its way may carry a
	// rotated Guid (Set-GUID), and a Guid the gateway rotated but the agent
	// never saw could expire before the sign-out that follows.
	stopGrace = 2 * time.Second
)

// KeepAliveOption configures a KeepAlive.
type KeepAliveOption func(*KeepAlive)

// WithMaxPolls sets the cap on event polls outstanding at once (default
// DefaultMaxPolls, raised to what the pool needs; an explicit value is kept
// as given, with a warning when it is too low).
func WithMaxPolls(n int) KeepAliveOption {
	return func(k *KeepAlive) {
		if n > 0 {
			k.maxPolls, k.maxPollsSet = n, true
		}
	}
}

// withPollPause sets the pause between an answer and the agent's next poll
// (a random duration in [min, max]).
func withPollPause(min, max time.Duration) KeepAliveOption {
	return func(k *KeepAlive) {
		if min > 0 && max >= min {
			k.pauseMin, k.pauseMax, k.pauseSet = min, max, true
		}
	}
}

// KeepAlive keeps the pool's sessions alive the way a real agent client
// does: per agent an event long poll, then the next one a short random pause
// after each answer. A Set-GUID on a poll answer switches the agent's Guid
// atomically (the gateway client does it in the Session) and the Targeter
// picks it up at once; cookies set by the gateway are replayed. A poll
// answered 100-006, 100-008 or 000-003 (gateway.SessionGone) hands the
// agent to the pool for re-sign-in; polling resumes with the new session.
//
// Polls go through the agents' connection pool (sign-in, sign-out, polls:
// see NewClient), never the attack's.
//
// Cap on concurrent polls: each outstanding long poll holds a connection
// (HTTP/1.1) and a worker goroutine. Polls are therefore run by at most
// `slots` workers fed by one scheduler ordered by each agent's next due time.
// With no more agents than slots (the default cap is DefaultMaxPolls), every
// agent polls continuously, exactly like a real client. For a bigger pool the
// slots are raised to what keeps every session alive: each slot completes at
// least one poll per poll wait, and each agent must poll at least twice per
// budget (the idle timeout, and in dynamic mode guid_timeout -
// guid_interval), so slots >= agents × poll_wait / (budget/2). Agents beyond
// the slots then poll as often as the slots allow rather than continuously.
type KeepAlive struct {
	pool   *Pool
	client *gateway.Client
	poller Poller // the polls (see Poller), recorded into the pool's calls

	slots              int
	maxPolls           int
	maxPollsSet        bool
	pauseMin, pauseMax time.Duration
	pauseSet           bool
	warnings           []string
	clock              clock // nil: the real clock (tests set a fake one)

	polls, rotations, failures atomic.Int64

	mu     sync.Mutex
	cancel context.CancelFunc // cancels the polls under way
	stop   context.CancelFunc // stops handing out polls
	idle   sync.WaitGroup     // the workers, done when none polls any more
	wg     sync.WaitGroup
}

// NewKeepAlive plans the polling of the pool's agents for target t. The
// polls go through c's connections: give it a pool of its own, not the
// attack's, that keeps at least Slots() idle connections (see NewClient).
func NewKeepAlive(p *Pool, c *gateway.Client, t *config.Target, opts ...KeepAliveOption) (*KeepAlive, error) {
	k := &KeepAlive{pool: p, clock: p.clock, maxPolls: DefaultMaxPolls, pauseMin: DefaultPollPauseMin, pauseMax: DefaultPollPauseMax}
	for _, o := range opts {
		o(k)
	}
	budget := SessionBudget(t)
	if !k.pauseSet {
		k.pauseMax = min(DefaultPollPauseMax, max(budget/4, 5*time.Millisecond))
		k.pauseMin = min(DefaultPollPauseMin, max(k.pauseMax*2/5, time.Millisecond))
	}
	if t.PollWait+k.pauseMax > budget*3/4 {
		k.warnings = append(k.warnings, fmt.Sprintf(
			"keep-alive: poll wait %s + pause %s leaves little room within %s (%s): sessions may expire between polls",
			t.PollWait, k.pauseMax, budget, budgetWhat(t)))
	}
	n := max(p.Size(), 1)
	need := n
	if t.PollWait > 0 {
		need = int(int64(n)*int64(t.PollWait)/int64(max(budget/2, time.Millisecond))) + 1
	}
	switch {
	case k.maxPollsSet:
		k.slots = min(n, k.maxPolls)
		if k.slots < min(n, need) {
			k.warnings = append(k.warnings, fmt.Sprintf(
				"keep-alive: %d concurrent polls for %d agents may be too few to keep every session alive (about %d needed)", k.slots, n, need))
		}
	default:
		k.slots = min(n, max(k.maxPolls, need))
		if k.slots < n {
			k.warnings = append(k.warnings, fmt.Sprintf(
				"keep-alive: %d agents share %d concurrent event polls (each agent polls less often than a real client would)", n, k.slots))
		}
	}
	// The polls go through c's connections, with a timeout that fits the
	// long poll.
	pc, err := gateway.NewClient(c.BaseURL(), gateway.WithHTTPClient(c.HTTPClient()), gateway.WithTimeout(t.PollWait+PollTimeoutMargin))
	if err != nil {
		return nil, fmt.Errorf("keep-alive: %w", err)
	}
	k.client = pc
	k.poller = Poller{hc: c.HTTPClient(), timeout: t.PollWait + PollTimeoutMargin}
	return k, nil
}

// SessionBudget is how long an agent may go without an event poll before its
// session is at risk: the idle timeout, and in dynamic mode also the time a
// rotated-out Guid stays valid after it could have been rotated
// (guid_timeout - guid_interval).
func SessionBudget(t *config.Target) time.Duration {
	b := t.IdleTimeout
	if b <= 0 {
		b = gateway.DefaultIdleTimeout
	}
	if t.AuthMode == gateway.AuthDynamic {
		if d := t.GuidTimeout - t.GuidInterval; d < b {
			b = d
		}
	}
	return max(b, 10*time.Millisecond)
}

func budgetWhat(t *config.Target) string {
	if t.AuthMode == gateway.AuthDynamic && t.GuidTimeout-t.GuidInterval < t.IdleTimeout {
		return "guid_timeout - guid_interval"
	}
	return "idle_timeout"
}

// Slots is the number of event polls that may be outstanding at once.
func (k *KeepAlive) Slots() int { return k.slots }

// Pause is the range of the pause between an answer and the next poll.
func (k *KeepAlive) Pause() (min, max time.Duration) { return k.pauseMin, k.pauseMax }

// Warnings are the planning warnings (for the run's summary).
func (k *KeepAlive) Warnings() []string { return append([]string(nil), k.warnings...) }

// Polls counts the event polls made.
func (k *KeepAlive) Polls() int64 { return k.polls.Load() }

// Rotations counts the Guid switches the polls brought (Set-GUID).
func (k *KeepAlive) Rotations() int64 { return k.rotations.Load() }

// Failures counts the polls that failed (transport error or a non-success
// answer).
func (k *KeepAlive) Failures() int64 { return k.failures.Load() }

// due is one agent's next poll time.
type due struct {
	a  *Agent
	at time.Time
}

// dueHeap orders agents by their next poll time (container/heap).
type dueHeap []due

// Len implements heap.Interface.
func (h dueHeap) Len() int { return len(h) }

// Less implements heap.Interface.
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }

// Swap implements heap.Interface.
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// Push implements heap.Interface.
func (h *dueHeap) Push(x any) { *h = append(*h, x.(due)) }

// Pop implements heap.Interface.
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Start starts polling for every agent the pool signed in; the first polls
// are spread over the pause range. Stop ends it.
func (k *KeepAlive) Start(ctx context.Context) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cancel != nil {
		return
	}
	ctx, k.cancel = context.WithCancel(ctx)
	sched, stop := context.WithCancel(ctx)
	k.stop = stop
	k.poller.calls = k.pool.calls
	agents := k.pool.live
	h := make(dueHeap, 0, len(agents))
	now := clockNow(k.clock)
	for _, a := range agents {
		h = append(h, due{a: a, at: now.Add(k.pause())})
	}
	heap.Init(&h)
	work := make(chan *Agent)
	back := make(chan due, len(agents))
	k.wg.Add(1)
	go k.schedule(sched, &h, work, back)
	for range k.slots {
		k.wg.Add(1)
		k.idle.Add(1)
		go k.worker(sched, ctx, work, back)
	}
}

// Stop ends polling: no poll starts any more, the polls under way get up
// to stopGrace to be answered (an answer may bring a rotated Guid
// that the sign-out which follows needs), then those still held are
// cancelled (the Guid the agent holds stays valid for the sign-out). It
// waits for every goroutine of the keep-alive.
func (k *KeepAlive) Stop() {
	k.mu.Lock()
	cancel, stop := k.cancel, k.stop
	k.mu.Unlock()
	if cancel == nil {
		return
	}
	stop()
	idle := make(chan struct{})
	go func() {
		k.idle.Wait()
		close(idle)
	}()
	// The grace bounds a wait for the network, so it is real time even on
	// a test's fake clock.
	t := time.NewTimer(stopGrace)
	select {
	case <-idle:
	case <-t.C:
	}
	t.Stop()
	cancel()
	k.wg.Wait()
}

func (k *KeepAlive) pause() time.Duration {
	span := k.pauseMax - k.pauseMin
	if span <= 0 {
		return k.pauseMin
	}
	return k.pauseMin + rand.N(span)
}

// schedule hands agents to the workers when their poll is due, in due order;
// when every worker is busy, due agents wait (the cap).
func (k *KeepAlive) schedule(ctx context.Context, h *dueHeap, work chan<- *Agent, back <-chan due) {
	defer k.wg.Done()
	timer := clockTimerOf(k.clock, time.Hour)
	defer timer.Stop()
	for {
		var send chan<- *Agent
		var head *Agent
		var tick <-chan time.Time
		if h.Len() > 0 {
			if d := (*h)[0].at.Sub(clockNow(k.clock)); d <= 0 {
				send, head = work, (*h)[0].a
			} else {
				timer.Reset(d)
				tick = timer.C()
			}
		}
		select {
		case <-ctx.Done():
			return
		case send <- head:
			heap.Pop(h)
		case <-tick:
		case d := <-back:
			heap.Push(h, d)
		}
	}
}

// worker polls the agents it is handed and reschedules each, until sched
// ends; its polls run on ctx, which ends later (see Stop).
func (k *KeepAlive) worker(sched, ctx context.Context, work <-chan *Agent, back chan<- due) {
	defer k.wg.Done()
	defer k.idle.Done()
	sc := NewScratch()
	for {
		select {
		case <-sched.Done():
			return
		case a := <-work:
			wait := k.pollOnce(ctx, a, sc)
			select {
			case back <- due{a: a, at: clockNow(k.clock).Add(wait)}:
			case <-sched.Done():
				return
			}
		}
	}
}

// pollOnce makes one event poll for a (sc is the worker's scratch) and
// returns the pause before its next one.
func (k *KeepAlive) pollOnce(ctx context.Context, a *Agent, sc *Scratch) time.Duration {
	s := a.sess.Load()
	if s == nil || a.gone.Load() {
		// Signed out or waiting for a re-sign-in: look again shortly.
		return k.pause()
	}
	out := k.poller.Poll(ctx, a, s, sc, nil)
	if !out.Answered {
		return 0
	}
	k.polls.Add(1)
	if out.Rotated {
		k.rotations.Add(1)
	}
	if !out.Verdict.OK() {
		k.failures.Add(1)
		if out.Verdict.SessionGone() {
			k.pool.lost(a, time.Time{}, s)
		}
		return k.pauseMax
	}
	return k.pause()
}
