package agents

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
)

// Pool defaults.
const (
	// DefaultSignInConcurrency is how many sign-ins (and sign-outs) run at
	// once (WithSignInConcurrency).
	DefaultSignInConcurrency = 64
	// reSignInConcurrency is how many re-sign-ins (after the gateway
	// said 100-006) run at once.
	reSignInConcurrency = 16
	// reSignInBackoff is how long an agent whose re-sign-in failed
	// waits before another 100-006 may trigger a new attempt.
	reSignInBackoff = time.Second
	// signOutTimeout bounds the whole sign-out at the end of a run. It
	// does not depend on the run's context: agents are signed out after
	// SIGINT or a fatal error too.
	signOutTimeout = 60 * time.Second
	// callTimeout bounds one sign-in or sign-out call that no longer
	// follows the run's context (a call cut half-way could leave a session
	// behind on the gateway).
	callTimeout = 15 * time.Second
)

// NewClient returns a client for the agents' own calls (sign-in,
// sign-out, event polls) on a transport of its own that keeps up to idle
// keep-alive connections, with c's TLS settings plus a TLS session cache: the
// many agent connections resume a TLS session as real agent clients do,
// rather than each paying a full handshake (certificate chain and signature
// checks). The attack's connections never use it. opts are added to the
// client's (e.g. gateway.WithObserver). Close the returned transport's idle
// connections when done. When c does not use an *http.Transport, c itself
// is returned with a nil transport.
func NewClient(c *gateway.Client, idle int, opts ...gateway.Option) (*gateway.Client, *http.Transport, error) {
	base, ok := c.HTTPClient().Transport.(*http.Transport)
	if !ok {
		return c, nil, nil
	}
	tr := base.Clone()
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = max(idle, gateway.DefaultMaxIdleConnsPerHost)
	tr.MaxConnsPerHost = 0
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tr.TLSClientConfig.ClientSessionCache == nil {
		tr.TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(agentSessionCacheSize)
	}
	ac, err := gateway.NewClient(c.BaseURL(), append([]gateway.Option{gateway.WithHTTPClient(&http.Client{Transport: tr})}, opts...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("load: agent client: %w", err)
	}
	return ac, tr, nil
}

// agentSessionCacheSize is the TLS session cache of NewClient (one gateway
// address: a few entries suffice).
const agentSessionCacheSize = 16

// Agent is one agent of a Pool and its current session. Its methods are
// safe for concurrent use.
type Agent struct {
	id       int
	phone    string
	password string
	url      string // its logininfo URL

	eventURL       *url.URL // its event-poll URL (see Poller)
	eventURLString string
	infoURL        *url.URL // url parsed (a journey's logininfo calls)

	sess      atomic.Pointer[gateway.Session]
	hdr       atomic.Pointer[agentHeader]
	signedAt  atomic.Int64 // the pool clock's UnixNano when the current session began
	resigning atomic.Bool  // a re-sign-in is queued or running
	retryAt   atomic.Int64 // no re-sign-in before this UnixNano (after a failure)
	gone      atomic.Bool  // the gateway said the session is gone and no new one exists yet
}

// agentHeader is the request header of an agent's logininfo calls, rebuilt
// only when its Guid or cookies change, so the Targeter allocates nothing.
type agentHeader struct {
	h      http.Header
	guid   string
	cookie string
	node   int
}

// node is the gateway node of the agent's current Guid (0 if none).
func (a *Agent) node() int {
	if h := a.hdr.Load(); h != nil {
		return h.node
	}
	return 0
}

// setSession makes s the agent's session, begun at now.
func (a *Agent) setSession(s *gateway.Session, now time.Time) {
	a.sess.Store(s)
	a.signedAt.Store(now.UnixNano())
	a.gone.Store(false)
	a.refresh()
}

// refresh rebuilds the request header when the session's Guid or cookies
// changed (after sign-in and after each event poll).
func (a *Agent) refresh() {
	s := a.sess.Load()
	if s == nil {
		return
	}
	g, ck := s.Guid(), s.CookieHeader()
	if old := a.hdr.Load(); old != nil && old.guid == g && old.cookie == ck {
		return
	}
	h := http.Header{
		gateway.HeaderContentType: {gateway.ContentTypeJSON},
		gateway.HeaderGuid:        {g},
	}
	if ck != "" {
		h["Cookie"] = []string{ck}
	}
	a.hdr.Store(&agentHeader{h: h, guid: g, cookie: ck, node: gateway.GuidNode(g)})
}

// PoolOption configures a Pool.
type PoolOption func(*Pool)

// WithSignInConcurrency sets how many sign-ins (and sign-outs) run at once
// (default DefaultSignInConcurrency; a plan's is
// config.DefaultSignInConcurrency unless it says otherwise).
func WithSignInConcurrency(n int) PoolOption {
	return func(p *Pool) {
		if n > 0 {
			p.signInConc = n
		}
	}
}

// WithForceLogin allows a forced sign-in when the gateway answers 100-002
// (already signed in) to a sign-in (config Target.ForceLogin).
func WithForceLogin(on bool) PoolOption { return func(p *Pool) { p.forceLogin = on } }

// withReSignInConcurrency sets how many re-sign-ins run at once (default
// reSignInConcurrency).
func withReSignInConcurrency(n int) PoolOption {
	return func(p *Pool) {
		if n > 0 {
			p.resignConc = n
		}
	}
}

// Pool is the run's signed-in agents: it signs them in with bounded
// concurrency, re-signs in an agent whose session the gateway lost, hands
// out their current Guids to the Targeter and signs every one of them out at
// the end. It is safe for concurrent use.
type Pool struct {
	client         *gateway.Client
	agents         []*Agent
	byID           map[int]*Agent
	idOffset       int // len(URL prefix before the agent ID)
	signInConc     int
	resignConc     int
	forceLogin     bool
	signOutTimeout time.Duration
	clock          clock         // nil: the real clock (tests set a fake one)
	signInFields   config.SignIn // the plan's optional sign-in fields (WithSignInFields)
	calls          *Calls        // the run's record of the agents' calls (WithCalls; nil: none)

	// sign-in progress
	done, failed atomic.Int64
	live         []*Agent // agents signed in by SignIn, in configuration order

	// re-sign-in
	mu         sync.Mutex
	running    bool
	resignQ    chan *Agent
	resignStop chan struct{}
	resignWG   sync.WaitGroup
	reSignIns  atomic.Int64
	reFailures atomic.Int64
}

// NewPool returns a pool of the given agents, not signed in yet.
func NewPool(c *gateway.Client, agents []config.Agent, opts ...PoolOption) (*Pool, error) {
	p := &Pool{
		client:         c,
		byID:           make(map[int]*Agent, len(agents)),
		signInConc:     DefaultSignInConcurrency,
		resignConc:     reSignInConcurrency,
		signOutTimeout: signOutTimeout,
	}
	for _, o := range opts {
		o(p)
	}
	prefix := c.BaseURL() + gateway.PathPrefix + "/onlineagent/"
	p.idOffset = len(prefix)
	for _, ag := range agents {
		if _, dup := p.byID[ag.ID]; dup {
			return nil, fmt.Errorf("load: agent %d is listed twice", ag.ID)
		}
		a := &Agent{id: ag.ID, phone: ag.PhoneNum, password: ag.Password, url: c.BaseURL() + gateway.LoginInfoPath(ag.ID)}
		var err error
		if a.eventURL, a.eventURLString, err = eventURLOf(c.BaseURL(), ag.ID); err != nil {
			return nil, fmt.Errorf("load: agent %d: %w", ag.ID, err)
		}
		if a.infoURL, err = url.Parse(a.url); err != nil {
			return nil, fmt.Errorf("load: agent %d: %w", ag.ID, err)
		}
		p.agents = append(p.agents, a)
		p.byID[ag.ID] = a
	}
	return p, nil
}

// WithCalls records the agents' own calls into c (see Calls): c learns
// the pool's agents (their phonenum and node), and the keep-alive's polls
// go to c too.
func WithCalls(c *Calls) PoolOption {
	return func(p *Pool) {
		p.calls = c
		c.pool = p
	}
}

// Agents returns every agent of the pool, in configuration order.
func (p *Pool) Agents() []*Agent { return p.agents }

// SignInConcurrency is how many sign-ins run at once.
func (p *Pool) SignInConcurrency() int { return p.signInConc }

// SetSession makes s agent a's session, begun now (on the pool's clock):
// for a caller that signed a in itself (a journey).
func (p *Pool) SetSession(a *Agent, s *gateway.Session) { a.setSession(s, clockNow(p.clock)) }

// ID is the agent's ID.
func (a *Agent) ID() int { return a.id }

// SignInRequest is the agent's sign-in request with the plan's optional
// fields f.
func (a *Agent) SignInRequest(f config.SignIn) gateway.SignInRequest {
	return f.Request(config.Agent{ID: a.id, PhoneNum: a.phone, Password: a.password})
}

// LoginInfoURL is the URL of the agent's logininfo calls.
func (a *Agent) LoginInfoURL() string { return a.url }

// LoginInfoRequest is a logininfo request (POST .../logininfo, no body)
// with the agent's current Guid and cookies, on ctx; the agent must have a
// session.
func (a *Agent) LoginInfoRequest(ctx context.Context) *http.Request {
	h := a.hdr.Load()
	return (&http.Request{Method: http.MethodPost, URL: a.infoURL, Header: h.h, Host: a.infoURL.Host,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Body: http.NoBody}).WithContext(ctx)
}

// EndSession forgets the agent's session, which ended (signed out, or the
// gateway said it is gone): the pool's sign-out skips the agent.
func (a *Agent) EndSession() { a.sess.Store(nil) }

// agentByURL finds the agent of a logininfo URL without allocating.
func (p *Pool) agentByURL(u string) *Agent {
	if len(u) <= p.idOffset {
		return nil
	}
	id := 0
	for i := p.idOffset; i < len(u) && u[i] != '/'; i++ {
		c := u[i]
		if c < '0' || c > '9' || id > 1e9 {
			return nil
		}
		id = id*10 + int(c-'0')
	}
	return p.byID[id]
}

// Size is the number of agents asked for.
func (p *Pool) Size() int { return len(p.agents) }

// Live is the number of agents signed in by SignIn (those the Targeter
// uses).
func (p *Pool) Live() int { return len(p.live) }

// Alive is the number of agents whose session is believed valid right now:
// signed in, and not lost (100-006) without a new session yet.
func (p *Pool) Alive() int {
	n := 0
	for _, a := range p.live {
		if a.sess.Load() != nil && !a.gone.Load() {
			n++
		}
	}
	return n
}

// ReSignIns is the number of sessions re-established during the run.
func (p *Pool) ReSignIns() int { return int(p.reSignIns.Load()) }

// ReSignInFailures is the number of re-sign-in attempts that failed.
func (p *Pool) ReSignInFailures() int { return int(p.reFailures.Load()) }

// SignInProgress reports how many sign-ins are finished, how many of those
// failed, and the total.
func (p *Pool) SignInProgress() (done, failed, total int) {
	return int(p.done.Load()), int(p.failed.Load()), len(p.agents)
}

// SignInSummary is the outcome of SignIn.
type SignInSummary struct {
	Requested int
	SignedIn  int
	Failed    int
	// Reasons counts the failed agents by reason ("retcode 100-004 (wrong
	// password)", "http 503", "transport reset"...).
	Reasons map[string]int
	// Examples holds up to 5 failed agent IDs per reason.
	Examples map[string][]int
	// Cancelled is set when the context ended before every agent was tried.
	Cancelled bool
	Elapsed   time.Duration
}

// String summarises the failures, most frequent reason first:
// "3 of 50 agents could not sign in: 2 retcode 100-004 (wrong password)
// (agents 1001, 1002); 1 http 503 (agent 1007)".
func (s SignInSummary) String() string {
	if s.Failed == 0 {
		return fmt.Sprintf("%d of %d agents signed in in %s", s.SignedIn, s.Requested, s.Elapsed.Round(time.Millisecond))
	}
	reasons := make([]string, 0, len(s.Reasons))
	for r := range s.Reasons {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if s.Reasons[reasons[i]] != s.Reasons[reasons[j]] {
			return s.Reasons[reasons[i]] > s.Reasons[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		ids := make([]string, len(s.Examples[r]))
		for k, id := range s.Examples[r] {
			ids[k] = strconv.Itoa(id)
		}
		word := "agents"
		if len(ids) == 1 {
			word = "agent"
		}
		more := ""
		if s.Reasons[r] > len(ids) {
			more = ", ..."
		}
		parts[i] = fmt.Sprintf("%d %s (%s %s%s)", s.Reasons[r], r, word, strings.Join(ids, ", "), more)
	}
	return fmt.Sprintf("%d of %d agents could not sign in: %s", s.Failed, s.Requested, strings.Join(parts, "; "))
}

// maxExamples is how many agent IDs SignInSummary keeps per reason.
const maxExamples = 5

// SignIn signs every agent in, at most the configured number at once, with a
// forced sign-in after 100-002 when allowed. When ctx ends it starts no
// further sign-in; those under way finish (a call cut half-way could leave a
// session behind), and the agents signed in so far are still signed out by
// SignOut. It returns ctx's error in that case.
func (p *Pool) SignIn(ctx context.Context) (SignInSummary, error) {
	start := time.Now()
	sum := SignInSummary{Requested: len(p.agents), Reasons: map[string]int{}, Examples: map[string][]int{}}
	var mu sync.Mutex
	one := func(a *Agent) {
		s, err := p.signInOne(a)
		if err == nil {
			a.setSession(s, clockNow(p.clock))
		} else {
			p.failed.Add(1)
			reason := failureReason(err)
			mu.Lock()
			sum.Reasons[reason]++
			if len(sum.Examples[reason]) < maxExamples {
				sum.Examples[reason] = append(sum.Examples[reason], a.id)
			}
			mu.Unlock()
		}
		p.done.Add(1)
	}
	agents := p.agents
	// The first agent signs in alone: the others then resume its TLS
	// session (see NewClient) instead of each doing a full handshake.
	if len(agents) > 0 && ctx.Err() == nil {
		one(agents[0])
		agents = agents[1:]
	}
	next := make(chan *Agent)
	var wg sync.WaitGroup
	for range min(p.signInConc, len(agents)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range next {
				one(a)
			}
		}()
	}
feed:
	for _, a := range agents {
		select {
		case next <- a:
		case <-ctx.Done():
			sum.Cancelled = true
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil && int(p.done.Load()) < len(p.agents) {
		sum.Cancelled = true
	}
	p.live = p.live[:0]
	for _, a := range p.agents {
		if a.sess.Load() != nil {
			p.live = append(p.live, a)
		}
	}
	sum.SignedIn = len(p.live)
	sum.Failed = int(p.failed.Load())
	sum.Elapsed = time.Since(start)
	if sum.Cancelled {
		return sum, ctx.Err()
	}
	return sum, nil
}

// signInOne signs one agent in on a context of its own (see SignIn), with a
// forced sign-in after 100-002 when allowed.
func (p *Pool) signInOne(a *Agent) (*gateway.Session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req := a.SignInRequest(p.signInFields)
	s, err := p.client.SignIn(ctx, a.id, req)
	if p.forceLogin && gateway.NeedsForceLogin(err) {
		s, err = p.client.ForceSignIn(ctx, a.id, req)
	}
	return s, err
}

// failureReason names why a gateway call failed, for grouping: the retcode
// and its meaning, the HTTP status, a contract violation or the transport
// class. It never holds a secret.
func failureReason(err error) string {
	var ge *gateway.Error
	if errors.As(err, &ge) {
		switch {
		case ge.Retcode != "":
			return "retcode " + ge.Retcode + " (" + gateway.RetcodeMeaning(ge.Retcode) + ")"
		case ge.Status != http.StatusOK:
			return "http " + strconv.Itoa(ge.Status)
		default:
			msg, _, _ := strings.Cut(ge.Message, ":")
			return msg
		}
	}
	return gateway.ClassifyError(err).String()
}

// Check refuses the run when more agents failed to sign in than allowed:
// maxFailures >= 1 is a count, 0 < maxFailures < 1 a share of the agents, 0
// allows none. No agent signed in at all is always refused.
func (s SignInSummary) Check(maxFailures float64) error {
	if s.SignedIn == 0 {
		return fmt.Errorf("no agent could sign in: %s", s)
	}
	limit := maxFailures
	what := fmt.Sprintf("%g", maxFailures)
	if maxFailures > 0 && maxFailures < 1 {
		limit = maxFailures * float64(s.Requested)
		what = fmt.Sprintf("%g%% of %d = %g", maxFailures*100, s.Requested, limit)
	}
	if float64(s.Failed) > limit {
		return fmt.Errorf("%s; the plan allows %s (max_signin_failures): run refused", s, what)
	}
	return nil
}

// StartReSignIn starts the workers that re-sign in agents whose session the
// gateway lost. StopReSignIn (or SignOut) stops them.
func (p *Pool) StartReSignIn() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return
	}
	p.running = true
	p.resignQ = make(chan *Agent, len(p.agents))
	p.resignStop = make(chan struct{})
	for range p.resignConc {
		p.resignWG.Add(1)
		go p.resignWorker(p.resignQ, p.resignStop)
	}
}

// StopReSignIn stops the re-sign-in workers and waits for them: a
// re-sign-in under way finishes (so the agent's session is known and can be
// signed out); queued ones are dropped.
func (p *Pool) StopReSignIn() {
	p.mu.Lock()
	if !p.running {
		p.mu.Unlock()
		return
	}
	p.running = false
	close(p.resignStop)
	p.mu.Unlock()
	p.resignWG.Wait()
	// Drain what was queued and never started.
	for {
		select {
		case a := <-p.resignQ:
			a.resigning.Store(false)
		default:
			return
		}
	}
}

func (p *Pool) resignWorker(q <-chan *Agent, stop <-chan struct{}) {
	defer p.resignWG.Done()
	for {
		select {
		case <-stop:
			return
		case a := <-q:
			select {
			case <-stop:
				a.resigning.Store(false)
				return
			default:
			}
			s, err := p.signInOne(a)
			if err == nil {
				a.setSession(s, clockNow(p.clock))
				p.reSignIns.Add(1)
			} else {
				p.reFailures.Add(1)
				a.retryAt.Store(clockNow(p.clock).Add(reSignInBackoff).UnixNano())
			}
			a.resigning.Store(false)
		}
	}
}

// lost records that the gateway said agent a's session is gone (100-006) for
// a request sent at sentAt, or for a poll of session s (nil for a request).
// It queues a re-sign-in unless one is queued or running, the report is stale
// (the request predates the current session) or the agent's last attempt
// failed too recently. It never blocks.
func (p *Pool) lost(a *Agent, sentAt time.Time, s *gateway.Session) {
	if s != nil {
		if a.sess.Load() != s {
			return
		}
	} else if sentAt.UnixNano() < a.signedAt.Load() {
		return
	}
	a.gone.Store(true)
	if clockNow(p.clock).UnixNano() < a.retryAt.Load() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running || !a.resigning.CompareAndSwap(false, true) {
		return
	}
	select {
	case p.resignQ <- a: // capacity is the pool size and each agent is queued once
	default:
		a.resigning.Store(false)
	}
}

// SignOutSummary is the outcome of SignOut.
type SignOutSummary struct {
	SignedOut int // sessions ended by this sign-out
	// AlreadyGone counts agents the gateway no longer knew (100-006,
	// 100-008, 000-003): their session had ended already.
	AlreadyGone int
	Failed      int
	Reasons     map[string]int
	Elapsed     time.Duration
}

// String summarises the sign-out.
func (s SignOutSummary) String() string {
	out := fmt.Sprintf("%d agents signed out in %s", s.SignedOut, s.Elapsed.Round(time.Millisecond))
	if s.AlreadyGone > 0 {
		out += fmt.Sprintf(", %d already signed out by the gateway", s.AlreadyGone)
	}
	if s.Failed > 0 {
		reasons := make([]string, 0, len(s.Reasons))
		for r, n := range s.Reasons {
			reasons = append(reasons, fmt.Sprintf("%d %s", n, r))
		}
		sort.Strings(reasons)
		out += fmt.Sprintf(", %d failed (%s)", s.Failed, strings.Join(reasons, "; "))
	}
	return out
}

// SignOut stops re-sign-in and signs every agent that has a session out, at
// most the sign-in concurrency at once, on a context detached from ctx's
// cancellation and bounded by the sign-out timeout: it runs after SIGINT or a
// fatal error too. Call it once keep-alive polling has stopped.
func (p *Pool) SignOut(ctx context.Context) SignOutSummary {
	p.StopReSignIn()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.signOutTimeout)
	defer cancel()
	sum := SignOutSummary{Reasons: map[string]int{}}
	var mu sync.Mutex
	next := make(chan *Agent)
	var wg sync.WaitGroup
	for range min(p.signInConc, max(len(p.agents), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range next {
				s := a.sess.Swap(nil)
				if s == nil {
					continue
				}
				err := p.signOutRetrying(ctx, s)
				mu.Lock()
				switch {
				case err == nil:
					sum.SignedOut++
				case gateway.SessionGone(err):
					sum.AlreadyGone++
				default:
					sum.Failed++
					sum.Reasons[failureReason(err)]++
				}
				mu.Unlock()
			}
		}()
	}
	for _, a := range p.agents {
		next <- a
	}
	close(next)
	wg.Wait()
	sum.Elapsed = time.Since(start)
	return sum
}

// SignOutAttempts bounds how often one agent's sign-out is tried when the
// failure may be passing (no answer, 5xx, 100-007 internal error, 000-007
// repeated invocation): an agent left signed in blocks the next run.
const SignOutAttempts = 3

// signOutRetrying signs s out, retrying passing failures with a short
// backoff within ctx. A retry answered 100-006/100-008 means the earlier
// attempt took effect.
func (p *Pool) signOutRetrying(ctx context.Context, s *gateway.Session) error {
	backoff := 100 * time.Millisecond
	var err error
	for attempt := 1; ; attempt++ {
		cctx, ccancel := context.WithTimeout(ctx, callTimeout)
		err = p.client.SignOut(cctx, s)
		ccancel()
		if err == nil || attempt == SignOutAttempts || !PassingFailure(err) {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff *= 3
	}
}

// PassingFailure reports whether a call's failure may go away on retry:
// no answer, a 5xx, 100-007 (internal error) or 000-007 (repeated
// invocation).
func PassingFailure(err error) bool {
	var ge *gateway.Error
	if !errors.As(err, &ge) {
		return true // transport: reset, refused, TLS, timeout
	}
	return ge.Status >= 500 || ge.Retcode == gateway.RetInternal || ge.Retcode == gateway.RetRepeated
}

// SignedInByNode counts the agents whose session is believed valid (signed
// in, and not lost without a new session yet) by the gateway node of their
// Guid (0: none named). It is safe at any time: during sign-in, the run and
// sign-out.
func (p *Pool) SignedInByNode() map[int]int {
	out := map[int]int{}
	for _, a := range p.agents {
		if a.sess.Load() != nil && !a.gone.Load() {
			out[a.node()]++
		}
	}
	return out
}
