package load

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
	"ccgw-harness/internal/human"
	"ccgw-harness/load/agents"
	"ccgw-harness/pace"
	"ccgw-harness/results"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// A journey run is the measured stage of a journey plan: agents starting
// their journeys on the plan's schedule (open model: an arrival does not
// wait for earlier journeys, only for a free agent), each journey the
// client's own sequence:
//
//  1. sign-in (forced sign-in after 100-002 when the target allows it), on
//     a context of its own: never cut half-way;
//  2. logininfo: the token the softphone registers with; the time from
//     sending the sign-in to receiving this first valid token is the
//     journey's time to softphone-ready;
//  3. for hold (from the sign-in's answer): event long polls as a client
//     makes them (the next one a pause after each answer, a Set-GUID
//     followed at once), and logininfo again every repeat (at k × repeat
//     for every k with k × repeat <= hold);
//  4. sign-out, once hold has passed and the event poll under way is
//     answered (no poll is cancelled, no connection cut, no poll of a
//     signed-out agent); passing failures are retried.
//
// Each journey is one agent client: its own connections (a TLS handshake at
// sign-in, as a client starting its shift makes), closed after sign-out.
// An agent makes one journey at a time and is free again only after its
// sign-out, so sign-in and sign-out of one agent never overlap.
//
// A journey fails at the first call that breaks it: a sign-in refused, a
// logininfo that is no valid token, an event poll or logininfo that says the
// session is gone (gateway.SessionGone; then no sign-out is sent), or a
// sign-out that fails. A poll that fails otherwise (transport, timeout, 5xx)
// is counted and the client polls again, as a client does. A journey
// stopped by an interruption signs out and counts as interrupted.
//
// Every call is a result tagged with X-Ccgw-Journey; the result that decided
// the outcome carries X-Ccgw-Journey-End, the first valid logininfo
// X-Ccgw-Ready-Us, the sign-in X-Ccgw-Lag-Us (how late the journey started
// against its planned arrival).
type journeys struct {
	s         *Session
	jp        *JourneyPlan
	arrivals  *pace.Schedule
	free      chan *agents.Agent
	base      *http.Transport // cloned for each journey
	baseURL   string
	attack    string        // the results' vegeta attack name: "target/plan"
	timeout   time.Duration // per call
	pollTO    time.Duration // per event poll
	pauseMin  time.Duration
	pauseMax  time.Duration
	force     bool
	fields    config.SignIn
	startedAt time.Time

	started, holding, completed, failed, interrupted, waited atomic.Int64
	loginInfos, polls, rotations                             atomic.Int64
	wg                                                       sync.WaitGroup
}

// newJourneys prepares the journey stage of s; base is the transport each
// journey's own is cloned from.
func newJourneys(s *Session, jp *JourneyPlan, base *http.Transport, baseURL string, t *config.Target) *journeys {
	js := &journeys{s: s, jp: jp, arrivals: jp.arrivals, base: base, baseURL: baseURL, attack: s.name(),
		timeout: s.plan.Timeout, pollTO: t.PollWait + agents.PollTimeoutMargin, force: t.ForceLogin, fields: s.plan.SignIn,
		free: make(chan *agents.Agent, len(s.pool.Agents()))}
	if js.timeout <= 0 {
		js.timeout = config.DefaultTimeout
	}
	js.pauseMin, js.pauseMax = s.keep.Pause()
	for _, a := range s.pool.Agents() {
		js.free <- a
	}
	return js
}

func (js *journeys) pause() time.Duration {
	if span := js.pauseMax - js.pauseMin; span > 0 {
		return js.pauseMin + rand.N(span)
	}
	return js.pauseMin
}

// run starts the journeys on schedule and waits for every one to end. It
// returns when the schedule is done and every journey has signed out, or
// ctx is cancelled (journeys under way then sign out and count as
// interrupted).
func (js *journeys) run(ctx context.Context) {
	js.startedAt = time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	n := js.arrivals.Hits()
arrivals:
	for i := uint64(0); i < n && ctx.Err() == nil; i++ {
		planned := js.startedAt.Add(js.arrivals.Planned(i))
		if wait := time.Until(planned) - pace.TimerSlack; wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				break arrivals
			case <-timer.C:
			}
		}
		var a *agents.Agent
		select {
		case a = <-js.free:
		default:
			js.waited.Add(1) // every agent is on a journey: this one starts late
			select {
			case a = <-js.free:
			case <-ctx.Done():
				break arrivals
			}
		}
		js.wg.Add(1)
		j := &journey{js: js, n: i, a: a, planned: planned, tag: []string{strconv.FormatUint(i, 10)}}
		go j.run(ctx)
	}
	js.wg.Wait()
}

// status is the progress line of a journey run.
func (js *journeys) status(elapsed time.Duration) string {
	l := js.s.agg.Snapshot()
	return fmt.Sprintf("%s  journeys %d/%d started, %d holding, %d completed, %d failed  logininfo %d (p99 %s, errors %.2f%%)  polls %d",
		human.Duration(elapsed), js.started.Load(), js.jp.Journeys, js.holding.Load(), js.completed.Load(), js.failed.Load(),
		l.Requests, human.Latency(l.P99), l.ErrorRate*100, js.polls.Load())
}

// journey is one agent's journey under way.
type journey struct {
	js      *journeys
	n       uint64
	tag     []string // the X-Ccgw-Journey value
	a       *agents.Agent
	planned time.Time

	cl      *gateway.Client // the journey's own client (sign-in, sign-out)
	hc      *http.Client    // and its HTTP client (logininfo, polls)
	judge   agents.Judge
	hdr     http.Header     // result headers of the journey goroutine's calls
	body    *agents.Scratch // logininfo body buffer (journey goroutine)
	pollSc  *agents.Scratch // the keep-alive goroutine's
	pending vegeta.Result   // the last sign-in/sign-out, from the observer
	pendCI  int
	pendOK  bool // the observer saw the call (it got an answer or failed on its own)

	signInStart time.Time
	ended       atomic.Bool // the outcome is recorded
	gone        atomic.Bool // the gateway said the session is gone
}

// observe is the journey client's observer: it keeps the exchange, judged,
// for the journey to tag and record.
func (j *journey) observe(ctx context.Context, x *gateway.Exchange) {
	ci, ok := j.js.s.calls.Result(ctx, x, &j.pending, j.hdr)
	if ok {
		j.pendCI = ci
	}
	j.pendOK = ok
}

// record records the pending sign-in or sign-out result with the journey's
// tag and the given outcome ("" for none).
func (j *journey) record(end string, lag bool) gateway.Verdict {
	r := &j.pending
	if r.Headers == nil {
		r.Headers = j.hdr
	}
	r.Headers[results.HeaderJourney] = j.tag
	if lag {
		l := max(r.Timestamp.Sub(j.planned), 0)
		r.Headers[results.HeaderLagUs] = []string{strconv.FormatInt(int64(l/time.Microsecond), 10)}
	}
	j.end(r.Headers, end)
	j.js.s.rec.record(r, j.pendCI)
	return gateway.ParseVerdict(r.Error)
}

// end writes the outcome into a result's headers once: the first outcome
// of a journey wins.
func (j *journey) end(h http.Header, outcome string) {
	if outcome == "" || !j.ended.CompareAndSwap(false, true) {
		return
	}
	h[results.HeaderJourneyEnd] = []string{outcome}
	switch outcome {
	case results.JourneyCompleted:
		j.js.completed.Add(1)
		j.js.s.metrics.JourneyDone(true)
	case results.JourneyFailed:
		j.js.failed.Add(1)
		j.js.s.metrics.JourneyDone(false)
	case results.JourneyInterrupted:
		j.js.interrupted.Add(1)
	}
}

// signInIndex is the index of the sign-in in gateway.Calls.
var signInIndex = agents.CallIndex(gateway.CallSignIn)

// journeyBufferSize is the read and write buffer of a journey's
// connections (net/http's default is 4 KiB); longer headers or bodies are
// read in several steps.
const journeyBufferSize = 1 << 10

func (j *journey) run(ctx context.Context) {
	js := j.js
	defer js.wg.Done()
	defer func() { js.free <- j.a }()
	tr := js.base.Clone()
	tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = 2, 0
	// The agent interface's requests and answers are a few hundred bytes:
	// small buffers keep a holding journey's two connections light.
	tr.ReadBufferSize, tr.WriteBufferSize = journeyBufferSize, journeyBufferSize
	// An event poll waits at most this long for its answer (the calls have
	// their own, shorter timeouts): no timer per poll.
	tr.ResponseHeaderTimeout = js.pollTO
	if tr.TLSClientConfig != nil {
		// A client starting its shift: no TLS session to resume.
		tr.TLSClientConfig = tr.TLSClientConfig.Clone()
		tr.TLSClientConfig.ClientSessionCache = nil
	} else {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	defer tr.CloseIdleConnections()
	j.hc = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var err error
	if j.cl, err = gateway.NewClient(js.baseURL, gateway.WithHTTPClient(j.hc), gateway.WithTimeout(js.timeout), gateway.WithObserver(j.observe)); err != nil {
		return // the base URL was parsed before: cannot happen
	}
	j.hdr = make(http.Header, 4)
	j.body, j.pollSc = agents.NewScratch(), agents.NewScratch()
	j.judge = agents.Judge{Pool: js.s.pool, Header: j.hdr}

	js.started.Add(1)
	s := j.signIn()
	if s == nil {
		return
	}
	js.s.pool.SetSession(j.a, s)
	signedAt := time.Now()
	js.holding.Add(1)
	defer js.holding.Add(-1)
	jctx, jcancel := context.WithCancel(ctx)
	defer jcancel()

	if ctx.Err() == nil {
		if v, answered := j.loginInfo(jctx, true); answered && v.OK() {
			j.hold(ctx, jctx, jcancel, s, signedAt)
		}
	}
	switch {
	case j.gone.Load():
		// The gateway said the session is gone: nothing to sign out.
		j.a.EndSession()
	case j.ended.Load():
		j.signOut(s, "")
	case ctx.Err() != nil:
		j.signOut(s, results.JourneyInterrupted)
	default:
		j.signOut(s, results.JourneyCompleted)
	}
}

// hold keeps the session alive by event polls (its own goroutine) and asks
// for the token again every repeat until hold has passed, then waits for
// the poll under way.
func (j *journey) hold(ctx, jctx context.Context, jcancel context.CancelFunc, s *gateway.Session, signedAt time.Time) {
	js := j.js
	stop, done := make(chan struct{}), make(chan struct{})
	go j.keepAlive(jctx, jcancel, s, stop, done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	sleepUntil := func(t time.Time) bool {
		timer.Reset(time.Until(t))
		select {
		case <-timer.C:
			return true
		case <-jctx.Done():
			return false
		}
	}
	repeats := true
	for k := time.Duration(1); js.jp.Repeat > 0 && k*js.jp.Repeat <= js.jp.Hold && repeats; k++ {
		if repeats = sleepUntil(signedAt.Add(k * js.jp.Repeat)); !repeats {
			break
		}
		v, answered := j.loginInfo(jctx, false)
		repeats = answered && v.OK()
	}
	if repeats {
		sleepUntil(signedAt.Add(js.jp.Hold))
	}
	close(stop)
	if j.ended.Load() || ctx.Err() != nil {
		jcancel() // failed or interrupted: do not wait for the poll under way
	}
	// The poll under way is answered within the poll wait; should its body
	// never come, it is cut after js.pollTO.
	timer.Reset(js.pollTO)
	select {
	case <-done:
	case <-timer.C:
		jcancel()
		<-done
	}
}

// keepAlive polls the agent's events until stop is closed (the poll under
// way is answered first) or jctx ends; a poll that says the session is gone
// ends the journey (jcancel).
func (j *journey) keepAlive(jctx context.Context, jcancel context.CancelFunc, s *gateway.Session, stop, done chan struct{}) {
	defer close(done)
	js := j.js
	p := agents.NewPoller(j.hc, 0, js.s.calls) // bounded by the transport and hold (see hold)
	tag := func(h http.Header, v gateway.Verdict) {
		h[results.HeaderJourney] = j.tag
		if v.SessionGone() {
			j.gone.Store(true)
			j.end(h, results.JourneyFailed)
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-stop:
			return
		default:
		}
		out := p.Poll(jctx, j.a, s, j.pollSc, tag)
		if !out.Answered {
			return
		}
		js.polls.Add(1)
		if out.Rotated {
			js.rotations.Add(1)
		}
		if out.Verdict.SessionGone() {
			jcancel()
			return
		}
		pause := js.pause()
		if !out.Verdict.OK() {
			pause = js.pauseMax
		}
		timer.Reset(coalesce(pause))
		select {
		case <-timer.C:
		case <-stop:
			return
		case <-jctx.Done():
			return
		}
	}
}

// pauseGrain is the grid the journeys' next polls are put on: the pause
// after an answer ends at the next multiple of it (a pause of 200-500 ms
// moves by less than 5 ms), so the polls of many journeys that are due in
// the same few milliseconds wake together and the generator's threads wake
// once for them rather than once each.
const pauseGrain = 5 * time.Millisecond

// coalesce returns how long to wait for a pause of d that ends on the
// pauseGrain grid.
func coalesce(d time.Duration) time.Duration {
	now := time.Now()
	end := now.Add(d).Truncate(pauseGrain).Add(pauseGrain)
	return end.Sub(now)
}

// signIn signs the journey's agent in (forced sign-in after 100-002 when
// allowed) and returns its session, or nil when the journey failed there
// (recorded).
func (j *journey) signIn() *gateway.Session {
	js, a := j.js, j.a
	req := a.SignInRequest(js.fields)
	call := func(force bool) (*gateway.Session, error) {
		ctx, cancel := context.WithTimeout(context.Background(), js.timeout)
		defer cancel()
		j.pendOK = false
		if force {
			return j.cl.ForceSignIn(ctx, a.ID(), req)
		}
		return j.cl.SignIn(ctx, a.ID(), req)
	}
	s, err := call(false)
	j.signInStart = j.pending.Timestamp
	if !j.pendOK {
		return nil // cannot happen: sign-in runs on its own context
	}
	if err != nil {
		v := gateway.ParseVerdict(j.pending.Error)
		if !(js.force && v.NeedsForceLogin()) {
			j.record(results.JourneyFailed, true)
			return nil
		}
		j.record("", true)
		s, err = call(true)
		if !j.pendOK {
			return nil
		}
	}
	if err != nil {
		j.record(results.JourneyFailed, j.pendCI == signInIndex)
		return nil
	}
	j.record("", j.pendCI == signInIndex)
	return s
}

// signOut signs the agent out, retrying passing failures, and records each
// attempt; the last carries the outcome: end when it succeeded (or
// results.JourneyInterrupted), results.JourneyFailed otherwise ("" leaves an outcome
// already recorded).
func (j *journey) signOut(s *gateway.Session, end string) {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), j.js.timeout)
		j.pendOK = false
		err := j.cl.SignOut(ctx, s)
		cancel()
		last := err == nil || attempt == agents.SignOutAttempts || !agents.PassingFailure(err)
		// A retry that finds the session gone or signed out means the
		// earlier attempt took effect (its answer was lost): the journey
		// did sign out; the answer is still recorded as the gateway gave it.
		done := err == nil || (attempt > 1 && gateway.SessionGone(err))
		if j.pendOK {
			outcome := ""
			if last {
				outcome = end
				if !done && end == results.JourneyCompleted {
					outcome = results.JourneyFailed
				}
			}
			j.record(outcome, false)
		}
		if last {
			if done {
				j.a.EndSession() // signed out: the run's final sign-out skips the agent
			}
			return
		}
		time.Sleep(backoff)
		backoff *= 3
	}
}

// loginInfo asks for the token (POST .../logininfo with the agent's current
// Guid), judges and records the answer: first marks the journey's first
// token (its time to ready when valid). answered is false when ctx ended
// first (nothing recorded).
func (j *journey) loginInfo(ctx context.Context, first bool) (v gateway.Verdict, answered bool) {
	js, a := j.js, j.a
	cctx, cancel := context.WithTimeout(ctx, js.timeout)
	defer cancel()
	req := a.LoginInfoRequest(cctx)
	start := time.Now()
	resp, err := j.hc.Do(req)
	var body []byte
	if err == nil {
		body, err = agents.ReadBody(resp.Body, j.body)
		resp.Body.Close()
	}
	lat := time.Since(start)
	if err != nil && ctx.Err() != nil {
		return v, false
	}
	js.loginInfos.Add(1)
	r := vegeta.Result{Attack: js.attack, Timestamp: start, Latency: lat, Method: http.MethodPost, URL: a.LoginInfoURL(), BytesIn: uint64(len(body))}
	if err != nil {
		r.Error = gateway.ClassifyError(err).String()
	} else {
		r.Code, r.Headers, r.Body = uint16(resp.StatusCode), resp.Header, body
	}
	clear(j.hdr)
	_, v = j.judge.Judge(&r)
	j.hdr[results.HeaderJourney] = j.tag
	if first && v.OK() {
		ready := start.Add(lat).Sub(j.signInStart)
		j.hdr[results.HeaderReadyUs] = []string{strconv.FormatInt(int64(ready/time.Microsecond), 10)}
		j.js.s.metrics.ObserveReady(ready)
	}
	if !v.OK() {
		j.gone.Store(v.SessionGone())
		j.end(j.hdr, results.JourneyFailed)
	}
	r.Headers = j.hdr
	js.s.rec.record(&r, loginInfoIndex)
	return v, true
}

// measureJourneys is the measured stage of journey plan jp: the journeys
// run on their schedule until every one has signed out or ctx is
// cancelled.
func (s *Session) measureJourneys(ctx context.Context, jp *JourneyPlan, c *gateway.Client, t *config.Target) error {
	base, ok := c.HTTPClient().Transport.(*http.Transport)
	if !ok {
		return fmt.Errorf("load: the gateway client's transport is %T, want *http.Transport", c.HTTPClient().Transport)
	}
	js := newJourneys(s, jp, base, c.BaseURL(), t)
	s.journeys = js
	s.log.Logf("journeys: %d agents start a journey of %s (%s) on the schedule %s; up to %d at once",
		jp.Journeys, jp.Hold, repeatText(jp.Repeat), s.pacer, jp.PeakAgents)
	s.meta.Started = time.Now()
	s.meta.Warnings = s.warnings
	if err := results.WriteMeta(s.metaPath, s.meta); err != nil {
		return fmt.Errorf("output directory %s: %w", s.out, err)
	}
	shown := time.Now()
	s.log.Show(func() string { return js.status(time.Since(shown)) })
	if s.onAttack != nil {
		s.onAttack()
	}
	if s.onStart != nil {
		s.onStart(s.meta.Started)
	}
	js.run(ctx)
	s.meta.Started = js.startedAt
	s.log.Hide()
	s.interrupted = ctx.Err() != nil
	s.log.Logf("journeys: %d started, %d completed, %d failed, %d interrupted", js.started.Load(), js.completed.Load(), js.failed.Load(), js.interrupted.Load())
	return nil
}

func repeatText(d time.Duration) string {
	if d <= 0 {
		return "no repeat"
	}
	return "logininfo every " + d.String()
}
