package contract_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
)

// signInConcurrency bounds concurrent sign-ins and sign-outs.
const signInConcurrency = 4

// agentSlot is one of the suite's agents: its configuration, its current
// session (nil while signed out) and the keeper that polls its events, which
// keeps the session alive and follows Guid rotation.
type agentSlot struct {
	Agent config.Agent

	mu   sync.Mutex
	sess *gateway.Session
	stop context.CancelFunc
	done chan struct{}
}

// Session returns the agent's current session, nil while signed out.
func (a *agentSlot) Session() *gateway.Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sess
}

func (a *agentSlot) setSession(s *gateway.Session) {
	a.mu.Lock()
	a.sess = s
	a.mu.Unlock()
}

// agentPool holds the agents the suite signs in, by role.
type agentPool struct {
	client *gateway.Client
	target *config.Target
	to     Timeouts

	All     []*agentSlot
	Probe   []*agentSlot // signed in all along; read-only probes
	Session []*agentSlot // signed out, replaced and rotated by session specs
	Crowd   []*agentSlot // ask all at once in the concurrency specs

	ctx    context.Context // parent of every keeper; cancelled by closeAll
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newAgentPool(client *gateway.Client, target *config.Target, to Timeouts, agents []config.Agent) *agentPool {
	p := &agentPool{client: client, target: target, to: to}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	for _, ag := range agents {
		p.All = append(p.All, &agentSlot{Agent: ag})
	}
	p.Probe = p.All[:NumProbeAgents]
	p.Session = p.All[NumProbeAgents : NumProbeAgents+NumSessionAgents]
	p.Crowd = p.All[NumProbeAgents+NumSessionAgents:]
	return p
}

// signInRequest is the sign-in body of an agent.
func signInRequest(ag config.Agent) gateway.SignInRequest {
	return gateway.SignInRequest{Password: ag.Password, PhoneNum: ag.PhoneNum}
}

// SignIn signs the agent in (with a forced sign-in when it is already
// signed in and the target allows that), records the session and starts
// its keeper.
func (p *agentPool) SignIn(ctx context.Context, a *agentSlot) error {
	ctx, cancel := context.WithTimeout(ctx, p.to.Call)
	defer cancel()
	req := signInRequest(a.Agent)
	s, err := p.client.SignIn(ctx, a.Agent.ID, req)
	if p.target.ForceLogin && gateway.NeedsForceLogin(err) {
		s, err = p.client.ForceSignIn(ctx, a.Agent.ID, req)
	}
	if err != nil {
		return &contractError{msg: signInFailure(p.target, a.Agent.ID, err)}
	}
	a.setSession(s)
	p.Keep(a)
	return nil
}

// signInFailure explains why an agent could not sign in and what to check.
func signInFailure(t *config.Target, id int, err error) string {
	hint := "check that the gateway is healthy"
	var ge *gateway.Error
	if errors.As(err, &ge) {
		switch ge.Retcode {
		case gateway.RetWrongPassword:
			hint = fmt.Sprintf("the password is wrong: check the variable named by agents.password_env (%s) or the agents.file passwords of target %s", orNone(t.Agents.PasswordEnv), t.Name)
		case gateway.RetAlreadySignedIn:
			hint = fmt.Sprintf("the agent is signed in elsewhere and target %s sets force_login: false; sign it out first", t.Name)
		case gateway.RetBadParam:
			hint = fmt.Sprintf("the gateway refuses the agent ID: check agents.ids and agent_id_range of target %s", t.Name)
		case gateway.RetSignInParamInvalid:
			hint = fmt.Sprintf("the gateway refuses the sign-in parameters: check the agents' phonenums (agents.phonenum_prefix or agents.file) of target %s", t.Name)
		case gateway.RetRepeated:
			hint = "another sign-in or sign-out of this agent is in progress: is another run using the same agents?"
		}
	} else {
		hint = "the gateway stopped answering (" + gateway.ClassifyError(err).Key() + ")"
	}
	return fmt.Sprintf("agent %d cannot sign in: %v: %s", id, err, hint)
}

func orNone(s string) string {
	if s == "" {
		return "none set"
	}
	return s
}

// Keep starts the agent's keeper unless it runs already: a loop of event
// long polls that keeps the session from the idle sign-out and switches it
// to each rotated Guid. It ends when Release or CloseAll stops it.
func (p *agentPool) Keep(a *agentSlot) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stop != nil || a.sess == nil {
		return
	}
	ctx, cancel := context.WithCancel(p.ctx)
	a.stop, a.done = cancel, make(chan struct{})
	p.wg.Add(1)
	go p.keeper(ctx, a.sess, a.done)
}

// keeperPause is the pause between two event polls (the documented client
// waits 200-500 ms).
func (p *agentPool) keeperPause() time.Duration {
	return min(200*time.Millisecond, p.target.PollWait/10)
}

func (p *agentPool) keeper(ctx context.Context, s *gateway.Session, done chan struct{}) {
	defer p.wg.Done()
	defer close(done)
	pause := p.keeperPause()
	backoff := max(pause, p.target.PollWait/4, 20*time.Millisecond)
	t := time.NewTimer(0)
	defer t.Stop()
	<-t.C
	for ctx.Err() == nil { // bounded by ctx: CloseAll cancels it at the latest
		pctx, cancel := context.WithTimeout(ctx, p.to.Poll)
		_, err := p.client.PollEvents(pctx, s)
		cancel()
		wait := pause
		if err != nil {
			wait = backoff
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Release stops the agent's keeper (waiting for its poll to end) and
// returns the session, which the caller then owns until Reinstate.
func (p *agentPool) Release(a *agentSlot) *gateway.Session {
	a.mu.Lock()
	stop, done, s := a.stop, a.done, a.sess
	a.stop, a.done = nil, nil
	a.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return s
}

// Reinstate brings a released agent back to a fresh session with a
// running keeper: it signs the current session out (if any; errors are
// expected when a spec already ended it) and signs the agent in again.
func (p *agentPool) Reinstate(ctx context.Context, a *agentSlot) error {
	a.mu.Lock()
	running := a.stop != nil
	a.mu.Unlock()
	if running {
		return nil
	}
	if s := a.Session(); s != nil {
		sctx, cancel := context.WithTimeout(ctx, p.to.Call)
		_ = p.client.SignOut(sctx, s)
		cancel()
		a.setSession(nil)
	}
	return p.SignIn(ctx, a)
}

// SignInAll signs every agent in, a few at a time. After the first
// failure it starts no more sign-ins (those in flight finish, so that every
// session the gateway created is recorded and SignOutAll ends it) and
// returns that failure.
func (p *agentPool) SignInAll(ctx context.Context) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return first != nil
	}
	sem := make(chan struct{}, signInConcurrency)
	for _, a := range p.All {
		sem <- struct{}{}
		if failed() || ctx.Err() != nil {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := p.SignIn(ctx, a); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// SignOutAll stops every keeper and signs out every agent that has a
// session. Sessions the gateway already ended are fine; any other failure
// is reported, naming the agents.
func (p *agentPool) SignOutAll(ctx context.Context) error {
	for _, a := range p.All {
		p.Release(a)
	}
	p.cancel()
	p.wg.Wait()
	var mu sync.Mutex
	var failed []string
	sem := make(chan struct{}, signInConcurrency)
	var wg sync.WaitGroup
	for _, a := range p.All {
		s := a.Session()
		if s == nil {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			sctx, cancel := context.WithTimeout(ctx, p.to.Call)
			defer cancel()
			err := p.client.SignOut(sctx, s)
			if err == nil || gateway.SessionGone(err) {
				a.setSession(nil)
				return
			}
			mu.Lock()
			failed = append(failed, err.Error())
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		return &contractError{msg: fmt.Sprintf("%d agents could not be signed out (sign them out by hand): %s", len(failed), strings.Join(failed, "; "))}
	}
	return nil
}
